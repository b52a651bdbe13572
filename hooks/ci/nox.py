"""``nox -s SESSION`` read from ``noxfile.py`` with :mod:`ast`: never imported, never run.

A session is a function decorated with ``@nox.session`` (``name=``, ``python=``, ``tags=``,
``default=``). Its ``session.run(...)`` calls are followed when every argument is a string, a
module-level constant (``SOURCES = ["src", "tests"]``, ``*SOURCES``) or ``session.posargs``
(``*session.posargs``, ``*(session.posargs or ["tests"])``); ``session.install(...)`` pins
ruff/mypy; ``session.chdir("x")`` moves the rest. Anything else in a ``run`` call, and
parametrized sessions, are named as not read.
"""

from __future__ import annotations

import ast
import contextlib
import posixpath
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from hooks.ci import pinfiles
from hooks.ci.commands import PIN_NAME
from hooks.ci.context import Call, Frame, Job, Walker
from hooks.ci.interp import join_dir
from hooks.ci.model import ToolPin

_POSARGS = object()


class _Unreadable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Posargs:
    """``session.posargs``, or ``default`` when CI passes none."""

    default: tuple[str, ...] = ()


Arg = str | Posargs


@dataclass(slots=True)
class Step:
    kind: str  # run | install | chdir | unreadable
    args: list[Arg]
    line: int
    advisory: bool = False
    env: dict[str, str] = field(default_factory=dict)
    why: str = ""


@dataclass(slots=True)
class Session:
    name: str
    python: tuple[str, ...]
    tags: tuple[str, ...]
    default: bool
    line: int
    steps: list[Step] = field(default_factory=list)
    parametrized: bool = False


@dataclass(slots=True)
class Noxfile:
    rel: str
    sessions: list[Session]
    selected: list[str] | None


def _constants(tree: ast.Module) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            try:
                found[node.targets[0].id] = _strings(node.value, {})
            except _Unreadable:
                continue
    return found


def _strings(node: ast.expr, constants: Mapping[str, list[str]]) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [s for item in node.elts for s in _strings(item, constants)]
    if isinstance(node, ast.Name) and node.id in constants:
        return list(constants[node.id])
    raise _Unreadable(ast.unparse(node))


def _is_posargs(node: ast.expr, session: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "posargs"
        and isinstance(node.value, ast.Name)
        and node.value.id == session
    )


def _args(call: ast.Call, session: str, constants: Mapping[str, list[str]]) -> list[Arg]:
    out: list[Arg] = []
    for arg in call.args:
        value = arg.value if isinstance(arg, ast.Starred) else arg
        if _is_posargs(value, session):
            out.append(Posargs())
        elif (
            isinstance(value, ast.BoolOp)
            and isinstance(value.op, ast.Or)
            and len(value.values) == 2
            and _is_posargs(value.values[0], session)
        ):
            out.append(Posargs(tuple(_strings(value.values[1], constants))))
        elif isinstance(arg, ast.Starred) or isinstance(value, ast.Constant | ast.Name):
            out.extend(_strings(value, constants))
        else:
            raise _Unreadable(ast.unparse(value))
    return out


def _decorator(node: ast.FunctionDef) -> tuple[ast.Call | None, bool] | None:
    """The ``@nox.session`` decorator (its call, if called) and whether it is parametrized."""
    found: tuple[ast.Call | None, bool] | None = None
    parametrized = False
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = ast.unparse(target)
        if name in ("nox.session", "session"):
            found = (deco if isinstance(deco, ast.Call) else None, False)
        elif name.endswith("parametrize"):
            parametrized = True
    return None if found is None else (found[0], parametrized)


def _session(node: ast.FunctionDef, constants: Mapping[str, list[str]]) -> Session | None:
    found = _decorator(node)
    if found is None:
        return None
    call, parametrized = found
    keywords = {k.arg: k.value for k in call.keywords if k.arg} if call is not None else {}
    name = node.name
    if isinstance(keywords.get("name"), ast.Constant):
        name = str(keywords["name"].value)  # type: ignore[attr-defined]
    try:
        python = tuple(_strings(keywords["python"], constants)) if "python" in keywords else ()
    except _Unreadable:
        python = ()
    try:
        tags = tuple(_strings(keywords["tags"], constants)) if "tags" in keywords else ()
    except _Unreadable:
        tags = ()
    default_node = keywords.get("default")
    default = not (isinstance(default_node, ast.Constant) and default_node.value is False)
    session = Session(name, python, tags, default, node.lineno, parametrized=parametrized)
    param = node.args.args[0].arg if node.args.args else "session"
    _walk(node.body, param, constants, session.steps)
    return session


