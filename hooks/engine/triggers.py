"""Which projects a push checks, by CI's own triggers: GitHub's ``on.push.paths`` and
``paths-ignore``, read with GitHub's filter-pattern semantics.

A project is checked when some workflow that runs its checks would run for the push. A workflow
with a ``push`` event runs when its push path filters let the changes through (a
``pull_request`` event beside it is not read: its filters usually repeat push's); one with only
``pull_request`` counts as running (its filters are not read); one with neither (a schedule, a
manual dispatch) does not gate the push. A check from anywhere else (GitLab CI, pre-commit.ci, a
command the guardrail cannot place in a project) runs for every push. Filters the guardrail does
not evaluate (dorny/paths-filter, job ``if:``) make every project checked, with a note.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from hooks.ci import CiPlan, Trigger
from hooks.engine.derive import owner, project_folders
from hooks.projects import discover, with_extra

GATING_EVENTS = frozenset({"push", "pull_request", "pull_request_target"})
UNREAD_FILTER = "every project is checked"


@functools.cache
def _pattern(glob: str) -> re.Pattern[str]:
    """GitHub's filter pattern as a regex: ``**`` any characters, ``*`` any but ``/``, ``?``
    and ``+`` zero-or-one and one-or-more of the preceding character, ``[...]`` a class."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] in "?+":
            out.append(glob[i])
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 1)
            if end < 0:
                out.append(re.escape(glob[i]))
                i += 1
            else:
                out.append(glob[i : end + 1])
                i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return re.compile(re.escape(glob) + r"\Z")


def matches(patterns: Sequence[str], path: str) -> bool:
    """Whether ``path`` is included by ``patterns``: the last pattern that matches decides, and
    a ``!`` pattern excludes."""
    included = False
    for raw in patterns:
        negated = raw.startswith("!")
        if _pattern(raw[1:] if negated else raw).match(path):
            included = not negated
    return included


def runs_for(trigger: Trigger, changed: Collection[str]) -> bool:
    """Whether the workflow runs for a push that changes ``changed``."""
    events = set(trigger.events)
    if events and not events & GATING_EVENTS:
        return False
    if "push" not in events:
        return True
    if trigger.paths is not None and not any(matches(trigger.paths, p) for p in changed):
        return False
    ignored = trigger.paths_ignore
    return ignored is None or not all(matches(ignored, p) for p in changed)


@dataclass(frozen=True, slots=True)
class PushTrigger:
    """CI's push trigger for one pushed tree: ``__call__(rel, changed)`` says whether CI runs
    the project's checks for those changes."""

    workflows: dict[str, frozenset[str]]
    """By project folder: the workflow files that run its checks ("" for a check that runs for
    every push)."""
    triggers: dict[str, Trigger]

    def __call__(self, rel: str, changed: frozenset[str]) -> bool:
        files = self.workflows.get(rel)
        if not files:
            return True
        for workflow in files:
            trigger = self.triggers.get(workflow)
            if trigger is None or runs_for(trigger, changed):
                return True
        return False


def push_trigger(root: Path, plan: CiPlan) -> PushTrigger | None:
    """The trigger of CI's definitions read in ``root``; None when nothing may be skipped (CI
    runs no check, or it filters with what the guardrail does not evaluate)."""
    if not plan.checks or any(UNREAD_FILTER in n.why for n in plan.not_mirrored):
        return None
    rels = with_extra(root, discover(root), project_folders(root, plan))
    triggers = {t.workflow: t for t in plan.triggers}
    workflows: dict[str, set[str]] = {}
    for check in plan.checks:
        home = owner(check.folder, rels)
        pre_commit = check.via_pre_commit is not None and check.via_pre_commit.pass_filenames
        workflow = check.workflow if check.workflow in triggers else ""
        for rel in rels if home is None or pre_commit else (home,):
            workflows.setdefault(rel, set()).add(workflow)
    return PushTrigger({rel: frozenset(w) for rel, w in workflows.items()}, triggers)
