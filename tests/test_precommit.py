"""The guardrail through real pre-commit and real prek, as a consuming repository uses it (a git
repo of this checkout referenced with ``rev:``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    commit_all,
    fix_motivating,
    git,
    make_repo,
    motivating_files,
)
from tests.precommit_fixtures import PRE_COMMIT, HookRepo, Host, pre_commit_env


def _run(cmd: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=pre_commit_env(home), capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_try_repo_all_files_fails_on_the_motivating_repo(
    motivating_repo: Path, hook_repo: HookRepo, pre_commit_home: Path
) -> None:
    cmd = [*PRE_COMMIT, "try-repo", str(hook_repo.path), "guardrail"]
    res = _run([*cmd, "--ref", hook_repo.rev, "--all-files"], motivating_repo, pre_commit_home)
    assert res.returncode == 1, res.stdout + res.stderr
    _blocked(res)


def _blocked(res: subprocess.CompletedProcess[str]) -> None:
    out = res.stdout + res.stderr
    assert res.returncode not in (0, 2), out
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in out, out
    assert "Push blocked: mypy failed." in out, out


@pytest.mark.slow
def test_run_all_files_fails_then_passes(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, host: Host
) -> None:
    """``pre-commit run --all-files`` / ``prek run --all-files`` runs the whole chain."""
    files = {**motivating_files(), ".pre-commit-config.yaml": hook_repo.config()}
    repo = make_repo(tmp_path / "tunix-rt", files, venv=project_venv)
    _blocked(host.run(repo, "run", "--all-files"))

    fix_motivating(repo)
    res = host.run(repo, "run", "--all-files")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "guardrail (ruff check, ruff format, mypy, pytest)" in out and "Passed" in out, out


@pytest.mark.slow
def test_pre_push_hook_refuses_then_lets_the_fix_through(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, host: Host
) -> None:
    files = {**motivating_files(), ".pre-commit-config.yaml": hook_repo.config()}
    repo = make_repo(tmp_path / "tunix-rt", files, venv=project_venv)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    res = host.run(repo, "install", "--hook-type", "pre-push")
    assert res.returncode == 0, res.stdout + res.stderr
    assert host.name in (repo / ".git" / "hooks" / "pre-push").read_text()

    res = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, env=host.env, capture_output=True, text=True
    )
    _blocked(res)
    assert git(remote, "for-each-ref").stdout == "", "the remote must keep its old (empty) state"

    fix_motivating(repo)
    fixed = commit_all(repo, "export: dict[str, Any]")
    res = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, env=host.env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert git(remote, "rev-parse", "refs/heads/main").stdout.strip() == fixed
