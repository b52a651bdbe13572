"""The guardrail chain end to end on real repositories with real ruff, mypy and pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import hooks
from tests.fixtures import BAD_LINES, EXPORT_PATH, fix_motivating, make_repo


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


PYTEST_FILES = {
    "pyproject.toml": '[tool.ruff.lint]\nselect = ["E", "F"]\n',
    "pkg/__init__.py": "",
    "pkg/calc.py": "def add(a: int, b: int) -> int:\n    return a - b\n",
    "tests/test_calc.py": (
        "from pkg.calc import add\n\n\n"
        "def check_sum(total: int) -> None:\n"
        "    assert total == 3, 'wrong sum'\n\n\n"
        "def test_add() -> None:\n"
        "    check_sum(add(1, 2))\n"
    ),
    "tests/test_broken.py": "import pkg\n\n\nvalue = pkg.missing_name\n",
}


def test_failing_test_at_its_assertion_and_collection_error_at_its_line(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = dict(PYTEST_FILES)
    broken = files.pop("tests/test_broken.py")
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 1, run
    assert (
        "tests/test_calc.py:5: test-failed tests/test_calc.py::test_add: AssertionError" in run.out
    )
    # pytest stops at a collection error before running any test, in CI too.
    (repo / "tests" / "test_broken.py").write_text(broken)
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 1, run
    assert "tests/test_broken.py:4: collection-error" in run.out, run
    assert "AttributeError" in run.out


def test_only_and_fail_fast(motivating_repo: Path, guardrail: Any) -> None:
    run = guardrail(motivating_repo, "run", "--only", "ruff-check", "--only", "mypy")
    assert run.code == 1, run
    assert "not selected by --only" in run.out
    run = guardrail(motivating_repo, "run", "--fail-fast", "--jobs", "1")
    assert run.code == 1, run
    pytest_line = next(ln for ln in run.out.splitlines() if ln.split()[1:2] == ["pytest"])
    assert "not run" in pytest_line, run


def test_python_m_hooks_and_version(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hooks", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"guardrail {hooks.__version__}"
