"""CI's tool versions, coverage gates and matrix through ``guardrail run`` itself: the plan is
read from the repository's CI files (no ``[tool.guardrail]`` section), with real tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hooks.ci import read_ci
from tests.fixtures import commit_all, make_repo, write_files

PROJECT = '[project]\nname = "demo"\nversion = "0"\n'
CI = ".github/workflows/ci.yml"


def workflow(*steps: str, matrix: str = "") -> str:
    strategy = f"    strategy:\n      matrix:\n        python-version: {matrix}\n" if matrix else ""
    setup = (
        "      - uses: actions/setup-python@v5\n"
        "        with:\n          python-version: ${{ matrix.python-version }}\n"
        if matrix
        else ""
    )
    body = "".join(f"      - {step}\n" for step in steps)
    return (
        "name: ci\non: [push, pull_request]\njobs:\n  check:\n    runs-on: ubuntu-latest\n"
        f"{strategy}    steps:\n      - uses: actions/checkout@v4\n{setup}{body}"
    )


def _run(
    tmp_path: Path, venv: Path, guardrail: Any, files: dict[str, str], check: str
) -> tuple[Path, Any]:
    """A repository with ``files`` (no [tool.guardrail]), and `guardrail run --only check`."""
    root = make_repo(tmp_path / "repo", {"pyproject.toml": PROJECT, **files}, venv=venv)
    return root, guardrail(root, "run", "--no-cache", "--only", check)


PINNED_RUFF = {
    ".pre-commit-config.yaml": (
        "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
        "    rev: v0.8.6\n    hooks:\n      - id: ruff-format\n"
    ),
    CI: workflow("run: pip install pre-commit", "run: pre-commit run --all-files"),
}


@pytest.mark.slow
def test_the_ruff_pinned_in_pre_commit_config_is_the_ruff_that_runs(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = {**PINNED_RUFF, "demo/__init__.py": 'MESSAGE = "hello " "world"\n'}
    root, run = _run(tmp_path, project_venv, guardrail, files, "ruff-format")

    (pin,) = {c.pin for c in read_ci(root).checks if c.check == "ruff-format"}
    assert pin is not None and pin.version == "0.8.6"

    assert run.code == 0, run
    assert f"ruff 0.8.6 (pinned by {pin.origin})" in run.out


@pytest.mark.slow
def test_guardrail_fix_formats_with_the_ruff_ci_pins(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """ruff 0.8.6 keeps the two strings apart; the bundled ruff would join them, which CI's
    pinned ruff accepts too, but is not what CI's version writes."""
    files = {**PINNED_RUFF, "demo/__init__.py": 'MESSAGE = ( "hello "  "world" )\n'}
    root = make_repo(tmp_path / "repo", {"pyproject.toml": PROJECT, **files}, venv=project_venv)

    run = guardrail(root, "fix")

    assert (root / "demo" / "__init__.py").read_text() == 'MESSAGE = "hello " "world"\n'
    assert run.code == 0, run


@pytest.mark.slow
def test_a_coverage_step_blocks_at_its_line(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = {
        ".coveragerc": "[run]\nsource = demo\n",
        CI: workflow("run: coverage run -m pytest", "run: coverage report --fail-under=90"),
        "demo/__init__.py": "def half(x):\n    if x > 0:\n        return x / 2\n    return 0\n",
        "tests/test_demo.py": (
            "from demo import half\n\n\ndef test_half():\n    assert half(4) == 2\n"
        ),
    }
    root, run = _run(tmp_path, project_venv, guardrail, files, "pytest")

    line = next(n for n, text in enumerate(files[CI].splitlines(), 1) if "--fail-under" in text)
    assert run.code == 1, run
    assert (
        f"{CI}:{line}: coverage coverage 75% is under the threshold 90% (--fail-under)" in run.out
    )
    # The fix: a test for the other branch brings the total to 100%.
    tests = files["tests/test_demo.py"] + "\n\ndef test_zero():\n    assert half(-1) == 0\n"
    write_files(root, {"tests/test_demo.py": tests})
    commit_all(root, "test the other branch")
    assert guardrail(root, "run", "--no-cache", "--only", "pytest").code == 0


@pytest.mark.slow
def test_a_matrix_version_not_found_is_named_and_does_not_block(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = {
        CI: workflow("run: pytest", matrix='["3.11", "3.99"]'),
        "demo/__init__.py": "",
        "tests/test_ok.py": "def test_ok():\n    assert True\n",
    }
    _, run = _run(tmp_path, project_venv, guardrail, files, "pytest")

    assert run.code == 0, run
    assert "warning: not checked under 3.99: no python3.99 found" in run.out
