"""``ruff check`` as CI's command runs it: CI's flags, and ruff's own fix settings.

Whether the command applies fixes is ruff's to say, not ours: ``ruff check --show-settings`` with
the same arguments resolves ``fix``, ``fix-only`` and ``unsafe-fixes`` through parent folders,
``extend`` chains and the command line, as the real run will. Then:

- It applies fixes (``fix = true``, ``--fix``, ``--fix-only``): CI's later steps see the fixed
  files, so the engine runs this check on a throwaway copy (the push snapshot, or a snapshot of
  the working tree) before the checks that follow it. A read-only pass (``--no-fix``) first finds
  every diagnostic at the lines of the files as they are; then CI's command runs for real. What
  it leaves is reported at those lines; what it fixed is shown, and blocks only where a fix fails
  the command (``--exit-non-zero-on-fix``, or a pre-commit hook, which fails on any change).
- It does not (``--no-fix``, no ``fix`` setting, ``--diff``): it runs with ``--no-fix``, and every
  finding blocks, except under ``--diff`` (only what ruff can fix fails it) and ``--exit-zero``
  (nothing does).

The user's files are never written: a run that would write happens only on a copy.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from hooks import proc, toolargs, toolenv
from hooks.checks import versions
from hooks.checks.base import (
    CiStep,
    FixMode,
    Invocation,
    ParseContext,
    ToolOutput,
    context_for,
    tail,
)
from hooks.checks.ruff_common import RUFF_MISSING, parse_output, read
from hooks.findings import CHECK_TOOLS, Finding, Outcome, Status, count_line, plural
from hooks.projects import Project, Tool, ruff_tool
from hooks.toolargs import RUFF_OUTPUT, RUFF_VALUES

NAME = "ruff-check"
TOOL = CHECK_TOOLS[NAME]
SETTINGS_TIMEOUT = 120.0
# ruff 0.5 to 0.12.7 give a syntax error no code; 0.12.8 and later call it invalid-syntax.
SYNTAX_ERROR = "invalid-syntax"

# What the command does with fixes and findings; read, then modelled or passed on.
MODE_FLAGS = frozenset(
    {
        "--fix",
        "--no-fix",
        "--fix-only",
        "--no-fix-only",
        "--diff",
        "--exit-zero",
        "-e",
        "--exit-non-zero-on-fix",
    }
)
EXIT_ZERO = frozenset({"--exit-zero", "-e"})
# Not a check at all: never exits, or edits the files to silence them, or prints no findings.
FORBIDDEN_ARGS = ("--watch", "-w", "--add-noqa", "--show-settings", "--show-files")


@dataclass(frozen=True, slots=True)
class Command:
    """CI's ``ruff check`` arguments, sorted: the options that change what ruff does (its output
    options dropped), the mode flags among them, and the targets (``.`` when none)."""

    options: tuple[str, ...]
    flags: frozenset[str]
    targets: tuple[str, ...]

    @property
    def checking(self) -> tuple[str, ...]:
        """For the read-only run: no mode flag (``--fix-only`` writes even beside ``--no-fix``)."""
        return tuple(o for o in self.options if o not in MODE_FLAGS)

    @property
    def applying(self) -> tuple[str, ...]:
        """For CI's own run: everything but ``--exit-zero``, which is modelled instead."""
        return tuple(o for o in self.options if o not in EXIT_ZERO)


def read_args(args: Sequence[str]) -> Command:
    split = toolargs.split(args, RUFF_VALUES)
    options = tuple(
        token
        for option in split.options
        if option.name not in RUFF_OUTPUT  # replaced by the guardrail's json-lines
        for token in option.tokens
    )
    flags = frozenset(o for o in options if o in MODE_FLAGS)
    return Command(options, flags, split.positionals or (".",))


