"""``[tool.guardrail]`` into frozen dataclasses. Unknown keys and wrong types are errors.

Settings come in layers: the guardrail's defaults, then whatever earlier layers a caller adds
(the organisation's hook ``args:``), then the project's own ``[tool.guardrail]``. Each layer is a
validated flat mapping such as ``{"fail_fast": True, "mypy.args": ("--strict",)}``; ``resolve``
folds them into one :class:`ProjectConfig`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hooks.errors import GuardrailError

CHECKS: tuple[str, ...] = ("ruff-check", "ruff-format", "mypy", "pytest")
TOOLS_CHOICES = ("project", "bundled")
PUSH_CHOICES = ("always", "changed")
DEFAULT_TIMEOUT = 600.0

Layer = dict[str, Any]

ENFORCED = "enforced"
"""A layer's entry naming the keys it enforces (the organisation's ``--enforce``): not a setting,
but what lets the keys it names win over CI (``tools = "bundled"`` over CI's pinned versions)."""


@dataclass(frozen=True, slots=True)
class CheckSettings:
    args: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    targets: tuple[str, ...] | None = None
    allow_no_tests: bool = False
    parallel: bool = False


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    python: str | None = None
    checks: tuple[str, ...] = CHECKS
    fail_fast: bool = False
    push: str = "always"
    jobs: int | None = None
    cache: bool = True
    tools: str = "project"
    pass_env: tuple[str, ...] = ()
    python_versions: tuple[str, ...] | None = None
    tools_over_ci: str = ""
    settings: Mapping[str, CheckSettings] = field(
        default_factory=lambda: {c: CheckSettings() for c in CHECKS}
    )

    def check(self, name: str) -> CheckSettings:
        return self.settings[name]


def _str(v: object) -> str:
    if not isinstance(v, str) or not v:
        raise TypeError("a non-empty string")
    return v


def _bool(v: object) -> bool:
    if not isinstance(v, bool):
        raise TypeError("true or false")
    return v


def _str_list(v: object) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise TypeError("a list of strings")
    return tuple(v)


def _checks(v: object) -> tuple[str, ...]:
    names = _str_list(v)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise TypeError(f"a list of check names from {', '.join(CHECKS)} (not {unknown[0]!r})")
    return tuple(c for c in CHECKS if c in names)


def _positive_number(v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
        raise TypeError("a positive number of seconds")
    return float(v)


def _positive_int(v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise TypeError("a whole number of at least 1")
    return v


def _tools(v: object) -> str:
    if v not in TOOLS_CHOICES:
        raise TypeError('"project" or "bundled"')
    return str(v)


def _python_versions(v: object) -> tuple[str, ...]:
    versions = _str_list(v)
    if not versions or not all(re.fullmatch(r"3\.\d+", x) for x in versions):
        raise TypeError('a non-empty list of Python versions written "3.X", such as ["3.12"]')
    return tuple(dict.fromkeys(versions))


def _push(v: object) -> str:
    if v not in PUSH_CHOICES:
        raise TypeError('"always" (every push) or "changed" (pushes that change the folder)')
    return str(v)


NEVER_PASSED = ("GIT", "PRE_COMMIT", "PREK")
"""No tool ever sees these variables, nor any named ``<one of them>_*`` (:mod:`hooks.toolenv`)."""
_ENV_NAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*?[]!")


def _env_names(v: object) -> tuple[str, ...]:
    """Variable names or shell-style patterns; never one of git's or pre-commit's/prek's own,
    which differ between a hook and a push (:mod:`hooks.toolenv`)."""
    names = _str_list(v)
    for name in names:
        if not name or not set(name) <= _ENV_NAME:
            raise TypeError(f'a list of variable names or patterns such as "APP_*" (not {name!r})')
        upper = name.upper()
        if any(upper == p or upper.startswith(f"{p}_") for p in NEVER_PASSED):
            raise TypeError(
                f"a list of variable names, without {name!r}: GIT_*, PRE_COMMIT_* and PREK_* "
                "never reach the tools (they differ between a commit hook and a push)"
            )
    return names


Validator = Callable[[object], Any]

PROJECT_KEYS: dict[str, Validator] = {
    "python": _str,
    "checks": _checks,
    "fail_fast": _bool,
    "push": _push,
    "always": _bool,
    "jobs": _positive_int,
    "cache": _bool,
    "tools": _tools,
    "pass_env": _env_names,
    "python_versions": _python_versions,
}
COMMON_CHECK_KEYS: dict[str, Validator] = {"args": _str_list, "timeout": _positive_number}
CHECK_KEYS: dict[str, dict[str, Validator]] = {
    "ruff-check": COMMON_CHECK_KEYS,
    "ruff-format": COMMON_CHECK_KEYS,
    "mypy": {**COMMON_CHECK_KEYS, "targets": _str_list},
    "pytest": {**COMMON_CHECK_KEYS, "allow_no_tests": _bool, "parallel": _bool},
}
ROOT_ONLY_KEYS: dict[str, Validator] = {"projects": _str_list}


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file. One that cannot be read or is not valid TOML (UTF-8) is an error naming
    it: the one policy of every TOML read. A caller that can do without the file catches it."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GuardrailError(f"{path}: not valid TOML: {exc}. Fix the file and run again.") from exc
    except OSError as exc:
        raise GuardrailError(f"{path}: cannot be read: {exc.strerror}") from exc


def guardrail_table(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise GuardrailError(f"{path}: [tool] must be a table")
    table = tool.get("guardrail", {})
    if not isinstance(table, dict):
        raise GuardrailError(f"{path}: [tool.guardrail] must be a table")
    return table


def _validate(key: str, value: object, validator: Validator, where: str) -> Any:
    try:
        return validator(value)
    except TypeError as exc:
        raise GuardrailError(f"{where}: {key} must be {exc}, got {value!r}") from None


def parse_table(table: Mapping[str, Any], where: str, *, root: bool = False) -> Layer:
    """Validate one ``[tool.guardrail]`` table into a flat layer. ``where`` names the file."""
    layer: Layer = {}
    allowed = {**PROJECT_KEYS, **(ROOT_ONLY_KEYS if root else {})}
    for key, value in table.items():
        if key in CHECK_KEYS:
            if not isinstance(value, dict):
                raise GuardrailError(f"{where}: [tool.guardrail.{key}] must be a table")
            for sub, subvalue in value.items():
                validators = CHECK_KEYS[key]
                if sub not in validators:
                    raise GuardrailError(
                        f"{where}: unknown key {sub!r} in [tool.guardrail.{key}]; "
                        f"known keys: {', '.join(validators)}"
                    )
                name = f"tool.guardrail.{key}.{sub}"
                layer[f"{key}.{sub}"] = _validate(name, subvalue, validators[sub], where)
        elif key in allowed:
            layer[key] = _validate(f"tool.guardrail.{key}", value, allowed[key], where)
        else:
            known = [*allowed, *(f"{c} (table)" for c in CHECK_KEYS)]
            hint = (
                " ('projects' belongs in the repository root's pyproject.toml)"
                if key == "projects"
                else ""
            )
            raise GuardrailError(
                f"{where}: unknown key {key!r} in [tool.guardrail]{hint}; "
                f"known keys: {', '.join(known)}"
            )
    return _always_as_push(layer, where)


def _always_as_push(layer: Layer, where: str) -> Layer:
    """``always = true`` is the older spelling of ``push = "always"``, the default since every
    project is checked on every push; ``always = false`` asks for nothing."""
    if not layer.pop("always", False):
        return layer
    if layer.get("push", "always") != "always":
        raise GuardrailError(
            f'{where}: [tool.guardrail] sets both always = true and push = "{layer["push"]}"; '
            'keep one: push = "always" (the default) or push = "changed"'
        )
    layer["push"] = "always"
    return layer


def resolve(layers: Iterable[Layer]) -> ProjectConfig:
    """Fold layers, later ones winning, into one config."""
    merged: Layer = {}
    for layer in layers:
        merged.update(layer)
    per_check: dict[str, dict[str, Any]] = {c: {} for c in CHECKS}
    top: dict[str, Any] = {}
    for key, value in merged.items():
        check, dot, sub = key.partition(".")
        if dot and check in per_check:
            per_check[check][sub] = value
        elif key in PROJECT_KEYS and key != "always":
            top[key] = value
    settings = {c: CheckSettings(**per_check[c]) for c in CHECKS}
    return ProjectConfig(**top, settings=settings)


def load_project_layer(project_dir: Path, *, repo_root: bool = False) -> Layer:
    """The project's own ``[tool.guardrail]`` layer, empty when it has none.

    ``projects`` is accepted only in the repository root's file and is not a project setting.
    """
    path = project_dir / "pyproject.toml"
    if not path.is_file():
        return {}
    layer = parse_table(guardrail_table(read_toml(path), path), str(path), root=repo_root)
    layer.pop("projects", None)
    return layer


def root_projects(repo_root: Path) -> tuple[str, ...] | None:
    """``projects = [...]`` from the repository root's pyproject.toml, if set."""
    path = repo_root / "pyproject.toml"
    if not path.is_file():
        return None
    table = guardrail_table(read_toml(path), path)
    if "projects" not in table:
        return None
    value = _validate("tool.guardrail.projects", table["projects"], _str_list, str(path))
    return tuple(value)
