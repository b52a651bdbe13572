"""Checks in parallel, for real: overlap, order, strict ``--jobs 1``, fail-fast cancelling.

Two projects' test suites meet at a rendezvous of marker files outside the repository. Whether
one suite could see the other running tells, from the tools' side, whether the checks overlapped;
no timing is asserted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.fixtures import make_repo

ROOT_PYPROJECT = """\
[tool.guardrail]
projects = ["a", "b"]
"""

PROJECT = """\
[project]
name = "{name}"
version = "0.1.0"

[tool.ruff]
line-length = 400

# The tools get a scrubbed environment; the rendezvous timeout must reach the test suites.
[tool.guardrail]
pass_env = ["RENDEZVOUS_SECONDS"]
"""

RENDEZVOUS = """\
import os
import time
from pathlib import Path

MARKS = Path("{marks}")


def mark(name: str) -> None:
    (MARKS / name).write_text(str(os.getpid()))


def seen(name: str) -> bool:
    deadline = time.monotonic() + float(os.environ["RENDEZVOUS_SECONDS"])
    while not (MARKS / name).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
"""

WAITS_FOR_B_TO_FINISH = """\
from rendezvous_a import mark, seen


def test_a() -> None:
    mark("a.started")
    assert seen("b.done"), "b never finished while a was running"
"""

WAITS_FOR_A_TO_START = """\
from rendezvous_b import mark, seen


def test_b() -> None:
    mark("b.started")
    assert seen("a.started"), "a was not running"
    mark("b.done")
"""

FAILS_ONCE_B_RUNS = """\
from rendezvous_a import mark, seen


def test_a() -> None:
    mark("a.started")
    assert seen("b.started"), "b never started"
    assert False, "a fails while b is still running"
"""

SLEEPS = """\
import time

from rendezvous_b import mark


def test_b() -> None:
    mark("b.started")
    time.sleep(300)
    mark("b.done")
"""


def _repo(tmp_path: Path, venv: Path, test_a: str, test_b: str) -> tuple[Path, Path]:
    marks = tmp_path / "marks"
    marks.mkdir()
    files = {"pyproject.toml": ROOT_PYPROJECT}
    for name, test in (("a", test_a), ("b", test_b)):
        files[f"{name}/pyproject.toml"] = PROJECT.format(name=name)
        files[f"{name}/tests/rendezvous_{name}.py"] = RENDEZVOUS.format(marks=marks)
        files[f"{name}/tests/test_{name}.py"] = test
    return make_repo(tmp_path / "repo", files, venv=venv), marks


def _status_lines(out: str) -> list[tuple[str, str]]:
    """(label, status) of every check line that was not skipped, in the order printed."""
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if (
            line.startswith("  ")
            and len(parts) >= 4
            and parts[2].startswith("(")
            and parts[3] != "skipped"
        ):
            rows.append((f"{parts[1]} {parts[2]}", parts[3]))
    return rows


@pytest.mark.slow
def test_jobs_two_overlaps_and_keeps_the_guardrail_order(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """b finishes first (a waits for it), yet a is reported first."""
    root, marks = _repo(tmp_path, project_venv, WAITS_FOR_B_TO_FINISH, WAITS_FOR_A_TO_START)
    monkeypatch.setenv("RENDEZVOUS_SECONDS", "300")
    run = guardrail(root, "run", "--only", "pytest", "--jobs", "2", "--no-cache")
    assert run.code == 0, run
    assert _status_lines(run.out) == [
        ("pytest (a)", "passed"),
        ("pytest (b)", "passed"),
    ], run
    assert (marks / "b.done").exists()


@pytest.mark.slow
def test_jobs_one_is_strictly_sequential(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one job b cannot start while a runs, so a's wait for b runs out."""
    root, marks = _repo(tmp_path, project_venv, WAITS_FOR_B_TO_FINISH, WAITS_FOR_A_TO_START)
    monkeypatch.setenv("RENDEZVOUS_SECONDS", "3")
    run = guardrail(root, "run", "--only", "pytest", "--jobs", "1", "--no-cache")
    assert run.code == 1, run
    assert _status_lines(run.out) == [
        ("pytest (a)", "failed"),
        ("pytest (b)", "passed"),
    ], run
    assert "b never finished while a was running" in run.out
    assert (marks / "b.done").exists()


