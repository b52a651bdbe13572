"""Where mypy and pytest find their config from a folder, and the few settings doctor compares.

The folder a tool starts in decides which config it reads: CI running ``mypy backend/pkg`` from
the repository root reads the root's config (maybe none: ``strict`` off), while the guardrail
runs it in ``backend/`` with ``backend/pyproject.toml``.
"""

from __future__ import annotations

import configparser
import posixpath
import tomllib
from pathlib import Path
from typing import Any

MYPY_FILES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
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


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _ini(path: Path) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return parser


def _has_section(tool: str, path: Path) -> bool:
    if path.name == "pyproject.toml":
        table = _toml(path).get("tool", {})
        if tool == "mypy":
            return isinstance(table, dict) and "mypy" in table
        pytest_table = table.get("pytest", {}) if isinstance(table, dict) else {}
        return isinstance(pytest_table, dict) and bool(pytest_table)
    if tool == "pytest" and path.name in ("pytest.ini", ".pytest.ini"):
        return True
    parser = _ini(path)
    return parser is not None and parser.has_section(_INI_SECTIONS[(tool, path.name)])


def config_file(tool: str, root: Path, start: str) -> str | None:
    """The config ``tool`` (``mypy`` or ``pytest``) reads when started in repo-relative ``start``:
    the nearest file with its section, searching up to the repository root."""
    names = MYPY_FILES if tool == "mypy" else PYTEST_FILES
    rel = posixpath.normpath(start)
    while True:
        folder = root / rel if rel != "." else root
        for name in names:
            if (folder / name).is_file() and _has_section(tool, folder / name):
                return name if rel == "." else f"{rel}/{name}"
        if rel in (".", "", "/"):
            return None
        rel = posixpath.dirname(rel) or "."


def mypy_config_targets(folder: Path) -> tuple[str, ...] | None:
    """``files`` from the mypy config in ``folder`` (``.`` for ``packages``/``modules``)."""
    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        path = folder / name
        parser = _ini(path) if path.is_file() else None
        if parser is not None and parser.has_section("mypy"):
            if parser.has_option("mypy", "files"):
                raw = parser.get("mypy", "files")
                return tuple(p.strip() for p in raw.replace("\n", ",").split(",") if p.strip())
            if parser.has_option("mypy", "packages") or parser.has_option("mypy", "modules"):
                return (".",)
            return None
    section = _toml(folder / "pyproject.toml").get("tool", {}).get("mypy")
    if isinstance(section, dict):
        files = section.get("files")
        if isinstance(files, str):
            return tuple(p.strip() for p in files.split(",") if p.strip())
        if isinstance(files, list):
            return tuple(str(p) for p in files)
        if "packages" in section or "modules" in section:
            return (".",)
    return None


def coverage_threshold(folder: Path) -> bool:
    """Whether coverage's own config sets ``fail_under`` (so ``pytest --cov`` can fail on it)."""
    report = _toml(folder / "pyproject.toml").get("tool", {}).get("coverage", {})
    if isinstance(report, dict) and "fail_under" in (report.get("report") or {}):
        return True
    for name, section in ((".coveragerc", "report"), ("setup.cfg", "coverage:report")):
        path = folder / name
        parser = _ini(path) if path.is_file() else None
        if parser is not None and parser.has_option(section, "fail_under"):
            return True
    return False
