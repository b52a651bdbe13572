"""The documented escape hatches through real pre-commit and a real ``git push``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import GIT_ENV, git, make_repo, motivating_files

GUARDRAIL = str(Path(sys.executable).parent / "guardrail")


def local_hook_config() -> str:
    return (
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: guardrail\n"
        "        name: guardrail\n"
        f"        entry: {GUARDRAIL} run\n"
        "        language: unsupported\n"
        "        pass_filenames: false\n"
        "        always_run: true\n"
        "        verbose: true\n"
        "        stages: [pre-commit, pre-push, manual]\n"
    )


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), **extra}


@pytest.fixture
def hooked_repo(tmp_path: Path, project_venv: Path) -> Path:
    files = motivating_files()
    files[".pre-commit-config.yaml"] = local_hook_config()
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run(
        [*pre_commit, "install", "--hook-type", "pre-push"],
        cwd=repo,
        env=env(tmp_path),
        check=True,
        capture_output=True,
    )
    return repo


def run(cmd: list[str], cwd: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=environ, capture_output=True, text=True, timeout=600)


def test_skip_guardrail_is_pre_commits_switch(hooked_repo: Path, tmp_path: Path) -> None:
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files", "guardrail"]
    blocked = run(pre_commit, hooked_repo, env(tmp_path))
    assert blocked.returncode == 1, blocked.stdout
    assert "datasets_export.py:72:" in blocked.stdout
    skipped = run(pre_commit, hooked_repo, env(tmp_path, SKIP="guardrail"))
    assert skipped.returncode == 0, skipped.stdout
    assert "Skipped" in skipped.stdout


def test_push_blocked_then_no_verify_goes_through(hooked_repo: Path, tmp_path: Path) -> None:
    push = ["git", "push", "-q", "origin", "main"]
    refused = run(push, hooked_repo, env(tmp_path))
    assert refused.returncode != 0
    assert "datasets_export.py:95:" in refused.stdout + refused.stderr
    remote = tmp_path / "remote.git"
    assert (
        git(remote, "rev-parse", "--verify", "-q", "refs/heads/main", check=False).returncode != 0
    )

    forced = run([*push[:2], "--no-verify", *push[2:]], hooked_repo, env(tmp_path))
    assert forced.returncode == 0, forced.stderr
    head = git(hooked_repo, "rev-parse", "HEAD").stdout
    assert git(remote, "rev-parse", "refs/heads/main").stdout == head


def test_guardrail_0_lets_the_push_through_loudly(hooked_repo: Path, tmp_path: Path) -> None:
    push = ["git", "push", "-q", "origin", "main"]
    done = run(push, hooked_repo, env(tmp_path, GUARDRAIL="0"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ALL CHECKS SKIPPED" in done.stdout + done.stderr
