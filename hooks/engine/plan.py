"""The plan: every (project, check) pair in the guardrail order, skipped ones kept visible."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hooks.checks.base import CiStep
from hooks.config import CHECKS
from hooks.projects import Project


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


def plan(
    projects: Sequence[Project], *, only: Sequence[str] = (), skip: Sequence[str] = ()
) -> list[Planned]:
    """Every (project, check) pair in the guardrail order, with skipped ones kept visible."""
    planned: list[Planned] = []
    for project in projects:
        for check in CHECKS:
            reason = None
            if only and check not in only:
                reason = "not selected by --only"
            elif check in skip:
                reason = "skipped by GUARDRAIL_SKIP"
            elif check not in project.config.checks:
                reason = "not in the project's checks ([tool.guardrail] checks or --skip)"
            planned.append(Planned(project, check, reason))
    return planned
