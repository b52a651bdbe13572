"""Find the projects in a repository, their interpreter and the tools that will check them."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hooks import probes, proc
from hooks.config import (
    ENFORCED,
    Layer,
    ProjectConfig,
    load_project_layer,
    resolve,
    root_projects,
)
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
# Modules that editable finders serve, as site.py installed them from the .pth files at start-up:
# setuptools' __editable___*_finder MAPPING and the editables library's redirector (hatchling).
mapped = {}
for mod_name, mod in list(sys.modules.items()):
    if mod_name.startswith("__editable__") and isinstance(getattr(mod, "MAPPING", None), dict):
        mapped.update(mod.MAPPING)
redirector = sys.modules.get("editables.redirector")
if redirector is not None:
    mapped.update(getattr(redirector.RedirectingFinder, "_redirections", {}))
editables = []
for d in metadata.distributions():
    name = d.metadata["Name"]
    if name:
        dists.setdefault(name.lower().replace("_", "-"), d.version)
    try:
        direct = json.loads(d.read_text("direct_url.json") or "{}")
    except (OSError, ValueError):
        continue
    url = direct.get("url") if isinstance(direct, dict) else None
    if not (isinstance(url, str) and url.startswith("file:")):
        continue
    if not (direct.get("dir_info") or {}).get("editable"):
        continue
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname
    source = os.path.abspath(url2pathname(unquote(urlsplit(url).path)))
    paths = []
    for f in d.files or ():
        if str(f).endswith(".pth"):
            pth = str(f.locate())
            try:
                lines = open(pth, encoding="utf-8").read().splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                line = line.strip()
                if line and not line.startswith(("#", "import ", "import\t")):
                    paths.append(os.path.abspath(os.path.join(os.path.dirname(pth), line)))
    inside = source.rstrip(os.sep) + os.sep
    modules = {
        k: os.path.abspath(v) for k, v in mapped.items()
        if isinstance(k, str) and isinstance(v, str) and os.path.abspath(v).startswith(inside)
    }
    editables.append({"name": name or "", "source": source, "paths": paths, "modules": modules})
print(json.dumps({
    "version": "%d.%d.%d" % sys.version_info[:3],
    "prefix": sys.prefix,
    "executable": sys.executable,
    "scripts": sysconfig.get_path("scripts"),
    "dists": dists,
    "paths": sys.path,
    "editables": editables,
}))
"""


@dataclass(frozen=True, slots=True)
class Editable:
    """A distribution installed in editable mode (``direct_url.json``'s ``dir_info.editable``):
    its source folder, the folders its ``.pth`` files put on the import path, and the modules an
    editable finder (setuptools', hatchling's ``editables``) maps into the source folder."""

    name: str
    source: str
    paths: tuple[str, ...] = ()
    modules: Mapping[str, str] = field(default_factory=dict)


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
    editables: tuple[Editable, ...] = ()

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
    worktree: Path | None = None

    @property
    def path(self) -> Path:
        return self.repo_root / self.rel if self.rel != "." else self.repo_root

    def snapshot_imports(self, *, finders: bool = True) -> tuple[str, ...]:
        """Where the checked tree's copy of each editable install inside the working tree is
        imported from, to go first on the import path: empty unless ``repo_root`` is a snapshot
        of ``worktree``. The folders the installs' ``.pth`` files name, and with ``finders``
        the parent folder of each top-level module an editable finder maps (mypy does not read
        finders, so CI's mypy never sees those)."""
        if self.worktree is None or self.worktree == self.repo_root:
            return ()
        work = self.worktree.resolve()
        found: list[str] = []
        for editable in self.interpreter.editables:
            roots = list(editable.paths)
            if finders:
                roots.extend(
                    _import_root(name, path) or "" for name, path in editable.modules.items()
                )
            for root in roots:
                try:
                    rel = Path(root).resolve().relative_to(work)
                except (ValueError, OSError):
                    continue
                mapped = self.repo_root / rel
                if mapped.is_dir() and str(mapped) not in found:
                    found.append(str(mapped))
        return tuple(found)

    def editable_sources(self) -> tuple[Path, ...]:
        """The checked tree's copy of each editable install's source folder inside the working
        tree (where its build backend's settings are)."""
        if self.worktree is None:
            return ()
        work = self.worktree.resolve()
        found: list[Path] = []
        for editable in self.interpreter.editables:
            try:
                rel = Path(editable.source).resolve().relative_to(work)
            except (ValueError, OSError):
                continue
            if (self.repo_root / rel).is_dir():
                found.append(self.repo_root / rel)
        return tuple(found)


