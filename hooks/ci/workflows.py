"""Read CI definitions into small records: which ruff, mypy and pytest commands CI runs, where.

Pure parsing: GitHub Actions workflows (``.github/workflows/*.yml|yaml``) and ``.gitlab-ci.yml``
in, :class:`CiScan` out. Shell scripts are split into simple commands (``&&``, ``||``, ``;``,
pipes, ``\\`` continuations); ``cd dir`` moves the working directory for the rest of the script;
launchers (``python -m``, ``uv run``, ``poetry run``, ``pipx run``, ``hatch run``, ...) are peeled
off; ``tox -e``/``nox -s`` are named but not expanded. Lines are 1-based lines of the CI file.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hooks.errors import GuardrailError

GITLAB_FILE = ".gitlab-ci.yml"
WORKFLOW_DIR = ".github/workflows"
GITLAB_RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "spec",
    }
)
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"})
_SHELL_WORDS = frozenset(
    {"if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "command", "env"}
)
_PYTHON = re.compile(r"^(?:.*/)?(?:python(?:\d+(?:\.\d+)?)?|py)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PIN_NAME = re.compile(r"^(ruff|mypy)(?:\[[^\]]*\])?\s*(?:[=<>!~].*)?$", re.IGNORECASE)
# Options of launchers that take a value (so the value is not mistaken for the tool).
_UV_VALUE_OPTS = frozenset(
    {
        "--with",
        "--with-editable",
        "--with-requirements",
        "--python",
        "-p",
        "--extra",
        "--group",
        "--only-group",
        "--no-group",
        "--package",
        "--project",
        "--directory",
        "--env-file",
        "--index",
        "--index-url",
        "--extra-index-url",
        "--from",
        "--config-file",
        "--cache-dir",
    }
)
_PIPX_VALUE_OPTS = frozenset({"--spec", "--python", "--index-url", "--pip-args"})
_COVERAGE_VALUE_OPTS = frozenset({"--rcfile", "--source", "--include", "--omit", "--context"})
_RUFF_SUBCOMMANDS = frozenset(
    {"rule", "config", "linter", "clean", "version", "server", "analyze", "help", "format", "check"}
)


@dataclass(frozen=True, slots=True)
class CiCommand:
    """One ruff/mypy/pytest invocation found in a CI file.

    ``tool`` is a check name (``ruff-check``, ``ruff-format``, ``mypy``, ``pytest``); ``argv`` are
    the tool's arguments after its command words (after ``ruff check``, ``mypy``, ``pytest``);
    ``cwd`` is the folder it runs in, relative to the repository root (it may hold an unresolved
    expression such as ``${{ matrix.dir }}``, see :attr:`cwd_known`). ``advisory`` commands
    cannot fail CI (``continue-on-error: true``, GitLab's ``allow_failure: true``).
    """

    file: str
    line: int
    job: str
    cwd: str
    tool: str
    argv: tuple[str, ...]
    launcher: str
    text: str
    python_versions: tuple[str, ...] = ()
    advisory: bool = False

    @property
    def cwd_known(self) -> bool:
        return not self.cwd.startswith(("/", "~")) and "$" not in self.cwd and "{{" not in self.cwd

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class CiDelegation:
    """``tox -e ...``, ``nox -s ...``, a reusable workflow or a local action: CI runs checks
    that doctor does not look into."""

    file: str
    line: int
    job: str
    runner: str
    envs: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class CiInstall:
    """A ruff or mypy requirement installed by CI itself (``pip install ruff==0.5.0``)."""

    file: str
    line: int
    requirement: str


@dataclass(frozen=True, slots=True)
class CiScan:
    files: tuple[str, ...] = ()
    commands: tuple[CiCommand, ...] = ()
    delegations: tuple[CiDelegation, ...] = ()
    installs: tuple[CiInstall, ...] = ()


@dataclass(frozen=True, slots=True)
class ScriptLine:
    """One line of a shell script with its 1-based line in the CI file."""

    text: str
    line: int


@dataclass(slots=True)
class _Collector:
    file: str
    job: str
    python_versions: tuple[str, ...]
    advisory: bool = False
    commands: list[CiCommand] = field(default_factory=list)
    delegations: list[CiDelegation] = field(default_factory=list)
    installs: list[CiInstall] = field(default_factory=list)


def join_dir(base: str, sub: str) -> str:
    """``sub`` relative to ``base`` (both relative to the repository root), normalised."""
    sub = sub.strip()
    if sub.startswith(("./", "../")) or not sub.startswith(("/", "$", "~")):
        joined = posixpath.normpath(posixpath.join(base, sub))
        return "." if joined in ("", ".") else joined
    for prefix in ("${{ github.workspace }}", "$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}"):
        if sub.startswith(prefix):
            return join_dir(".", sub[len(prefix) :].lstrip("/") or ".")
    for prefix in ("$CI_PROJECT_DIR", "${CI_PROJECT_DIR}"):
        if sub.startswith(prefix):
            return join_dir(".", sub[len(prefix) :].lstrip("/") or ".")
    return sub


def script_lines(text: str, first_line: int) -> list[ScriptLine]:
    """Logical lines of a script: ``\\`` continuations joined, each with its starting line."""
    out: list[ScriptLine] = []
    pending: list[str] = []
    start = first_line
    for offset, raw in enumerate(text.splitlines()):
        if not pending:
            start = first_line + offset
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        out.append(ScriptLine(" ".join(pending), start))
        pending = []
    if pending:
        out.append(ScriptLine(" ".join(pending), start))
    return out


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return text.split()


def simple_commands(text: str) -> Iterator[list[str]]:
    """The simple commands of one shell line, split at ``&&``, ``||``, ``;`` and pipes."""
    current: list[str] = []
    for token in _tokens(text):
        if token in _SEPARATORS:
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


def _skip_options(argv: Sequence[str], value_opts: frozenset[str]) -> tuple[list[str], str | None]:
    """Drop a launcher's leading options; also return ``--directory``/``--project`` if given."""
    rest = list(argv)
    directory = None
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt == "--":
            break
        name, eq, value = opt.partition("=")
        if name in value_opts and not eq and rest:
            value = rest.pop(0)
        if name in ("--directory", "--project") and value:
            directory = value
    return rest, directory


@dataclass(frozen=True, slots=True)
class Unwrapped:
    argv: tuple[str, ...]
    launcher: str
    directory: str | None


def unwrap(argv: Sequence[str]) -> Unwrapped:
    """Peel environment assignments, shell words and launchers off a simple command."""
    rest = list(argv)
    launchers: list[str] = []
    directory: str | None = None
    while rest:
        head = rest[0]
        if head in _SHELL_WORDS or _ASSIGNMENT.match(head):
            rest.pop(0)
            continue
        if _PYTHON.match(head) and "-m" in rest[1:]:
            launchers.append("python -m")
            rest = rest[rest.index("-m", 1) + 1 :]
            continue
        if head in ("uv", "rye") and rest[1:2] == ["run"]:
            launchers.append(f"{head} run")
            rest, directory = _skip_options(rest[2:], _UV_VALUE_OPTS)
            continue
        if head == "uv" and rest[1:3] == ["tool", "run"]:
            launchers.append("uv tool run")
            rest, _ = _skip_options(rest[3:], _UV_VALUE_OPTS)
            continue
        if head == "uvx":
            launchers.append("uvx")
            rest, _ = _skip_options(rest[1:], _UV_VALUE_OPTS)
            rest[:1] = [_strip_version(rest[0])] if rest else []
            continue
        if head in ("poetry", "pdm", "pipenv") and rest[1:2] == ["run"]:
            launchers.append(f"{head} run")
            rest, _ = _skip_options(rest[2:], frozenset())
            continue
        if head == "pipx" and rest[1:2] == ["run"]:
            launchers.append("pipx run")
            rest, _ = _skip_options(rest[2:], _PIPX_VALUE_OPTS)
            rest[:1] = [_strip_version(rest[0])] if rest else []
            continue
        if head == "hatch" and rest[1:2] == ["run"]:
            launchers.append("hatch run")
            rest, _ = _skip_options(rest[2:], frozenset())
            if rest and ":" in rest[0]:
                rest[0] = rest[0].split(":", 1)[1]
            continue
        if head == "coverage" and rest[1:2] == ["run"]:
            after, _ = _skip_options(rest[2:], _COVERAGE_VALUE_OPTS)
            launchers.append("coverage run")
            rest = rest[rest.index("-m") + 1 :] if "-m" in rest else after
            continue
        break
    return Unwrapped(tuple(rest), " ".join(launchers), directory)


def _strip_version(spec: str) -> str:
    return re.split(r"[=<>!~@\[]", spec, maxsplit=1)[0]


def classify(argv: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
    """``(check, args)`` when ``argv`` (launchers already peeled) runs a check CI can fail on."""
    if not argv:
        return None
    name = posixpath.basename(argv[0])
    args = tuple(argv[1:])
    if name == "ruff":
        if not args or args[0] not in _RUFF_SUBCOMMANDS:
            return "ruff-check", args
        if args[0] == "check":
            return "ruff-check", args[1:]
        if args[0] == "format" and ("--check" in args or "--diff" in args):
            return "ruff-format", args[1:]
        return None
    if name == "mypy":
        return "mypy", args
    if name == "dmypy" and args[:1] == ("run",):
        rest = args[1:]
        return "mypy", rest[rest.index("--") + 1 :] if "--" in rest else ()
    if name in ("pytest", "py.test"):
        return "pytest", args
    return None


_CHECKY = re.compile(r"lint|check|test|type|mypy|ruff|format|ci|verify|qa", re.IGNORECASE)


def _delegation(argv: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
    """``(runner, names)`` when the command hands checks to something doctor does not read:
    tox/nox sessions, ``pre-commit run``, or a make/just target or script named like a check."""
    if not argv:
        return None
    if posixpath.basename(argv[0]) in ("bash", "sh") and argv[1:2] and argv[1].endswith(".sh"):
        argv = argv[1:]
    runner = posixpath.basename(argv[0])
    if runner == "pre-commit" and "run" in argv[1:2]:
        return "pre-commit", tuple(a for a in argv[2:] if not a.startswith("-"))[:1]
    if runner in ("make", "just", "task", "invoke", "inv"):
        targets = tuple(a for a in argv[1:] if not a.startswith("-") and "=" not in a)
        return (runner, targets) if any(_CHECKY.search(t) for t in targets) else None
    if runner.endswith(".sh") or (argv[0].startswith(("./", "scripts/")) and "/" in argv[0]):
        return ("script", (argv[0],)) if _CHECKY.search(runner) else None
    if runner not in ("tox", "nox"):
        return None
    flags = ("-e",) if runner == "tox" else ("-s", "--session", "--sessions", "-e")
    envs: list[str] = []
    args = list(argv[1:])
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in flags:
            value = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            envs.extend(v for v in value.split(",") if v)
            if runner == "nox" and not eq:
                for more in args[i + 2 :]:
                    if more.startswith("-"):
                        break
                    envs.append(more)
    return runner, tuple(envs)


def _installs(argv: Sequence[str]) -> list[str]:
    """ruff/mypy requirements from ``pip install``, ``uv pip install``, ``pipx install``,
    ``uv run --with``, ``pipx run --spec``, ``uvx tool@version``."""
    words = list(argv)
    found: list[str] = []
    for i, word in enumerate(words):
        name, eq, value = word.partition("=")
        if name in ("--with", "--spec", "--from"):
            value = value if eq else (words[i + 1] if i + 1 < len(words) else "")
            found.extend(v for v in value.split(",") if _PIN_NAME.match(v))
        elif (
            "@" in word
            and _PIN_NAME.match(word.split("@")[0])
            and ((i and words[i - 1] == "uvx") or words[max(i - 2, 0) : i] == ["tool", "run"])
        ):
            found.append(word.replace("@", "=="))
    if found:
        return found
    for i in range(len(words) - 1):
        if words[i] in ("install", "add") and any(
            w in ("pip", "pip3", "pipx", "tool", "poetry", "pdm") or w.endswith("/pip")
            for w in words[:i]
        ):
            return [w for w in words[i + 1 :] if _PIN_NAME.match(w)]
    return []


def scan_script(lines: Iterable[ScriptLine], cwd: str, collector: _Collector) -> str:
    """Record every check command of a script run in ``cwd``; return the cwd it ends in."""
    for sline in lines:
        for argv in simple_commands(sline.text):
            if argv[0] in ("cd", "pushd") and len(argv) > 1:
                cwd = join_dir(cwd, argv[1])
                continue
            for req in _installs(argv):
                collector.installs.append(CiInstall(collector.file, sline.line, req))
            unwrapped = unwrap(argv)
            run_dir = cwd if unwrapped.directory is None else join_dir(cwd, unwrapped.directory)
            found = classify(unwrapped.argv)
            if found is not None:
                tool, args = found
                collector.commands.append(
                    CiCommand(
                        file=collector.file,
                        line=sline.line,
                        job=collector.job,
                        cwd=run_dir,
                        tool=tool,
                        argv=args,
                        launcher=unwrapped.launcher,
                        text=" ".join(argv),
                        python_versions=collector.python_versions,
                        advisory=collector.advisory,
                    )
                )
                continue
            delegated = _delegation(unwrapped.argv)
            if delegated is not None:
                collector.delegations.append(
                    CiDelegation(
                        collector.file,
                        sline.line,
                        collector.job,
                        delegated[0],
                        delegated[1],
                        " ".join(argv),
                    )
                )
    return cwd


def _load_yaml(path: Path, rel: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GuardrailError(f"{rel}: cannot be read: {exc}") from exc
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{rel}:{mark.line + 1}" if mark is not None else rel
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise GuardrailError(
            f"{where}: not valid YAML ({problem}); fix the file so CI and doctor can read it"
        ) from exc


def _value_line(mapping: Any, key: str) -> tuple[int, bool]:
    """1-based line of ``mapping[key]``'s value, and whether it is a block scalar."""
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    line = mapping.lc.value(key)[0] + 1
    block = isinstance(mapping[key], LiteralScalarString | FoldedScalarString)
    return line, block


def _item_line(seq: Any, index: int) -> tuple[int, bool]:
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    line = seq.lc.item(index)[0] + 1
    return line, isinstance(seq[index], LiteralScalarString | FoldedScalarString)


def _block_lines(value: str, line: int, block: bool) -> list[ScriptLine]:
    from ruamel.yaml.scalarstring import FoldedScalarString

    if isinstance(value, FoldedScalarString):
        return [ScriptLine(value.replace("\n", " "), line + 1)]
    return script_lines(value, line + 1 if block else line)


def _get(mapping: object, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _versions(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int | float))
    if isinstance(value, str | int | float):
        return (str(value),)
    return ()


def _github_python_versions(job: Mapping[str, Any]) -> tuple[str, ...]:
    matrix = _get(job, "strategy", "matrix")
    for key in ("python-version", "python_version", "python", "py"):
        found = _versions(_get(matrix, key))
        if found:
            return found
    steps = job.get("steps")
    for step in steps if isinstance(steps, list) else ():
        uses = _get(step, "uses")
        if isinstance(uses, str) and uses.startswith("actions/setup-python"):
            version = _versions(_get(step, "with", "python-version"))
            if version and "matrix" not in version[0]:
                return version
    return ()


def _key_line(mapping: Any, key: str) -> int:
    return int(mapping.lc.key(key)[0]) + 1


def _ruff_action(step: Any, rel: str, job: str, cwd: str) -> CiCommand | None:
    uses = step.get("uses")
    if not isinstance(uses, str) or "/ruff-action" not in uses:
        return None
    args = _tokens(str(_get(step, "with", "args") or "check"))
    src = str(_get(step, "with", "src") or ".")
    found = classify(["ruff", *args, *src.split()])
    if found is None:
        return None
    line = _key_line(step, "uses")
    return CiCommand(rel, line, job, cwd, found[0], found[1], uses.split("@")[0], f"uses: {uses}")


def parse_github(path: Path, rel: str) -> CiScan:
    data = _load_yaml(path, rel)
    if not isinstance(data, Mapping):
        return CiScan(files=(rel,))
    jobs = data.get("jobs")
    wf_dir = _get(data, "defaults", "run", "working-directory")
    commands: list[CiCommand] = []
    delegations: list[CiDelegation] = []
    installs: list[CiInstall] = []
    for job_name, job in (jobs or {}).items() if isinstance(jobs, Mapping) else ():
        if not isinstance(job, Mapping):
            continue
        job_dir = _get(job, "defaults", "run", "working-directory") or wf_dir or "."
        collector = _Collector(rel, str(job_name), _github_python_versions(job))
        if isinstance(job.get("uses"), str):
            uses = str(job["uses"])
            line = _key_line(job, "uses")
            collector.delegations.append(
                CiDelegation(rel, line, str(job_name), "workflow", (uses,), f"uses: {uses}")
            )
        steps = job.get("steps")
        for step in steps if isinstance(steps, list) else ():
            if not isinstance(step, Mapping):
                continue
            step_dir = join_dir(".", str(step.get("working-directory") or job_dir))
            collector.advisory = (
                step.get("continue-on-error") is True or job.get("continue-on-error") is True
            )
            action = _ruff_action(step, rel, str(job_name), ".")
            if action is not None:
                collector.commands.append(replace(action, advisory=collector.advisory))
                version = _get(step, "with", "version")
                if isinstance(version, str) and version not in ("latest", ""):
                    line = _key_line(step, "uses")
                    collector.installs.append(CiInstall(rel, line, f"ruff=={version}"))
                continue
            action_ref = step.get("uses")
            if isinstance(action_ref, str) and (
                action_ref.startswith("./") or action_ref.startswith("pre-commit/action")
            ):
                line = _key_line(step, "uses")
                kind = "action" if action_ref.startswith("./") else "pre-commit"
                collector.delegations.append(
                    CiDelegation(
                        rel, line, str(job_name), kind, (action_ref,), f"uses: {action_ref}"
                    )
                )
                continue
            run = step.get("run")
            shell = str(step.get("shell") or "bash")
            if not isinstance(run, str) or shell.split()[0] in ("python", "pwsh", "powershell"):
                continue
            line, block = _value_line(step, "run")
            for folder in expand_matrix(step_dir, _get(job, "strategy", "matrix")):
                scan_script(_block_lines(run, line, block), folder, collector)
        commands.extend(collector.commands)
        delegations.extend(collector.delegations)
        installs.extend(collector.installs)
    return CiScan((rel,), tuple(commands), tuple(delegations), tuple(installs))


_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def expand_matrix(folder: str, matrix: object) -> list[str]:
    """``${{ matrix.dir }}`` in a folder, once per value the matrix lists (``include:`` entries
    too); the folder unchanged when it holds no such reference or the values are not plain."""
    match = _MATRIX_REF.search(folder)
    if match is None or not isinstance(matrix, Mapping):
        return [folder]
    key = match[1]
    values = list(matrix.get(key) or []) if isinstance(matrix.get(key), list) else []
    for extra in matrix.get("include") or []:
        if isinstance(extra, Mapping) and key in extra:
            values.append(extra[key])
    if not values or not all(isinstance(v, str | int | float) for v in values):
        return [folder]
    expanded: list[str] = []
    for value in dict.fromkeys(str(v) for v in values):
        for more in expand_matrix(folder.replace(match[0], value), matrix):
            expanded.append(join_dir(".", more))
    return expanded


def _gitlab_script(owner: Any, key: str) -> list[ScriptLine]:
    value = owner.get(key) if isinstance(owner, Mapping) else None
    if isinstance(value, str):
        line, block = _value_line(owner, key)
        return _block_lines(value, line, block)
    return _sequence_lines(value) if isinstance(value, list) else []


def _sequence_lines(seq: Any) -> list[ScriptLine]:
    """Script lines of a YAML list, nested lists (GitLab's ``- *anchor``) flattened."""
    out: list[ScriptLine] = []
    for i, item in enumerate(seq):
        if isinstance(item, str):
            line, block = _item_line(seq, i)
            out.extend(_block_lines(item, line, block))
        elif isinstance(item, list):
            out.extend(_sequence_lines(item))
    return out


def _image_version(image: object) -> tuple[str, ...]:
    name = image.get("name") if isinstance(image, Mapping) else image
    if isinstance(name, str):
        match = re.match(r"^(?:.*/)?python:(\d+\.\d+)", name)
        if match:
            return (match[1],)
    return ()


def _owners(data: Mapping[str, Any], name: str, depth: int = 0) -> dict[str, Any]:
    """Key -> the mapping that provides it for job ``name``, following ``extends``."""
    job = data.get(name)
    if not isinstance(job, Mapping) or depth > 10:
        return {}
    owners: dict[str, Any] = {}
    parents = job.get("extends")
    if isinstance(parents, str):
        parents = [parents]
    for parent in parents if isinstance(parents, list) else ():
        owners.update(_owners(data, str(parent), depth + 1))
    owners.update({str(key): job for key in job})
    return owners


def parse_gitlab(path: Path, rel: str) -> CiScan:
    data = _load_yaml(path, rel)
    if not isinstance(data, Mapping):
        return CiScan(files=(rel,))
    found = data.get("default")
    default: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    commands: list[CiCommand] = []
    delegations: list[CiDelegation] = []
    installs: list[CiInstall] = []
    if "include" in data:
        included = data["include"]
        items = included if isinstance(included, list) else [included]
        names = tuple(
            str(next(iter(i.values()), "")) if isinstance(i, Mapping) else str(i) for i in items
        )
        delegations.append(
            CiDelegation(rel, _key_line(data, "include"), "", "include", names, "include:")
        )
    for name in data:
        name = str(name)
        if name in GITLAB_RESERVED or name.startswith(".") or not isinstance(data[name], Mapping):
            continue
        owners = _owners(data, name)
        if "script" not in owners:
            continue
        image_owner = owners.get("image") or (default if "image" in default else data)
        collector = _Collector(rel, name, _image_version(image_owner.get("image")))
        allow = owners.get("allow_failure")
        collector.advisory = allow is not None and allow.get("allow_failure") is True
        before_owner = owners.get("before_script") or next(
            (o for o in (default, data) if "before_script" in o), None
        )
        lines = _gitlab_script(before_owner, "before_script") if before_owner else []
        lines += _gitlab_script(owners["script"], "script")
        scan_script(lines, ".", collector)
        commands.extend(collector.commands)
        delegations.extend(collector.delegations)
        installs.extend(collector.installs)
    return CiScan((rel,), tuple(commands), tuple(delegations), tuple(installs))


def ci_files(root: Path) -> list[tuple[Path, str]]:
    """The CI definition files of a repository, as (path, path relative to the root)."""
    found: list[tuple[Path, str]] = []
    workflows = root / WORKFLOW_DIR
    if workflows.is_dir():
        for path in sorted(workflows.iterdir()):
            if path.suffix in (".yml", ".yaml") and path.is_file():
                found.append((path, f"{WORKFLOW_DIR}/{path.name}"))
    if (root / GITLAB_FILE).is_file():
        found.append((root / GITLAB_FILE, GITLAB_FILE))
    return found


def scan(root: Path) -> CiScan:
    """Every check command in the repository's CI definitions, in file order."""
    parts = [
        parse_gitlab(path, rel) if rel == GITLAB_FILE else parse_github(path, rel)
        for path, rel in ci_files(root)
    ]
    return CiScan(
        files=tuple(f for p in parts for f in p.files),
        commands=tuple(c for p in parts for c in p.commands),
        delegations=tuple(d for p in parts for d in p.delegations),
        installs=tuple(dict.fromkeys(i for p in parts for i in p.installs)),
    )
