"""The run pipeline: config -> projects -> plan -> run -> results, for one tree."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hooks import __version__, git
from hooks.config import Layer
from hooks.engine.plan import plan
from hooks.engine.run import run_all
from hooks.errors import GuardrailError
from hooks.findings import CheckResult, ProjectInfo, RunInfo, exit_code_for
from hooks.projects import (
    Project,
    ProjectFilter,
    load_projects,
    mypy_tool,
    pytest_tool,
    ruff_tool,
)


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


@dataclass(frozen=True, slots=True)
class RunOutcome:
    info: RunInfo
    results: list[CheckResult]

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.results)


def outside_git_note(root: Path) -> str | None:
    if git.output(root, "rev-parse", "--git-dir") is None:
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
) -> RunOutcome:
    """Check every project under ``root`` and return the results in the guardrail order.

    ``tree`` is the git tree id of the content being checked when the caller knows it (a pushed
    commit's tree); it keys the verdict cache. ``select`` keeps only some projects (those a push
    touched); when it keeps none, the outcome has no results. ``env_root``: see ``load_projects``.
    ``before_run`` completes the tree for its projects once the checks are known to run (not on a
    cache hit): a push snapshot gets what CI's install step generates there.
    """
    projects = load_projects(root, options.layers, select=select, env_root=env_root)
    if not projects and select is None:
        raise GuardrailError(f"{root}: no Python project found (no pyproject.toml)")
    fail_fast = (
        options.fail_fast
        if options.fail_fast is not None
        else any(p.config.fail_fast for p in projects)
    )
    configured_jobs = [p.config.jobs for p in projects if p.config.jobs is not None]
    jobs = options.jobs or (min(configured_jobs) if configured_jobs else default_jobs())
    planned = plan(projects, only=options.only, skip=options.skip)
    info = RunInfo(
        version=__version__,
        target=target,
        notes=tuple(notes),
        projects=tuple(project_info(p) for p in projects),
    )
    verdicts = None
    if options.cache and all(p.config.cache for p in projects):
        from hooks.engine.cache import Verdicts

        selected = [(p.project.rel, p.check, p.skip_reason is None) for p in planned]
        verdicts = Verdicts.open(
            root, tree=tree, version=__version__, projects=projects, selected=selected
        )
        hit = verdicts.lookup() if verdicts is not None else None
        if hit is not None:
            return RunOutcome(replace(info, cached=hit.line()), list(hit.results))
    if before_run is not None:
        before_run(projects)
    results = run_all(planned, jobs=jobs, fail_fast=fail_fast, on_done=on_done)
    if verdicts is not None:
        verdicts.record(results)
    return RunOutcome(info, results)
