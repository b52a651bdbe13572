"""What every check module meets (the :class:`Check` Protocol) and what its parser is given.

A check module provides ``NAME``, ``TOOL``, ``plan(project) -> Invocation | Outcome`` (an
Outcome when it cannot run, e.g. the tool is missing) and the pure
``parse(output, context) -> Outcome``. The modules are listed in :mod:`hooks.checks.registry`;
this module imports none of them.
"""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from hooks.findings import Finding, Outcome, Status
from hooks.projects import Project


@dataclass(frozen=True, slots=True)
class PathMap:
    """Turns a path as a tool printed it into a path relative to the repository root."""

    repo_root: str
    project_rel: str

    def __call__(self, tool_path: str) -> str:
        try:
            return _relative(self.repo_root, self.project_rel, tool_path)
        except (ValueError, OSError):
            return tool_path


@functools.lru_cache(maxsize=1 << 16)
def _relative(repo_root: str, project_rel: str, tool_path: str) -> str:
    """Memoised: a tool names the same file once per finding, tens of thousands of times."""
    prefix = repo_root.rstrip(os.sep) + os.sep
    if tool_path.startswith(prefix) and os.sep == "/":
        rest = tool_path[len(prefix) :]
        if rest and "//" not in rest and not any(p in (".", "..") for p in rest.split("/")):
            return rest
    if os.path.isabs(tool_path):
        real_root = os.path.realpath(repo_root)
        for base in (repo_root, real_root):
            rel = os.path.relpath(tool_path, base)
            if not rel.startswith(".."):
                return PurePosixPath(rel.replace(os.sep, "/")).as_posix()
        real = os.path.relpath(os.path.realpath(tool_path), real_root)
        return real.replace(os.sep, "/")
    joined = os.path.normpath(os.path.join(project_rel, tool_path))
    return joined.replace(os.sep, "/")


@dataclass(frozen=True, slots=True)
class FixMode:
    """What CI's ``ruff check`` command does with what it can fix: ruff's own resolved settings
    (``fix``, ``fix-only``, ``unsafe-fixes``, wherever they are set) and the command's flags.

    ``writes``: it applies fixes (fix = true, ``--fix``, ``--fix-only``); the check then runs on a
    throwaway copy and the later checks see the fixed files. ``unsafe``: unsafe fixes apply too.
    ``only``: only what it can fix counts (``--fix-only``, ``--diff``). ``fail_on_fix``: a fix
    fails the command (``--exit-non-zero-on-fix``; pre-commit fails a hook that changes files).
    ``exit_zero``: its findings never fail it (``--exit-zero``). ``source`` says where the mode
    comes from, for the summary (``fix = true in ruff.toml``, ``--diff``).
    """

    writes: bool = False
    unsafe: bool = False
    only: bool = False
    fail_on_fix: bool = False
    exit_zero: bool = False
    source: str = ""


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs to know besides the output itself."""

    paths: PathMap
    fix: FixMode | None = None
    allow_no_tests: bool = False
    check: str = ""


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool printed. ``before``: the stdout of the invocation's ``before`` run."""

    exit_code: int
    stdout: str
    stderr: str
    report: str | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Invocation:
    """A planned tool run: argv, folder, environment, and how to parse what comes out.

    ``writes``: the command rewrites files, as CI's does (ruff's fixes); the engine runs it on a
    throwaway copy, before the checks after it. ``before``: a read-only command run first in the
    same folder, whose stdout the parser gets as ``ToolOutput.before`` (ruff's findings at the
    lines of the files as they were, before the fixes).

    A check that runs more than one command (the Python matrix, a coverage gate after the tests)
    lists the others in ``then``: the engine runs them one after another, in the same folder,
    each parsed by its ``parser`` (None: the check module's), and merges the outcomes
    (:func:`hooks.engine.run.merge`). ``label`` names a run in the merged findings
    (``Python 3.12``); ``after_pass``: it runs only when the run before it passed, as a CI step
    after a failed one does not run. ``notes`` are shown with the result (a pinned tool that
    could not be installed, an interpreter not found); ``cacheable`` False keeps a green result
    out of the verdict cache (it ran something else than CI pins). ``leaves_files``: it writes
    files into the checked folder that no other check reads (the coverage report CI's gate
    script reads), so, like ``writes``, it needs a throwaway tree, but not a turn of its own.
    """

    check: str
    argv: tuple[str, ...]
    cwd: Path
    context: ParseContext
    tool: str
    tool_version: str
    tool_source: str
    env: Mapping[str, str] = field(default_factory=dict)
    report_file: bool = False
    stdout_tail_only: bool = False
    exclusive: str | None = None
    writes: bool = False
    before: tuple[str, ...] | None = None
    label: str = ""
    then: tuple[Invocation, ...] = ()
    parser: Parser | None = None
    after_pass: bool = False
    notes: tuple[str, ...] = ()
    scratch: bool = False
    cacheable: bool = True
    leaves_files: bool = False


Parser = Callable[[ToolOutput, ParseContext], "Outcome"]
"""A parser for one command's output (a check module's ``parse``, or a follow-up's own)."""

SCRATCH = "{guardrail-scratch}"
"""In an :class:`Invocation` with ``scratch``, stands in argv and env values for a folder the
engine makes for that run and removes after it (coverage's data file, a report it writes)."""


