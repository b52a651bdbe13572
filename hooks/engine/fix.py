"""``guardrail fix``: apply the safe fixers, then rerun the chain to show what is left.

The fixers are ``ruff check --fix`` (safe fixes only, as ruff defines them) and ``ruff format``,
run in each project's folder with the project's ruff, or the version CI pins. They rewrite the
user's files, which is why this is a command of its own and never part of the hook. What changed
is found by comparing the content of every file ruff considers (``ruff check --show-files``)
before and after each fixer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hooks import proc, toolenv
from hooks.checks import versions
from hooks.checks.base import CiStep, PathMap, tail
from hooks.engine.gate import Copy, RunOptions, RunOutcome, plan_tree, run_tree
from hooks.errors import GuardrailError
from hooks.findings import CheckResult
from hooks.projects import Project, ruff_tool

FIX_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class FixStep:
    """One fixer in one project: the files it rewrote, or why it failed."""

    project: str
    fixer: str
    changed: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FixOutcome:
    steps: tuple[FixStep, ...]
    run: RunOutcome

    @property
    def exit_code(self) -> int:
        return 2 if any(s.error for s in self.steps) else self.run.exit_code


def _digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _snapshot(files: Sequence[str]) -> dict[str, str | None]:
    return {f: _digest(f) for f in files}


def _ruff_files(ruff: Sequence[str], project: Project) -> list[str]:
    res = proc.run(
        [*ruff, "check", "--show-files", "."],
        cwd=project.path,
        env=toolenv.for_project(project),
        timeout=FIX_TIMEOUT,
    )
    if res.returncode != 0:
        raise GuardrailError(
            f"{project.rel}: `ruff check --show-files` exited {res.returncode}: "
            f"{tail(res.stderr, 5)}"
        )
    files = []
    for line in res.stdout.splitlines():
        line = line.strip()
        if line:
            files.append(line if os.path.isabs(line) else str(project.path / line))
    return files


def _changed(before: Mapping[str, str | None], after: Mapping[str, str | None]) -> list[str]:
    return sorted(f for f in after if before.get(f) != after[f])


def fix_project(project: Project, ci: CiStep | None = None) -> list[FixStep]:
    """Run both fixers in one project; each step records the files it changed. ``ci``: how CI
    runs ruff there, whose pinned version then fixes (another ruff formats differently)."""
    tool = versions.tool_for(project, "ruff", ruff_tool(project), ci).tool
    if tool is None:
        return [
            FixStep(
                project.rel,
                "ruff",
                error="ruff is not installed: add it to the project env (pip install ruff) "
                "or reinstall push-guardrail, which bundles it",
            )
        ]
    paths = PathMap(str(project.repo_root), project.rel)
    files = _ruff_files(tool.argv, project)
    fixers = (
        ("ruff check --fix", [*tool.argv, "check", "--fix", "--no-unsafe-fixes", "."], (0, 1)),
        ("ruff format", [*tool.argv, "format", "."], (0,)),
    )
    steps = []
    before = _snapshot(files)
    for name, argv, ok_codes in fixers:
        res = proc.run(
            argv, cwd=project.path, env=toolenv.for_project(project), timeout=FIX_TIMEOUT
        )
        after = _snapshot(files)
        changed = tuple(paths(f) for f in _changed(before, after))
        error = None
        if res.missing or res.timed_out or res.returncode not in ok_codes:
            error = f"{name} exited {res.returncode}: {tail(res.stderr or res.stdout, 5)}"
        steps.append(FixStep(project.rel, name, changed, error))
        before = after
    return steps


def fix_tree(
    root: Path,
    options: RunOptions,
    *,
    on_done: Callable[[CheckResult], None] | None = None,
    copy: Copy | None = None,
    before_run: Callable[[Sequence[Project]], None] | None = None,
) -> FixOutcome:
    """Fix every project, then run the checks (on ``copy`` where CI's ruff check rewrites files:
    with unsafe fixes on, it still would)."""
    projects, planned, _ = plan_tree(root, options, select=None, env_root=None)
    if not projects:
        raise GuardrailError(f"{root}: no Python project found (no pyproject.toml)")
    pinned = {
        p.project.rel: p.ci
        for p in planned  # ruff-format comes later: its pin wins, it decides the formatting
        if p.check in ("ruff-check", "ruff-format") and p.ci is not None and p.ci.pin is not None
    }
    steps: list[FixStep] = []
    for project in projects:
        steps.extend(fix_project(project, pinned.get(project.rel)))
    run = run_tree(
        root,
        options,
        target=f"checked the working tree of {root} after fixing",
        on_done=on_done,
        copy=copy,
        before_run=before_run,
    )
    return FixOutcome(tuple(steps), run)
