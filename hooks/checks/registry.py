"""Every check module, by name. Only this module knows the list; the modules import
:mod:`hooks.checks.base`, never this one."""

from __future__ import annotations

from hooks.checks import mypy, pytest, ruff_check, ruff_format
from hooks.checks.base import Check


def all_checks() -> dict[str, Check]:
    modules: list[Check] = [ruff_check, ruff_format, mypy, pytest]
    return {m.NAME: m for m in modules}