def read_settings(stdout: str) -> dict[str, str]:
    """``fix``, ``fix_only``, ``unsafe_fixes`` (lower case) and ``Settings path`` from
    ``--show-settings``: ``fix = true`` lines since ruff 0.1.14, and before it the top level of a
    debug dump (``    fix: true,``, ``    unsafe_fixes: Enabled,``)."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(" = ")
        if not sep and line.startswith("    ") and not line[4:5].isspace():
            key, sep, value = line[4:].rstrip(",").partition(": ")
        if sep and key in ("fix", "fix_only", "unsafe_fixes"):
            found.setdefault(key, value.strip().lower())
        elif line.startswith("Settings path:"):
            found.setdefault("path", line.partition(":")[2].strip().strip('"'))
    return found


def fix_mode(
    tool: Tool, project: Project, command: Command, *, via_pre_commit: bool = False
) -> FixMode | Outcome:
    """What CI's command does with fixes, as ruff itself resolves it for this project."""
    res = proc.run(
        [*tool.argv, "check", "--show-settings", *command.options, *command.targets],
        cwd=project.path,
        env=toolenv.for_project(project),
        timeout=SETTINGS_TIMEOUT,
    )
    # When ruff cannot resolve its settings (a broken config, no file to check), the check's
    # own run fails the same way and says why; it then runs without fixes.
    settings = read_settings(res.stdout) if res.returncode == 0 else {}
    if res.returncode == 0 and not {"fix", "fix_only"} <= settings.keys():
        return Outcome(
            Status.ERROR,
            message=f"`ruff check --show-settings` ({tool.version}) printed no fix settings, so "
            f"whether CI's `ruff check` rewrites files is unknown: {tail(res.stdout, 3)}",
        )
    fix_only = settings.get("fix_only") == "true"
    writes = (settings.get("fix") == "true" or fix_only) and "--diff" not in command.flags
    source = next((f for f in ("--fix-only", "--fix", "--diff") if f in command.flags), "")
    if not source and writes:
        where = context_for(project, NAME).paths(settings.get("path", ""))
        source = f"{'fix-only' if fix_only else 'fix'} = true, from {where}"
    return FixMode(
        writes=writes,
        unsafe=settings.get("unsafe_fixes") == "enabled",
        only=fix_only or "--diff" in command.flags,
        fail_on_fix=via_pre_commit or "--exit-non-zero-on-fix" in command.flags,
        exit_zero=bool(command.flags & EXIT_ZERO),
        source=source,
    )


def plan(project: Project, ci: CiStep | None = None) -> Invocation | Outcome:
    if ci is not None:
        return plan_command(project, ci.argv, via_pre_commit=ci.via_pre_commit, ci=ci)
    return plan_command(project, project.config.check(NAME).args)


def plan_command(
    project: Project,
    args: Sequence[str],
    *,
    via_pre_commit: bool = False,
    ci: CiStep | None = None,
) -> Invocation | Outcome:
    """The check for ``ruff check`` arguments ``args`` (CI's, else the project's configured ones).
    ``via_pre_commit``: CI runs it as a pre-commit hook, which fails on any change it makes.
    ``ci``: how CI runs it (the ruff version it pins)."""
    chosen = versions.tool_for(project, "ruff", ruff_tool(project), ci)
    tool = chosen.tool
    if tool is None:
        return RUFF_MISSING
    forbidden = [a for a in args if a.split("=", 1)[0] in FORBIDDEN_ARGS]
    if forbidden:
        return Outcome(
            Status.ERROR,
            message=f"ruff-check args ([tool.guardrail.ruff-check] args or the hook's args) "
            f"include {forbidden[0]}: that is not a check ruff can finish and report. Remove "
            "it; `guardrail fix` applies ruff's safe fixes.",
        )
    command = read_args(args)
    mode = fix_mode(tool, project, command, via_pre_commit=via_pre_commit)
    if isinstance(mode, Outcome):
        return mode
    json_lines = ("--output-format", "json-lines")
    checking = (*tool.argv, "check", "--no-fix", *json_lines, *command.checking, *command.targets)
    ctx = replace(context_for(project, NAME), fix=mode)
    if not mode.writes:
        inv = Invocation(NAME, checking, project.path, ctx, tool.name, tool.version, tool.source)
        return versions.applied(inv, chosen)
    applying = (*tool.argv, "check", *json_lines, *command.applying, *command.targets)
    inv = Invocation(
        NAME,
        applying,
        project.path,
        ctx,
        tool.name,
        tool.version,
        tool.source,
        writes=True,
        before=checking,
    )
    return versions.applied(inv, chosen)


def _key(f: Finding) -> tuple[str | None, str, str]:
    return (f.path, f.code, f.message)


def _order(f: Finding) -> tuple[str, int, int]:
    return (f.path or "", f.line or 0, f.column or 0)


