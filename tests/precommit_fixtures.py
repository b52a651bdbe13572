"""Session fixtures for driving real pre-commit and prek against this checkout.

``hook_repo`` is a clean git repository of the current checkout's files (tracked, plus untracked
files that are not ignored, so uncommitted work is what gets tested), which a consuming repo's
``.pre-commit-config.yaml`` points at with ``rev:``. ``pre_commit_home`` is one PRE_COMMIT_HOME for
the session, so pre-commit builds the hook's environment (a pip install from PyPI) only once;
``prek_home`` is the same for prek (PREK_HOME; prek builds it with the uv installed beside it).
``host`` runs a test under each of the two.

Under pytest-xdist a session fixture is built once per worker; these three are built once per
run instead (:func:`tests.fixtures.once`), so every worker shares one hook repo and one hook
environment per host. They are read-only to the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures import git, make_repo, once

CHECKOUT = Path(__file__).resolve().parents[1]
PRE_COMMIT = (sys.executable, "-m", "pre_commit")
PREK = (str(Path(sys.executable).parent / "prek"),)
HOSTS = ("pre-commit", "prek")


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
    folder, rev = once(
        tmp_path_factory, "hook-repo", lambda f: copy_checkout(f / "push-guardrail").rev
    )
    return HookRepo(folder / "push-guardrail", rev)


def pre_commit_env(home: Path, *, variable: str = "PRE_COMMIT_HOME") -> dict[str, str]:
    """The environment a hook manager runs in, with ``home`` as its cache (``variable``)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT_", "PREK_", "GIT_"))
    }
    env.pop("VIRTUAL_ENV", None)
    env[variable] = str(home)
    env.update(
        GIT_AUTHOR_NAME="Guardrail Tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="Guardrail Tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@dataclass(frozen=True)
class Host:
    """A hook manager (pre-commit or prek) with its session cache, where the guardrail hook's
    environment is already built."""

    name: str
    argv: tuple[str, ...]
    home: Path

    @property
    def env(self) -> dict[str, str]:
        variable = "PREK_HOME" if self.name == "prek" else "PRE_COMMIT_HOME"
        return pre_commit_env(self.home, variable=variable)

    def run(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.argv, *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=900
        )


def _warm(host: Host, hook_repo: HookRepo, where: Path) -> Host:
    consumer = make_repo(where / "consumer", {".pre-commit-config.yaml": hook_repo.config()})
    prepare = ("prepare-hooks",) if host.name == "prek" else ("install-hooks",)
    res = host.run(consumer, *prepare)
    assert res.returncode == 0, res.stdout + res.stderr
    return host


def _warm_home(
    factory: pytest.TempPathFactory, hook_repo: HookRepo, name: str, argv: tuple[str, ...]
) -> Path:
    def build(folder: Path) -> str:
        _warm(Host(name, argv, folder / "home"), hook_repo, folder / "warm")
        return ""

    folder, _ = once(factory, f"{name}-home", build)
    return folder / "home"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory, hook_repo: HookRepo) -> Path:
    """A PRE_COMMIT_HOME where the hook's environment is already built."""
    return _warm_home(tmp_path_factory, hook_repo, "pre-commit", PRE_COMMIT)


@pytest.fixture(scope="session")
def prek_home(tmp_path_factory: pytest.TempPathFactory, hook_repo: HookRepo) -> Path:
    """A PREK_HOME where the hook's environment is already built."""
    return _warm_home(tmp_path_factory, hook_repo, "prek", PREK)


@pytest.fixture(params=HOSTS)
def host(request: pytest.FixtureRequest) -> Host:
    """Each hook manager in turn, its session cache warm."""
    if request.param == "prek":
        return Host("prek", PREK, request.getfixturevalue("prek_home"))
    return Host("pre-commit", PRE_COMMIT, request.getfixturevalue("pre_commit_home"))
