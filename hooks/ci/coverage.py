"""coverage's ``fail_under``, found the way coverage finds its config, with the line that sets it.

coverage reads the file given (``--rcfile``, pytest-cov's ``--cov-config``, ``COVERAGE_RCFILE``),
else the first of ``.coveragerc``, ``setup.cfg``, ``tox.ini`` and ``pyproject.toml`` that
configures it (``.coveragerc`` counts as soon as it exists; pytest-cov's default
``--cov-config=.coveragerc`` means the same search).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from hooks.toolconfig import load_ini, load_toml


@dataclass(frozen=True, slots=True)
class Threshold:
    """``fail_under`` of the config ``file`` (repo-relative) at ``line``; ``value`` None when it
    is not a number (an interpolated ``${VAR}``)."""

    value: float | None
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _join(folder: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(folder, name))


def config_file(root: Path, folder: str, rcfile: str | None) -> tuple[str, bool] | None:
    """The config coverage reads in ``folder``: (repo-relative path, whether it is coverage's
    own file), or None when it reads none."""
    if rcfile is not None and rcfile != ".coveragerc":
        rel = _join(folder, rcfile)
        return (rel, True) if (root / rel).is_file() else None
    for name, ours in ((".coveragerc", True), ("setup.cfg", False), ("tox.ini", False)):
        rel = _join(folder, name)
        if not (root / rel).is_file():
            continue
        if ours:
            return rel, True
        parser = load_ini(root / rel)
        if parser is not None and any(s.startswith("coverage:") for s in parser.sections()):
            return rel, False
    rel = _join(folder, "pyproject.toml")
    if (root / rel).is_file() and isinstance(
        load_toml(root / rel).get("tool", {}).get("coverage"), dict
    ):
        return rel, False
    return None


def fail_under(root: Path, folder: str, rcfile: str | None) -> Threshold | None:
    """The ``fail_under`` coverage applies when run in ``folder``; None when none is set."""
    found = config_file(root, folder, rcfile)
    if found is None:
        return None
    rel, ours = found
    path = root / rel
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if rel.endswith(".toml"):
        report = load_toml(path).get("tool", {}).get("coverage", {}).get("report", {})
        if not isinstance(report, dict) or "fail_under" not in report:
            return None
        value = report["fail_under"]
        line = _toml_line(lines, "fail_under")
        return Threshold(float(value) if isinstance(value, int | float) else None, rel, line)
    sections = ("report", "coverage:report") if ours else ("coverage:report",)
    return _ini_threshold(lines, sections, rel)


def _toml_line(lines: list[str], key: str) -> int:
    in_report = False
    for number_, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_report = stripped.replace(" ", "") == "[tool.coverage.report]"
        elif in_report and re.match(rf"{key}\s*=", stripped):
            return number_
    return next((n for n, ln in enumerate(lines, 1) if key in ln), 0)


def _ini_threshold(lines: list[str], sections: tuple[str, ...], rel: str) -> Threshold | None:
    section = None
    for line_no, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            continue
        match = re.match(r"fail_under\s*[=:]\s*(.*)$", stripped)
        if section in sections and match and not line[:1].isspace():
            return Threshold(number(match[1].strip()), rel, line_no)
    return None
