"""What one simple command is: a check, a coverage command, an install, or a runner of more
commands. Pure functions of an argv (already expanded); nothing here reads files."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

_PYTHON = re.compile(r"^(?:.*/)?(?:python(?:\d+(?:\.\d+)?)?|py)(?:\.exe)?$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELL_WORDS = frozenset({"time", "exec", "command", "nice", "nohup", "xvfb-run", "sudo"})
PIN_NAME = re.compile(r"^(ruff|mypy)(?:\[[^\]]*\])?\s*(?:[=<>!~].*)?$", re.IGNORECASE)
# Options of launchers that take a value (so the value is not mistaken for the tool).
_UV_VALUE_OPTS = frozenset(
    {
        "--with",
        "--with-editable",
        "--with-requirements",
        "--python",
        "-p",
        "--extra",
        "--group",
        "--only-group",
        "--no-group",
        "--package",
        "--project",
        "--directory",
        "--env-file",
        "--index",
        "--index-url",
        "--extra-index-url",
        "--from",
        "--config-file",
        "--cache-dir",
        "--no-extra",
        "--python-preference",
    }
)
_PIPX_VALUE_OPTS = frozenset({"--spec", "--python", "--index-url", "--pip-args"})
_POETRY_VALUE_OPTS = frozenset({"-C", "--directory", "-P", "--project"})
_COVERAGE_VALUE_OPTS = frozenset(
    {"--rcfile", "--source", "--include", "--omit", "--context", "--data-file", "--concurrency"}
)
_RUFF_SUBCOMMANDS = frozenset(
    {"rule", "config", "linter", "clean", "version", "server", "analyze", "help", "format", "check"}
)
COVERAGE_REPORTS = frozenset({"report", "html", "xml", "json", "lcov"})
"""coverage commands that end with ``fail_under`` applied to the total."""


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """A command with its launchers peeled off: ``argv`` starts with the program that runs."""

    argv: tuple[str, ...]
    launcher: str
    directory: str | None
    env: tuple[tuple[str, str], ...] = ()
    with_pins: tuple[str, ...] = ()


def _skip_options(
    argv: Sequence[str], value_opts: frozenset[str]
) -> tuple[list[str], str | None, list[str]]:
    """Drop a launcher's leading options; also return ``--directory``/``--project`` and the
    ``--with``/``--from``/``--spec`` requirements given."""
    rest = list(argv)
    directory = None
    withs: list[str] = []
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt == "--":
            break
        name, eq, value = opt.partition("=")
        if name in value_opts and not eq and rest:
            value = rest.pop(0)
        if name in ("--directory", "--project", "-C", "-P") and value:
            directory = value
        if name in ("--with", "--from", "--spec") and value:
            withs.extend(v for v in value.split(",") if v)
    return rest, directory, withs


def strip_version(spec: str) -> str:
    return re.split(r"[=<>!~@\[]", spec, maxsplit=1)[0]


def unwrap(argv: Sequence[str]) -> Unwrapped:
    """Peel environment assignments, shell words and launchers off a simple command."""
    rest = list(argv)
    launchers: list[str] = []
    directory: str | None = None
    env: list[tuple[str, str]] = []
    withs: list[str] = []
    while rest:
        head = rest[0]
        if _ASSIGNMENT.match(head):
            name, _, value = rest.pop(0).partition("=")
            env.append((name, value))
            continue
        if head == "env":
            rest.pop(0)
            while rest and rest[0].startswith("-"):
                rest.pop(0)
            continue
        if head in _SHELL_WORDS:
            rest.pop(0)
            while rest and rest[0].startswith("-") and head != "exec":
                rest.pop(0)
            continue
        if _PYTHON.match(head) and "-m" in rest[1:]:
            options = rest[1 : rest.index("-m", 1)]
            if any(not o.startswith("-") for o in options):
                break  # ``python script.py -m x``: -m belongs to the script
            launchers.append("python -m")
            rest = rest[rest.index("-m", 1) + 1 :]
            continue
        if head in ("uv", "rye") and rest[1:2] == ["run"]:
            launchers.append(f"{head} run")
            rest, found, more = _skip_options(rest[2:], _UV_VALUE_OPTS)
            directory = found or directory
            withs += more
            continue
        if head == "uv" and rest[1:3] == ["tool", "run"]:
            launchers.append("uv tool run")
            rest, _, more = _skip_options(rest[3:], _UV_VALUE_OPTS)
            withs += more
            continue
        if head == "uvx":
            launchers.append("uvx")
            rest, _, more = _skip_options(rest[1:], _UV_VALUE_OPTS)
            withs += more
            if rest and "@" in rest[0]:
                withs.append(rest[0].replace("@", "=="))
            rest[:1] = [strip_version(rest[0])] if rest else []
            continue
        if head in ("poetry", "pdm", "pipenv") and rest[1:2] == ["run"]:
            launchers.append(f"{head} run")
            rest, found, _ = _skip_options(rest[2:], _POETRY_VALUE_OPTS)
            directory = found or directory
            continue
        if head == "pipx" and rest[1:2] == ["run"]:
            launchers.append("pipx run")
            rest, _, more = _skip_options(rest[2:], _PIPX_VALUE_OPTS)
            withs += more
            if rest and "==" in rest[0]:
                withs.append(rest[0])
            rest[:1] = [strip_version(rest[0])] if rest else []
            continue
        if head == "hatch" and rest[1:2] == ["run"]:
            launchers.append("hatch run")
            rest, _, _ = _skip_options(rest[2:], frozenset())
            if rest and ":" in rest[0]:
                rest[0] = rest[0].split(":", 1)[1]
            continue
        if posixpath.basename(head) == "coverage" and rest[1:2] == ["run"]:
            after, _, _ = _skip_options(rest[2:], _COVERAGE_VALUE_OPTS)
            launchers.append("coverage run")
            rest = rest[rest.index("-m") + 1 :] if "-m" in rest else after
            continue
        break
    if rest and posixpath.basename(rest[0]) == "pre_commit":
        rest[0] = "pre-commit"
    return Unwrapped(tuple(rest), " ".join(launchers), directory, tuple(env), tuple(withs))


def classify(
    argv: Sequence[str], *, in_pre_commit: bool = False
) -> tuple[str, tuple[str, ...]] | None:
    """``(check, args)`` when ``argv`` (launchers already peeled) runs a check CI can fail on.

    ``ruff format`` without ``--check`` only fails CI under pre-commit, which fails a hook that
    changes files (``in_pre_commit``)."""
    if not argv:
        return None
    name = posixpath.basename(argv[0]).removesuffix(".exe")
    args = tuple(argv[1:])
    if name == "ruff":
        if not args or args[0] not in _RUFF_SUBCOMMANDS:
            return "ruff-check", args
        if args[0] == "check":
            return "ruff-check", args[1:]
        if args[0] == "format" and ("--check" in args or "--diff" in args or in_pre_commit):
            return "ruff-format", args[1:]
        return None
    if name == "mypy":
        return "mypy", args
    if name == "dmypy" and args[:1] == ("run",):
        rest = args[1:]
        return "mypy", rest[rest.index("--") + 1 :] if "--" in rest else ()
    if name in ("pytest", "py.test"):
        return "pytest", args
    return None


CHECKY = re.compile(r"lint|check|test|type|mypy|ruff|format|verify|qa|cov|gate|^ci$", re.I)
"""A script, target or session name that suggests it runs checks."""


def requirement_installs(argv: Sequence[str]) -> list[str]:
    """ruff/mypy requirements named on the command line: ``pip install ruff==0.5``, ``uv pip
    install``, ``pipx install``, ``uv tool install``, ``poetry add``, ``uvx ruff@0.6``."""
    words = list(argv)
    for i in range(len(words) - 1):
        if words[i] in ("install", "add") and any(
            w in ("pip", "pip3", "pipx", "tool", "poetry", "pdm") or w.endswith("/pip")
            for w in words[:i]
        ):
            return [w for w in words[i + 1 :] if PIN_NAME.match(w)]
    return []


@dataclass(frozen=True, slots=True)
class Install:
    """What a ``pip install``-like command installs from files: requirement files (``-r``),
    constraint files (``-c``), the extras of a local project (``-e .[dev]``)."""

    requirement_files: tuple[str, ...] = ()
    local_extras: tuple[tuple[str, tuple[str, ...]], ...] = ()


def pip_install(argv: Sequence[str]) -> Install | None:
    """The files a ``pip install``/``uv pip install``/``uv pip sync`` reads; None for others."""
    words = list(argv)
    start = None
    for i, word in enumerate(words):
        if word in ("install", "sync") and any(
            w in ("pip", "pip3") or w.endswith("/pip") for w in words[:i]
        ):
            start = i + 1
            break
    if start is None:
        return None
    files: list[str] = []
    extras: list[tuple[str, tuple[str, ...]]] = []
    rest = words[start:]
    sync = words[start - 1] == "sync"
    i = 0
    while i < len(rest):
        word = rest[i]
        name, eq, value = word.partition("=")
        if name in ("-r", "--requirement", "-c", "--constraint", "--constraints"):
            if not eq:
                i += 1
                value = rest[i] if i < len(rest) else ""
            if value:
                files.append(value)
        elif word.startswith(("-r", "-c")) and len(word) > 2 and not word.startswith("--"):
            files.append(word[2:])
        elif word in ("-e", "--editable"):
            i += 1
            if i < len(rest):
                extras.append(_local_extras(rest[i]))
        elif sync and not word.startswith("-"):
            files.append(word)
        elif word.startswith((".", "/")):
            extras.append(_local_extras(word))
        i += 1
    return Install(tuple(files), tuple(e for e in extras if e[0]))


def _local_extras(spec: str) -> tuple[str, tuple[str, ...]]:
    """``.[dev,test]`` -> (``.``, (dev, test)); a requirement that is no local path -> ("", ())."""
    path, _, extras = spec.partition("[")
    if not path.startswith((".", "/")):
        return "", ()
    names = tuple(e.strip() for e in extras.rstrip("]").split(",") if e.strip())
    return path, names


def lock_sync(argv: Sequence[str]) -> tuple[str, str | None] | None:
    """``(lock file name, --directory/--project)`` when the command installs from a lock file:
    ``uv sync``/``uv run`` (uv.lock), ``poetry install``/``poetry sync`` (poetry.lock),
    ``pdm install``/``pdm sync`` (pdm.lock)."""
    if len(argv) < 2:
        return None
    tool, sub = posixpath.basename(argv[0]), argv[1]
    if tool == "uv" and sub in ("sync", "run"):
        _, directory, _ = _skip_options(argv[2:], _UV_VALUE_OPTS)
        if sub == "run" and "--no-sync" in argv:
            return None
        return "uv.lock", directory
    if tool == "poetry" and sub in ("install", "sync"):
        _, directory, _ = _skip_options(argv[2:], _POETRY_VALUE_OPTS)
        return "poetry.lock", directory
    if tool == "pdm" and sub in ("install", "sync"):
        return "pdm.lock", None
    return None
