"""``guardrail run`` and ``guardrail pre-push``: the checks on the working tree, or, at push time
(pre-commit's pre-push stage, or git's pre-push hook), on the pushed commits."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hooks import __version__, layers
from hooks.commands import EXIT_INTERRUPTED, EXIT_OK, CommandOutcome, Progress, outputs
from hooks.config import CHECKS
from hooks.engine import Interrupted
from hooks.errors import GuardrailError
from hooks.findings import RunInfo
from hooks.git import repo_root

if TYPE_CHECKING:
    # The engine and the push check are imported where they run: the background hooks import
    # this module for its options and escape hatches only, and must start fast.
    from hooks.engine.gate import RunOptions
    from hooks.push.check import TargetOutcome
    from hooks.push.refs import Push


@dataclass(frozen=True, slots=True)
class EnvSkip:
    """What ``GUARDRAIL=0`` / ``GUARDRAIL_SKIP`` ask to skip, and the loud notes saying so."""

    everything: bool = False
    checks: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def escape_hatches(environ: Mapping[str, str]) -> EnvSkip:
    """Read the escape hatches. Skipping is never silent: each comes with a note."""
    if environ.get("GUARDRAIL", "").strip().lower() in ("0", "false", "no", "off"):
        return EnvSkip(
            everything=True,
            notes=("guardrail: GUARDRAIL=0 is set: ALL CHECKS SKIPPED, nothing was verified",),
        )
    raw = environ.get("GUARDRAIL_SKIP", "")
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise GuardrailError(
            f"GUARDRAIL_SKIP names unknown check {unknown[0]!r}; use a comma-separated list of "
            f"{', '.join(CHECKS)}"
        )
    if not names:
        return EnvSkip()
    return EnvSkip(
        checks=names,
        notes=(f"GUARDRAIL_SKIP={raw} is set: {', '.join(names)} SKIPPED, not verified",),
    )


def hook_args(args: argparse.Namespace) -> layers.HookArgs:
    """The organisation's flags, out of argparse at once, typed."""
    return layers.from_namespace(args)


def run_options(args: argparse.Namespace, env_skip: EnvSkip, hook: layers.HookArgs) -> RunOptions:
    """The run's options from its arguments (a background check builds the push's this way)."""
    from hooks.engine.gate import RunOptions

    if args.jobs is not None and args.jobs < 1:
        raise GuardrailError("--jobs must be at least 1")
    return RunOptions(
        only=layers.only_of(args),
        skip=env_skip.checks,
        jobs=args.jobs,
        verbose=args.verbose,
        layers=hook.layers,
        enforced=hook.enforced,
        required=hook.required,
        cache=not args.no_cache,
    )


def main(
    args: argparse.Namespace, progress: Progress, notify: Callable[[str], None] | None = None
) -> CommandOutcome:
    """``notify`` shows a line at once (a push waiting for a background verification)."""
    env_skip = escape_hatches(os.environ)
    hook = hook_args(args)
    options = run_options(args, env_skip, hook)
    report = outputs.ReportOptions(
        format=args.format, output=args.output, reports=tuple(args.report), color=args.color
    )
    pre_push = (args.remote, args.url) if args.command == "pre-push" else None
    return run(options, hook, report, env_skip, pre_push=pre_push, progress=progress, notify=notify)


def run(
    options: RunOptions,
    hook: layers.HookArgs,
    report: outputs.ReportOptions,
    env_skip: EnvSkip,
    *,
    pre_push: tuple[str, str] | None,
    progress: Progress,
    notify: Callable[[str], None] | None = None,
) -> CommandOutcome:
    """``pre_push`` is ``(remote, url)`` for ``guardrail pre-push``, which reads git's lines on
    stdin; otherwise pre-commit's environment says whether this run is a push."""
    from hooks.engine.gate import outside_git_note, run_tree
    from hooks.push.check import check_push, generate_version_files
    from hooks.push.snapshot import worktree_snapshot

    where = outputs.plan(report, os.environ)
    root = repo_root(Path.cwd())
    notes = [n for n in (outside_git_note(root), *env_skip.notes, *hook.notes) if n]
    if env_skip.everything:
        return CommandOutcome(EXIT_OK, stderr=env_skip.notes[0] + "\n")
    pushed = _pushed(root, pre_push)
    if pushed is None:
        layers.enforce(root, hook)
    try:
        target = f"checked the working tree of {root}"
        with progress(report.color) as on_done:
            if pushed is not None:
                outcomes = check_push(
                    root,
                    pushed,
                    options,
                    notes=[*notes, *pushed.notes],
                    on_done=on_done,
                    prepare=lambda snapshot: layers.enforce(snapshot, hook),
                    notify=notify or (lambda line: None),
                )
            else:
                outcome = run_tree(
                    root,
                    options,
                    target=target,
                    notes=notes,
                    on_done=on_done,
                    copy=functools.partial(worktree_snapshot, root),
                    before_run=generate_version_files,
                )
    except Interrupted as exc:
        info = RunInfo(version=__version__, target="interrupted")
        shown = outputs.emit(where, info, exc.results, code=EXIT_INTERRUPTED, color=report.color)
        stderr = shown.stderr + "guardrail: interrupted; every check was stopped\n"
        return CommandOutcome(EXIT_INTERRUPTED, shown.stdout, stderr)
    if pushed is not None:
        return _push_outcome(outcomes, where, color=report.color, verbose=options.verbose)
    return outputs.emit(
        where,
        outcome.info,
        outcome.results,
        code=outcome.exit_code,
        color=report.color,
        verbose=options.verbose,
    )


def _pushed(root: Path, pre_push: tuple[str, str] | None) -> Push | None:
    """What is being pushed: git's stdin lines for ``guardrail pre-push REMOTE URL``, else
    pre-commit's environment; None when this run is not a push."""
    from hooks.push import precommit
    from hooks.push.refs import Push, parse_pre_push

    if pre_push is None:
        return precommit.pushed(root)
    if sys.stdin is None or sys.stdin.isatty():
        raise GuardrailError(
            "guardrail pre-push reads git's pre-push lines on stdin; it is meant to run as git's "
            "pre-push hook (guardrail install). To check the working tree, run guardrail run."
        )
    remote, url = pre_push
    return Push(remote or url, parse_pre_push(sys.stdin.read()))


def _push_outcome(
    outcomes: Sequence[TargetOutcome], where: outputs.Plan, *, color: str, verbose: bool
) -> CommandOutcome:
    """One pushed commit: its reports as ``guardrail run`` writes them. Several: the terminal
    summary of each and a verdict naming the failing ones (file reports cover one commit)."""
    from hooks.push import summary
    from hooks.push.check import exit_code

    if len(outcomes) == 1 and outcomes[0].outcome.results:
        o = outcomes[0].outcome
        return outputs.emit(
            where, o.info, o.results, code=o.exit_code, color=color, verbose=verbose
        )
    stderr = ""
    if where.files and len(outcomes) > 1:
        stderr = (
            f"guardrail: the push sends {len(outcomes)} commits; --output/--report files were "
            "not written (they hold one commit's results: push the branches one at a time)\n"
        )
    return CommandOutcome(exit_code(outcomes), summary.render(outcomes, verbose=verbose), stderr)
