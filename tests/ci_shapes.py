"""Helpers for the CI-reading tests: write a small repository, read its plan, and name lines by
what they hold rather than by number."""

from __future__ import annotations

from pathlib import Path

from hooks.ci import CiCheck, CiPlan, CoverageGate, read_ci
from tests.fixtures import write_files

CI = ".github/workflows/ci.yml"


def plan_of(root: Path, files: dict[str, str]) -> CiPlan:
    write_files(root, files)
    for rel in files:
        if rel.startswith(("scripts/", "tools/")) or rel.endswith(".sh"):
            (root / rel).chmod(0o755)
    return read_ci(root)


def at(files: dict[str, str], rel: str, needle: str, nth: int = 1) -> str:
    """``rel:N`` where N is the line holding ``needle`` (its ``nth`` occurrence)."""
    seen = 0
    for number, line in enumerate(files[rel].splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return f"{rel}:{number}"
    raise AssertionError(f"{needle!r} is not in {rel}")


def rows(checks: tuple[CiCheck, ...]) -> list[tuple[str, str, str, tuple[str, ...], bool]]:
    """(origin, folder, check, argv, advisory) of each check."""
    return [(c.origin.where(), c.folder, c.check, c.argv, c.advisory) for c in checks]


def gate_rows(gates: tuple[CoverageGate, ...]) -> list[tuple[str, str, float | None, str, bool]]:
    return [(g.kind, g.folder, g.threshold, g.origin.where(), g.advisory) for g in gates]


def pins_of(checks: tuple[CiCheck, ...]) -> list[tuple[str, str, str] | None]:
    return [(c.pin.tool, c.pin.version, c.pin.origin) if c.pin else None for c in checks]


def notes(plan: CiPlan) -> list[tuple[str, str, str]]:
    return [(n.origin.where(), n.text, n.why) for n in plan.not_mirrored]
