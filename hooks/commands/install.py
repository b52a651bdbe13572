"""``guardrail install`` / ``guardrail uninstall``: the plain git pre-push hook
(:mod:`hooks.push.install`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hooks.commands import EXIT_OK, CommandOutcome
from hooks.git import repo_root
from hooks.push import install as hook


def install(args: argparse.Namespace) -> CommandOutcome:
    done = hook.install(
        repo_root(Path.cwd()), force=bool(args.force), background=bool(args.background)
    )
    return CommandOutcome(EXIT_OK, done)


def uninstall(args: argparse.Namespace) -> CommandOutcome:
    return CommandOutcome(EXIT_OK, hook.uninstall(repo_root(Path.cwd())))
