"""examples/org-hook-repo end to end, through real pre-commit and a real ``git push``.

The example becomes a git repo tagged ``v1.0.0``; its dependency on push-guardrail points at a
wheel built from this checkout (the only change to the example), so the hook environment
installs this code plus the org's pinned ruff and mypy from the package index. A consuming
repository references it with ``rev: v1.0.0`` and pushes to a local bare remote.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from hooks import __version__
from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    commit_all,
    fix_motivating,
    git,
    make_repo,
    motivating_files,
    once,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "org-hook-repo"
BIN = Path(sys.executable).parent
ORG_REV = "v1.0.0"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class OrgRepo:
    path: Path
    pins: dict[str, str]
    pre_commit_home: Path


def _pins() -> dict[str, str]:
    deps = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    return dict(d.split("==", 1) for d in deps if "==" in d)


@pytest.fixture(scope="session")
def org_repo(tmp_path_factory: pytest.TempPathFactory) -> OrgRepo:
    """The example as a tagged git repo, depending on a wheel of this checkout; with one
    PRE_COMMIT_HOME, shared by xdist's workers, where the first push builds the hook's env."""

    def build(folder: Path) -> str:
        wheels = folder / "wheels"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
            check=True,
            capture_output=True,
        )
        (wheel,) = wheels.glob(f"push_guardrail-{__version__}-*.whl")
        files = {
            p.name: p.read_text(encoding="utf-8")
            for p in EXAMPLE.iterdir()
            if p.is_file() and p.name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md")
        }
        pinned = f'"push-guardrail=={__version__}"'
        assert pinned in files["pyproject.toml"]
        files["pyproject.toml"] = files["pyproject.toml"].replace(
            pinned, f'"push-guardrail @ {wheel.as_uri()}"'
        )
        path = make_repo(folder / "org" / "acme-guardrail-hooks", files)
        git(path, "tag", ORG_REV)
        (folder / "pre-commit-home").mkdir()
        return ""

    folder, _ = once(tmp_path_factory, "org-hook-repo", build)
    return OrgRepo(folder / "org" / "acme-guardrail-hooks", _pins(), folder / "pre-commit-home")


def _env(org: OrgRepo) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GUARDRAIL"))}
    env.pop("VIRTUAL_ENV", None)
    env["PRE_COMMIT_HOME"] = str(org.pre_commit_home)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _consumer(root: Path, org: OrgRepo, venv: Path, hook_extra: str = "") -> tuple[Path, Path]:
    config = (
        "repos:\n"
        f"  - repo: {org.path}\n"
        f"    rev: {ORG_REV}\n"
        "    hooks:\n"
        "      - id: acme-guardrail\n"
        "        stages: [pre-push]\n"
        f"{hook_extra}"
    )
    repo = make_repo(
        root / "tunix-rt",
        {**motivating_files(), ".pre-commit-config.yaml": config},
        venv=venv,
    )
    remote = root / "remote.git"
    git(root, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    installed = subprocess.run(
        [str(BIN / "pre-commit"), "install", "--hook-type", "pre-push"],
        cwd=repo,
        env=_env(org),
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return repo, remote


def _push(repo: Path, org: OrgRepo) -> subprocess.CompletedProcess[str]:
    env = _env(org)
    return subprocess.run(
        ["git", "push", "origin", "main"],
        cwd=repo,
        env={**env, "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
    )


def _remote_has_main(remote: Path) -> bool:
    found = git(remote, "rev-parse", "--verify", "-q", "refs/heads/main", check=False)
    return found.returncode == 0


def test_push_is_blocked_with_the_orgs_args_and_pinned_versions(
    tmp_path: Path, org_repo: OrgRepo, project_venv: Path
) -> None:
    assert org_repo.pins["mypy"] != metadata.version("mypy"), "pin differs from the project env's"
    repo, remote = _consumer(tmp_path, org_repo, project_venv)

    pushed = _push(repo, org_repo)
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, out
    assert not _remote_has_main(remote)
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in out, out
    assert "Push blocked: mypy failed." in out, out
    assert f"mypy {org_repo.pins['mypy']} (bundled)" in out, out
    assert f"ruff {org_repo.pins['ruff']} (bundled)" in out, out
    assert f"mypy failed (mypy {org_repo.pins['mypy']})" in out, out
    assert (
        "note: hook args (organisation defaults; [tool.guardrail] overrides them): "
        "--mypy-arg=--warn-unreachable --timeout pytest=900 --tools bundled --require mypy "
        "--enforce tools"
    ) in out, out

    fix_motivating(repo)
    commit_all(repo, "export: type the records")
    pushed = _push(repo, org_repo)
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode == 0, out
    assert "acme guardrail (ruff check, ruff format, mypy, pytest)" in out, out
    assert "Passed" in out and "Push blocked" not in out, out
    assert _remote_has_main(remote)


def test_consumer_args_replace_the_defaults_but_not_the_entry(
    tmp_path: Path, org_repo: OrgRepo, project_venv: Path
) -> None:
    """A consumer's ``args:`` replace the manifest's; the entry's --require still holds."""
    repo, remote = _consumer(tmp_path, org_repo, project_venv, "        args: [--skip, pytest]\n")
    backend = repo / "backend" / "pyproject.toml"
    backend.write_text(
        backend.read_text(encoding="utf-8")
        + '\n[tool.guardrail]\nchecks = ["ruff-check", "ruff-format", "pytest"]\n',
        encoding="utf-8",
    )
    commit_all(repo, "backend: drop mypy")

    pushed = _push(repo, org_repo)
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, out
    assert not _remote_has_main(remote)
    assert "backend/pyproject.toml: [tool.guardrail] checks" in out, out
    assert "--require mypy" in out, out

    git(repo, "reset", "-q", "--hard", "HEAD~1")
    pushed = _push(repo, org_repo)
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, out
    assert "--skip pytest" in out and "--mypy-arg=--warn-unreachable" not in out, out
    assert "Push blocked: mypy failed." in out, out
