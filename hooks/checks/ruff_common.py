"""Parsing ruff's JSON output, shared by ``ruff check`` and ``ruff format --check``."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hooks import proc
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
from hooks.projects import Tool, release

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


@functools.cache
def _reported_version(exe: str) -> str:
    res = proc.run([exe, "--version"], timeout=30)
    words = res.stdout.split()
    return words[1] if res.returncode == 0 and len(words) > 1 and words[0] == "ruff" else ""


def version(tool: Tool) -> tuple[int, ...] | None:
    """The ruff's version: as installed, else as ``ruff --version`` says (a ruff on PATH)."""
    return release(tool.version if tool.version != "?" else _reported_version(tool.argv[0]))


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


# ``ruff format --check`` without ``--output-format`` (every ruff before 0.16): one line a file,
# a count line, and a file it cannot parse on stderr (``Failed to format PATH: ...`` before
# 0.1.10, ``Failed to parse PATH:LINE:COL: ...`` since).
_WOULD_REFORMAT = re.compile(r"^Would reformat: (?P<path>.+)$")
_COUNT_LINE = re.compile(
    r"^\d+ files? (?:would be reformatted|already formatted|left unchanged|reformatted)\b"
)
_PARSE_ERROR = re.compile(
    r"^error: Failed to parse (?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$"
    r"|^error: Failed to format (?P<fpath>.+?): (?P<fmsg>source contains syntax errors.*)$"
)


def _text_finding(line: str, context: ParseContext) -> Finding | None:
    if match := _WOULD_REFORMAT.match(line):
        path = context.paths(match["path"])
        return Finding(context.check, path, None, None, "unformatted", "File would be reformatted")
    if match := _PARSE_ERROR.match(line):
        path = context.paths(match["path"] or match["fpath"])
        row, col = (int(match["line"]), int(match["col"])) if match["line"] else (None, None)
        return Finding(
            context.check, path, row, col, "invalid-syntax", match["msg"] or match["fmsg"]
        )
    return None


def read(
    stdout: str,
    stderr: str,
    context: ParseContext,
    default_code: str,
    *,
    text: bool = False,
) -> tuple[list[Finding], Unrecognised]:
    """ruff's findings, one a line so that 100,000 never sit in memory as parsed JSON, and the
    lines it printed that are not findings. ``text``: also read the plain format output."""
    findings: list[Finding] = []
    other = Unrecognised()
    for line in iter_lines(stdout):
        if not line.strip():
            continue
        item = json_object(line)
        if item is not None:
            findings.append(_finding(item, context, default_code))
            continue
        finding = _text_finding(line.strip(), context) if text else None
        if finding is not None:
            findings.append(finding)
        elif not (text and _COUNT_LINE.match(line.strip())):
            other.add(line.rstrip())
    for line in stderr.splitlines():
        finding = _text_finding(line.strip(), context) if text else None
        if finding is not None and finding.code == "invalid-syntax":
            findings.append(finding)
        elif line.strip():
            other.add(line.rstrip())
    return findings, other


def parse_output(
    output: ToolOutput, context: ParseContext, *, default_code: str, text: bool = False
) -> Outcome:
    """ruff's exit status is the verdict, as CI reads it: 0 passed, 1 problems found, 2 it could
    not run (bad configuration or arguments, a crash; or a file it cannot parse, then reported
    at that file). Output it does not recognise is shown, never judged."""
    signalled = killed("ruff", output)
    if signalled is not None:
        return signalled
    findings, other = read(output.stdout, output.stderr, context, default_code, text=text)
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