def _import_root(name: str, path: str) -> str | None:
    """The folder to put on the path so that ``import name`` finds ``path`` (a package folder,
    its ``__init__.py`` or a module file); None for a submodule or a renamed mapping."""
    target = Path(path)
    if target.name == "__init__.py":
        target = target.parent
    if "." in name or (target.name != name and target.stem != name):
        return None
    return str(target.parent)


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


def foreign_path() -> Iterator[str]:
    """The folders on PATH, but those of the guardrail's own environment (pre-commit's hook
    env, a pipx venv): a Python found there is the guardrail's, not the project's."""
    own = _own_prefix()
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry and not _inside(Path(entry), own):
            yield entry


def venv_python(venv: Path) -> Path:
    """A virtualenv's interpreter: ``bin/python``, or ``Scripts\\python.exe`` on Windows."""
    if sys.platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _program(folder: str | os.PathLike[str], name: str) -> str | None:
    """The program ``name`` in ``folder`` (``name.exe`` on Windows), when it is there to run."""
    return shutil.which(name, path=os.fspath(folder))


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
            if venv_python(venv).exists():
                where = os.path.relpath(venv, repo_root)
                yield str(venv_python(venv).absolute()), where
    active = os.environ.get("VIRTUAL_ENV")
    if active and not _inside(Path(active), _own_prefix()) and venv_python(Path(active)).exists():
        yield str(venv_python(Path(active))), "VIRTUAL_ENV"
    for entry in foreign_path():
        exe = _program(entry, "python" if sys.platform == "win32" else "python3")
        if exe:
            yield exe, "python3 on PATH"
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


def probed(python: str, source: str) -> Interpreter | None:
    """``python`` as an :class:`Interpreter` found at ``source``, from its (remembered) probe;
    None when it does not run."""
    info = probes.cached(python, probe)
    return None if info is None else _interpreter(python, source, info)


def find_interpreter(project_dir: Path, repo_root: Path, configured: str | None) -> Interpreter:
    """The project's interpreter, by the documented search order; the hook's own as last resort."""
    for python, source in _candidates(project_dir, repo_root, configured):
        found = probed(python, source)
        if found is not None:
            return found
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
    editables = info.get("editables")
    return Interpreter(
        python=python,
        version=str(info.get("version", "?")),
        source=source,
        prefix=str(info.get("prefix", "")),
        scripts=str(info.get("scripts", "")),
        dists=dict(dists) if isinstance(dists, dict) else {},
        warning=warning,
        editables=tuple(_editable(e) for e in editables if isinstance(e, dict))
        if isinstance(editables, list)
        else (),
    )


def _editable(data: Mapping[str, object]) -> Editable:
    paths = data.get("paths")
    modules = data.get("modules")
    return Editable(
        name=str(data.get("name", "")),
        source=str(data.get("source", "")),
        paths=tuple(p for p in paths if isinstance(p, str)) if isinstance(paths, list) else (),
        modules={str(k): str(v) for k, v in modules.items()} if isinstance(modules, dict) else {},
    )


ProjectFilter = Callable[[str, ProjectConfig], bool]


def with_extra(repo_root: Path, found: tuple[str, ...], extra: Iterable[str]) -> tuple[str, ...]:
    """The discovered project folders plus ``extra`` ones, in path order; ``[tool.guardrail]
    projects`` in the root keeps its own list. The root, which discovery names when it finds no
    pyproject.toml at all, is dropped when the extra folders are the projects and it holds no
    project file itself."""
    more = [_norm(rel) for rel in extra if _norm(rel) not in found]
    if not more or root_projects(repo_root) is not None:
        return found
    if found == (".",) and not any(
        (repo_root / name).is_file() for name in ("pyproject.toml", "setup.cfg", "setup.py")
    ):
        found = ()
    return tuple(sorted({*found, *more}, key=lambda rel: (rel != ".", rel)))


