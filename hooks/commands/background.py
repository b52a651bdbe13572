"""``guardrail background start|run|check``: the background verification of each new commit
(:mod:`hooks.push.runner`). ``start`` is what the post-commit hook runs; ``run`` and ``check``
are the processes it starts."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hooks import layers
from hooks.commands import EXIT_ERROR, EXIT_OK, CommandOutcome
from hooks.commands.run import escape_hatches, hook_args, run_options
from hooks.errors import GuardrailError
from hooks.git import repo_root
from hooks.push import runner


def main(args: argparse.Namespace) -> CommandOutcome:
    repo = repo_root(Path.cwd())
    if args.action == "start":
        if escape_hatches(os.environ).everything:
            return CommandOutcome(EXIT_OK)  # GUARDRAIL=0: nothing is verified, at push either
        runner.start(repo, _forwarded(sys.argv), os.environ)
        return CommandOutcome(EXIT_OK)
    if args.action == "run":
        runner.run_queue(repo)
        return CommandOutcome(EXIT_OK)
    if not args.sha:
        raise GuardrailError("guardrail background check needs --sha (the runner passes it)")
    label = args.label or args.sha[:7]
    try:
        hook = hook_args(args)
        options = run_options(args, escape_hatches(os.environ), hook)
        code = runner.verify(
            repo, args.sha, label, options, prepare=lambda snapshot: layers.enforce(snapshot, hook)
        )
    except GuardrailError as exc:
        runner.record_error(repo, args.sha, label, str(exc))
        return CommandOutcome(EXIT_ERROR, stderr=f"guardrail: error: {exc}\n")
    return CommandOutcome(code)


def _forwarded(argv: list[str]) -> list[str]:
    """The run arguments after ``background start`` (the hook's args), to give each check."""
    words = argv[1:]
    if "background" in words:
        words = words[words.index("background") + 1 :]
    if words and words[0] == "start":
        words = words[1:]
    return words
