"""The plan: every (project, check) pair in the guardrail order, skipped ones kept visible."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hooks.checks.base import CiStep
from hooks.config import CHECKS
from hooks.projects import Project


@dataclass(frozen=True, slots=True)
class Decision:
    """What the plan from CI decides for one check of one project (``hooks.engine.derive``):
    how CI runs it (None: the guardrail's defaults), whether its failure blocks and why not,
    and a reason not to run it at all (``skip``: CI would not run it either)."""

    ci: CiStep | None = None
    blocking: bool = True
    why: str = ""
    skip: str | None = None


@dataclass(frozen=True, slots=True)
class Planned:
    """One check of one project, or a reason it will not run.

    ``ci``: how CI runs it, when the plan comes from CI (None: the guardrail's defaults).
    ``blocking``: whether its failure blocks; ``why`` says why not when it does not
    (``not in CI``, ``CI's step cannot fail the job``).
    """

    project: Project
    check: str
    skip_reason: str | None = None
    ci: CiStep | None = None
    blocking: bool = True
    why: str = ""

    def key(self) -> tuple[object, ...]:
        """What the verdict cache keys of this pair: whether it runs, how CI runs it (its argv,
        env, files, the version it pins, its coverage gates and Python matrix: a new pin is a
        new verdict), and whether it blocks."""
        ci = self.ci
        step = None
        if ci is not None:
            pin = dataclasses.asdict(ci.pin) if ci.pin is not None else None
            gates = [dataclasses.asdict(g) for g in ci.gates]
            extra = [pin, gates, list(ci.python_versions)]
            step = [list(ci.argv), sorted(ci.env.items()), ci.files, *extra]
        return (self.project.rel, self.check, self.skip_reason is None, self.blocking, step)


def plan(
    projects: Sequence[Project],
    *,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    decisions: Mapping[tuple[str, str], Decision] | None = None,
) -> list[Planned]:
    """Every (project, check) pair in the guardrail order, with skipped ones kept visible.
    ``decisions``: the plan from CI, by ``(project, check)``; none: the guardrail's defaults."""
    planned: list[Planned] = []
    for project in projects:
        for check in CHECKS:
            decided = (decisions or {}).get((project.rel, check), Decision())
            reason = None
            if only and check not in only:
                reason = "not selected by --only"
            elif check in skip:
                reason = "skipped by GUARDRAIL_SKIP"
            elif check not in project.config.checks:
                reason = "not in the project's checks ([tool.guardrail] checks or --skip)"
            elif decided.skip is not None:
                reason = decided.skip
            planned.append(
                Planned(project, check, reason, decided.ci, decided.blocking, decided.why)
            )
    return planned