def _walk(
    body: Sequence[ast.stmt], param: str, constants: Mapping[str, list[str]], steps: list[Step]
) -> None:
    for statement in body:
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value
            if not (isinstance(owner, ast.Name) and owner.id == param):
                continue
            kind = {
                "run": "run",
                "run_always": "run",
                "install": "install",
                "run_install": "run",
                "chdir": "chdir",
            }.get(node.func.attr)
            if kind is None:
                continue
            try:
                args = _args(node, param, constants)
            except _Unreadable as exc:
                steps.append(Step("unreadable", [], node.lineno, why=f"argument {exc}"))
                continue
            step = Step(kind, args, node.lineno)
            for keyword in node.keywords:
                if keyword.arg == "success_codes":
                    try:
                        codes = ast.literal_eval(keyword.value)
                    except ValueError:
                        codes = [0, 1]
                    step.advisory = any(c != 0 for c in codes)
                elif keyword.arg == "env" and isinstance(keyword.value, ast.Dict):
                    with contextlib.suppress(ValueError):
                        literal = ast.literal_eval(keyword.value)
                        step.env = {str(k): str(v) for k, v in literal.items()}
            steps.append(step)


def parse(rel: str, text: str) -> Noxfile:
    tree = ast.parse(text, filename=rel)
    constants = _constants(tree)
    sessions = [
        session
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and (session := _session(node, constants)) is not None
    ]
    selected = None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and ast.unparse(node.targets[0]) == "nox.options.sessions"
        ):
            try:
                selected = _strings(node.value, constants)
            except _Unreadable:
                selected = None
    return Noxfile(rel, sessions, selected)


@dataclass(frozen=True, slots=True)
class NoxArgs:
    sessions: tuple[str, ...]
    tags: tuple[str, ...]
    pythons: tuple[str, ...]
    file: str
    posargs: tuple[str, ...] | None
    keywords: str | None


def nox_args(argv: Sequence[str]) -> NoxArgs:
    words = list(argv[1:])
    posargs: tuple[str, ...] | None = None
    if "--" in words:
        i = words.index("--")
        posargs, words = tuple(words[i + 1 :]), words[:i]
    sessions: list[str] = []
    tags: list[str] = []
    pythons: list[str] = []
    file = "noxfile.py"
    keywords = None
    i = 0
    while i < len(words):
        name, eq, value = words[i].partition("=")
        if name in (
            "-s",
            "-e",
            "--session",
            "--sessions",
            "-t",
            "--tags",
            "-p",
            "--python",
            "--pythons",
        ):
            values = [value] if eq else []
            while not eq and i + 1 < len(words) and not words[i + 1].startswith("-"):
                i += 1
                values.append(words[i])
            target = (
                sessions
                if name in ("-s", "-e", "--session", "--sessions")
                else tags
                if name in ("-t", "--tags")
                else pythons
            )
            target.extend(v for value in values for v in value.split(",") if v)
        elif name in ("-f", "--noxfile", "-k", "--keywords"):
            if not eq:
                i += 1
                value = words[i] if i < len(words) else ""
            if name in ("-f", "--noxfile"):
                file = value
            else:
                keywords = value
        i += 1
    return NoxArgs(tuple(sessions), tuple(tags), tuple(pythons), file, posargs, keywords)


def _chosen(noxfile: Noxfile, args: NoxArgs) -> list[tuple[Session, tuple[str, ...]]]:
    """The sessions nox runs, each with the Python versions it runs under."""
    out: list[tuple[Session, tuple[str, ...]]] = []
    for session in noxfile.sessions:
        versions = session.python
        if args.sessions:
            picked: list[str] = []
            for wanted in args.sessions:
                if wanted == session.name:
                    picked = list(versions) or [""]
                    break
                for version in versions:
                    if wanted in (
                        f"{session.name}-{version}",
                        f"{session.name}(python='{version}')",
                    ):
                        picked.append(version)
            if not picked:
                continue
            versions = tuple(v for v in picked if v)
        elif args.tags:
            if not set(args.tags) & set(session.tags):
                continue
        elif noxfile.selected is not None:
            if session.name not in noxfile.selected:
                continue
        elif not session.default:
            continue
        if args.pythons:
            versions = tuple(v for v in versions if v in args.pythons) or args.pythons
        out.append((session, versions))
    return out


