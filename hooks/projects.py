"""Find the projects in a repository, their interpreter and the tools that will check them."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hooks import probes, proc
from hooks.config import Layer, ProjectConfig, load_project_layer, resolve, root_projects
from hooks.errors import GuardrailError

SKIP_DIRS = frozenset(
    {"node_modules", "build", "dist", "site-packages", "__pycache__", "htmlcov", "venv", "env"}
)
# A pyproject.toml below a folder with one of these names is material the project's own tests,
# docs or users read (pallets/click has ten examples/*/pyproject.toml), not a project CI checks.
NOT_PROJECT_DIRS = frozenset(
    {
        "examples",
        "example",
        "samples",
        "tests",
        "test",
        "testing",
        "fixtures",
        "testdata",
        "test_data",
        "docs",
        "doc",
    }
)


def _searched(name: str) -> bool:
    """Whether discovery looks for projects in a folder of this name: not hidden, not a build or
    install folder, not examples, tests or docs, and not a project template (``{{...}}``)."""
    return not (
        name.startswith(".")
        or name in SKIP_DIRS
        or name.lower() in NOT_PROJECT_DIRS
        or "{{" in name
        or "{%" in name
    )


_PROBE = r"""
import json, os, site, sys, sysconfig
from importlib import metadata
# Run isolated (-I) so the current folder cannot shadow anything, but see the user site-packages
# that `python -m pytest` (not isolated) will see: outside a venv, unless PYTHONNOUSERSITE.
if sys.prefix == sys.base_prefix and not os.environ.get("PYTHONNOUSERSITE"):
    user = site.getusersitepackages()
    if os.path.isdir(user) and user not in sys.path:
        sys.path.append(user)
dists = {}
for d in metadata.distributions():
    name = d.metadata["Name"]
    if name:
        dists.setdefault(name.lower().replace("_", "-"), d.version)
print(json.dumps({
    "version": "%d.%d.%d" % sys.version_info[:3],
    "prefix": sys.prefix,
    "executable": sys.executable,
    "scripts": sysconfig.get_path("scripts"),
    "dists": dists,
    "paths": sys.path,
}))
"""


@dataclass(frozen=True, slots=True)
class Interpreter:
    """The Python a project's tests and type checks run with."""

    python: str
    version: str
    source: str
    prefix: str
    scripts: str
    dists: Mapping[str, str] = field(default_factory=dict)
    warning: str | None = None

    def has(self, dist: str) -> bool:
        return dist in self.dists


@dataclass(frozen=True, slots=True)
class Tool:
    """How to start one tool: the argv prefix, its version and where it came from."""

    name: str
    argv: tuple[str, ...]
    version: str
    source: str


@dataclass(frozen=True, slots=True)
class Project:
    """One Python project: a folder of the repository with its own config and interpreter."""

    repo_root: Path
    rel: str
    config: ProjectConfig
    interpreter: Interpreter

    @property
    def path(self) -> Path:
        return self.repo_root / self.rel if self.rel != "." else self.repo_root


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def discover(repo_root: Path) -> tuple[str, ...]:
    """Project folders, relative to the root, in a stable order.

    ``[tool.guardrail] projects`` in the root's pyproject.toml wins; otherwise every folder
    holding a pyproject.toml, skipping virtualenvs, hidden folders, build output, and everything
    under a folder named for examples, tests, fixtures or docs (:data:`NOT_PROJECT_DIRS`). A
    repository with no pyproject.toml at all is one project at its root.
    """
    configured = root_projects(repo_root)
    if configured is not None:
        for rel in configured:
            escapes = os.path.isabs(rel) or _norm(rel).split("/")[0] == ".."
            if escapes or not (repo_root / rel).is_dir():
                raise GuardrailError(
                    f"{repo_root / 'pyproject.toml'}: tool.guardrail.projects names {rel!r}, "
                    "which is not a folder of this repository"
                )
        return tuple(_norm(rel) for rel in configured)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(repo_root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if _searched(d) and not _is_venv(here / d))
        if "pyproject.toml" in filenames:
            found.append(_norm(os.path.relpath(here, repo_root)))
    return tuple(found) or (".",)


def _norm(rel: str) -> str:
    rel = os.path.normpath(rel).replace(os.sep, "/")
    return "." if rel in ("", ".") else rel


def _own_prefix() -> Path:
    return Path(sys.prefix).resolve()


def _inside(path: Path, prefix: Path) -> bool:
    try:
        path.resolve().relative_to(prefix)
    except ValueError:
        return False
    return True


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _candidates(
    project_dir: Path, repo_root: Path, configured: str | None
) -> Iterable[tuple[str, str]]:
    if configured is not None:
        yield str((project_dir / configured).absolute()), "[tool.guardrail] python"
        return
    seen: set[Path] = set()
    for base in (project_dir, repo_root):
        for name in (".venv", "venv"):
            venv = base / name
            if venv in seen:
                continue
            seen.add(venv)
            if _venv_python(venv).exists():
                where = os.path.relpath(venv, repo_root)
                yield str(_venv_python(venv).absolute()), where
    active = os.environ.get("VIRTUAL_ENV")
    if active and not _inside(Path(active), _own_prefix()) and _venv_python(Path(active)).exists():
        yield str(_venv_python(Path(active))), "VIRTUAL_ENV"
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry or _inside(Path(entry), _own_prefix()):
            continue
        exe = Path(entry) / "python3"
        if exe.is_file() and os.access(exe, os.X_OK):
            yield str(exe), "python3 on PATH"
            break


