"""Reading CI definitions into the plan of what CI runs (:func:`read_ci`), and what the
arguments of ruff, mypy and pytest mean for the verdict (:mod:`~hooks.ci.args`). CI files are
read, never executed."""

from hooks.ci.model import (
    CiCheck,
    CiPlan,
    CoverageGate,
    GuardrailRun,
    NotMirrored,
    Origin,
    PreCommitHook,
    ToolPin,
    Trigger,
)
from hooks.ci.reader import read_ci

__all__ = [
    "CiCheck",
    "CiPlan",
    "CoverageGate",
    "GuardrailRun",
    "NotMirrored",
    "Origin",
    "PreCommitHook",
    "ToolPin",
    "Trigger",
    "read_ci",
]
