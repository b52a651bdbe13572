"""Walk a parsed shell script the way CI's shell would run it, without running anything.

Builtins that change what later commands see are followed (assignments, ``export``, ``cd``,
``set -e``/``-o pipefail``, ``set --``, ``shift``, ``source``, functions, ``exit``); ``test``
conditions are decided with CI's values; every other command goes to the :class:`Walker`,
with whether its failure can fail the job:

- under ``set -e`` any failing simple command ends the script, except in a condition, before
  ``||``, inside ``!``, or before ``&&`` (there only the script's last statement counts);
- without it only the last statement's status is the script's;
- in a pipeline only the last command's status counts, unless ``pipefail``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import posixpath
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hooks.ci import shell
from hooks.ci.context import UNKNOWN, Call, Frame, Job, Walker
from hooks.ci.model import Origin
from hooks.ci.shell import AndOr, Node, Pipeline, Simple

MAX_CALLS = 16
UNKNOWN_PREFIXES = ("GITHUB_", "RUNNER_", "CI_", "ACTIONS_", "UV_", "PIP_", "PYTHON")
UNKNOWN_NAMES = frozenset(
    {"HOME", "PATH", "USER", "PWD", "OLDPWD", "SHELL", "TMPDIR", "RANDOM", "pythonLocation"}
)


WORKSPACE = "/__ci_workspace__"
"""What ``$GITHUB_WORKSPACE``, ``${{ github.workspace }}`` and ``$CI_PROJECT_DIR`` stand for."""


def join_dir(base: str, sub: str) -> str | None:
    """``sub`` relative to ``base`` (both repo-relative), normalised; None when it leaves the
    repository or is some other absolute path."""
    sub = sub.strip()
    if sub == WORKSPACE or sub.startswith(WORKSPACE + "/"):
        base, sub = ".", sub[len(WORKSPACE) :].lstrip("/") or "."
    if not sub or sub.startswith(("/", "~", "$")):
        return None
    joined = posixpath.normpath(posixpath.join(base, sub))
    if joined == ".." or joined.startswith("../"):
        return None
    return "." if joined in ("", ".") else joined


class _Exit(Exception):
    pass


class _Return(Exception):
    pass


@dataclass(slots=True)
class ShellState:
    """What a shell carries from one statement to the next."""

    cwd: str | None
    env: dict[str, str | None]
    variables: dict[str, str | None] = field(default_factory=dict)
    positional: list[str] = field(default_factory=list)
    errexit: bool = False
    pipefail: bool = False

    def copy(self) -> ShellState:
        return ShellState(
            self.cwd,
            dict(self.env),
            dict(self.variables),
            list(self.positional),
            self.errexit,
            self.pipefail,
        )


@dataclass(slots=True)
class ShellRun:
    """One script (a step's ``run:``, a script file, a Makefile recipe line) being walked."""

    walker: Walker
    frame: Frame
    job: Job
    file: str
    state: ShellState
    functions: dict[str, Node] = field(default_factory=dict)
    uncertain: int = 0
    calls: int = 0

    # --- variables ---

    def lookup(self, name: str) -> str | None:
        if name.isdigit():
            index = int(name)
            return (
                self.state.positional[index - 1] if 0 < index <= len(self.state.positional) else ""
            )
        if name in ("@", "*"):
            return " ".join(self.state.positional)
        if name == "#":
            return str(len(self.state.positional))
        if name in self.state.variables:
            return self.state.variables[name]
        if name in self.state.env:
            return self.state.env[name]
        if name in self.job.platform:
            return self.job.platform[name]
        if name in ("?", "$", "!", "-", "0") or name in UNKNOWN_NAMES:
            return None
        if name.startswith(UNKNOWN_PREFIXES):
            return None
        return ""

    def expand(self, words: Sequence[shell.Word]) -> list[str] | None:
        out: list[str] = []
        for word in words:
            fields = shell.expand(word, self.lookup, self.state.positional)
            if fields is None:
                return None
            out.extend(fields)
        return out

    def _set(self, name: str, value: str | None, *, export: bool = False) -> None:
        if name in self.state.env or export:
            self.state.env[name] = value
            self.state.variables.pop(name, None)
        else:
            self.state.variables[name] = value

    # --- walking ---

    def run(self, statements: Sequence[AndOr]) -> None:
        with contextlib.suppress(_Exit):
            self.statements(statements, tail=True, condition=False)

    def statements(
        self, statements: Sequence[AndOr], *, tail: bool, condition: bool
    ) -> bool | None:
        status: bool | None = True
        for i, statement in enumerate(statements):
            status = self.and_or(
                statement, tail=tail and i == len(statements) - 1, condition=condition
            )
        return status

    def and_or(self, statement: AndOr, *, tail: bool, condition: bool) -> bool | None:
        status: bool | None = True
        pipelines, ops = statement.pipelines, statement.ops
        for i, pipeline in enumerate(pipelines):
            fails = self._fails(statement, i, tail, condition)
            if i > 0:
                if ops[i - 1] == "&&" and status is False:
                    continue
                if ops[i - 1] == "||" and status is not False:
                    if status is None:  # a rescue that runs only if the command fails
                        self.uncertain += 1
                        try:
                            self.pipeline(pipeline, fails=fails)
                        finally:
                            self.uncertain -= 1
                    continue
            status = self.pipeline(pipeline, fails=fails)
        return status

    def _fails(self, statement: AndOr, index: int, tail: bool, condition: bool) -> bool:
        """Whether the failure of pipeline ``index`` of ``statement`` can fail the script."""
        if condition or statement.background:
            return False
        ops = statement.ops[index:]
        if not ops:
            return self.state.errexit or tail
        if "||" in ops:
            rescue = statement.pipelines[index + 1 + ops.index("||")]
            return _fails_anyway(rescue)
        return tail

    def pipeline(self, pipeline: Pipeline, *, fails: bool) -> bool | None:
        if len(pipeline.commands) > 1:  # each command runs in a subshell of its own
            last = len(pipeline.commands) - 1
            for i, node in enumerate(pipeline.commands):
                saved = self.state.copy()
                self.node(node, fails=fails and (i == last or self.state.pipefail))
                self.state = saved
            return None
        status = self.node(pipeline.commands[0], fails=fails and not pipeline.negated)
        return not status if pipeline.negated and status is not None else status

    def node(self, node: Node, *, fails: bool) -> bool | None:
        if isinstance(node, Simple):
            return self.simple(node, fails=fails)
        if isinstance(node, shell.If):
            return self._if(node, fails=fails)
        if isinstance(node, shell.For):
            return self._for(node, fails=fails)
        if isinstance(node, shell.Loop):
            self.statements(node.condition, tail=False, condition=True)
            return self._uncertainly(node.body, fails=fails)
        if isinstance(node, shell.Case):
            return self._case(node, fails=fails)
        if isinstance(node, shell.Group):
            if not node.subshell:
                return self.statements(node.body, tail=fails, condition=False)
            saved = self.state.copy()
            try:
                return self.statements(node.body, tail=fails, condition=False)
            except _Exit:
                return None
            finally:
                self.state = saved
        self.functions[node.name] = node.body
        return True

    def _uncertainly(self, body: Sequence[AndOr], *, fails: bool) -> bool | None:
        self.uncertain += 1
        try:
            self.statements(body, tail=fails, condition=False)
        finally:
            self.uncertain -= 1
        return None

    def _if(self, node: shell.If, *, fails: bool) -> bool | None:
        undecided: list[Sequence[AndOr]] = []
        before = self.walker.count()
        try:
            for condition, body in node.clauses:
                decided = self.statements(condition, tail=False, condition=True)
                if decided is None:
                    undecided.append(condition)
                if decided is None or (decided and undecided):
                    self._uncertainly(body, fails=fails)
                elif decided:
                    return self.statements(body, tail=fails, condition=False)
            if node.else_body is None:
                return True
            if undecided:
                return self._uncertainly(node.else_body, fails=fails)
            return self.statements(node.else_body, tail=fails, condition=False)
        finally:
            if undecided and self.walker.count() > before:
                self._unknown_condition(undecided[0])

    def _unknown_condition(self, condition: Sequence[AndOr]) -> None:
        first = condition[0].pipelines[0].commands[0] if condition else None
        words = " ".join(w.raw for w in first.words) if isinstance(first, Simple) else "..."
        self.walker.note(
            self.frame.origin.then(f"{self.file}:{condition[0].line if condition else 0}"),
            f"if {words}",
            "a condition that cannot be decided without running CI: the commands of every "
            "branch were read",
            hides_checks=False,
        )

    def _for(self, node: shell.For, *, fails: bool) -> bool | None:
        items = self.expand(node.items) if node.items is not None else list(self.state.positional)
        if items is None:
            self._set(node.name, None)
            return self._uncertainly(node.body, fails=fails)
        status: bool | None = True
        for item in items:
            self._set(node.name, item)
            status = self.statements(node.body, tail=fails, condition=False)
        return status

    def _case(self, node: shell.Case, *, fails: bool) -> bool | None:
        subject = self.expand([node.subject])
        for patterns, body in node.arms:
            expanded = [self.expand([p]) for p in patterns]
            if subject is None or any(e is None for e in expanded):
                self._uncertainly(body, fails=fails)
                continue
            text = " ".join(subject)
            if any(fnmatch.fnmatchcase(text, " ".join(e or [])) for e in expanded):
                return self.statements(body, tail=fails, condition=False)
        return True

    # --- simple commands ---

    def simple(self, node: Simple, *, fails: bool) -> bool | None:
        assigned: dict[str, str | None] = {}
        for name, append, word in node.assigns:
            fields = shell.expand(word, self.lookup, self.state.positional)
            value = None if fields is None else " ".join(fields)
            if append and value is not None:
                before = self.lookup(name)
                value = None if before is None else before + value
            assigned[name] = value
        if not node.words:
            for name, value in assigned.items():
                self._set(name, value)
            return True
        argv = self.expand(node.words)
        line = node.line
        origin = self.frame.origin.then(f"{self.file}:{line}")
        text = " ".join(w.raw for w in node.words)
        if argv is None:
            self._unknown_words(node, origin, text, assigned)
            return None
        if not argv:
            return True
        builtin = self._builtin(argv, node, assigned)
        if builtin is not NotImplemented:
            return builtin  # type: ignore[return-value]
        if argv[0] in self.functions:
            return self._call_function(argv, fails=fails)
        env = {**self.state.env, **assigned}
        call = Call(
            tuple(argv),
            env,
            self.state.cwd,
            origin,
            self.frame.advisory or not fails,
            shlex.join(argv),
        )
        return self.walker.command(call, self.frame, self.job)

    def _unknown_words(
        self, node: Simple, origin: Origin, text: str, assigned: Mapping[str, str | None]
    ) -> None:
        """A command with words only CI knows: the walker gets :data:`UNKNOWN` in their place."""
        argv: list[str] = []
        for word in node.words:
            fields = shell.expand(word, self.lookup, self.state.positional)
            argv.extend([UNKNOWN] if fields is None else fields)
        call = Call(tuple(argv), {**self.state.env, **assigned}, self.state.cwd, origin, True, text)
        self.walker.command(call, self.frame, self.job)

    def _call_function(self, argv: list[str], *, fails: bool) -> bool | None:
        if self.calls >= MAX_CALLS:  # a function that calls itself
            return None
        saved = self.state.positional
        self.state.positional = argv[1:]
        self.calls += 1
        try:
            return self.node(self.functions[argv[0]], fails=fails)
        except _Return:
            return None
        finally:
            self.state.positional = saved
            self.calls -= 1

    def _builtin(self, argv: list[str], node: Simple, assigned: Mapping[str, str | None]) -> object:
        name, args = argv[0], argv[1:]
        if name in ("true", ":"):
            return True
        if name == "false":
            return False
        if name in ("[", "test", "[["):
            if name != "test" and args:
                args = args[:-1]
            return shell.evaluate_test(args, self._exists)
        if name in ("cd", "pushd"):
            target = args[0] if args else None
            if target is None or target == "-" or self.state.cwd is None:
                self.state.cwd = None
            else:
                self.state.cwd = join_dir(self.state.cwd, target)
            return True
        if name == "popd":
            self.state.cwd = None
            return True
        if name in ("export", "declare", "typeset", "local", "readonly"):
            export = name == "export" or "-x" in args
            for arg in args:
                if arg.startswith("-"):
                    continue
                key, eq, value = arg.partition("=")
                if eq:
                    self._set(key, value, export=export)
                elif export and key not in self.state.env:
                    self.state.env[key] = self.lookup(key)
                    self.state.variables.pop(key, None)
            return True
        if name == "unset":
            for arg in args:
                self.state.env.pop(arg, None)
                self.state.variables.pop(arg, None)
            return True
        if name == "set":
            self._set_options(args)
            return True
        if name == "shift":
            count = int(args[0]) if args and args[0].isdigit() else 1
            self.state.positional = self.state.positional[count:]
            return True
        if name in ("source", "."):
            return self._source(args)
        if name == "exit":
            if not self.uncertain:
                raise _Exit
            return None
        if name == "return":
            if not self.uncertain:
                raise _Return
            return None
        if name in ("echo", "printf") and node.redirects:
            self._github_env(argv, node)
            return True
        if name in ("echo", "printf", "wait", "sleep", "trap", "umask", "alias", "shopt"):
            return True
        return NotImplemented

    def _set_options(self, args: list[str]) -> None:
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                self.state.positional = args[i + 1 :]
                return
            if arg in ("-o", "+o") and i + 1 < len(args):
                value = arg == "-o"
                if args[i + 1] == "errexit":
                    self.state.errexit = value
                elif args[i + 1] == "pipefail":
                    self.state.pipefail = value
                i += 2
                continue
            if arg[:1] in ("-", "+") and len(arg) > 1:
                value = arg[0] == "-"
                if "e" in arg[1:]:
                    self.state.errexit = value
                if arg[1:].endswith("o") and i + 1 < len(args) and args[i + 1] == "pipefail":
                    self.state.pipefail = value
                    i += 1
            i += 1

    def _source(self, args: list[str]) -> bool | None:
        if not args or self.state.cwd is None:
            return None
        rel = join_dir(self.state.cwd, args[0])
        text = self.walker.read(rel) if rel is not None else None
        if rel is None or text is None:
            return None
        try:
            statements = shell.parse(text)
        except shell.ShellSyntaxError as exc:
            self.walker.note(self.frame.origin.then(f"{rel}:{exc.line}"), args[0], str(exc))
            return None
        saved_file, self.file = self.file, rel
        try:
            self.statements(statements, tail=False, condition=False)
        finally:
            self.file = saved_file
        return True

    def _github_env(self, argv: list[str], node: Simple) -> None:
        """``echo "NAME=value" >> $GITHUB_ENV``: later steps of the job see NAME."""
        target = next((r.target for r in node.redirects if r.op in (">>", ">")), None)
        if target is None or "GITHUB_ENV" not in target.raw:
            return
        text = " ".join(argv[1:])
        name, eq, value = text.partition("=")
        if eq and shell.NAME.fullmatch(name.strip()):
            self.job.env[name.strip()] = value

    def _exists(self, op: str, path: str) -> bool:
        rel = join_dir(self.state.cwd, path) if self.state.cwd is not None else None
        if rel is None or not self.walker.in_checkout(rel):
            return False
        full = self.walker.root / rel
        return full.is_dir() if op == "-d" else full.is_file() if op == "-f" else True


def _fails_anyway(rescue: Pipeline) -> bool:
    """``cmd || exit 1`` and ``cmd || false`` still fail; other rescues swallow the failure."""
    node = rescue.commands[-1]
    if not isinstance(node, Simple) or not node.words:
        if isinstance(node, shell.Group):
            return any(_ends_in_exit(statement) for statement in node.body)
        return False
    first = node.words[0].literal()
    if first == "false":
        return True
    if first == "exit":
        code = node.words[1].literal() if len(node.words) > 1 else None
        return code is None or code != "0"
    return False


def _ends_in_exit(statement: AndOr) -> bool:
    return _fails_anyway(statement.pipelines[-1])


def run_script(
    walker: Walker,
    frame: Frame,
    job: Job,
    *,
    file: str,
    text: str,
    first_line: int,
    cwd: str | None,
    env: Mapping[str, str | None],
    errexit: bool,
    pipefail: bool = False,
    positional: Sequence[str] = (),
    variables: Mapping[str, str | None] | None = None,
    state: ShellState | None = None,
) -> ShellState | None:
    """Walk ``text`` (lines numbered from ``first_line`` in ``file``), from ``state`` when a
    script continues in the same shell; the shell's state at the end, or None when the script
    cannot be parsed (that is noted)."""
    try:
        statements = shell.parse(text, first_line)
    except shell.ShellSyntaxError as exc:
        walker.note(
            frame.origin.then(f"{file}:{exc.line}"),
            text.strip().splitlines()[0] if text.strip() else file,
            f"not shell this reader understands ({exc}): its commands were not read",
        )
        return None
    if state is None:
        state = ShellState(
            cwd, dict(env), dict(variables or {}), list(positional), errexit, pipefail
        )
    runner = ShellRun(walker, frame, job, file, state)
    runner.run(statements)
    return runner.state
