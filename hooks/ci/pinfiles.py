"""The exact ruff and mypy versions in the files CI installs from, each with its line:
requirements files (nested ``-r``/``-c`` followed), lock files, a local project's extras."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from hooks.ci.model import ToolPin
from hooks.config import read_toml
from hooks.errors import GuardrailError
from hooks.pins import PINNED_TOOLS, requirement_pin

_EXACT = re.compile(r"^===?\s*([0-9][A-Za-z0-9.+!-]*)$")


def exact(spec: str) -> str | None:
    """``0.5.0`` from ``==0.5.0``; None for a range."""
    match = _EXACT.match(spec.strip())
    return match[1] if match else None


def requirement_tool_pin(requirement: str, origin: str) -> ToolPin | None:
    """A :class:`ToolPin` from one requirement string (``ruff==0.5.0``) naming ruff or mypy."""
    pin = requirement_pin(requirement, origin)
    if pin is None or (version := exact(pin.spec)) is None:
        return None
    return ToolPin(pin.tool, version, origin)


def _read(path: Path) -> list[str] | None:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def requirements_pins(
    read: Callable[[str], str | None], rel: str, seen: set[str] | None = None
) -> Iterator[ToolPin]:
    """Pins in the requirements file ``rel`` (repo-relative) and the files it includes, each
    read with ``read``."""
    seen = set() if seen is None else seen
    rel = posixpath.normpath(rel)
    if rel in seen or rel.startswith("../"):
        return
    seen.add(rel)
    text = read(rel)
    for number, line in enumerate(text.splitlines() if text else (), 1):
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        match = re.match(r"^(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)", text)
        if match is not None:
            nested = posixpath.join(posixpath.dirname(rel), match[2])
            yield from requirements_pins(read, nested, seen)
            continue
        if text.startswith("-"):
            continue
        pin = requirement_tool_pin(text, f"{rel}:{number}")
        if pin is not None:
            yield pin


def lock_pins(root: Path, rel: str) -> Iterator[ToolPin]:
    """ruff and mypy in a uv/poetry/pdm lock file, each at the line of its version."""
    try:
        data = read_toml(root / rel)
    except GuardrailError:
        return
    lines = _read(root / rel) or []
    packages = data.get("package")
    for package in packages if isinstance(packages, list) else ():
        if not isinstance(package, dict):
            continue
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        tool = re.sub(r"[-_.]+", "-", name).lower()
        if tool in PINNED_TOOLS:
            yield ToolPin(tool, version, f"{rel}:{_lock_line(lines, name, version)}")


def _lock_line(lines: list[str], name: str, version: str) -> int:
    """The line of ``version = "..."`` in the ``[[package]]`` block named ``name``."""
    in_block = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_block = False
        if stripped in (f'name = "{name}"', f"name = '{name}'"):
            in_block = True
        elif in_block and stripped.startswith("version") and version in stripped:
            return number
    return 0


def find_lock(root: Path, folder: str, name: str) -> str | None:
    """The lock file ``name`` a tool run in ``folder`` uses: in the folder or a parent."""
    rel = posixpath.normpath(folder)
    while True:
        candidate = name if rel in (".", "") else f"{rel}/{name}"
        if (root / candidate).is_file():
            return candidate
        if rel in (".", "", "/") or rel.startswith(".."):
            return None
        rel = posixpath.dirname(rel) or "."


def extras_pins(root: Path, folder: str, extras: tuple[str, ...]) -> Iterator[ToolPin]:
    """Exact pins in ``[project.optional-dependencies]`` groups of the project in ``folder``
    (``pip install -e .[dev]``), and in its ``[project.dependencies]``."""
    rel = "pyproject.toml" if folder in (".", "") else f"{folder}/pyproject.toml"
    try:
        data = read_toml(root / rel)
    except GuardrailError:
        return
    project = data.get("project")
    if not isinstance(project, dict):
        return
    lines = _read(root / rel) or []
    groups: list[object] = [project.get("dependencies")]
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        groups += [optional.get(extra) for extra in extras]
    for group in groups:
        for req in group if isinstance(group, list) else ():
            if not isinstance(req, str):
                continue
            number = next((n for n, ln in enumerate(lines, 1) if req in ln), 0)
            pin = requirement_tool_pin(req, f"{rel}:{number}")
            if pin is not None:
                yield pin
