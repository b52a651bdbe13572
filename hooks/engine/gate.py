"""The run pipeline: config -> projects -> plan -> run -> results, for one tree."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from hooks import __version__, git
from hooks.ci import read_ci
from hooks.config import Layer
from hooks.engine.derive import OrgSettings, derive, project_folders
from hooks.engine.plan import Planned, plan
from hooks.errors import GuardrailError
from hooks.findings import CheckResult, Outcome, ProjectInfo, RunInfo, Status, exit_code_for
from hooks.projects import (
    Project,
    ProjectFilter,
    load_projects,
    mypy_tool,
    pytest_tool,
    ruff_tool,
)

if TYPE_CHECKING:
    from hooks.checks.base import Invocation


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything ``guardrail run`` was asked for, typed."""

    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    fail_fast: bool | None = None
    jobs: int | None = None
    verbose: bool = False
    cache: bool = True
    layers: tuple[Layer, ...] = field(default=())
    enforced: tuple[str, ...] = ()
    required: tuple[str, ...] = ()

    @property
    def org(self) -> OrgSettings:
        """The organisation's hook args, as the plan from CI weighs them."""
        merged: Layer = {}
        for layer in self.layers:
            merged.update(layer)
        return OrgSettings(merged, self.enforced, self.required)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    info: RunInfo
    results: list[CheckResult]

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.results)


def outside_git_note(root: Path) -> str | None:
    if git.common_dir(root) is None:
        return f"{root} is not in a git repository: checked the folder as it is"
    return None


def project_info(project: Project) -> ProjectInfo:
    tools = []
    for find in (ruff_tool, mypy_tool, pytest_tool):
        tool = find(project)
        if tool is not None:
            tools.append((tool.name, tool.version, tool.source))
    interp = project.interpreter
    return ProjectInfo(
        rel=project.rel,
        python=interp.python,
        python_version=interp.version,
        python_source=interp.source,
        tools=tuple(tools),
        warning=interp.warning,
    )


def default_jobs() -> int:
    return max(os.cpu_count() or 1, 1)


@dataclass(frozen=True, slots=True)
class Copied:
    """A throwaway copy of the tree being checked: its folder, the git tree id of its content
    (which keys the verdict), and notes on what it could not hold."""

    path: Path
    tree: str
    notes: tuple[str, ...] = ()


Copy = Callable[[], AbstractContextManager[Copied]]
"""Makes a throwaway copy of the tree being checked (``hooks.push.snapshot.worktree_snapshot``
for a working tree)."""


