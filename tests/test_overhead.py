"""The guardrail's own overhead: what ``--version`` imports, and huge outputs handled whole.

How fast these are is measured by ``bench/run.py``; the tests pin what must stay true for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hooks.checks import ParseContext, PathMap, ToolOutput, ruff_check
from hooks.findings import CheckResult, Status
from hooks.report import RunInfo
from hooks.report.terminal import render

HEAVY = (
    "subprocess",
    "json",
    "tempfile",
    "concurrent.futures",
    "importlib.metadata",
    "hooks.proc",
    "hooks.projects",
    "hooks.runner",
    "hooks.gate",
    "hooks.cache",
    "hooks.checks",
    "hooks.report.terminal",
)


def test_version_imports_nothing_heavy() -> None:
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hooks", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert res.stdout.strip().startswith("guardrail ")
    imported = {
        line.split("|")[-1].strip()
        for line in res.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "hooks.cli" in imported
    assert sorted(m for m in HEAVY if m in imported) == []


def ruff_report(n: int) -> str:
    return json.dumps(
        [
            {
                "code": "F401",
                "message": f"`mod{i}` imported but unused",
                "filename": f"/repo/pkg/m{i % 500}.py",
                "location": {"row": i % 900 + 1, "column": 1},
                "end_location": {"row": i % 900 + 1, "column": 10},
                "fix": {"applicability": "safe"},
                "url": "https://docs.astral.sh/ruff/rules/unused-import",
            }
            for i in range(n)
        ]
    )


def test_fifty_thousand_findings_are_parsed_and_summarised_whole() -> None:
    context = ParseContext(PathMap("/repo", "."), check="ruff-check")
    outcome = ruff_check.parse(ToolOutput(1, ruff_report(50_000), ""), context)
    assert outcome.status is Status.FAILED
    assert len(outcome.findings) == 50_000
    assert outcome.findings[-1].location() == "pkg/m499.py:500:1"
    result = CheckResult(
        "ruff-check", ".", outcome.status, findings=outcome.findings, counts=outcome.counts
    )
    text = render(RunInfo(version="0", target="t"), [result])
    assert "50000 errors in 500 files" in text
    assert "+49980 more" in text
