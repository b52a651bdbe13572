"""The Python matrix: for each Python version CI tests under, an interpreter on this machine that
can run the project's tests, or why there is none.

CI's ``python-version: ["3.11", "3.12"]`` runs the tests once per version; the guardrail does
the same with the interpreters it finds. For version X.Y it tries, in order:

1. a virtualenv named for the version in the project's folder, then the repository root
   (``.venv-3.12``, ``.venv3.12``, ``.venv312``, ``venv-3.12``, ``venv3.12``, ``venv312``,
   ``.tox/py312``);
2. the project's own interpreter, when it is that version;
3. ``pythonX.Y`` on ``PATH`` (every one, in order: the first may be a pyenv shim that exits 127),
   or the ``py -X.Y`` launcher on Windows;
4. uv's managed interpreters (``uv python find``, and uv's install folder);
5. pyenv's (``$PYENV_ROOT/versions/X.Y.*``, newest first).

One counts only if it starts, is that version, and has the project's test dependencies: pytest,
every distribution of the project's ``[project] dependencies`` whose marker holds for it, and the
project itself when the project's own interpreter has it installed (a ``src/`` layout imports
only when installed). Probes are :mod:`hooks.probes`' remembered ones.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hooks import proc, toolconfig
from hooks.pins import canonical
from hooks.projects import Interpreter, foreign_path, probed, venv_python

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.\d+)?(?:-dev)?")
SHOWN_LACKING = 3


@dataclass(frozen=True, slots=True)
class MatrixPython:
    """CI's Python ``version`` and the interpreter that runs the tests under it here, or
    ``reason`` why none does."""

    version: str
    interpreter: Interpreter | None
    reason: str = ""

    @property
    def note(self) -> str | None:
        """The loud, non-blocking line for a version that is not checked; None when it is."""
        if self.interpreter is not None:
            return None
        return f"not checked under {self.version}: {self.reason}"


def matrix(
    versions: Iterable[str],
    project_dir: Path,
    repo_root: Path,
    own: Interpreter | None = None,
) -> tuple[MatrixPython, ...]:
    """One :class:`MatrixPython` per distinct version, in the order given. ``own`` is the
    project's own interpreter (see the module docstring for the search)."""
    project = toolconfig.load_toml(project_dir / "pyproject.toml").get("project")
    table: Mapping[str, object] = project if isinstance(project, dict) else {}
    return tuple(
        _find(version, project_dir, repo_root, own, table) for version in dict.fromkeys(versions)
    )


def _find(
    version: str,
    project_dir: Path,
    repo_root: Path,
    own: Interpreter | None,
    project: Mapping[str, object],
) -> MatrixPython:
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        return MatrixPython(
            version, None, f"{version!r} is not a CPython version (X.Y) the guardrail looks for"
        )
    major, minor = int(match[1]), int(match[2])
    name = f"python{major}.{minor}"
    lacking: list[str] = []
    broken: list[str] = []
    seen: set[str] = set()
    for python, source in _candidates(major, minor, project_dir, repo_root, own):
        key = os.path.normcase(os.path.abspath(python))
        if key in seen:
            continue
        seen.add(key)
        shown = _shown(python, repo_root)
        found = own if own is not None and python == own.python else probed(python, source)
        if found is None:
            broken.append(f"{shown} does not run")
            continue
        if _major_minor(found.version) != (major, minor):
            broken.append(f"{shown} is Python {found.version}")
            continue
        missing = _missing(found, project, own)
        if not missing:
            return MatrixPython(version, found)
        lacking.append(f"{name} at {shown} lacks {', '.join(missing)}")
    if lacking:
        more = len(lacking) - SHOWN_LACKING
        shown_lacking = "; ".join(lacking[:SHOWN_LACKING])
        return MatrixPython(
            version, None, shown_lacking + (f" (and {more} more)" if more > 0 else "")
        )
    if broken:
        return MatrixPython(version, None, f"no working {name} found ({'; '.join(broken)})")
    return MatrixPython(version, None, f"no {name} found")


def _major_minor(version: str) -> tuple[int, int] | None:
    match = _VERSION.match(version)
    return (int(match[1]), int(match[2])) if match else None


def _shown(python: str, repo_root: Path) -> str:
    try:
        return Path(python).absolute().relative_to(repo_root.absolute()).as_posix()
    except ValueError:
        return python


def _missing(
    found: Interpreter, project: Mapping[str, object], own: Interpreter | None
) -> list[str]:
    """The test dependencies ``found`` lacks, by their names in the project's pyproject.toml."""
    have = {canonical(name) for name in found.dists}
    needed = ["pytest", *_dependencies(project, found.version)]
    name = project.get("name")
    owned = {canonical(d) for d in own.dists} if own is not None else set()
    if isinstance(name, str) and canonical(name) in owned:
        needed.append(name)
    return [dist for dist in dict.fromkeys(needed) if canonical(dist) not in have]


