"""CI's pinned ruff and mypy, installed once per version into the user's cache.

When CI pins a tool (``rev: v0.12.11`` of ruff-pre-commit, ``mypy==1.13.0`` in a requirements
file) and the project env has another version, the verdict can differ: ruff 0.17 reformats files
that 0.12 accepts. So the pinned version runs, from a virtualenv of its own under
``<user cache>/push-guardrail/tools/<tool>-<version>-<hash of the extras>/``, made with the
guardrail's own interpreter and filled by ``pip install`` from the package index (the user's pip
settings apply), as pre-commit builds its hook environments.

Two runs may want the same environment at once (a commit's background run and a push): a file
lock makes one build it while the other waits, and a marker file written last tells a finished
environment from one a killed run left half-built, which is removed and built again. A version
that cannot be installed (offline, no such release) is a :class:`NotInstalled` result naming
pip's reason, which the caller turns into a loud note before running what it has: never a
traceback, never a silent substitution.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hooks import atomic, locks, pins, probes, proc, toolconfig, xdg
from hooks.pins import canonical
from hooks.projects import Interpreter, Tool, probe, venv_python

DISTRIBUTIONS = {"ruff": "ruff", "mypy": "mypy"}
"""The tools that can be pinned, and the distribution each comes in."""

MARKER = "guardrail-tool.json"
FORMAT = 1
INSTALL_TIMEOUT = 900.0
# Environment variables that would send pip's install somewhere else than the new virtualenv, or
# change what the interpreter imports; and the git variables a git hook sets, which would point a
# `git+https://` requirement at the user's repository (pre-commit drops them for the same reason).
_DROPPED = frozenset(
    {
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONUSERBASE",
        "VIRTUAL_ENV",
        "__PYVENV_LAUNCHER__",
        "PIP_USER",
        "PIP_TARGET",
        "PIP_PREFIX",
        "PIP_ROOT",
        "PIP_PYTHON",
    }
)
_GIT_KEPT = ("GIT_SSH", "GIT_SSL_", "GIT_ASKPASS", "GIT_CONFIG_", "GIT_HTTP_", "GIT_ALLOW_PROTOCOL")


@dataclass(frozen=True, slots=True)
class NotInstalled:
    """``tool`` ``version``, pinned at ``origin``, could not be installed; ``reason`` is pip's
    one-line reason (or what else went wrong)."""

    tool: str
    version: str
    origin: str
    reason: str

    def note(self, fallback: Tool | None) -> str:
        """The loud note the caller prints before running ``fallback`` (None: nothing to run)."""
        head = (
            f"{self.tool} {self.version} pinned by {self.origin} could not be installed "
            f"({self.reason})"
        )
        if fallback is None:
            return f"{head}: there is no other {self.tool} to run"
        return f"{head}: ran {fallback.name} {fallback.version} {_where(fallback.source)} instead"


def _where(source: str) -> str:
    return {
        "project env": "from the project env",
        "bundled": "bundled with the guardrail",
        "PATH": "from PATH",
    }.get(source, f"({source})")


def folder() -> Path:
    """Where the tool environments live."""
    return xdg.cache_folder("tools")


def normalized_extras(extras: Iterable[str]) -> tuple[str, ...]:
    """The extra requirements as the environment is keyed by: stripped, unique, sorted."""
    return tuple(sorted({e.strip() for e in extras if e.strip()}))


def env_folder(
    tool: str, version: str, extras: Iterable[str] = (), cache: Path | None = None
) -> Path:
    """``<cache>/<tool>-<version>-<short hash of the sorted extras>``."""
    digest = hashlib.sha256("\n".join(normalized_extras(extras)).encode()).hexdigest()[:10]
    return (cache if cache is not None else folder()) / f"{tool}-{version}-{digest}"


def pinned(
    tool: str,
    version: str,
    *,
    origin: str,
    extras: Iterable[str] = (),
    announce: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    cache: Path | None = None,
    timeout: float = INSTALL_TIMEOUT,
) -> Tool | NotInstalled:
    """How to start ``tool`` (``ruff`` or ``mypy``) at exactly ``version`` with ``extras``
    installed beside it (mypy plugins' packages, a pre-commit hook's
    ``additional_dependencies``), installing it on first use.

    ``origin`` says where CI pins it (``.pre-commit-config.yaml:5``); the :class:`Tool`'s source
    is ``pinned by <origin>``. ``announce`` receives the one line said before an install
    (default: written to stderr); nothing else of the install reaches the terminal.
    """
    if tool not in DISTRIBUTIONS:
        raise ValueError(f"no pinned installs of {tool!r}; only {', '.join(DISTRIBUTIONS)}")
    wanted = normalized_extras(extras)

    def failed(reason: str) -> NotInstalled:
        return NotInstalled(tool, version, origin, reason)

    problem = _bad_request(version, wanted)
    if problem is not None:
        return failed(problem)
    env = env_folder(tool, version, wanted, cache)
    source = f"pinned by {origin}"
    argv = _ready(env, tool, version, wanted)
    if argv is not None:
        return Tool(tool, argv, version, source)
    try:
        env.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return failed(f"cannot create {env.parent}: {exc.strerror or exc}")
    with locks.held(f"tool env {env}", cancel) as got:
        if not got:
            return failed("interrupted while another run was installing it")
        argv = _ready(env, tool, version, wanted)
        if argv is not None:
            return Tool(tool, argv, version, source)
        say = announce if announce is not None else _to_stderr
        beside = f" with {', '.join(wanted)}" if wanted else ""
        say(f"installing {tool} {version}{beside} for CI parity (once)...")
        outcome = _build(env, tool, version, wanted, cancel, timeout)
    if isinstance(outcome, str):
        return failed(outcome)
    return Tool(tool, outcome, version, source)


def _to_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _bad_request(version: str, extras: tuple[str, ...]) -> str | None:
    """Why pip must not be asked for this, or None. The version names a folder and every extra
    is one argument of pip's: neither may be a path or an option."""
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        return f"{version!r} is not a version pip can install"
    if not re.fullmatch(r"[A-Za-z0-9.+!_-]+", version):
        return f"{version!r} is not a version pip can install"
    for extra in extras:
        if extra.startswith("-"):
            return f"{extra!r} is an option, not a requirement"
    return None


