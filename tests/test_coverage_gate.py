"""CI's coverage gates, run as CI runs them as part of the pytest check: real pytest, coverage
and pytest-cov in temporary git repositories, each verdict compared with the commands run by
hand (the oracle), at a commit under the threshold and at its fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hooks.checks.base import CiGate, CiStep
from hooks.engine.plan import Planned
from hooks.engine.run import execute_one
from hooks.findings import CheckResult, Status
from hooks.projects import load_projects
from tests.fixtures import commit_all, git, make_repo, venv_python

PYPROJECT = """[project]
name = "demo"
version = "0"

[tool.coverage.run]
source = ["demo"]

[tool.coverage.report]
fail_under = 90
"""
THRESHOLD_LINE = "pyproject.toml:9"
CI_LINE = ".github/workflows/ci.yml:12"
CODE = """def half(x: int) -> float:
    if x > 0:
        return x / 2
    return 0.0


def double(x: int) -> int:
    return 2 * x
"""
# Four of the six statements run: 67%.
SOME_TESTS = "from demo import half\n\n\ndef test_half() -> None:\n    assert half(4) == 2\n"
ALL_TESTS = (
    "from demo import double, half\n\n\ndef test_all() -> None:\n"
    "    assert half(4) == 2\n    assert half(-1) == 0\n    assert double(2) == 4\n"
)


def _repo(tmp_path: Path, venv: Path, pyproject: str = PYPROJECT) -> Path:
    files = {
        "pyproject.toml": pyproject,
        "demo/__init__.py": CODE,
        "tests/test_demo.py": SOME_TESTS,
    }
    return make_repo(tmp_path / "repo", files, venv=venv)


def _fix(root: Path) -> None:
    (root / "tests" / "test_demo.py").write_text(ALL_TESTS, encoding="utf-8")
    commit_all(root, "test everything")


def _run(root: Path, *gates: CiGate, argv: tuple[str, ...] = ()) -> CheckResult:
    (project,) = load_projects(root)
    ci = CiStep(argv=argv, origin=CI_LINE, gates=gates)
    return execute_one(Planned(project, "pytest", ci=ci))


def _by_hand(root: Path, tmp_path: Path, *commands: tuple[str, ...]) -> int:
    """The oracle: CI's commands run by hand in the repository with the project's interpreter,
    stopping at the first that fails, as a CI job does; its data file kept out of the tree."""
    python = str(venv_python(root / ".venv"))
    env = {"COVERAGE_FILE": str(tmp_path / "oracle.coverage"), "PATH": "/usr/bin:/bin"}
    for command in commands:
        code = subprocess.run(
            [python, "-m", *command], cwd=root, env=env, capture_output=True, check=False
        ).returncode
        if code:
            return code
    return 0


RUN_TESTS = ("coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")


def _clean(root: Path) -> None:
    """No coverage data or report was written into the checked tree."""
    written = git(root, "status", "--porcelain", "--ignored").stdout.split("\n")
    assert not [line for line in written if "coverage" in line or "htmlcov" in line]
    assert not list(root.glob(".coverage*"))


@pytest.mark.slow
def test_a_coverage_report_step_blocks_at_the_line_that_sets_the_threshold(
    tmp_path: Path, project_venv: Path
) -> None:
    root = _repo(tmp_path, project_venv)
    gate = CiGate("coverage", 90.0, THRESHOLD_LINE, argv=("report",))

    under = _run(root, gate)

    assert _by_hand(root, tmp_path, RUN_TESTS, ("coverage", "report")) == 2
    assert under.status is Status.FAILED, under
    (finding,) = under.findings
    assert (finding.path, finding.line, finding.code) == ("pyproject.toml", 9, "coverage")
    assert finding.message == "coverage 67% is under the threshold 90% (fail_under)"
    assert finding.blocking
    _clean(root)

    _fix(root)
    fixed = _run(root, gate)

    assert _by_hand(root, tmp_path, RUN_TESTS, ("coverage", "report")) == 0
    assert fixed.status is Status.PASSED, fixed
    assert "coverage 100%" in fixed.counts
    _clean(root)


@pytest.mark.slow
def test_fail_under_on_ci_s_command_line_beats_the_config(
    tmp_path: Path, project_venv: Path
) -> None:
    """coverage applies --fail-under over fail_under: 67% passes --fail-under=60 although the
    config says 90, and fails --fail-under 95 at CI's line."""
    root = _repo(tmp_path, project_venv)
    low = CiGate("coverage", 60.0, CI_LINE, argv=("report", "--fail-under=60"))
    high = CiGate("coverage", 95.0, CI_LINE, argv=("report", "--fail-under", "95"))

    passed, failed = _run(root, low), _run(root, high)

    assert _by_hand(root, tmp_path, RUN_TESTS, ("coverage", "report", "--fail-under=60")) == 0
    assert passed.status is Status.PASSED, passed
    assert _by_hand(root, tmp_path, RUN_TESTS, ("coverage", "report", "--fail-under", "95")) == 2
    assert failed.status is Status.FAILED
    assert [(f.path, f.line, f.message) for f in failed.findings] == [
        (".github/workflows/ci.yml", 12, "coverage 67% is under the threshold 95% (--fail-under)")
    ]


