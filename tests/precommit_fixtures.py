"""Session fixtures for driving real pre-commit against this checkout.

``hook_repo`` is a clean git repository of the current checkout's files (tracked, plus untracked
files that are not ignored, so uncommitted work is what gets tested), which a consuming repo's
``.pre-commit-config.yaml`` points at with ``rev:``. ``pre_commit_home`` is one PRE_COMMIT_HOME for
the session, so pre-commit builds the hook's environment (a pip install from PyPI) only once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures import git, make_repo

CHECKOUT = Path(__file__).resolve().parents[1]
PRE_COMMIT = (sys.executable, "-m", "pre_commit")


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str

    def config(self, hook_id: str = "guardrail", *, verbose: bool = False) -> str:
        """A consumer's ``.pre-commit-config.yaml`` using ``hook_id`` from this repo at ``rev``;
        ``verbose`` shows the hook's summary when it passes too."""
        return (
            "repos:\n"
            f"  - repo: {self.path}\n"
            f"    rev: {self.rev}\n"
            "    hooks:\n"
            f"      - id: {hook_id}\n" + ("        verbose: true\n" if verbose else "")
        )


def copy_checkout(dest: Path) -> HookRepo:
    listed = git(CHECKOUT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    dest.mkdir(parents=True)
    for rel in sorted(set(filter(None, listed.split("\0")))):
        src = CHECKOUT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-verify", "-m", "this checkout")
    return HookRepo(dest, git(dest, "rev-parse", "HEAD").stdout.strip())


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    return copy_checkout(tmp_path_factory.mktemp("hook-repo") / "push-guardrail")


def pre_commit_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT_", "GIT_"))}
    env.pop("VIRTUAL_ENV", None)
    env["PRE_COMMIT_HOME"] = str(home)
    env.update(
        GIT_AUTHOR_NAME="Guardrail Tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="Guardrail Tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory, hook_repo: HookRepo) -> Path:
    """A PRE_COMMIT_HOME where the hook's environment is already built."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    consumer = make_repo(
        tmp_path_factory.mktemp("warm") / "consumer",
        {".pre-commit-config.yaml": hook_repo.config()},
    )
    res = subprocess.run(
        [*PRE_COMMIT, "install-hooks"],
        cwd=consumer,
        env=pre_commit_env(home),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return home