def run_tree(
    root: Path,
    options: RunOptions,
    *,
    target: str,
    notes: Sequence[str] = (),
    tree: str | None = None,
    on_done: Callable[[CheckResult], None] | None = None,
    select: ProjectFilter | None = None,
    env_root: Path | None = None,
    before_run: Callable[[Sequence[Project]], None] | None = None,
    throwaway: bool = False,
    copy: Copy | None = None,
    join: Callable[[], bool] | None = None,
) -> RunOutcome:
    """Check every project under ``root`` and return the results in the guardrail order.

    ``tree`` is the git tree id of the content being checked when the caller knows it (a pushed
    commit's tree); it keys the verdict cache. ``select`` keeps only some projects (those a push
    touched); when it keeps none, the outcome has no results. ``env_root``: see ``load_projects``.
    ``before_run`` completes a throwaway tree (a push snapshot, or the copy below) for its
    projects once the checks are known to run (not on a cache hit): what CI's install step
    generates there. The user's own tree is never given to it.

    A check whose CI command writes files (ruff's fixes) writes into ``root`` only when it is
    ``throwaway`` (a push snapshot); otherwise every check runs on a ``copy`` of it, the writer
    first. Without either, such a check is an error: the user's tree is never written.

    ``join`` is asked on a cache miss, before anything runs: it waits for another run of the
    same content (a background verification) and says whether one finished, in which case the
    cache is looked up again; its verdict counts only if its key is this run's.
    """
    projects, planned, ci_notes = plan_tree(root, options, select=select, env_root=env_root)
    if not projects and select is None:
        raise GuardrailError(f"{root}: no Python project found (no pyproject.toml)")
    fail_fast = (
        options.fail_fast
        if options.fail_fast is not None
        else any(p.config.fail_fast for p in projects)
    )
    configured_jobs = [p.config.jobs for p in projects if p.config.jobs is not None]
    jobs = options.jobs or (min(configured_jobs) if configured_jobs else default_jobs())
    info = RunInfo(
        version=__version__,
        target=target,
        notes=(*notes, *ci_notes),
        projects=tuple(project_info(p) for p in projects),
    )
    verdicts = None
    if options.cache and all(p.config.cache for p in projects):
        from hooks.engine.cache import Verdicts

        selected = [p.key() for p in planned]
        verdicts = Verdicts.open(
            root, tree=tree, version=__version__, projects=projects, selected=selected
        )
        hit = verdicts.lookup() if verdicts is not None else None
        if verdicts is not None and hit is None and join is not None and join():
            hit = verdicts.lookup()
        if hit is not None:
            return RunOutcome(replace(info, cached=hit.line()), list(hit.results))
    # Imported only when the checks run: a cached verdict needs neither the runner nor the checks.
    from hooks.checks.base import Invocation
    from hooks.engine.run import prepare, run_all

    steps = [prepare(p) if p.skip_reason is None else None for p in planned]
    writers = [s for s in steps if isinstance(s, Invocation) and (s.writes or s.leaves_files)]
    run = functools.partial(run_all, jobs=jobs, fail_fast=fail_fast, on_done=on_done)
    if not writers or throwaway:
        if before_run is not None and throwaway:
            before_run(projects)
        results = run(planned, steps=steps)
        where = "the push snapshot"
    elif copy is None:
        refused = Outcome(
            Status.ERROR,
            message="CI's command writes files here, and this run has no throwaway copy to "
            "run it on; the guardrail never writes your files",
        )
        results = run(planned, steps=[refused if s in writers else s for s in steps])
        where = ""
    else:
        with copy() as copied:
            projects, planned, _ = plan_tree(
                copied.path, options, select=select, env_root=env_root or root
            )
            if before_run is not None:
                before_run(projects)
            steps = [prepare(p) if p.skip_reason is None else None for p in planned]
            results = run(planned, steps=steps)
        if verdicts is not None:
            verdicts = verdicts.for_tree(copied.tree)
        where = "a snapshot of the working tree"
        info = replace(info, notes=(*info.notes, *copied.notes))
    if writers and where:
        info = replace(info, notes=(*info.notes, *_writer_notes(writers, where)))
    info = replace(info, projects=ran_tools(info.projects, results))
    cacheable = all(s.cacheable for s in steps if isinstance(s, Invocation))
    if verdicts is not None and cacheable:
        verdicts.record(results)
    return RunOutcome(info, results)


def plan_tree(
    root: Path, options: RunOptions, *, select: ProjectFilter | None, env_root: Path | None
) -> tuple[list[Project], list[Planned], tuple[str, ...]]:
    """The projects under ``root``, their planned checks and the notes on the plan: from CI's
    definitions when CI runs any of the four checks, else the guardrail's defaults."""
    ci_plan = read_ci(root)
    projects = load_projects(
        root,
        options.layers,
        select=select,
        env_root=env_root,
        extra=project_folders(root, ci_plan),
    )
    derived = derive(root, projects, ci_plan, options.org)
    planned = plan(projects, only=options.only, skip=options.skip, decisions=derived.decisions)
    return projects, planned, derived.notes


def ran_tools(
    projects: Sequence[ProjectInfo], results: Sequence[CheckResult]
) -> tuple[ProjectInfo, ...]:
    """Each project's tools as they ran: a version CI pins replaces the one found before the
    run (``ruff 0.12.11 (pinned by .pre-commit-config.yaml:5)``)."""
    ran: dict[tuple[str, str], tuple[str, str, str]] = {}
    for r in results:
        if r.tool and r.tool_version and r.tool_source:
            ran.setdefault((r.project, r.tool), (r.tool, r.tool_version, r.tool_source))
    return tuple(
        replace(p, tools=tuple(ran.get((p.rel, name), (name, v, src)) for name, v, src in p.tools))
        for p in projects
    )


def _writer_notes(writers: Sequence[Invocation], where: str) -> list[str]:
    notes = []
    for inv in writers:
        rel = inv.context.paths.project_rel
        label = inv.check if rel == "." else f"{inv.check} ({rel})"
        if not inv.writes:
            notes.append(
                f"{label} writes the coverage report CI's gate script reads: it ran on "
                f"{where}; your files are unchanged"
            )
            continue
        source = inv.context.fix.source if inv.context.fix is not None else ""
        notes.append(
            f"{label} applies fixes, as CI's command does ({source}): it ran first, on {where}, "
            "and the later checks ran on the fixed files; your files are unchanged"
        )
    return notes
