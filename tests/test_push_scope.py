"""What a push checks (issue 11 rows 3, 4, 5, 7, 8 and 12): every project on every push, the
pushed tip even when the push changes nothing, only real projects, and a snapshot as complete as
CI's checkout (submodules, the version file the install step generates, the pushed copy of every
editable install inside the repository).

Each test drives a real ``git push`` to a local bare remote through ``guardrail install`` with
real ruff, mypy and pytest, and asserts that the user's working tree, index and venv are left
exactly as they were.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import GUARDRAIL_EXE
from tests.fixtures import (
    GIT_ENV,
    commit_all,
    git,
    make_project_venv,
    make_repo,
    venv_python,
    write_files,
)

pytestmark = pytest.mark.slow
PIP = (sys.executable, "-m", "pip")


def _digest(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file under ``root`` (symlinks not followed) by its bytes; ``__pycache__`` is left
    out: Python itself writes bytecode beside what it imports."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [
            d for d in dirnames if d != "__pycache__" and not (here == root and d in skip)
        ]
        for name in filenames:
            path = here / name
            if path.is_symlink():
                found[str(path.relative_to(root))] = "-> " + os.readlink(path)
            elif path.is_file():
                found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@dataclass
class Pushing:
    """A repository with a bare remote ``origin`` and the guardrail's pre-push hook."""

    repo: Path
    remote: Path
    venv: Path | None

    def push(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT_"))}
        return subprocess.run(
            ["git", "-c", "protocol.file.allow=always", "push", *args],
            cwd=self.repo,
            env={**env, **GIT_ENV},
            capture_output=True,
            text=True,
            timeout=900,
        )

    def check(self, *args: str, passes: bool) -> str:
        """``git push ARGS``: assert it went through (or was refused) and left the user's files,
        index and venv alone; the hook's output."""
        before = self.state()
        res = self.push(*args)
        out = res.stdout + res.stderr
        assert (res.returncode == 0) == passes, out
        assert self.state() == before, out
        return out

    def remote_sha(self, branch: str) -> str | None:
        res = git(self.remote, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False)
        return res.stdout.strip() or None

    def state(self) -> dict[str, object]:
        """What no check may write: the working tree's files (untracked and ignored ones too),
        the index, HEAD, the local branches, and every file of the project's venv."""
        return {
            "files": _digest(self.repo, skip=(".git",)),
            "index": hashlib.sha256((self.repo / ".git" / "index").read_bytes()).hexdigest(),
            "head": git(self.repo, "rev-parse", "HEAD").stdout,
            "branches": git(self.repo, "for-each-ref", "refs/heads").stdout,
            "venv": _digest(self.venv) if self.venv is not None else {},
            "submodules": {
                str(path.relative_to(self.repo)): path.read_bytes()
                for path in sorted((self.repo / ".git" / "modules").rglob("*"))
                if path.name in ("HEAD", "index") and path.is_file()
            },
        }


def pushing(where: Path, files: dict[str, str], *, venv: Path | None) -> Pushing:
    """``files`` committed and pushed (hooks off) to a bare remote, then ``guardrail install``."""
    return connect(make_repo(where / "repo", files, venv=venv), venv=venv)


def connect(repo: Path, *, venv: Path | None) -> Pushing:
    """Push ``repo``'s main (hooks off) to a new bare remote, then ``guardrail install``."""
    remote = repo.parent / "remote.git"
    git(repo.parent, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    res = subprocess.run(
        [GUARDRAIL_EXE, "install", "--no-background"], cwd=repo, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return Pushing(repo, remote, venv)


# Row 8 ----------------------------------------------------------------------------------------

LIMITS_TEST = """\
import json
from pathlib import Path

from app.core import limit


def test_limit_matches_the_shared_data() -> None:
    data = json.loads((Path(__file__).parents[2] / "data" / "limits.json").read_text())
    assert data["limit"] == limit()
"""


def _monorepo_backend(push: str = "") -> dict[str, str]:
    setting = f'\n[tool.guardrail]\npush = "{push}"\n' if push else ""
    return {
        "backend/pyproject.toml": '[project]\nname = "app"\nversion = "0"\n' + setting,
        "backend/app/__init__.py": "",
        "backend/app/core.py": "def limit() -> int:\n    return 3\n",
        "backend/tests/test_limits.py": LIMITS_TEST,
        "data/limits.json": '{"limit": 3}\n',
        "ruff.toml": "line-length = 100\n",
    }


def test_a_push_outside_every_project_checks_every_project(
    tmp_path: Path, project_venv: Path
) -> None:
    """Row 8: the push changes only a data file the tests read and the root ruff.toml that every
    project inherits. CI (no path filter) runs backend's checks and fails; so does the push.
    With ``push = "changed"`` the project asks to be skipped, and is, with a note."""
    p = pushing(tmp_path, _monorepo_backend(), venv=project_venv)
    base = p.remote_sha("main")
    write_files(
        p.repo,
        {
            "data/limits.json": '{"limit": 4}\n',
            "ruff.toml": 'line-length = 100\n[lint]\nselect = ["D1"]\n',
        },
    )
    commit_all(p.repo, "shared data and lint config only")
    out = p.check("origin", "main", passes=False)
    assert p.remote_sha("main") == base
    assert "backend/app/core.py:1:1: D100" in out, out
    assert "backend/tests/test_limits.py:9" in out, out
    assert "Push blocked: ruff-check, pytest did not pass." in out, out

    git(p.repo, "reset", "-q", "--hard", "origin/main")
    write_files(p.repo, _monorepo_backend(push="changed"))
    commit_all(p.repo, "backend: check only pushes that change it")
    p.check("origin", "main", passes=True)
    write_files(p.repo, {"data/limits.json": '{"limit": 4}\n'})
    commit_all(p.repo, "data only")
    out = p.check("origin", "main", passes=True)
    assert (
        "Nothing to check: the push changes none of the projects (backend), which all set "
        'push = "changed".' in out
    ), out


# Row 12 ---------------------------------------------------------------------------------------

PKG_FILES = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
    "pkg/__init__.py": "",
    "pkg/core.py": "def answer() -> int:\n    return 42\n",
    "tests/test_core.py": (
        "from pkg.core import answer\n\n\ndef test_answer() -> None:\n    assert answer() == 42\n"
    ),
}
BROKEN_CORE = 'def answer() -> int:\n    return "42"\n'


def test_a_push_that_changes_nothing_checks_the_pushed_tip(
    tmp_path: Path, project_venv: Path
) -> None:
    """Row 12: a new branch at a commit the remote already has, and an update whose net diff is
    empty, each run CI on the pushed tip; a broken tip (pushed earlier with --no-verify) blocks
    both. A tip verified green passes at once, from the verdict cache."""
    p = pushing(tmp_path, PKG_FILES, venv=project_venv)
    write_files(p.repo, {"pkg/core.py": BROKEN_CORE})
    broken = commit_all(p.repo, "broken")
    git(p.repo, "push", "-q", "--no-verify", "origin", "main")

    out = p.check("origin", "main:feature", passes=False)
    assert p.remote_sha("feature") is None
    assert "pkg/core.py:2:" in out, out
    assert "tests/test_core.py:5" in out, out

    write_files(p.repo, {"notes.txt": "temporary\n"})
    commit_all(p.repo, "add notes")
    git(p.repo, "rm", "-q", "notes.txt")
    empty = commit_all(p.repo, "remove notes")
    assert git(p.repo, "diff", "--name-only", broken, empty).stdout == ""
    out = p.check("origin", "main", passes=False)
    assert p.remote_sha("main") == broken
    assert "tests/test_core.py:5" in out, out

    write_files(p.repo, {"pkg/core.py": PKG_FILES["pkg/core.py"]})
    fixed = commit_all(p.repo, "fixed")
    p.check("origin", "main", passes=True)
    out = p.check("origin", "main:release", passes=True)
    assert p.remote_sha("release") == fixed
    assert "All 4 checks passed" in out and "cached" in out, out


# Row 3 ----------------------------------------------------------------------------------------

UNTYPED = "def shout(text):\n    return text.upper()\n"
NESTED = '[project]\nname = "{name}"\nversion = "1.0"\n\n[tool.mypy]\nstrict = true\n'


def test_example_and_fixture_folders_are_not_projects(tmp_path: Path, project_venv: Path) -> None:
    """Row 3: pyproject.toml files under tests/fixtures/, examples/ and docs/ are material, not
    projects CI checks (CI runs the checks once, at the root). Made projects, their mypy fails
    (strict, untyped code) and their pytest exits 5 (no tests): every push blocked. Named in
    ``projects``, such a folder is still checked."""
    files = {
        **PKG_FILES,
        "tests/fixtures/sample/pyproject.toml": NESTED.format(name="sample"),
        "tests/fixtures/sample/sample.py": UNTYPED,
        "examples/demo/pyproject.toml": NESTED.format(name="demo"),
        "examples/demo/demo.py": UNTYPED,
        "docs/tutorial/pyproject.toml": NESTED.format(name="tutorial"),
        "templates/{{cookiecutter.slug}}/pyproject.toml": NESTED.format(name="tpl"),
        "templates/{{cookiecutter.slug}}/tpl.py": UNTYPED,
    }
    p = pushing(tmp_path, files, venv=project_venv)
    write_files(
        p.repo,
        {
            "tests/test_more.py": "def test_more() -> None:\n    pass\n",
            "tests/fixtures/sample/sample.py": "# edited\n" + UNTYPED,
            "examples/demo/demo.py": "# edited\n" + UNTYPED,
        },
    )
    head = commit_all(p.repo, "more tests, edited fixture and example")
    out = p.check("origin", "main", passes=True)
    assert p.remote_sha("main") == head
    assert "All 4 checks passed" in out, out
    for name in ("sample", "demo", "tutorial", "tpl"):
        assert name not in out, out

    pyproject = (
        PKG_FILES["pyproject.toml"] + '\n[tool.guardrail]\nprojects = [".", "examples/demo"]\n'
    )
    write_files(p.repo, {"pyproject.toml": pyproject})
    commit_all(p.repo, "check the demo too")
    out = p.check("origin", "main", passes=False)
    assert "examples/demo/demo.py:2:1: no-untyped-def" in out, out


# Row 5 ----------------------------------------------------------------------------------------

SUB_PYPROJECT = """\
[project]
name = "app"
version = "0"

[tool.pytest.ini_options]
pythonpath = ["vendor/lib", "vendor/lib/deps/inner"]

[tool.mypy]
mypy_path = "vendor/lib:vendor/lib/deps/inner"
"""
SUB_FILES = {
    "pyproject.toml": SUB_PYPROJECT,
    "app/__init__.py": "",
    "app/core.py": (
        "from inner import BASE\nfrom vendorlib import VALUE\n\n\n"
        "def value() -> int:\n    return BASE + VALUE\n"
    ),
    "tests/test_core.py": (
        "from app.core import value\n\n\ndef test_value() -> None:\n    assert value() == 13\n"
    ),
}


def _library(where: Path, files: dict[str, str]) -> Path:
    make_repo(where, files)
    return where


def _submodule(repo: Path, url: Path, path: str) -> None:
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(url), path)


def test_submodules_are_checked_out_in_the_snapshot_at_the_recorded_commit(
    tmp_path: Path, project_venv: Path
) -> None:
    """Row 5: the project imports code from a submodule (and from a submodule of it). The
    snapshot has them, at the commits the pushed tree records (not the ones the working tree's
    submodule has checked out), read from .git/modules with no network; a submodule never
    initialised here is left empty, with a note."""
    inner = _library(tmp_path / "inner", {"inner/__init__.py": "BASE = 10\n"})
    lib = _library(tmp_path / "lib", {"vendorlib/__init__.py": "VALUE = 3\n"})
    _submodule(lib, inner, "deps/inner")
    commit_all(lib, "inner as a submodule")
    extras = _library(tmp_path / "extras", {"README.md": "extras\n"})
    repo = make_repo(tmp_path / "work" / "repo", SUB_FILES, venv=project_venv)
    _submodule(repo, lib, "vendor/lib")
    git(
        repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "update",
        "-q",
        "--init",
        "--recursive",
    )
    _submodule(repo, extras, "vendor/extras")
    commit_all(repo, "vendored libraries")
    git(repo, "submodule", "deinit", "-q", "-f", "vendor/extras")
    shutil.rmtree(repo / ".git" / "modules" / "vendor" / "extras")
    p = connect(repo, venv=project_venv)

    write_files(lib, {"vendorlib/__init__.py": "VALUE = 4\n"})
    bumped = commit_all(lib, "value 4")
    sub = repo / "vendor" / "lib"
    git(sub, "-c", "protocol.file.allow=always", "fetch", "-q", "origin")
    git(sub, "checkout", "-q", bumped)
    write_files(repo, {"tests/test_more.py": "def test_more() -> None:\n    pass\n"})
    git(repo, "add", "tests/test_more.py")
    git(repo, "commit", "-q", "-m", "more tests; the submodule bump is not committed")
    out = p.check("origin", "main", passes=True)
    assert "All 4 checks passed" in out, out
    assert "submodule vendor/extras is not initialised in this repository" in out, out

    git(repo, "add", "vendor/lib")
    git(repo, "commit", "-q", "-m", "bump vendor/lib")
    out = p.check("origin", "main", passes=False)
    assert "tests/test_core.py:5" in out and "assert 14 == 13" in out, out

    write_files(lib, {"vendorlib/__init__.py": "VALUE = 3\n"})
    unfetched = commit_all(lib, "back to 3, not fetched here")
    git(repo, "update-index", "--cacheinfo", f"160000,{unfetched},vendor/lib")
    git(repo, "commit", "-q", "-m", "record a commit the module has not fetched")
    out = p.check("origin", "main", passes=False)
    assert p.remote_sha("main") != git(repo, "rev-parse", "HEAD").stdout.strip()
    error = f"guardrail: error: submodule vendor/lib: the pushed commit records {unfetched[:12]}"
    assert error in out, out
    assert "run `git submodule update --init --recursive`" in out, out


# Row 4 ----------------------------------------------------------------------------------------

BACKENDS = {
    "hatch-vcs": """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "pkg"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"

[tool.hatch.build.hooks.vcs]
version-file = "src/pkg/_version.py"
template = "__version__ = {version!r}\\n"

[tool.hatch.build.targets.wheel]
packages = ["src/pkg"]
""",
    "setuptools-scm": """\
[build-system]
requires = ["setuptools>=64", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "pkg"
dynamic = ["version"]

[tool.setuptools_scm]
version_file = "src/pkg/_version.py"
""",
}
VERSION_TEST = """\
import pkg


def test_version_is_the_tagged_one() -> None:
    assert pkg.__version__ == "1.2.0"
"""


def _pip(venv: Path, *args: str) -> None:
    python = str(venv_python(venv))
    res = subprocess.run([*PIP, "--python", python, *args], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def _install_editable(venv: Path, project: Path) -> None:
    """``pip install -e`` as a developer does; the backend comes from the test environment."""
    _pip(venv, "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(project))


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_the_version_file_the_backend_generates_is_in_the_snapshot(
    tmp_path: Path, backend: str
) -> None:
    """Row 4: a src-layout package imports a git-ignored ``_version.py`` that its build backend
    writes at install time. The snapshot gets it written as the backend would (setuptools-scm on
    the snapshot's checkout, the backend's path and template): the version is the pushed commit's
    tag, not the one the working tree's copy holds from the last install."""
    files = {
        ".gitignore": ".venv\n__pycache__/\n*.egg-info/\nsrc/pkg/_version.py\n",
        "pyproject.toml": BACKENDS[backend],
        "src/pkg/__init__.py": (
            'from pkg._version import __version__\n\n__all__ = ["__version__"]\n'
        ),
        "src/pkg/py.typed": "",
        "tests/test_version.py": VERSION_TEST,
    }
    repo = make_repo(tmp_path / "repo", files)
    venv = make_project_venv(tmp_path / "venv")
    _install_editable(venv, repo)
    (repo / ".venv").symlink_to(venv, target_is_directory=True)
    installed = (repo / "src" / "pkg" / "_version.py").read_text()
    assert "1.2.0" not in installed
    p = connect(repo, venv=venv)

    write_files(repo, {"tests/test_more.py": "def test_more() -> None:\n    pass\n"})
    commit_all(repo, "more tests")
    git(repo, "tag", "v1.2.0")
    out = p.check("origin", "main", passes=True)
    assert "All 4 checks passed" in out, out
    assert (repo / "src" / "pkg" / "_version.py").read_text() == installed


# Row 7 ----------------------------------------------------------------------------------------

SHARED_BUILD = {
    "hatchling .pth": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "shared"\nversion = "0"\n'
    ),
    "hatchling editables": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "shared"\nversion = "0"\n\n'
        "[tool.hatch.build.targets.wheel]\ndev-mode-exact = true\n"
    ),
    "setuptools finder": (
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "shared"\nversion = "0"\n\n'
        '[tool.setuptools]\npackages = ["shared"]\n'
    ),
}
GREET = 'def greet(name: str) -> str:\n    return "hi " + name\n'
WELCOME = '\n\ndef welcome(name: str) -> str:\n    return "hi " + name\n'
BACKEND_CORE = 'from shared import {f}\n\n\ndef hello() -> str:\n    return {f}("backend")\n'


def _sibling_files(layout: str) -> dict[str, str]:
    package = "libs/shared/shared" if layout == "setuptools finder" else "libs/shared/src/shared"
    # Only a .pth folder is visible to mypy (CI's too): with a finder, mypy cannot see `shared`.
    mypy = "" if layout == "hatchling .pth" else "\n[tool.mypy]\nignore_missing_imports = true\n"
    return {
        ".gitignore": ".venv\n__pycache__/\n*.egg-info/\nbuild/\n",
        "libs/shared/pyproject.toml": SHARED_BUILD[layout],
        f"{package}/__init__.py": GREET,
        f"{package}/py.typed": "",
        "libs/shared/tests/test_shared.py": (
            "from shared import greet\n\n\ndef test_greet() -> None:\n"
            '    assert greet("a") == "hi a"\n'
        ),
        "backend/pyproject.toml": '[project]\nname = "backend"\nversion = "0"\n' + mypy,
        "backend/app/__init__.py": "",
        "backend/app/core.py": BACKEND_CORE.format(f="greet"),
        "backend/tests/test_core.py": (
            "from app.core import hello\n\n\ndef test_hello() -> None:\n"
            '    assert hello() == "hi backend"\n'
        ),
    }


@pytest.mark.parametrize("layout", sorted(SHARED_BUILD))
def test_editable_sibling_libraries_are_imported_from_the_pushed_commit(
    tmp_path: Path, layout: str
) -> None:
    """Row 7: backend imports libs/shared, installed editable in the root .venv (a .pth folder,
    setuptools' finder, or hatchling's editables finder, found from direct_url.json). At push
    time the snapshot's copy is imported, not the working tree's: a function that exists only
    in the uncommitted working tree does not make a broken push pass. And (row 8) a push that
    changes only the library checks backend too."""
    files = _sibling_files(layout)
    package = next(k for k in files if k.endswith("shared/__init__.py"))
    repo = make_repo(tmp_path / "repo", files)
    venv = make_project_venv(tmp_path / "venv")
    if layout == "hatchling editables":
        # The install's runtime dependency, which --no-deps leaves out: the test environment's
        # copy comes too late on the path (its .pth sorts after the install's).
        _pip(venv, "install", "--ignore-installed", "--no-deps", "editables")
    _install_editable(venv, repo / "libs" / "shared")
    (repo / ".venv").symlink_to(venv, target_is_directory=True)
    p = connect(repo, venv=venv)

    write_files(repo, {package: GREET + WELCOME})
    write_files(repo, {"backend/app/core.py": BACKEND_CORE.format(f="welcome")})
    git(repo, "add", "backend")
    git(repo, "commit", "-q", "-m", "backend calls welcome(), which is not committed")
    out = p.check("origin", "main", passes=False)
    assert "backend/app/core.py:1: collection-error collecting tests/test_core.py" in out, out
    assert "cannot import name 'welcome' from 'shared'" in out, out
    assert f"{tmp_path / 'repo'}/{package}" not in out, out
    if layout == "hatchling .pth":
        assert 'backend/app/core.py:1:1: attr-defined Module "shared" has no attribute' in out

    commit_all(repo, "shared: welcome")
    p.check("origin", "main", passes=True)

    write_files(repo, {package: GREET})
    commit_all(repo, "shared: drop welcome; backend is not changed")
    out = p.check("origin", "main", passes=False)
    assert "cannot import name 'welcome' from 'shared'" in out, out
