"""Small immutable records that flow from the checks to the reports, and their JSON form."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    """One check of one project, as the reports see it.

    ``blocking`` is false for a check whose failure does not block the push (``why`` says
    why: ``not in CI``, a CI step that cannot fail the job). ``origin``: the CI command it
    mirrors (``.github/workflows/ci.yml:46``), "" when it runs the guardrail's defaults.
    """

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
    blocking: bool = True
    why: str = ""
    origin: str = ""

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


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """A finding as the JSON report writes it."""
    return {
        "check": f.check,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "code": f.code,
        "message": f.message,
        "fixable": f.fixable,
        "url": f.url,
        "blocking": f.blocking,
        "test_id": f.test_id,
    }


def result_to_dict(r: CheckResult) -> dict[str, Any]:
    """A result as the JSON report writes it (``schema_version`` 1) and the verdict cache keeps
    it; ``output_tail`` and ``raw_output`` are left out."""
    return {
        "name": r.check,
        "project": r.project,
        "status": r.status.value,
        "exit_code": r.exit_code,
        "duration": round(r.duration, 3),
        "command": list(r.command),
        "cwd": r.cwd or r.project,
        "tool": r.tool or None,
        "tool_version": r.tool_version or None,
        "tool_source": r.tool_source or None,
        "counts": r.counts,
        "message": r.message,
        "findings": [finding_to_dict(f) for f in r.findings],
        "blocking": r.blocking,
        "why": r.why or None,
        "origin": r.origin or None,
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)


def finding_from_dict(data: Mapping[str, Any]) -> Finding:
    """The inverse of :func:`finding_to_dict`; KeyError, TypeError or ValueError when ``data``
    is not one."""
    return Finding(
        check=str(data["check"]),
        path=_optional_text(data.get("path")),
        line=int_or_none(data.get("line")),
        column=int_or_none(data.get("column")),
        end_line=int_or_none(data.get("end_line")),
        end_column=int_or_none(data.get("end_column")),
        code=str(data["code"]),
        message=_text(data.get("message")),
        fixable=bool(data.get("fixable")),
        url=_optional_text(data.get("url")),
        blocking=bool(data.get("blocking", True)),
        test_id=_optional_text(data.get("test_id")),
    )


def result_from_dict(data: Mapping[str, Any]) -> CheckResult:
    """The inverse of :func:`result_to_dict`; KeyError, TypeError or ValueError when ``data`` is
    not one."""
    return CheckResult(
        check=str(data["name"]),
        project=str(data["project"]),
        status=Status(data["status"]),
        duration=float(data.get("duration") or 0.0),
        findings=tuple(finding_from_dict(f) for f in data.get("findings") or ()),
        counts=_text(data.get("counts")),
        message=_text(data.get("message")),
        exit_code=int_or_none(data.get("exit_code")),
        command=tuple(str(word) for word in data.get("command") or ()),
        cwd=_text(data.get("cwd")),
        tool=_text(data.get("tool")),
        tool_version=_text(data.get("tool_version")),
        tool_source=_text(data.get("tool_source")),
        blocking=bool(data.get("blocking", True)),
        why=_text(data.get("why")),
        origin=_text(data.get("origin")),
    )


def exit_code_for(results: list[CheckResult] | tuple[CheckResult, ...]) -> int:
    """0 all passed, 2 when any check could not run, else 1 when any check failed; a check
    that does not block (``not in CI``, an advisory CI step) never sets it."""
    if any(r.status is Status.ERROR and r.blocking for r in results):
        return 2
    if any(r.status is Status.FAILED and r.blocking for r in results):
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
        text += f", {rest} not blocking"
    return text
