"""The guardrail chain end to end on real repositories with real ruff, mypy and pytest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures import BAD_LINES, EXPORT_PATH, fix_motivating


def test_motivating_case_blocks_on_mypy_then_passes_after_fix(
    motivating_repo: Path, guardrail: Any
) -> None:
    run = guardrail(motivating_repo, "run")
    assert run.code == 1, run
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in run.out, run
    status = {
        ln.split()[1]: ln.split()[2]
        for ln in run.out.splitlines()
        if ln.startswith("  ")
        and len(ln.split()) > 2
        and ln.split()[1] in ("ruff-check", "ruff-format", "mypy", "pytest")
    }
    assert status == {
        "ruff-check": "passed",
        "ruff-format": "passed",
        "mypy": "failed",
        "pytest": "passed",
    }, run
    assert "Push blocked: mypy failed." in run.out
    assert "3 errors in 1 file" in run.out

    fix_motivating(motivating_repo)
    run = guardrail(motivating_repo, "run")
    assert run.code == 0, run
    assert "All 4 checks passed" in run.out
