"""The ruff and mypy versions a project pins for CI, wherever it pins them.

Sources: ``[project.optional-dependencies]``, ``[dependency-groups]``, ``[project.dependencies]``,
Poetry's dependency tables, ``requirements*.txt``, ``uv.lock``/``poetry.lock``/``pdm.lock``, and
``pip install ruff==...`` in the CI files themselves.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hooks.config import read_toml
from hooks.errors import GuardrailError

PINNED_TOOLS = ("ruff", "mypy")
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock")
_REQ = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;#]*)")


@dataclass(frozen=True, slots=True)
class Pin:
    """``tool`` pinned by ``spec`` (a PEP 440 specifier such as ``==0.5.0``) at ``source``."""

    tool: str
    spec: str
    source: str


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares them (packaging's ``canonicalize_name``, without
    the import time of ``packaging.utils``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pin(
    requirement: str, source: str, names: Collection[str] | None = PINNED_TOOLS
) -> Pin | None:
    """A :class:`Pin` from one PEP 508 requirement string when it names one of ``names``
    (ruff or mypy; None: any distribution)."""
    match = _REQ.match(requirement)
    if match is None or (names is not None and canonical(match["name"]) not in names):
        return None
    spec = match["spec"].strip().replace(" ", "")
    return Pin(canonical(match["name"]), spec, source) if spec else None


def poetry_spec(value: object) -> str | None:
    """Poetry's ``^1.2``, ``~1.2``, ``1.2.*``, ``1.2.3`` as a PEP 440 specifier."""
    if isinstance(value, Mapping):
        value = value.get("version")
    if not isinstance(value, str) or value.strip() in ("", "*"):
        return None
    value = value.strip()
    if value.startswith("^"):
        parts = [int(p) if p.isdigit() else 0 for p in value[1:].split(".")]
        first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
        upper = [*parts[:first], parts[first] + 1]
        return f">={value[1:]},<{'.'.join(map(str, upper))}"
    if value.startswith("~") and not value.startswith("~="):
        nums = [int(p) if p.isdigit() else 0 for p in value[1:].split(".")]
        bumped = [nums[0], nums[1] + 1] if len(nums) > 1 else [nums[0] + 1]
        return f">={value[1:]},<{'.'.join(map(str, bumped))}"
    if value[0].isdigit():
        return f"=={value}"
    return value.replace(" ", "")


def _pyproject_pins(data: Mapping[str, Any], rel: str) -> Iterator[Pin]:
    found = data.get("project")
    project: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    tables: list[tuple[str, object]] = [("[project.dependencies]", project.get("dependencies"))]
    extras = project.get("optional-dependencies")
    for group, reqs in extras.items() if isinstance(extras, Mapping) else ():
        tables.append((f"[project.optional-dependencies] {group}", reqs))
    groups = data.get("dependency-groups")
    for group, reqs in groups.items() if isinstance(groups, Mapping) else ():
        tables.append((f"[dependency-groups] {group}", reqs))
    for label, reqs in tables:
        for req in reqs if isinstance(reqs, list) else ():
            if isinstance(req, str) and (pin := requirement_pin(req, f"{rel} {label}")):
                yield pin
    tool = data.get("tool")
    found = tool.get("poetry") if isinstance(tool, Mapping) else None
    poetry: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    poetry_tables: list[tuple[str, object]] = [
        ("[tool.poetry.dependencies]", poetry.get("dependencies")),
        ("[tool.poetry.dev-dependencies]", poetry.get("dev-dependencies")),
    ]
    pgroups = poetry.get("group")
    for group, table in pgroups.items() if isinstance(pgroups, Mapping) else ():
        deps = table.get("dependencies") if isinstance(table, Mapping) else None
        poetry_tables.append((f"[tool.poetry.group.{group}.dependencies]", deps))
    for label, deps in poetry_tables:
        for name, value in deps.items() if isinstance(deps, Mapping) else ():
            spec = poetry_spec(value)
            if canonical(str(name)) in PINNED_TOOLS and spec:
                yield Pin(canonical(str(name)), spec, f"{rel} {label}")


def _load_toml(path: Path) -> dict[str, Any] | None:
    """A lock file or pyproject.toml; a broken one pins nothing."""
    try:
        return read_toml(path)
    except GuardrailError:
        return None


def _lock_pins(
    data: Mapping[str, Any], rel: str, names: Collection[str] | None = PINNED_TOOLS
) -> Iterator[Pin]:
    packages = data.get("package")
    for package in packages if isinstance(packages, list) else ():
        if not isinstance(package, Mapping):
            continue
        name, version = package.get("name"), package.get("version")
        if not (isinstance(name, str) and isinstance(version, str)):
            continue
        if names is None or canonical(name) in names:
            yield Pin(canonical(name), f"=={version}", rel)


def _requirements_pins(
    path: Path, rel: str, names: Collection[str] | None = PINNED_TOOLS
) -> Iterator[Pin]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for number, line in enumerate(lines, 1):
        if line.strip().startswith(("#", "-")):
            continue
        pin = requirement_pin(line, f"{rel}:{number}", names)
        if pin is not None:
            yield pin


def _folders(root: Path, project_rel: str) -> Iterable[tuple[Path, str]]:
    seen: set[str] = set()
    for rel in (project_rel, "."):
        if rel not in seen:
            seen.add(rel)
            yield (root / rel if rel != "." else root), ("" if rel == "." else f"{rel}/")


def project_pins(root: Path, project_rel: str) -> list[Pin]:
    """Every ruff/mypy pin in the project's folder and the repository root."""
    pins: list[Pin] = []
    for folder, prefix in _folders(root, project_rel):
        data = (
            _load_toml(folder / "pyproject.toml") if (folder / "pyproject.toml").is_file() else None
        )
        if data is not None:
            pins.extend(_pyproject_pins(data, f"{prefix}pyproject.toml"))
        pins.extend(_locked(folder, prefix, PINNED_TOOLS))
    return pins


def _locked(folder: Path, prefix: str, names: Collection[str] | None) -> Iterator[Pin]:
    """The pins of ``names`` in the folder's lock files, then its requirements files."""
    for name in LOCK_FILES:
        lock = folder / name
        if lock.is_file() and (lock_data := _load_toml(lock)) is not None:
            yield from _lock_pins(lock_data, f"{prefix}{name}", names)
    candidates = sorted(folder.glob("requirements*.txt")) + sorted(
        folder.glob("requirements/*.txt")
    )
    for path in candidates:
        yield from _requirements_pins(path, f"{prefix}{path.relative_to(folder).as_posix()}", names)


def locked_versions(root: Path, project_rel: str) -> dict[str, str]:
    """The exact version the project locks or pins (``==``) each distribution at, by normalised
    name: lock files, then requirements files, of the project's folder before the root's."""
    found: dict[str, str] = {}
    for folder, prefix in _folders(root, project_rel):
        for pin in _locked(folder, prefix, None):
            if re.fullmatch(r"==[^=*,]+", pin.spec):
                found.setdefault(pin.tool, pin.spec[2:])
    return found


def satisfies(version: str, spec: str) -> bool | None:
    """Whether ``version`` meets ``spec``; None when either cannot be read."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        return SpecifierSet(spec).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return None
