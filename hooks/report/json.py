"""The machine-readable report: one JSON document with a ``schema_version``.

Schema version 1 (additions keep the version; a removal or a change of meaning bumps it)::

    {"schema_version": 1, "guardrail_version", "target", "exit_code",
     "verdict": "passed" | "failed" | "error", "notes": [str],
     "projects": [{"path", "python", "python_version", "python_source",
                   "tools": [{"name", "version", "source"}], "warning"}],
     "checks": [{"name", "project", "status", "exit_code", "duration", "command", "cwd",
                 "tool", "tool_version", "tool_source", "counts", "message",
                 "blocking", "why", "origin",
                 "findings": [{"check", "path", "line", "column", "end_line", "end_column",
                               "code", "message", "fixable", "url", "blocking",
                               "test_id"}]}]}

``status`` is one of passed, failed, error, skipped, "not run". Paths (``path``, ``cwd``) are
relative to the repository root with ``/`` separators; ``duration`` is in seconds; a value that
is unknown is ``null``. ``blocking`` is false for a check whose failure does not block (``why``:
``not in CI``, a CI step that cannot fail its job); ``origin`` is the CI command it mirrors
(``.github/workflows/ci.yml:46 -> Makefile:12``), null under the guardrail's defaults.
``notes`` are the summary's notes (what CI runs that is not mirrored, among others).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hooks.findings import CheckResult, RunInfo, exit_code_for, result_to_dict

SCHEMA_VERSION = 1
VERDICT = {0: "passed", 1: "failed", 2: "error"}


def document(info: RunInfo, results: Sequence[CheckResult]) -> dict[str, Any]:
    code = exit_code_for(list(results))
    return {
        "schema_version": SCHEMA_VERSION,
        "guardrail_version": info.version,
        "target": info.target,
        "exit_code": code,
        "verdict": VERDICT[code],
        "notes": list(info.notes),
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
        "checks": [result_to_dict(r) for r in results],
    }


def render(info: RunInfo, results: Sequence[CheckResult]) -> str:
    return json.dumps(document(info, results), indent=2, ensure_ascii=False) + "\n"