@pytest.mark.slow
def test_jobs_config_key_limits_concurrency(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = _repo(tmp_path, project_venv, WAITS_FOR_B_TO_FINISH, WAITS_FOR_A_TO_START)
    (root / "a" / "pyproject.toml").write_text(
        PROJECT.format(name="a") + "jobs = 1\n", encoding="utf-8"
    )
    monkeypatch.setenv("RENDEZVOUS_SECONDS", "3")
    run = guardrail(root, "run", "--only", "pytest", "--no-cache")
    assert _status_lines(run.out)[0] == ("pytest (a)", "failed"), run


@pytest.mark.slow
def test_fail_fast_kills_a_running_later_check_and_reports_it_not_run(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, marks = _repo(tmp_path, project_venv, FAILS_ONCE_B_RUNS, SLEEPS)
    monkeypatch.setenv("RENDEZVOUS_SECONDS", "300")
    run = guardrail(root, "run", "--only", "pytest", "--jobs", "2", "--fail-fast", "--no-cache")
    assert run.code == 1, run
    assert _status_lines(run.out) == [
        ("pytest (a)", "failed"),
        ("pytest (b)", "not"),
    ], run
    assert "cancelled by --fail-fast" in run.out
    assert "Push blocked: pytest (a) failed." in run.out
    pid = int((marks / "b.started").read_text())
    assert not (marks / "b.done").exists()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.slow
def test_fail_fast_with_one_job_never_starts_later_checks(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, marks = _repo(tmp_path, project_venv, FAILS_ONCE_B_RUNS, SLEEPS)
    monkeypatch.setenv("RENDEZVOUS_SECONDS", "1")
    run = guardrail(root, "run", "--only", "pytest", "--jobs", "1", "--fail-fast", "--no-cache")
    assert run.code == 1, run
    assert _status_lines(run.out) == [("pytest (a)", "failed"), ("pytest (b)", "not")], run
    assert "not run: an earlier check failed" in run.out
    assert not (marks / "b.started").exists()


@pytest.mark.slow
def test_all_four_checks_in_parallel_report_in_order(motivating_repo: Path, guardrail: Any) -> None:
    run = guardrail(motivating_repo, "run", "--jobs", "4", "--no-cache")
    checks = [
        line.split()[1]
        for line in run.out.splitlines()
        if line.startswith("  ") and len(line.split()) > 2 and line.split()[0] in ("ok", "FAIL")
    ]
    assert checks == ["ruff-check", "ruff-format", "mypy", "pytest"], run
    assert run.code == 1


XDIST_TESTS = """\
import os


def test_in_a_worker() -> None:
    assert os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw")


def test_fails() -> None:
    assert 1 + 1 == 3
"""


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [True, False])
def test_pytest_parallel_uses_xdist_workers_and_keeps_locations(
    tmp_path: Path,
    project_venv: Path,
    guardrail: Any,
    parallel: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # When this suite itself runs under xdist, its worker variables would leak into the project.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    pyproject = PROJECT.format(name="p")
    if parallel:
        pyproject += "\n[tool.guardrail.pytest]\nparallel = true\n"
    root = make_repo(
        tmp_path / "repo",
        {"pyproject.toml": pyproject, "tests/test_p.py": XDIST_TESTS},
        venv=project_venv,
    )
    run = guardrail(root, "run", "--only", "pytest", "--no-cache", "--verbose")
    assert run.code == 1, run
    assert "tests/test_p.py:9: test-failed tests/test_p.py::test_fails" in run.out, run
    if parallel:
        assert "-n auto" in run.out
        assert "1 failed, 1 passed" in run.out
    else:
        assert "-n auto" not in run.out
        assert "2 failed" in run.out
