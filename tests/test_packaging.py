"""The release artefacts: ``python -m build`` on a clean copy of this checkout, ``twine check``,
what the sdist and the wheel hold, and the wheel installed into a fresh venv, run for real."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from hooks import __version__
from tests.fixtures import commit_all, git, make_repo, once, write_files
from tests.precommit_fixtures import HookRepo

pytestmark = pytest.mark.slow

PLUGIN = "hooks/checks/pytest_plugin/guardrail_pytest_plugin.py"


@dataclass(frozen=True)
class Dist:
    source: Path
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory, hook_repo: HookRepo) -> Dist:
    def build(out: Path) -> str:
        built = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(out), str(hook_repo.path)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert built.returncode == 0, built.stdout + built.stderr
        return ""

    out, _ = once(tmp_path_factory, "dist", build)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    assert sdist.name == f"push_guardrail-{__version__}.tar.gz"
    assert wheel.name == f"push_guardrail-{__version__}-py3-none-any.whl"
    return Dist(hook_repo.path, sdist, wheel)


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory, dist: Dist) -> Path:
    """A fresh venv with the wheel (and its dependencies, from the package index) installed."""

    def build(folder: Path) -> str:
        venv = folder / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        installed = subprocess.run(
            [str(bin_of(venv) / "python"), "-m", "pip", "install", "-q", str(dist.wheel)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert installed.returncode == 0, installed.stdout + installed.stderr
        return ""

    return once(tmp_path_factory, "wheel-venv", build)[0] / "venv"


def bin_of(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def test_twine_accepts_the_sdist_and_the_wheel(dist: Dist) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist.sdist), str(dist.wheel)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("PASSED") == 2, res.stdout


def test_the_sdist_is_the_repositorys_tracked_files(dist: Dist) -> None:
    prefix = f"push_guardrail-{__version__}/"
    with tarfile.open(dist.sdist) as tar:
        members = {m.name.removeprefix(prefix) for m in tar.getmembers() if m.isfile()}
    tracked = set(filter(None, git(dist.source, "ls-files", "-z").stdout.split("\0")))
    assert members - {"PKG-INFO"} == tracked
    for must in (
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "pyproject.toml",
        ".pre-commit-hooks.yaml",
        "action.yml",
        "tests/conftest.py",
        "examples/org-hook-repo/.pre-commit-hooks.yaml",
        "examples/org-hook-repo/pyproject.toml",
        "docs/organisation.md",
        PLUGIN,
    ):
        assert must in members, must


def test_the_wheel_holds_the_package_with_its_pytest_plugin(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as whl:
        names = set(whl.namelist())
        entry_points = whl.read(f"push_guardrail-{__version__}.dist-info/entry_points.txt")
    tracked = git(dist.source, "ls-files", "-z", "hooks").stdout.split("\0")
    assert {n for n in names if not n.startswith("push_guardrail-")} == set(filter(None, tracked))
    assert PLUGIN in names
    assert "guardrail = hooks.cli:main" in entry_points.decode()


TINY_PYPROJECT = """\
[project]
name = "tiny"
version = "0.1.0"
requires-python = ">=3.11"

[tool.mypy]
strict = true
"""
TINY_TEST = """\
from tiny import double


def test_double() -> None:
    assert double(2) == 4
"""


def test_the_installed_wheel_runs(wheel_venv: Path, project_venv: Path, tmp_path: Path) -> None:
    exe = str(bin_of(wheel_venv) / "guardrail")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert (version.returncode, version.stdout) == (0, f"guardrail {__version__}\n")

    repo = make_repo(
        tmp_path / "tiny",
        {
            "pyproject.toml": TINY_PYPROJECT,
            "tiny/__init__.py": "def double(x: int) -> int:\n    return 2 * x\n",
            "tests/test_tiny.py": TINY_TEST,
        },
        venv=project_venv,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUARDRAIL", "GITHUB_"))}

    def run() -> subprocess.CompletedProcess[str]:
        argv = [exe, "run", "--tools", "bundled", "--no-cache"]
        return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)

    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "All 4 checks passed" in clean.stdout, clean.stdout
    for tool in ("ruff", "mypy"):
        assert re.search(rf"\b{tool} [0-9.]+ \(bundled\)", clean.stdout), clean.stdout

    write_files(repo, {"tiny/__init__.py": "def double(x):\n    return 2 * x\n"})
    commit_all(repo, "double: drop the annotations")
    broken = run()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "tiny/__init__.py:1:1: no-untyped-def" in broken.stdout, broken.stdout
    assert "Push blocked: mypy failed." in broken.stdout, broken.stdout