def _dependencies(project: Mapping[str, object], version: str) -> list[str]:
    """The distributions ``[project] dependencies`` names whose markers hold under ``version``
    on this machine (``tomli; python_version < "3.11"`` is no dependency of 3.12)."""
    from packaging.requirements import InvalidRequirement, Requirement

    listed = project.get("dependencies")
    # The rest of the marker environment is this machine's, as the interpreter's is.
    environment = {
        "python_version": ".".join(version.split(".")[:2]),
        "python_full_version": version,
        "extra": "",
    }
    names: list[str] = []
    for text in listed if isinstance(listed, list) else ():
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate(environment):
            names.append(req.name)
    return names


def _candidates(
    major: int, minor: int, project_dir: Path, repo_root: Path, own: Interpreter | None
) -> Iterator[tuple[str, str]]:
    """(interpreter, where it was found) for X.Y, in the order of the module docstring."""
    yield from _named_venvs(major, minor, project_dir, repo_root)
    if own is not None and _major_minor(own.version) == (major, minor):
        yield own.python, own.source
    yield from _on_path(major, minor)
    yield from _uv(major, minor, project_dir)
    yield from _pyenv(major, minor)


def venv_names(major: int, minor: int) -> tuple[str, ...]:
    """The folder names a virtualenv for X.Y goes by."""
    dotted, joined = f"{major}.{minor}", f"{major}{minor}"
    return (
        f".venv-{dotted}",
        f".venv{dotted}",
        f".venv{joined}",
        f"venv-{dotted}",
        f"venv{dotted}",
        f"venv{joined}",
        f".tox/py{joined}",
    )


def _named_venvs(
    major: int, minor: int, project_dir: Path, repo_root: Path
) -> Iterator[tuple[str, str]]:
    for base in dict.fromkeys((project_dir, repo_root)):
        for name in venv_names(major, minor):
            python = venv_python(base / name)
            if python.exists():
                yield str(python.absolute()), _shown(str(base / name), repo_root)


def _on_path(major: int, minor: int) -> Iterator[tuple[str, str]]:
    """Every ``pythonX.Y`` on PATH, outside the guardrail's own environment; on Windows, the
    interpreter ``py -X.Y`` starts."""
    name = f"python{major}.{minor}"
    for entry in foreign_path():
        found = shutil.which(name, path=entry)
        if found:
            yield found, f"{name} on PATH"
    launcher = shutil.which("py") if sys.platform == "win32" else None
    if launcher:
        exe = _printed_path(
            [launcher, f"-{major}.{minor}", "-c", "import sys; print(sys.executable)"]
        )
        if exe:
            yield exe, f"py -{major}.{minor}"


def _printed_path(argv: Sequence[str], cwd: Path | None = None) -> str | None:
    """The path a command prints on its first line, when it succeeds and the path exists."""
    res = proc.run(argv, cwd=cwd, timeout=30)
    if res.missing or res.timed_out or res.returncode != 0:
        return None
    lines = res.stdout.strip().splitlines()
    return lines[0].strip() if lines and os.path.isfile(lines[0].strip()) else None


def uv_python_folder() -> Path:
    """Where uv installs its managed interpreters (``UV_PYTHON_INSTALL_DIR``, else uv's data
    folder)."""
    configured = os.environ.get("UV_PYTHON_INSTALL_DIR", "")
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "uv" / "data" / "python"
    data = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data) if os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / "uv" / "python"


def _uv(major: int, minor: int, project_dir: Path) -> Iterator[tuple[str, str]]:
    uv = shutil.which("uv")
    if uv:
        argv = [uv, "python", "find", "--system", "--python-preference", "only-managed"]
        exe = _printed_path([*argv, f"{major}.{minor}"], cwd=project_dir)
        if exe:
            yield exe, "uv python find"
    for install in _newest(uv_python_folder(), rf"cpython-{major}\.{minor}\.(\d+)-.*", group=1):
        exe = _install_python(install, major, minor)
        if exe:
            yield exe, "uv's managed Python"


def _pyenv(major: int, minor: int) -> Iterator[tuple[str, str]]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions = root / ("pyenv-win/versions" if sys.platform == "win32" else "versions")
    for install in _newest(versions, rf"{major}\.{minor}\.(\d+)", group=1):
        exe = _install_python(install, major, minor)
        if exe:
            yield exe, f"pyenv {install.name}"


def _newest(folder: Path, pattern: str, *, group: int) -> list[Path]:
    """The folders in ``folder`` whose name matches ``pattern``, highest patch number first."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = [(int(m[group]), name) for name in names if (m := re.fullmatch(pattern, name))]
    return [folder / name for _, name in sorted(found, reverse=True)]


def _install_python(install: Path, major: int, minor: int) -> str | None:
    """The interpreter of a standalone install (``bin/pythonX.Y``, or ``python.exe``)."""
    for exe in (install / "bin" / f"python{major}.{minor}", install / "python.exe"):
        if exe.is_file():
            return str(exe)
    return None