def run_nox(walker: Walker, call: Call, frame: Frame, job: Job) -> None:
    """Follow ``nox ...`` (``call.argv``) into the sessions it runs."""
    args = nox_args(call.argv)
    rel = join_dir(call.cwd, args.file) if call.cwd is not None else None
    text = walker.read(rel) if rel is not None else None
    if rel is None or text is None:
        walker.note(
            call.origin,
            call.text,
            f"no {args.file} in {call.cwd or 'a folder that cannot be known'}",
        )
        return
    try:
        noxfile = parse(rel, text)
    except SyntaxError as exc:
        walker.note(
            call.origin.then(f"{rel}:{exc.lineno or 0}"),
            call.text,
            f"{rel} is not valid Python: {exc.msg}",
        )
        return
    if args.keywords is not None:
        walker.note(call.origin, call.text, "nox -k selects sessions by an expression: not read")
        return
    chosen = _chosen(noxfile, args)
    if args.sessions and not chosen:
        walker.note(
            call.origin, call.text, f"{rel} has no session named {', '.join(args.sessions)}"
        )
    folder = posixpath.dirname(rel) or "."
    for session, versions in chosen:
        _run_session(walker, call, frame, job, noxfile, session, versions, folder, args)


def _run_session(
    walker: Walker,
    call: Call,
    frame: Frame,
    job: Job,
    noxfile: Noxfile,
    session: Session,
    versions: tuple[str, ...],
    folder: str,
    args: NoxArgs,
) -> None:
    inner = frame.enter(f"{noxfile.rel}:{session.name}", call.origin, advisory=call.advisory)
    if inner is None:
        return
    if session.parametrized:
        walker.note(
            call.origin.then(f"{noxfile.rel}:{session.line}"),
            f"nox session {session.name}",
            "a parametrized session: its parameters were not expanded",
        )
        return
    pins = []
    cwd: str | None = folder
    env_frame = replace(inner, python_versions=versions or inner.python_versions, isolated=True)
    for step in session.steps:
        origin = call.origin.then(f"{noxfile.rel}:{step.line}")
        argv = _splice(step.args, args.posargs)
        if step.kind == "unreadable":
            walker.note(
                origin,
                f"nox session {session.name}",
                f"a session.run whose {step.why} is not a constant",
            )
        elif step.kind == "chdir":
            cwd = join_dir(cwd, argv[0]) if cwd is not None and argv else None
        elif step.kind == "install":
            for found in _install_pins(walker, argv, cwd or folder, origin.chain[-1]):
                pins.append(found)
                walker.pin(found)
            env_frame = replace(env_frame, pins=tuple(pins))
        elif argv:
            walker.command(
                Call(
                    tuple(argv),
                    {**{k: v for k, v in call.env.items()}, **step.env},
                    cwd,
                    origin,
                    env_frame.advisory or step.advisory,
                    shlex.join(argv),
                ),
                env_frame,
                job,
            )


def _splice(args: Sequence[Arg], posargs: tuple[str, ...] | None) -> list[str]:
    out: list[str] = []
    for arg in args:
        if isinstance(arg, Posargs):
            out.extend(posargs if posargs is not None else arg.default)
        else:
            out.append(arg)
    return out


def _install_pins(walker: Walker, argv: Sequence[str], cwd: str, where: str) -> list[ToolPin]:
    found: list[ToolPin] = []
    words = list(argv)
    for i, word in enumerate(words):
        if word in ("-r", "-c") and i + 1 < len(words):
            rel = join_dir(cwd, words[i + 1])
            if rel is not None:
                found.extend(pinfiles.requirements_pins(walker.read, rel))
        elif PIN_NAME.match(word) and (pin := pinfiles.requirement_tool_pin(word, where)):
            found.append(pin)
    return found