@pytest.mark.slow
def test_an_xml_report_with_a_threshold_writes_nothing_into_the_tree(
    tmp_path: Path, project_venv: Path
) -> None:
    root = _repo(tmp_path, project_venv)
    gate = CiGate("coverage", 90.0, THRESHOLD_LINE, argv=("xml", "-o", "coverage.xml"))

    result = _run(root, gate)

    assert result.status is Status.FAILED
    assert [f.line for f in result.findings] == [9]
    _clean(root)


@pytest.mark.slow
def test_pytest_cov_under_its_threshold_is_located_at_ci_s_line(
    tmp_path: Path, project_venv: Path
) -> None:
    table = '\n[tool.guardrail.pytest]\nargs = ["--cov=demo", "--cov-fail-under=90"]\n'
    root = _repo(tmp_path, project_venv, PYPROJECT + table)
    gate = CiGate("pytest-cov", 90.0, CI_LINE)
    pytest_cov = ("pytest", "-q", "-p", "no:cacheprovider", "--cov=demo", "--cov-fail-under=90")

    under = _run(root, gate, argv=pytest_cov[-2:])

    assert _by_hand(root, tmp_path, pytest_cov) == 1
    assert under.status is Status.FAILED, under
    assert [(f.path, f.line, f.code, f.message) for f in under.findings] == [
        (
            ".github/workflows/ci.yml",
            12,
            "coverage",
            "coverage 66.67% is under the threshold 90% (--cov-fail-under / fail_under)",
        )
    ]
    _clean(root)

    _fix(root)
    assert _by_hand(root, tmp_path, pytest_cov) == 0
    assert _run(root, gate, argv=pytest_cov[-2:]).status is Status.PASSED


def _report_gate(
    tmp_path: Path, venv: Path, *, advisory: bool = False, combined: bool = False
) -> CheckResult:
    """CI's `coverage report` reading fail_under = 90, on the commit at 67%."""
    root = _repo(tmp_path, venv)
    gate = CiGate(
        "coverage", 90.0, THRESHOLD_LINE, argv=("report",), advisory=advisory, combined=combined
    )
    return _run(root, gate)


@pytest.mark.slow
def test_a_gate_ci_cannot_fail_on_does_not_block(tmp_path: Path, project_venv: Path) -> None:
    result = _report_gate(tmp_path, project_venv, advisory=True)

    assert result.status is Status.PASSED
    (finding,) = result.findings
    assert not finding.blocking
    assert finding.message == "coverage 67% is under the threshold 90% (fail_under)"
    assert "cannot fail the job" in result.message


@pytest.mark.slow
def test_a_combined_gate_is_named_not_checked(tmp_path: Path, project_venv: Path) -> None:
    result = _report_gate(tmp_path, project_venv, combined=True)

    assert result.status is Status.PASSED
    assert not result.findings
    assert result.message.startswith(
        f"not checked: CI's coverage gate ({THRESHOLD_LINE}) compares 90% with coverage "
        "combined from several CI jobs"
    )


@pytest.mark.slow
def test_the_gate_does_not_run_after_failing_tests(tmp_path: Path, project_venv: Path) -> None:
    """A CI job stops at the failing test step: its coverage report step never runs."""
    root = _repo(tmp_path, project_venv)
    failing = SOME_TESTS.replace("== 2", "== 3")
    (root / "tests" / "test_demo.py").write_text(failing, encoding="utf-8")
    gate = CiGate("coverage", 90.0, THRESHOLD_LINE, argv=("report",))

    result = _run(root, gate)

    assert result.status is Status.FAILED
    assert [f.code for f in result.findings] == ["test-failed"]
