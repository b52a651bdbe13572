"""The machine-readable report: one JSON document with a ``schema_version``.

Schema version 1 (additions keep the version; a removal or a change of meaning bumps it)::

    {"schema_version": 1, "guardrail_version", "target", "exit_code",
     "verdict": "passed" | "failed" | "error",
     "projects": [{"path", "python", "python_version", "python_source",
                   "tools": [{"name", "version", "source"}], "warning"}],
     "checks": [{"name", "project", "status", "exit_code", "duration", "command", "cwd",
                 "tool", "tool_version", "tool_source", "counts", "message",
                 "findings": [{"check", "path", "line", "column", "end_line", "end_column",
                               "code", "message", "fixable", "url", "blocking",
                               "test_id"}]}]}

``status`` is one of passed, failed, error, skipped, "not run". Paths (``path``, ``cwd``) are
relative to the repository root with ``/`` separators; ``duration`` is in seconds; a value that
is unknown is ``null``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hooks.findings import CheckResult, Finding, RunInfo, exit_code_for

SCHEMA_VERSION = 1
VERDICT = {0: "passed", 1: "failed", 2: "error"}


def finding_dict(f: Finding) -> dict[str, Any]:
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


def check_dict(r: CheckResult) -> dict[str, Any]:
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
        "findings": [finding_dict(f) for f in r.findings],
    }


def document(info: RunInfo, results: Sequence[CheckResult]) -> dict[str, Any]:
    code = exit_code_for(list(results))
    return {
        "schema_version": SCHEMA_VERSION,
        "guardrail_version": info.version,
        "target": info.target,
        "exit_code": code,
        "verdict": VERDICT[code],
        "projects": [
            {
                "path": p.rel,
                "python": p.python,
                "python_version": p.python_version,
                "python_source": p.python_source,
                "tools": [{"name": n, "version": v, "source": s} for n, v, s in p.tools],
                "warning": p.warning,
            }
            for p in info.projects
        ],
        "checks": [check_dict(r) for r in results],
    }


def render(info: RunInfo, results: Sequence[CheckResult]) -> str:
    return json.dumps(document(info, results), indent=2, ensure_ascii=False) + "\n"
