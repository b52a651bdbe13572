"""Small immutable records that flow from the checks to the reports."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

CHECK_TOOLS: Mapping[str, str] = {
    "ruff-check": "ruff",
    "ruff-format": "ruff",
    "mypy": "mypy",
    "pytest": "pytest",
}
"""The tool each check runs: reports name it even for a check that could not start its tool."""


class Status(enum.Enum):
    """What happened to one check."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_RUN = "not run"

    @property
    def blocks(self) -> bool:
        return self in (Status.FAILED, Status.ERROR)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a tool reported, with its position relative to the repository root.

    ``path`` is ``None`` for problems that belong to no file (a coverage threshold).
    ``blocking`` is false for findings CI would not fail on (ruff fixes applied by ``fix = true``).
    """

    check: str
    path: str | None
    line: int | None
    column: int | None
    code: str
    message: str
    end_line: int | None = None
    end_column: int | None = None
    fixable: bool = False
    url: str | None = None
    blocking: bool = True
    test_id: str | None = None

    def location(self) -> str:
        if self.path is None:
            return "(project)"
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a parser makes of one tool run: the verdict, the findings, a short count line."""

    status: Status
    findings: tuple[Finding, ...] = ()
    counts: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check of one project, as the reports see it."""

    check: str
    project: str
    status: Status
    duration: float = 0.0
    findings: tuple[Finding, ...] = ()
    counts: str = ""
    message: str = ""
    exit_code: int | None = None
    command: tuple[str, ...] = ()
    cwd: str = ""
    tool: str = ""
    tool_version: str = ""
    tool_source: str = ""
    output_tail: str = ""
    raw_output: str = field(default="", repr=False)

    @property
    def blocking_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """What ran for one project: interpreter and tool versions, with where each came from."""

    rel: str
    python: str
    python_version: str
    python_source: str
    tools: tuple[tuple[str, str, str], ...] = ()
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Facts about the run as a whole that every report shows."""

    version: str
    target: str
    notes: tuple[str, ...] = ()
    projects: tuple[ProjectInfo, ...] = field(default=())
    cached: str | None = None


def exit_code_for(results: list[CheckResult] | tuple[CheckResult, ...]) -> int:
    """0 all passed, 2 when any check could not run, else 1 when any check failed."""
    if any(r.status is Status.ERROR for r in results):
        return 2
    if any(r.status is Status.FAILED for r in results):
        return 1
    return 0


def int_or_none(value: object) -> int | None:
    """A line or column from a tool's JSON: the integer, or None for anything else (``true``
    included, which Python counts as an int)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def count_line(findings: tuple[Finding, ...] | list[Finding], noun: str = "error") -> str:
    """``3 errors in 1 file`` (blocking findings), with non-blocking ones counted apart."""
    blocking = [f for f in findings if f.blocking]
    files = {f.path for f in blocking if f.path is not None}
    text = plural(len(blocking), noun)
    if files:
        text += f" in {plural(len(files), 'file')}"
    rest = len(findings) - len(blocking)
    if rest:
        text += f", {rest} fixable not blocking"
    return text