def match(
    before: Sequence[Finding], after: Sequence[Finding]
) -> tuple[list[Finding], list[Finding]]:
    """What the fixes left (``after``) at the lines of the files before them, and what they fixed.

    A finding left is the same diagnostic (file, code, message) as one before, in the same order
    within its file; one the fixes brought about is kept at its line in the fixed file, and says so.
    """
    pool: dict[tuple[str | None, str, str], deque[Finding]] = defaultdict(deque)
    for f in sorted(before, key=_order):
        pool[_key(f)].append(f)
    left = []
    for f in sorted(after, key=_order):
        same = pool.get(_key(f))
        if same:
            left.append(same.popleft())
        else:
            left.append(replace(f, message=f"{f.message} (in the file as CI's fixes leave it)"))
    fixed = sorted((f for queue in pool.values() for f in queue), key=_order)
    return left, fixed


def parse(output: ToolOutput, context: ParseContext) -> Outcome:
    """The verdict is the exit status of CI's command (ruff_common's rule). Where this run is
    that command as CI runs it, it is this run's status; under ``--exit-zero``, ``--diff`` and
    ``--fix-only``, and for a pre-commit hook (which fails on any change), the status CI's
    command gives is read from the findings. An exit status other than 0 or 1 is always read as
    ruff's own."""
    mode = context.fix or FixMode()
    plain = not (mode.writes or mode.only or mode.exit_zero)
    if plain or output.exit_code not in (0, 1):
        return _counted(parse_output(output, context, default_code=SYNTAX_ERROR))
    after, other = read(output.stdout, output.stderr, context, SYNTAX_ERROR)
    before: list[Finding] | None = None
    if mode.writes:
        before, unreadable = read(output.before or "", "", context, SYNTAX_ERROR)
        if unreadable.count:  # not ruff's report: the findings stay where the fixes leave them
            before = None
    if before is None:
        left, fixed = after, []
    elif mode.only:  # --fix-only prints nothing: what it fixes is what has a fix
        left = [f for f in before if not f.fixable]
        fixed = [f for f in before if f.fixable]
    else:
        left, fixed = match(before, after)
    if output.exit_code == 1 and not left and not fixed:
        return _counted(parse_output(output, context, default_code=SYNTAX_ERROR))
    kept = [replace(f, blocking=not mode.exit_zero and (f.fixable or not mode.only)) for f in left]
    done = [replace(f, blocking=mode.fail_on_fix and not mode.exit_zero) for f in fixed]
    findings = (*kept, *done)
    failed = any(f.blocking for f in findings) or (
        mode.writes and output.exit_code == 1 and not mode.exit_zero
    )
    blocking = [f for f in findings if f.blocking]
    counts = [count_line(blocking) if blocking else "no problems"]
    if done and not any(f.blocking for f in done):
        counts.append(f"{len(done)} fixed by CI's command")
    if any(not f.blocking for f in kept):
        counts.append(f"{sum(not f.blocking for f in kept)} not blocking")
    why = _explain(mode, len(fixed), any(not f.blocking for f in kept))
    return Outcome(
        Status.FAILED if failed else Status.PASSED,
        findings,
        counts=", ".join(counts),
        message="\n".join(t for t in (why, other.show("ruff also printed:")) if t),
    )


def _counted(outcome: Outcome) -> Outcome:
    if outcome.status is Status.ERROR:
        return outcome
    counts = count_line(outcome.findings) if outcome.findings else "no problems"
    return replace(outcome, counts=counts)


def _explain(mode: FixMode, fixed: int, some_not_blocking: bool) -> str:
    """Why findings do or do not block, in CI's terms."""
    lines = []
    if fixed:
        done = f"{plural(fixed, 'finding')} fixed by CI's `ruff check` ({mode.source})"
        if mode.fail_on_fix and not mode.exit_zero:
            lines.append(f"{done}: a fix fails CI's command")
        else:
            lines.append(f"{done}: not blocking; the later checks ran on the fixed files")
    if mode.exit_zero:
        lines.append("--exit-zero: ruff's findings never fail CI's command")
    elif mode.only and some_not_blocking:
        lines.append(f"{mode.source or '--fix-only'}: only what ruff can fix fails CI's command")
    return "\n".join(lines)
