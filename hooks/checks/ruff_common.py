"""Parsing ruff's JSON output, shared by ``ruff check`` and ``ruff format --check``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hooks.checks.base import ParseContext, ToolOutput, iter_lines, tail
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


def json_findings(stdout: str, context: ParseContext, default_code: str) -> list[Finding] | None:
    """The findings of ruff's ``--output-format json-lines``; None when it is not that.

    One object a line, each turned into a Finding at once, so that 100,000 diagnostics never sit
    in memory as parsed JSON.
    """
    findings = []
    for line in iter_lines(stdout):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict):
            return None
        findings.append(_finding(item, context, default_code))
    return findings


def parse_json(output: ToolOutput, context: ParseContext, *, default_code: str) -> Outcome:
    """ruff's ``--output-format json-lines``; anything else is an error, never a pass."""
    findings = json_findings(output.stdout, context, default_code)
    if findings is None:
        return Outcome(
            Status.ERROR,
            message=f"ruff exited {output.exit_code} with output that is not its JSON report",
        )
    if output.exit_code not in (0, 1) and not any(f.blocking for f in findings):
        # An abnormal exit is never a pass, even beside findings that alone would not block.
        return Outcome(
            Status.ERROR, message=f"ruff exited {output.exit_code}: {tail(output.stderr, 5)}"
        )
    if output.exit_code == 1 and not findings:
        return Outcome(Status.ERROR, message="ruff exited 1 but reported nothing")
    if output.exit_code == 0 and findings:
        return Outcome(Status.ERROR, message="ruff exited 0 but reported problems")
    return Outcome(
        Status.FAILED if any(f.blocking for f in findings) else Status.PASSED,
        tuple(findings),
    )
