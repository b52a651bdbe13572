"""Where mypy and pytest find their config from a folder, and the few settings the mypy check
and doctor read from it.

The folder a tool starts in decides which config it reads: CI running ``mypy backend/pkg`` from
the repository root reads the root's config (maybe none: ``strict`` off), while the guardrail
runs it in ``backend/`` with ``backend/pyproject.toml``.
"""

from __future__ import annotations

import configparser
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hooks.config import read_toml
from hooks.errors import GuardrailError

MYPY_FILES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")  # mypy's own order
MYPY_TARGET_KEYS = ("files", "packages", "modules")
PYTEST_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_INI_SECTIONS = {
    ("mypy", "mypy.ini"): "mypy",
    ("mypy", ".mypy.ini"): "mypy",
    ("mypy", "setup.cfg"): "mypy",
    ("pytest", "pytest.ini"): "pytest",
    ("pytest", ".pytest.ini"): "pytest",
    ("pytest", "tox.ini"): "pytest",
    ("pytest", "setup.cfg"): "tool:pytest",
}


def load_toml(path: Path) -> dict[str, Any]:
    """The file's data; one that is missing or broken configures nothing (the tool reading it
    reports that itself)."""
    try:
        return read_toml(path)
    except GuardrailError:
        return {}


def load_ini(path: Path) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return parser


def section(tool: str, path: Path) -> Mapping[str, Any] | None:
    """``tool``'s settings in the config file at ``path``; None when the file is missing,
    unreadable, or does not configure ``tool`` (pytest.ini always does)."""
    if not path.is_file():
        return None
    if path.name == "pyproject.toml":
        table = load_toml(path).get("tool", {})
        if not isinstance(table, dict) or tool not in table:
            return None
        found = table[tool]
        if tool == "pytest":
            return found if isinstance(found, dict) and found else None
        return found if isinstance(found, dict) else {}
    if tool == "pytest" and path.name in ("pytest.ini", ".pytest.ini"):
        return {}
    parser = load_ini(path)
    name = _INI_SECTIONS[(tool, path.name)]
    if parser is None or not parser.has_section(name):
        return None
    return dict(parser.items(name))


def config_file(tool: str, root: Path, start: str) -> str | None:
    """The config ``tool`` (``mypy`` or ``pytest``) reads when started in repo-relative ``start``:
    the nearest file with its section, searching up to the repository root."""
    names = MYPY_FILES if tool == "mypy" else PYTEST_FILES
    rel = posixpath.normpath(start)
    while True:
        folder = root / rel if rel != "." else root
        for name in names:
            if section(tool, folder / name) is not None:
                return name if rel == "." else f"{rel}/{name}"
        if rel in (".", "", "/"):
            return None
        rel = posixpath.dirname(rel) or "."


def mypy_config(folder: Path) -> tuple[str, Mapping[str, Any]] | None:
    """The file mypy reads its config from when started in ``folder`` (in mypy's own order) and
    its ``[mypy]`` settings; None when there is none."""
    for name in MYPY_FILES:
        found = section("mypy", folder / name)
        if found is not None:
            return name, found
    return None


def mypy_settings(path: Path) -> Mapping[str, object]:
    """mypy's settings in any of its config formats: ``[tool.mypy]`` of a TOML file, ``[mypy]``
    of an INI file (mypy.ini, setup.cfg, or any name CI's ``--config-file`` gives)."""
    if not path.is_file():
        return {}
    if path.suffix == ".toml":
        tool = load_toml(path).get("tool")
        found = tool.get("mypy") if isinstance(tool, dict) else None
        return found if isinstance(found, dict) else {}
    parser = load_ini(path)
    if parser is None or not parser.has_section("mypy"):
        return {}
    return dict(parser.items("mypy"))


def mypy_names_targets(folder: Path) -> bool:
    """Whether mypy's config names what to check (``files``, ``packages`` or ``modules``)."""
    found = mypy_config(folder)
    return found is not None and any(key in found[1] for key in MYPY_TARGET_KEYS)


def mypy_config_targets(folder: Path) -> tuple[str, ...] | None:
    """``files`` from the mypy config in ``folder`` (``.`` for ``packages``/``modules``)."""
    found = mypy_config(folder)
    if found is None:
        return None
    name, settings = found
    files = settings.get("files")
    if isinstance(files, str):
        listed = files if name == "pyproject.toml" else files.replace("\n", ",")
        return tuple(p.strip() for p in listed.split(",") if p.strip())
    if isinstance(files, list):
        return tuple(str(p) for p in files)
    if "packages" in settings or "modules" in settings:
        return (".",)
    return None


def coverage_threshold(folder: Path) -> bool:
    """Whether coverage's own config sets ``fail_under`` (so ``pytest --cov`` can fail on it)."""
    report = load_toml(folder / "pyproject.toml").get("tool", {}).get("coverage", {})
    if isinstance(report, dict) and "fail_under" in (report.get("report") or {}):
        return True
    for name, heading in ((".coveragerc", "report"), ("setup.cfg", "coverage:report")):
        path = folder / name
        parser = load_ini(path) if path.is_file() else None
        if parser is not None and parser.has_option(heading, "fail_under"):
            return True
    return False
