"""``guardrail fix``: apply the safe fixers (:mod:`hooks.engine.fix`), say what they changed, and
show the checks' summary after them."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence
from pathlib import Path

from hooks.commands import EXIT_INTERRUPTED, CommandOutcome, Progress, outputs
from hooks.engine import Interrupted
from hooks.engine.fix import FixStep, fix_tree
from hooks.engine.gate import RunOptions
from hooks.errors import GuardrailError
from hooks.findings import plural
from hooks.git import repo_root
from hooks.push.check import generate_version_files
from hooks.push.snapshot import worktree_snapshot


def main(args: argparse.Namespace, progress: Progress) -> CommandOutcome:
    if args.jobs is not None and args.jobs < 1:
        raise GuardrailError("--jobs must be at least 1")
    return fix(jobs=args.jobs, color=args.color, progress=progress)


def fix(*, jobs: int | None, color: str, progress: Progress) -> CommandOutcome:
    root = repo_root(Path.cwd())
    try:
        with progress(color) as on_done:
            outcome = fix_tree(
                root,
                RunOptions(jobs=jobs),
                on_done=on_done,
                copy=functools.partial(worktree_snapshot, root),
                before_run=generate_version_files,
            )
    except Interrupted:
        return CommandOutcome(
            EXIT_INTERRUPTED,
            stderr="guardrail: interrupted; every check was stopped. The fixers may already have "
            "rewritten files: review with `git diff`\n",
        )
    where = outputs.plan(outputs.ReportOptions(color=color), {})
    run = outcome.run
    shown = outputs.emit(where, run.info, run.results, code=outcome.exit_code, color=color)
    return CommandOutcome(shown.code, render(outcome.steps) + shown.stdout, shown.stderr)


def render(steps: Sequence[FixStep]) -> str:
    """What the fixers did, file by file; the chain's own summary follows it."""
    many = len({s.project for s in steps}) > 1
    lines = ["guardrail fix:"]
    for s in steps:
        where = f" ({s.project})" if many else ""
        if s.error:
            lines.append(f"  {s.fixer}{where}: failed: {s.error}")
            continue
        if not s.changed:
            lines.append(f"  {s.fixer}{where}: nothing to change")
            continue
        lines.append(f"  {s.fixer}{where}: changed {plural(len(s.changed), 'file')}")
        lines.extend(f"    {path}" for path in s.changed)
    total = sorted({p for s in steps for p in s.changed})
    lines.append(
        f"  {plural(len(total), 'file')} changed: review with `git diff` before committing"
        if total
        else "  no file changed"
    )
    return "\n".join(lines) + "\n\n"
