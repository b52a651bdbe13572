"""What the push entry points are asked to check: ``guardrail pre-push`` (a plain git hook, refs
on stdin) and ``guardrail run`` under pre-commit's pre-push stage (refs in the environment).
Both check the pushed commits, never the working tree."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from hooks.errors import GuardrailError
from hooks.push import gitpush, refs


def pushed(
    root: Path,
    *,
    pre_push: tuple[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> refs.Push | None:
    """What is being pushed: git's stdin lines for ``guardrail pre-push REMOTE URL``
    (``pre_push``), else pre-commit's environment; None when this run is not a push."""
    if pre_push is None:
        found = refs.from_pre_commit(os.environ if env is None else env, root)
        return None if found is None else with_running_push(root, found)
    if sys.stdin is None or sys.stdin.isatty():
        raise GuardrailError(
            "guardrail pre-push reads git's pre-push lines on stdin; it is meant to run as git's "
            "pre-push hook (guardrail install). To check the working tree, run guardrail run."
        )
    remote, url = pre_push
    return refs.Push(remote or url, refs.parse_pre_push(sys.stdin.read()))


def with_running_push(root: Path, found: refs.Push, argv: list[str] | None = None) -> refs.Push:
    """pre-commit names only the first ref of a push; add the others the running ``git push``
    sends (read from its command line), and say so when some cannot be told."""
    argv = gitpush.running_push_argv() if argv is None else argv
    command = gitpush.parse(argv) if argv else None
    if command is None:
        return found
    shown = " ".join(argv or ())
    picks_refs = command.refspecs or command.all_branches or command.tags or command.mirror
    if not picks_refs:
        if gitpush.default_push_is_single(root, found.remote):
            return found
        return replace(
            found,
            notes=(
                f"`{shown}` may push several branches (push config), and pre-commit passes "
                "hooks only the first: the others were NOT checked; `guardrail install` "
                "checks every pushed ref",
            ),
        )
    resolved, unresolved = gitpush.resolve(root, found.remote, command)
    known = {(ref.local_sha, ref.remote_ref) for ref in found.refs}
    extra = tuple(
        refs.PushedRef(*ref)
        for ref in resolved
        if (ref[1], ref[2]) not in known and ref[1] != ref[3]
    )
    notes: tuple[str, ...] = ()
    if unresolved:
        notes = (
            f"`{shown}`: {', '.join(unresolved)} could not be resolved to refs, and pre-commit "
            "passes hooks only the first ref: those were NOT checked; `guardrail install` "
            "checks every pushed ref",
        )
    return refs.Push(found.remote, (*found.refs, *extra), notes)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("remote", help="the remote's name (git passes it)")
    parser.add_argument("url", nargs="?", default="", help="the remote's URL (git passes it)")
