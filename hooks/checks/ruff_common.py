"""Parsing ruff's JSON output, shared by ``ruff check`` and ``ruff format --check``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hooks.checks.base import (
    ParseContext,
    ToolOutput,
    Unrecognised,
    first_error_line,
    iter_lines,
    json_object,
    killed,
    passed_with,
    unread,
)
from hooks.config import read_toml
from hooks.errors import GuardrailError
from hooks.findings import Finding, Outcome, Status, int_or_none

RUFF_MISSING = Outcome(
    Status.ERROR,
    message="ruff is not installed: add it to the project env (pip install ruff) "
    "or reinstall push-guardrail, which bundles it",
)


CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml")


def _extends(config: Path) -> Path | None:
    """The file ``config`` names in ruff's ``extend``, as ruff resolves it: ``~`` and
    environment variables expanded, relative to the config's folder."""
    try:
        data: Any = read_toml(config)
    except GuardrailError:
        return None
    if config.name == "pyproject.toml":
        data = data.get("tool", {})
        data = data.get("ruff") if isinstance(data, dict) else None
    value = data.get("extend") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        return None
    expanded = os.path.expandvars(os.path.expanduser(value))
    return Path(os.path.normpath(config.parent / expanded))


def extended_configs(configs: Iterable[Path]) -> list[Path]:
    """Every file the given ruff configs ``extend``, each chain followed to its end, wherever it
    leads (a sibling checkout, the user's home): ruff reads them all."""
    found: list[Path] = []
    todo = list(configs)
    while todo:
        target = _extends(todo.pop())
        if target is not None and target not in found:
            found.append(target)
            todo.append(target)
    return found


def _finding(item: dict[str, Any], context: ParseContext, default_code: str) -> Finding:
    """``fixable``: ruff has a fix that CI's command would apply (a safe one, or an unsafe one
    where ``unsafe-fixes`` is on)."""
    loc = item.get("location") or {}
    end = item.get("end_location") or {}
    fix = item.get("fix")
    applicable = ("safe", "unsafe") if context.fix is not None and context.fix.unsafe else ("safe",)
    fixable = isinstance(fix, dict) and fix.get("applicability") in applicable
    filename = item.get("filename")
    url = item.get("url")
    return Finding(
        check=context.check,
        path=sys.intern(context.paths(filename)) if isinstance(filename, str) else None,
        line=int_or_none(loc.get("row")),
        column=int_or_none(loc.get("column")),
        end_line=int_or_none(end.get("row")),
        end_column=int_or_none(end.get("column")),
        code=sys.intern(str(item.get("code") or default_code)),
        message=str(item.get("message") or ""),
        fixable=fixable,
        url=sys.intern(url) if isinstance(url, str) else None,
    )


def read(
    stdout: str, stderr: str, context: ParseContext, default_code: str
) -> tuple[list[Finding], Unrecognised]:
    """ruff's findings, one a line so that 100,000 never sit in memory as parsed JSON, and the
    lines it printed that are not findings."""
    findings: list[Finding] = []
    other = Unrecognised()
    for line in iter_lines(stdout):
        if not line.strip():
            continue
        item = json_object(line)
        if item is not None:
            findings.append(_finding(item, context, default_code))
        else:
            other.add(line.rstrip())
    for line in stderr.splitlines():
        if line.strip():
            other.add(line.rstrip())
    return findings, other


def parse_output(output: ToolOutput, context: ParseContext, *, default_code: str) -> Outcome:
    """ruff's exit status is the verdict, as CI reads it: 0 passed, 1 problems found, 2 it could
    not run (bad configuration or arguments, a crash; or a file it cannot parse, then reported
    at that file). Output it does not recognise is shown, never judged."""
    signalled = killed("ruff", output)
    if signalled is not None:
        return signalled
    findings, other = read(output.stdout, output.stderr, context, default_code)
    code = output.exit_code
    if code == 0:
        return Outcome(Status.PASSED, message=passed_with("ruff", findings, other))
    if code in (1, 2) and findings:
        return Outcome(Status.FAILED, tuple(findings), message=other.show("ruff also printed:"))
    if code == 1:
        return Outcome(
            Status.FAILED,
            message=unread("ruff", "problems found", output),
        )
    why = "it could not run" if code == 2 else "an exit status ruff does not document"
    error = first_error_line(output.stderr) or first_error_line(output.stdout)
    return Outcome(
        Status.ERROR,
        tuple(findings),
        message=f"ruff exited {code} ({why}){': ' if error else ''}{error}",
    )
