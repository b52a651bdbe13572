"""The Python matrix: per CI Python version, an interpreter of this machine that runs the project's
tests, or a reason the caller prints as "not checked under X.Y". Real interpreters: pyenv's
3.12 and 3.13 where this machine has them, a real venv with pytest, a shim that exits 127."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hooks import interpreters
from hooks.interpreters import MatrixPython
from hooks.projects import probed
from tests.fixtures import once, venv_python

PYENV = Path.home() / ".pyenv"


def _real_python(minor: int) -> Path | None:
    """A working CPython 3.<minor> of this machine's pyenv, or None."""
    for found in sorted((PYENV / "versions").glob(f"3.{minor}.*"), reverse=True):
        exe = found / "bin" / f"python3.{minor}"
        if exe.is_file() and subprocess.run([exe, "-c", "pass"], check=False).returncode == 0:
            return exe
    return None


def _needs(minor: int) -> Path:
    exe = _real_python(minor)
    if exe is None:
        pytest.skip(f"this machine has no pyenv CPython 3.{minor} under {PYENV / 'versions'}")
    return exe


@pytest.fixture(scope="session")
def venv_312(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 3.12 virtualenv with pytest (and its dependency iniconfig) installed by pip."""
    python = _needs(12)

    def build(folder: Path) -> str:
        venv = folder / "venv"
        subprocess.run(
            [python, "-m", "venv", "--without-pip", venv], check=True, capture_output=True
        )
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", venv_python(venv), "install", "-q", "pytest"],
            check=True,
            capture_output=True,
        )
        return ""

    return once(tmp_path_factory, "py312", build)[0] / "venv"


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No Python on PATH, no pyenv, no uv: only what a test puts in the returned bin folder."""
    bin_dir = tmp_path / "machine-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "no-uv"))
    return bin_dir


def _project(root: Path, dependencies: list[str], name: str = "demo") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(f"'{d}'" for d in dependencies)
    (root / "pyproject.toml").write_text(
        f"[project]\nname = '{name}'\nversion = '0'\ndependencies = [{listed}]\n", encoding="utf-8"
    )
    return root


def _link(venv: Path, at: Path) -> Path:
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(venv, target_is_directory=True)
    return at


@pytest.mark.slow
@pytest.mark.posix_only("a venv linked into the project")
def test_a_venv_named_for_the_version_is_used(tmp_path: Path, venv_312: Path) -> None:
    project = _project(tmp_path / "repo", ["iniconfig", 'tomli; python_version < "3.11"'])
    _link(venv_312, project / ".venv-3.12")
    (found,) = interpreters.matrix(["3.12", "3.12"], project, project)
    assert found.interpreter is not None, found
    assert found.interpreter.python == str(project / ".venv-3.12" / "bin" / "python")
    assert found.interpreter.source == ".venv-3.12"
    assert found.interpreter.version.startswith("3.12.")
    assert found.note is None


@pytest.mark.slow
@pytest.mark.posix_only("a venv linked into the project")
def test_each_named_venv_form_in_the_project_or_the_root(tmp_path: Path, venv_312: Path) -> None:
    root = tmp_path / "repo"
    project = _project(root / "backend", [])
    for name in ("venv312", ".tox/py312"):
        link = _link(venv_312, root / name)
        (found,) = interpreters.matrix(["3.12"], project, root)
        assert found.interpreter is not None, found
        assert found.interpreter.source == name
        link.unlink()
    _link(venv_312, project / "venv-3.12")
    (found,) = interpreters.matrix(["3.12"], project, root)
    assert found.interpreter is not None and found.interpreter.source == "backend/venv-3.12"


@pytest.mark.slow
@pytest.mark.posix_only("a venv linked into the project")
def test_what_an_interpreter_lacks_is_the_reason(tmp_path: Path, venv_312: Path) -> None:
    project = _project(tmp_path / "repo", ["FastAPI>=0.100", "iniconfig"])
    _link(venv_312, project / ".venv-3.12")
    (found,) = interpreters.matrix(["3.12"], project, project)
    assert found.interpreter is None
    assert found.reason.startswith("python3.12 at .venv-3.12/bin/python lacks FastAPI")
    assert found.note == f"not checked under 3.12: {found.reason}"
    pyenv_312 = _real_python(12)
    assert f"; python3.12 at {pyenv_312} lacks pytest, FastAPI, iniconfig" in found.reason, (
        "pyenv's 3.12 is tried next"
    )


@pytest.mark.slow
@pytest.mark.posix_only("a venv linked into the project")
def test_the_project_itself_when_its_own_interpreter_has_it(
    tmp_path: Path, venv_312: Path, project_venv: Path
) -> None:
    """The project's own interpreter has push-guardrail installed: a 3.12 without it cannot
    import it (a src layout), so it does not count."""
    own = probed(str(venv_python(project_venv)), ".venv")
    assert own is not None and own.has("push-guardrail")
    project = _project(tmp_path / "repo", [], name="push_guardrail")
    _link(venv_312, project / ".venv-3.12")
    (found,) = interpreters.matrix(["3.12"], project, project, own)
    assert found.reason.startswith("python3.12 at .venv-3.12/bin/python lacks push_guardrail")


def test_the_projects_own_interpreter_of_that_version(tmp_path: Path, project_venv: Path) -> None:
    own = probed(str(venv_python(project_venv)), ".venv")
    assert own is not None
    project = _project(tmp_path / "repo", ["iniconfig", "ruamel.yaml"])
    version = ".".join(own.version.split(".")[:2])
    (found,) = interpreters.matrix([version], project, project, own)
    assert found.interpreter == own


@pytest.mark.posix_only("a shell-script shim")
def test_a_shim_that_exits_127_is_no_interpreter(tmp_path: Path, bare_machine: Path) -> None:
    shim = bare_machine / "python3.12"
    shim.write_text(
        "#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n", encoding="utf-8"
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    project = _project(tmp_path / "repo", [])
    (found,) = interpreters.matrix(["3.12"], project, project)
    assert found == MatrixPython("3.12", None, f"no working python3.12 found ({shim} does not run)")


@pytest.mark.posix_only("pyenv's shims are shell scripts")
def test_pyenvs_own_shim_is_passed_over_for_pyenvs_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On this machine ``python3.13`` on PATH is pyenv's shim, which exits 127 (3.13 is not
    pyenv's global version); the search goes on to pyenv's 3.13 itself."""
    shims = PYENV / "shims"
    real = _needs(13)
    if subprocess.run([shims / "python3.13", "-c", "pass"], check=False).returncode != 127:
        pytest.skip("pyenv's python3.13 shim does not exit 127 on this machine")
    monkeypatch.setenv("PATH", str(shims))
    monkeypatch.setenv("PYENV_ROOT", str(PYENV))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "no-uv"))
    project = _project(tmp_path / "repo", [])
    (found,) = interpreters.matrix(["3.13"], project, project)
    assert found.interpreter is None
    assert found.reason == f"python3.13 at {real} lacks pytest"


@pytest.mark.posix_only("a venv's bin/python")
def test_a_named_venv_of_another_version_does_not_count(
    tmp_path: Path, bare_machine: Path, project_venv: Path
) -> None:
    project = _project(tmp_path / "repo", [])
    _link(project_venv, project / ".venv-3.12")
    (found,) = interpreters.matrix(["3.12"], project, project)
    version = probed(str(venv_python(project_venv)), "") or pytest.fail("the test venv runs")
    assert found.reason == (
        f"no working python3.12 found (.venv-3.12/bin/python is Python {version.version})"
    )


def test_nothing_found_and_versions_that_are_not_cpython(
    tmp_path: Path, bare_machine: Path
) -> None:
    project = _project(tmp_path / "repo", [])
    found = interpreters.matrix(["3.14", "pypy3.10", "3.x"], project, project)
    assert [m.note for m in found] == [
        "not checked under 3.14: no python3.14 found",
        "not checked under pypy3.10: 'pypy3.10' is not a CPython version (X.Y) the guardrail "
        "looks for",
        "not checked under 3.x: '3.x' is not a CPython version (X.Y) the guardrail looks for",
    ]


@pytest.mark.posix_only("uv's managed layout, linked")
def test_uvs_managed_interpreters_with_and_without_uv_on_path(
    tmp_path: Path, bare_machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A uv install folder (pyenv's real 3.13 laid out as uv lays out its own) is searched
    when uv is not on PATH; with uv on PATH, ``uv python find`` names the same interpreter,
    which is tried once."""
    real = _needs(13)
    managed = tmp_path / "uv-python"
    exe = managed / "cpython-3.13.0-linux-x86_64-gnu" / "bin" / "python3.13"
    exe.parent.mkdir(parents=True)
    exe.symlink_to(real)
    (exe.parent / "python").symlink_to("python3.13")
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(managed))
    project = _project(tmp_path / "repo", [])
    expected = MatrixPython("3.13", None, f"python3.13 at {exe} lacks pytest")
    assert interpreters.matrix(["3.13"], project, project) == (expected,)

    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not installed beside this test environment's Python")
    (bare_machine / "uv").symlink_to(uv)
    assert interpreters.matrix(["3.13"], project, project) == (expected,)


def test_the_venv_names_for_a_version() -> None:
    assert interpreters.venv_names(3, 12) == (
        ".venv-3.12",
        ".venv3.12",
        ".venv312",
        "venv-3.12",
        "venv3.12",
        "venv312",
        ".tox/py312",
    )
