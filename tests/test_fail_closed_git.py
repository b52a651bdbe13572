"""Fail closed across runs: a file deleted in the pushed commit, and two runs at once."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import git, make_repo
from tests.test_fail_closed import SOURCE_ROOT, small_project

USES_OLD = "from pkg.old import VALUE\n\n\ndef test_old() -> None:\n    assert VALUE == 1\n"


def test_a_file_deleted_in_the_pushed_commit_is_missing_from_the_check(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = small_project(files={"pkg/old.py": "VALUE: int = 1\n", "tests/test_old.py": USES_OLD})
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    before = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "rm", "-q", "--cached", "pkg/old.py")  # deleted in the commit, kept on disk
    git(repo, "commit", "-q", "--no-verify", "-m", "drop pkg/old.py")
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert (repo / "pkg" / "old.py").exists()

    in_place = guardrail(repo, "run", "--no-cache")
    assert in_place.code == 0, in_place  # the working tree still has the file

    monkeypatch.setattr(
        "sys.stdin", io.StringIO(f"refs/heads/main {head} refs/heads/main {before}\n")
    )
    pushed = guardrail(repo, "pre-push", "origin", "unused-url", "--no-cache")
    assert pushed.code == 1, pushed
    assert "tests/test_old.py:1: collection-error" in pushed.out, pushed
    assert "ModuleNotFoundError" in pushed.out
    assert (repo / "pkg" / "old.py").read_text() == "VALUE: int = 1\n"


def test_two_runs_at_once_both_finish_and_the_cache_stays_sound(
    tmp_path: Path, project_venv: Path
) -> None:
    repo = make_repo(tmp_path / "repo", small_project(), venv=project_venv)
    env = {**os.environ, "PYTHONPATH": SOURCE_ROOT}

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "hooks", "run"],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first, second = start(), start()
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == second.returncode == 0, results
    for out, _ in results:
        assert "All 4 checks passed" in out

    third = subprocess.run(
        [sys.executable, "-m", "hooks", "run"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert third.returncode == 0 and "cached" in third.stdout, third.stdout

    (repo / "pkg" / "calc.py").write_text("def add(a: int, b: int) -> int:\n    return a - b\n")
    fourth = subprocess.run(
        [sys.executable, "-m", "hooks", "run"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert fourth.returncode == 1, fourth.stdout
    assert "tests/test_calc.py:5: test-failed" in fourth.stdout


def test_the_mypy_lock_serialises_runs_and_gives_way_to_cancel() -> None:
    import threading

    from hooks import locks

    cancel = threading.Event()
    seen: list[bool] = []

    def second_run() -> None:
        with locks.held("test:serialise", cancel) as second:
            seen.append(second)

    with locks.held("test:serialise") as first:
        assert first
        waiting = threading.Thread(target=second_run)
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive() and seen == []  # another holder: it waits
        cancel.set()
        waiting.join(5)
    assert seen == [False]  # and gives up once cancelled
    with locks.held("test:serialise", cancel) as again:
        assert again  # free again


def test_pytest_that_runs_no_test_is_not_a_pass(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = small_project('\n[tool.guardrail.pytest]\nargs = ["--collect-only"]\n')
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "pytest", "--no-cache")
    assert run.code == 1, run
    assert "pytest exited 0 but ran no test" in run.out
