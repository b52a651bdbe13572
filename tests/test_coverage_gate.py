"""CI's coverage gates, run as CI runs them as part of the pytest check: real pytest, coverage
and pytest-cov in temporary git repositories, each verdict compared with the commands run by
hand (the oracle), at a commit under the threshold and at its fix."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hooks.checks.base import CiGate, CiStep
from hooks.engine.plan import Planned
from hooks.engine.run import execute_one
from hooks.findings import CheckResult, Status
from hooks.projects import load_projects
from tests.ci_oracle import oracle
from tests.fixtures import commit_all, git, make_repo, venv_python, write_files

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


# -- CI's gate read from its workflow, through the command line ---------------------------------

GATE_SCRIPT = """import json
import sys
from pathlib import Path

data = json.loads((Path(__file__).parent.parent / "coverage.json").read_text())
total = data["totals"]["percent_covered"]
if total < 80:
    print(f"[FAIL] branch coverage {total:.1f}% < 80%")
    sys.exit(1)
"""
PYTEST_STEP = (
    "python -m pytest -q -p no:cacheprovider --cov=demo --cov-branch "
    "--cov-report=json:coverage.json"
)


def _ci(*steps: str) -> str:
    body = "".join(f"      - run: {step}\n" for step in steps)
    return (
        "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@v4\n{body}"
    )


def _ci_repo(tmp_path: Path, venv: Path, pyproject: str, workflow: str) -> Path:
    files = {
        "pyproject.toml": pyproject,
        "demo/__init__.py": CODE,
        "tests/test_demo.py": SOME_TESTS,
        "tools/gate.py": GATE_SCRIPT,
        ".github/workflows/ci.yml": workflow,
    }
    return make_repo(tmp_path / "repo", files, venv=venv)


def _pytest_check(run: Any) -> dict[str, Any]:
    checks: list[dict[str, Any]] = json.loads(run.out)["checks"]
    return next(c for c in checks if c["name"] == "pytest")


@pytest.mark.slow
def test_ci_s_gate_script_runs_after_the_tests_and_blocks_as_ci_does(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """tunix-rt's shape: CI's pytest step writes coverage.json and the next step runs the
    repository's own `python tools/coverage_gate.py` on it. The guardrail runs that script
    after the tests, on a throwaway copy (the report is never written into the user's tree),
    and its verdict is the script's exit status, as CI's is."""
    workflow = _ci("pip install -e .", PYTEST_STEP, "python tools/gate.py")
    root = _ci_repo(tmp_path, project_venv, '[project]\nname = "demo"\nversion = "0"\n', workflow)
    by_hand = f"{PYTEST_STEP} && python tools/gate.py"

    run = guardrail(root, "run", "--no-cache", "--format", "json")

    assert (run.code, oracle(root, ".", by_hand)) == (1, 1), run
    check = _pytest_check(run)
    (finding,) = check["findings"]
    assert (finding["path"], finding["line"]) == (".github/workflows/ci.yml", 10), finding
    assert "CI's gate tools/gate.py failed (exit 1)" in finding["message"], finding
    assert "[FAIL] branch coverage 62.5% < 80%" in finding["message"], finding
    assert git(root, "status", "--porcelain").stdout == ""
    assert not (root / "coverage.json").exists()
    doctor = guardrail(root, "doctor")
    assert (
        ".github/workflows/ci.yml:10: python tools/gate.py: CI's coverage gate script; the push "
        "hook's pytest check runs it after the tests"
    ) in doctor.out, doctor
    assert "not mirrored" not in doctor.out, doctor

    _fix(root)
    fixed = guardrail(root, "run", "--no-cache", "--format", "json")
    assert (fixed.code, oracle(root, ".", by_hand)) == (0, 0), fixed
    assert "tools/gate.py passed" in _pytest_check(fixed)["counts"], fixed
    assert git(root, "status", "--porcelain").stdout == ""


@pytest.mark.slow
def test_a_script_that_reads_no_report_of_the_tests_is_not_mirrored(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """A Python script whose text names no report CI's pytest step writes is not a gate the
    guardrail can run: it stays named as not mirrored, never silently dropped."""
    workflow = _ci(PYTEST_STEP, "python tools/check_badge.py")
    root = _ci_repo(tmp_path, project_venv, '[project]\nname = "demo"\nversion = "0"\n', workflow)
    write_files(root, {"tools/check_badge.py": "print(open('coverage.xml').read())\n"})
    commit_all(root, "another script")

    run = guardrail(root, "run", "--no-cache")

    assert "python tools/check_badge.py" in run.out, run
    assert "a Python script: not read" in run.out, run


@pytest.mark.slow
def test_ci_s_pytest_cov_with_fail_under_in_the_config_blocks(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """CI runs `pytest --cov=demo` and coverage's own config sets fail_under = 90: pytest-cov
    fails the step at 62.5%. The guardrail keeps CI's --cov options for it (it once dropped
    them as cosmetic, and passed)."""
    workflow = _ci(PYTEST_STEP)
    root = _ci_repo(tmp_path, project_venv, PYPROJECT, workflow)

    run = guardrail(root, "run", "--no-cache", "--format", "json")

    assert (run.code, oracle(root, ".", PYTEST_STEP)) == (1, 1), run
    (finding,) = _pytest_check(run)["findings"]
    assert (finding["path"], finding["line"], finding["code"]) == ("pyproject.toml", 9, "coverage")
    assert git(root, "status", "--porcelain").stdout == ""
    _fix(root)
    fixed = guardrail(root, "run", "--no-cache")
    assert (fixed.code, oracle(root, ".", PYTEST_STEP)) == (0, 0), fixed