def _argv(env: Path, tool: str) -> tuple[str, ...] | None:
    """How to start the tool in ``env``; None when its program is not there."""
    python = venv_python(env)
    if tool == "mypy":
        return (str(python), "-m", "mypy") if python.exists() else None
    exe = shutil.which(tool, path=str(python.parent))
    return (exe,) if exe else None


def _ready(env: Path, tool: str, version: str, extras: tuple[str, ...]) -> tuple[str, ...] | None:
    """The tool's argv when ``env`` is a finished environment for exactly this request: its
    marker is there and names it, and the program still starts (``exists`` follows the venv's
    symlink to the interpreter it was made from, which may have been removed since)."""
    try:
        data = json.loads((env / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    expected = {"format": FORMAT, "tool": tool, "version": version, "extras": list(extras)}
    if not isinstance(data, dict) or any(data.get(k) != v for k, v in expected.items()):
        return None
    argv = _argv(env, tool)
    if argv is None or not os.path.exists(argv[0]):
        return None
    return argv


def _installer_env() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name not in _DROPPED and not (name.startswith("GIT_") and not name.startswith(_GIT_KEPT))
    }


def _own_pip() -> bool:
    """Whether the guardrail's own pip can install into another interpreter (``--python``,
    pip 22.3): then the new environment needs no pip of its own, which saves seconds."""
    from importlib import metadata

    from packaging.version import InvalidVersion, Version

    try:
        return Version(metadata.version("pip")) >= Version("22.3")
    except (metadata.PackageNotFoundError, InvalidVersion):
        return False


def _build(
    env: Path,
    tool: str,
    version: str,
    extras: tuple[str, ...],
    cancel: threading.Event | None,
    timeout: float,
) -> tuple[str, ...] | str:
    """Make the environment (holding its lock): the argv that starts the tool, or why not."""
    environ = _installer_env()
    own_pip = _own_pip()
    done = False
    try:
        if env.exists():
            shutil.rmtree(env)
        make = [sys.executable, "-m", "venv", *(["--without-pip"] if own_pip else []), str(env)]
        res = proc.run(make, env=environ, timeout=timeout, cancel=cancel)
        if res.returncode != 0 or res.timed_out:
            return _failure("the virtualenv could not be made", res, timeout)
        python = str(venv_python(env))
        pip = (
            [sys.executable, "-m", "pip", "--python", python] if own_pip else [python, "-m", "pip"]
        )
        install = [
            *pip,
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--no-warn-script-location",
            "--retries",
            "1",
            f"{DISTRIBUTIONS[tool]}=={version}",
            *extras,
        ]
        res = proc.run(install, env=environ, timeout=timeout, cancel=cancel)
        if res.returncode != 0 or res.timed_out:
            return _failure("pip", res, timeout)
        argv = _argv(env, tool)
        if argv is None:
            return f"pip installed {tool} {version} without its program"
        res = proc.run([*argv, "--version"], env=environ, timeout=120, cancel=cancel)
        if res.returncode != 0:
            return f"the installed {tool} {version} does not start: {_last_line(res)}"
        marker = {"format": FORMAT, "tool": tool, "version": version, "extras": list(extras)}
        if not atomic.write_json(env / MARKER, marker):
            return f"cannot write {env / MARKER}"
        done = True
        return argv
    except OSError as exc:
        return f"cannot write {env}: {exc.strerror or exc}"
    finally:
        if not done:
            with contextlib.suppress(OSError):
                shutil.rmtree(env)


def _failure(what: str, res: proc.ProcResult, timeout: float) -> str:
    if res.timed_out:
        return f"{what} did not finish within {timeout:g} s"
    if res.signal is not None:
        return "interrupted"
    if what == "pip":
        return pip_reason(res.stdout + "\n" + res.stderr)
    return f"{what}: {_last_line(res)}"


def _last_line(res: proc.ProcResult) -> str:
    lines = [line.strip() for line in (res.stderr + "\n" + res.stdout).splitlines()]
    found = [line for line in lines if line]
    return found[-1] if found else f"exit status {res.returncode}"


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")
_BROKEN = re.compile(r"connection broken by '(\w+)")


def pip_reason(output: str, limit: int = 200) -> str:
    """pip's reason for a failed install, in one line: the package index being unreachable
    when pip retried connecting (its own last line then only says no version was found), else
    pip's last ``ERROR:`` line, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    retried = [line for line in lines if "Retrying (Retry(" in line]
    if retried:
        last = retried[-1]
        found = _ERRNO.search(last) or _BROKEN.search(last)
        why = found.group(1).strip() if found else "connection failed"
        reason = f"the package index could not be reached: {why}"
    else:
        errors = [
            line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")
        ]
        reason = errors[-1] if errors else (lines[-1] if lines else "pip failed")
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


_FILE_PLUGIN = re.compile(r"[/\\]|\.py$")


@dataclass(frozen=True, slots=True)
class MypyPlugins:
    """The plugins a mypy config names, and what to install beside a pinned mypy for them.

    ``requirements`` pin each plugin module's distribution to the version the project locks
    (``uv.lock``, ``poetry.lock``, ``pdm.lock``, ``==`` in a requirements file) or else has
    installed (``pydantic.mypy`` -> ``pydantic==2.11.7``). ``unresolved`` are the modules whose
    distribution is not known, each with why; plugins named by file path load from that file and
    need nothing.
    """

    config: str | None
    modules: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    unresolved: tuple[tuple[str, str], ...] = ()

    def notes(self) -> tuple[str, ...]:
        """One line per unresolved plugin, for the caller to print."""
        return tuple(
            f"mypy plugin {module} (named in {self.config}) {why}: the pinned mypy may not load it"
            for module, why in self.unresolved
        )


def mypy_plugins(
    project_dir: Path,
    repo_root: Path,
    interpreter: Interpreter | None = None,
    *,
    config_file: str | None = None,
) -> MypyPlugins:
    """The plugins of the mypy config that mypy started in ``project_dir`` reads (or
    ``config_file``, CI's ``--config-file``, relative to ``project_dir``), resolved against the
    project's ``interpreter`` and lock files; see :class:`MypyPlugins`."""
    rel = _rel(project_dir, repo_root)
    if config_file is not None:
        path = project_dir / config_file
    else:
        found = toolconfig.config_file("mypy", repo_root, rel)
        if found is None:
            return MypyPlugins(None)
        path = repo_root / found
    shown = _rel(path, repo_root)
    modules = tuple(
        entry.partition(":")[0]
        for entry in _plugin_entries(toolconfig.mypy_settings(path).get("plugins"))
        if not _FILE_PLUGIN.search(entry)
    )
    if not modules:
        return MypyPlugins(shown)
    locked = pins.locked_versions(repo_root, rel)
    dists = interpreter.dists if interpreter else {}
    installed: dict[str, str] = {canonical(n): v for n, v in dists.items()}
    editable = {canonical(e.name) for e in interpreter.editables} if interpreter else set()
    requirements: list[str] = []
    unresolved: list[tuple[str, str]] = []
    for module in modules:
        dist = _distribution(module, interpreter, installed, locked)
        if dist is None:
            unresolved.append((module, "comes from no distribution installed or locked"))
        elif dist in editable:
            unresolved.append((module, f"comes from {dist}, installed from its source folder"))
        else:
            version = locked.get(dist) or installed.get(dist)
            requirements.append(f"{dist}=={version}" if version else dist)
    return MypyPlugins(shown, modules, tuple(dict.fromkeys(requirements)), tuple(unresolved))


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
    return rel or "."


def _plugin_entries(value: object) -> tuple[str, ...]:
    """``plugins`` as mypy reads it: a list, or one string of comma- or line-separated names."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    entries: list[str] = []
    for item in items:
        if isinstance(item, str):
            entries.extend(p.strip() for p in re.split(r"[,\n]", item) if p.strip())
    return tuple(entries)


def _distribution(
    module: str,
    interpreter: Interpreter | None,
    installed: Mapping[str, str],
    locked: Mapping[str, str],
) -> str | None:
    """The normalised name of the distribution that provides ``module``: the one named like its
    top-level package when the project has it, else the installed one holding its file."""
    top = canonical(module.split(".")[0])
    if top in installed:
        return top
    if interpreter is not None:
        found = _providing(module, interpreter.python)
        if found is not None:
            return found
    return top if top in locked else None


def _providing(module: str, python: str) -> str | None:
    """The distribution in ``python``'s environment whose files hold ``module``, found from its
    installed metadata (``RECORD``) without starting that interpreter."""
    from importlib import metadata

    info = probes.cached(python, probe)
    paths = info.get("paths") if info else None
    if not isinstance(paths, list):
        return None
    base = module.replace(".", "/")
    for dist in metadata.distributions(path=[p for p in paths if isinstance(p, str)]):
        for file in dist.files or ():
            name = str(file).replace("\\", "/")
            if name.startswith((f"{base}.", f"{base}/__init__.")):
                return canonical(dist.metadata["Name"] or "") or None
    return None