def _bundled_over_ci(layers: Sequence[Layer], own: Layer, path: Path) -> str:
    """Where ``tools = "bundled"`` comes from when it beats CI's pinned versions: the project's
    own ``[tool.guardrail]``, or an organisation layer that enforces it; "" when it does not
    (an organisation's default, which CI's pins override)."""
    if "tools" in own:
        return f"[tool.guardrail] tools in {path / 'pyproject.toml'}"
    if any("tools" in layer and "tools" in layer.get(ENFORCED, ()) for layer in layers):
        return "the hook args' --enforce tools"
    return ""


def load_projects(
    repo_root: Path,
    extra_layers: Iterable[Layer] = (),
    *,
    select: ProjectFilter | None = None,
    env_root: Path | None = None,
    extra: Iterable[str] = (),
) -> list[Project]:
    """Every project (or those ``select`` keeps) with its resolved config and interpreter.

    ``env_root`` is where the interpreters live when ``repo_root`` is a snapshot of the
    repository: the user's working tree, whose ``.venv`` a clean checkout does not have.
    ``extra``: more project folders (those CI checks), unless ``[tool.guardrail] projects``
    names them all.
    """
    layers = list(extra_layers)
    projects: list[Project] = []
    interpreters: dict[tuple[str, str | None], Interpreter] = {}
    envs = env_root if env_root is not None else repo_root
    for rel in with_extra(repo_root, discover(repo_root), extra):
        path = repo_root / rel if rel != "." else repo_root
        own = load_project_layer(path, repo_root=rel == ".")
        config = resolve([*layers, own])
        if config.tools == "bundled":
            config = replace(config, tools_over_ci=_bundled_over_ci(layers, own, path))
        if select is not None and not select(rel, config):
            continue
        key = (str(path), config.python)
        if key not in interpreters:
            env_path = envs / rel if rel != "." else envs
            interpreters[key] = find_interpreter(env_path, envs, config.python)
        worktree = env_root if env_root is not None and env_root != repo_root else None
        projects.append(Project(repo_root, rel, config, interpreters[key], worktree))
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


_RELEASE = re.compile(r"\d+(?:\.\d+)*")
RUFF_MINIMUM = "0.1.0"
"""The oldest ruff the guardrail reads, as ``pyproject.toml`` declares it (``ruff>=0.1.0``):
every ruff since has ``check --output-format json-lines`` and ``format --check``."""


def release(version: str) -> tuple[int, ...] | None:
    """``0.12.11`` -> ``(0, 12, 11)``: enough to compare the tool versions the guardrail gates
    on, without importing ``packaging`` into every run. None for what is not a version."""
    match = _RELEASE.match(version.strip())
    if match is None:
        return None
    parts = tuple(int(part) for part in match[0].split("."))
    return parts + (0,) * (3 - len(parts))


def _older(version: str, minimum: str) -> bool:
    found, wanted = release(version), release(minimum)
    return found is not None and wanted is not None and found < wanted


def ruff_tool(project: Project) -> Tool | None:
    """ruff from the project env when it has one (and tools = "project"), else the bundled one.

    A project ruff older than :data:`RUFF_MINIMUM` is passed over for the bundled one, and the
    tool's source says so in every summary."""
    interp = project.interpreter
    source = "bundled"
    if project.config.tools == "project" and interp.has("ruff"):
        exe = _program(interp.scripts, "ruff")
        version = interp.dists["ruff"]
        if exe and not _older(version, RUFF_MINIMUM):
            return Tool("ruff", (exe,), version, "project env")
        if exe:
            source = (
                f"bundled, since the project env's ruff {version} is older than "
                f"{RUFF_MINIMUM}, the oldest the guardrail supports"
            )
    exe = _program(sysconfig.get_path("scripts"), "ruff")
    if exe:
        return Tool("ruff", (exe,), _own_version("ruff"), source)
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