@dataclass(frozen=True, slots=True)
class CiPin:
    """The exact version CI runs a tool at, where that pin is written
    (``.pre-commit-config.yaml:5``), and packages CI installs beside it (a mypy hook's
    ``additional_dependencies``)."""

    version: str
    origin: str
    extra: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CiGate:
    """A coverage threshold CI applies to the tests' results (see ``hooks.ci.model.CoverageGate``).

    ``kind`` is ``pytest-cov`` (pytest itself fails under it), ``coverage`` (a separate
    ``coverage report ...`` command after the tests, whose arguments after ``coverage`` are
    ``argv``) or ``script`` (``python <argv>`` run in ``cwd``, relative to the project folder:
    the repository's own gate script, reading the coverage files pytest-cov writes with the
    ``--cov-report`` values in ``reports``). ``origin`` is the ``file:line`` that sets the
    threshold (a script's: CI's step). ``advisory``: CI's step cannot fail the job.
    ``combined``: CI compares the total of data combined from several jobs
    (``coverage combine``), which no local run reproduces.
    """

    kind: str
    threshold: float | None
    origin: str
    argv: tuple[str, ...] = ()
    config: str | None = None
    advisory: bool = False
    combined: bool = False
    reports: tuple[str, ...] = ()
    cwd: str = "."


@dataclass(frozen=True, slots=True)
class CiStep:
    """How CI runs one check of one project, derived by the engine from ``hooks.ci``.

    ``argv`` are the tool's arguments after its command words, as the check must pass them in
    the project folder: CI's options that change the verdict and its targets, with the
    project's own ``[tool.guardrail]`` args/targets and the organisation's enforced settings
    already applied over them (the engine resolves the precedence). The check adds only the
    flags it needs to read the output. ``origin`` is where the command came from
    (``.github/workflows/ci.yml:46 -> Makefile:12``). ``env``: variables CI's step sets.
    ``files``: for a pre-commit hook that passes file names, the files pre-commit would pass
    (None otherwise). ``python_versions``: CI's matrix for the job.
    """

    argv: tuple[str, ...]
    origin: str
    env: Mapping[str, str] = field(default_factory=dict)
    pin: CiPin | None = None
    gates: tuple[CiGate, ...] = ()
    python_versions: tuple[str, ...] = ()
    files: tuple[str, ...] | None = None
    via_pre_commit: bool = False


class Check(Protocol):
    NAME: str
    TOOL: str

    def plan(self, project: Project, ci: CiStep | None = None) -> Invocation | Outcome: ...

    def parse(self, output: ToolOutput, context: ParseContext) -> Outcome: ...


def context_for(project: Project, check: str, *, allow_no_tests: bool = False) -> ParseContext:
    paths = PathMap(str(project.repo_root), project.rel)
    return ParseContext(paths, check=check, allow_no_tests=allow_no_tests)


def iter_lines(text: str) -> Iterator[str]:
    """The lines of a large output one at a time, without a list or a copy of the whole text
    (``io.StringIO`` would hold four bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def tail(text: str, lines: int = 30) -> str:
    """The last lines of a tool's output, shown when its output cannot be parsed.

    Found from the end, so a 50 MB output is never split into a list of all its lines.
    """
    text = text.rstrip()
    cut = len(text)
    for _ in range(lines):
        cut = text.rfind("\n", 0, cut)
        if cut < 0:
            return text
    return text[cut + 1 :]


def first_error_line(text: str) -> str:
    """The line that says what went wrong: the first ``error:`` line (clap's and argparse's
    usage errors put a ``tip:`` and the usage after it), else the first line that is not blank."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("error:") or ": error:" in line:
            return line
    return lines[0] if lines else ""


def killed(tool: str, output: ToolOutput) -> Outcome | None:
    """A crash marker every tool shares: death by a signal (a negative exit status)."""
    if output.exit_code >= 0:
        return None
    number = -output.exit_code
    try:
        name = f" ({signal.Signals(number).name})"
    except ValueError:
        name = ""
    return Outcome(Status.ERROR, message=f"{tool} was killed by signal {number}{name}")


class Unrecognised:
    """The lines of a tool's output its parser does not read: the first few kept to be shown,
    the rest only counted (a tool may print a million)."""

    KEEP = 10

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.count = 0

    def add(self, line: str) -> None:
        self.count += 1
        if len(self.kept) < self.KEEP:
            self.kept.append(line)

    def extend(self, other: Unrecognised) -> None:
        for line in other.kept:
            self.add(line)
        self.count += other.count - len(other.kept)

    def show(self, heading: str) -> str:
        """For the summary: shown as printed, never judged; "" when there is nothing."""
        if not self.kept:
            return ""
        more = [f"  (+{self.count - len(self.kept)} more lines)"] if self.count > self.KEEP else []
        return "\n".join([heading, *(f"  {line}" for line in self.kept), *more])


def unread(tool: str, meaning: str, output: ToolOutput, lines: int = 15) -> str:
    """The message for an exit status that is the verdict, when nothing in the output says
    where: what the tool printed, shown as it is."""
    text = "\n".join(t for t in (tail(output.stdout, lines), tail(output.stderr, lines)) if t)
    head = f"{tool} exited {output.exit_code} ({meaning})"
    return f"{head}; it printed:\n{text}" if text else f"{head} and printed nothing"


def json_object(line: str) -> dict[str, Any] | None:
    """The JSON object a line of a tool's JSON-lines output holds, else None."""
    if not line.startswith("{"):
        return None
    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        return None
    return item if isinstance(item, dict) else None


def passed_with(tool: str, findings: Iterable[Finding], other: Unrecognised) -> str:
    """What a tool that exited 0 printed all the same, findings included: shown, as CI's log
    shows it, while the exit status makes the check pass."""
    printed = Unrecognised()
    for f in findings:
        printed.add(f"{f.location()}: {f.code} {f.message}")
    printed.extend(other)
    return printed.show(f"{tool} exited 0 (CI passes) and printed:")