def probe(python: str) -> dict[str, object] | None:
    """Ask an interpreter for its version, prefix and installed distributions."""
    res = proc.run([python, "-I", "-c", _PROBE], timeout=60)
    if res.missing or res.timed_out or res.returncode != 0:
        return None
    try:
        data = json.loads(res.stdout)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def find_interpreter(project_dir: Path, repo_root: Path, configured: str | None) -> Interpreter:
    """The project's interpreter, by the documented search order; the hook's own as last resort."""
    for python, source in _candidates(project_dir, repo_root, configured):
        info = probes.cached(python, probe)
        if info is not None:
            return _interpreter(python, source, info)
        if configured is not None:
            raise GuardrailError(
                f"{project_dir / 'pyproject.toml'}: tool.guardrail.python = {configured!r} "
                f"({python}) is not a working Python interpreter. Point it at the project's "
                'interpreter, e.g. python = ".venv/bin/python", or remove the key.'
            )
    info = probe(sys.executable)
    if info is None:
        raise GuardrailError(f"the guardrail's own interpreter {sys.executable} does not run")
    return _interpreter(
        sys.executable,
        "the guardrail's own environment",
        info,
        warning=(
            "no project interpreter found (no .venv or venv, no VIRTUAL_ENV, no python3 on PATH): "
            "mypy and pytest run with the guardrail's own environment, which lacks the project's "
            "dependencies. Create .venv or set [tool.guardrail] python."
        ),
    )


def _interpreter(
    python: str, source: str, info: Mapping[str, object], warning: str | None = None
) -> Interpreter:
    dists = info.get("dists")
    return Interpreter(
        python=python,
        version=str(info.get("version", "?")),
        source=source,
        prefix=str(info.get("prefix", "")),
        scripts=str(info.get("scripts", "")),
        dists=dict(dists) if isinstance(dists, dict) else {},
        warning=warning,
    )


ProjectFilter = Callable[[str, ProjectConfig], bool]


def load_projects(
    repo_root: Path,
    extra_layers: Iterable[Layer] = (),
    *,
    select: ProjectFilter | None = None,
    env_root: Path | None = None,
) -> list[Project]:
    """Every project (or those ``select`` keeps) with its resolved config and interpreter.

    ``env_root`` is where the interpreters live when ``repo_root`` is a snapshot of the
    repository: the user's working tree, whose ``.venv`` a clean checkout does not have.
    """
    layers = list(extra_layers)
    projects: list[Project] = []
    interpreters: dict[tuple[str, str | None], Interpreter] = {}
    envs = env_root if env_root is not None else repo_root
    for rel in discover(repo_root):
        path = repo_root / rel if rel != "." else repo_root
        config = resolve([*layers, load_project_layer(path, repo_root=rel == ".")])
        if select is not None and not select(rel, config):
            continue
        key = (str(path), config.python)
        if key not in interpreters:
            env_path = envs / rel if rel != "." else envs
            interpreters[key] = find_interpreter(env_path, envs, config.python)
        projects.append(Project(repo_root, rel, config, interpreters[key]))
    return projects


@functools.cache
def _own_version(dist: str) -> str:
    """The bundled tool's version, from its ``.dist-info`` folder name when there is one: a
    folder listing instead of an ``importlib.metadata`` search of the whole path."""
    want = dist.lower().replace("-", "_")
    for base in dict.fromkeys((sysconfig.get_path("purelib"), sysconfig.get_path("platlib"))):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            stem, dot, kind = name.rpartition(".")
            project, dash, version = stem.partition("-")
            if dot and dash and kind == "dist-info" and project.lower() == want:
                return version
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def ruff_tool(project: Project) -> Tool | None:
    """ruff from the project env when it has one (and tools = "project"), else the bundled one."""
    interp = project.interpreter
    if project.config.tools == "project" and interp.has("ruff"):
        exe = Path(interp.scripts) / "ruff"
        if exe.exists():
            return Tool("ruff", (str(exe),), interp.dists["ruff"], "project env")
    exe_path = Path(sysconfig.get_path("scripts")) / "ruff"
    if exe_path.exists():
        return Tool("ruff", (str(exe_path),), _own_version("ruff"), "bundled")
    found = shutil.which("ruff")
    if found:
        return Tool("ruff", (found,), "?", "PATH")
    return None


def mypy_tool(project: Project) -> Tool | None:
    """mypy from the project env when it has one (and tools = "project"), else the bundled one."""
    interp = project.interpreter
    if project.config.tools == "project" and interp.has("mypy"):
        return Tool("mypy", (interp.python, "-m", "mypy"), interp.dists["mypy"], "project env")
    if _own_version("mypy") != "?":
        return Tool("mypy", (sys.executable, "-m", "mypy"), _own_version("mypy"), "bundled")
    return None


def pytest_tool(project: Project) -> Tool | None:
    """pytest always runs inside the project interpreter, so it sees the project's packages."""
    interp = project.interpreter
    if not interp.has("pytest"):
        return None
    return Tool("pytest", (interp.python, "-m", "pytest"), interp.dists["pytest"], "project env")
