"""What ``guardrail run`` under pre-commit's (or prek's) pre-push stage is asked to check: the
refs in the hook's environment, completed from the running ``git push`` command line. (The plain
git hook, ``guardrail pre-push``, reads git's lines on stdin: :mod:`hooks.commands.run`.)"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from hooks.push import gitpush, refs


def pushed(root: Path, env: Mapping[str, str] | None = None) -> refs.Push | None:
    """The push pre-commit's environment describes, with the refs the running ``git push`` adds;
    None when this run is not a push."""
    found = refs.from_pre_commit(os.environ if env is None else env, root)
    return None if found is None else with_running_push(root, found)


def _unreadable_note(reason: str) -> str:
    return (
        f"the running `git push` command line could not be read ({reason}), and pre-commit "
        "and prek pass hooks only the first pushed ref: any other ref this push sends was NOT "
        "checked; `guardrail install` checks every pushed ref"
    )


def with_running_push(root: Path, found: refs.Push, argv: list[str] | None = None) -> refs.Push:
    """pre-commit names only the first ref of a push; add the others the running ``git push``
    sends (read from its command line), and say so when some cannot be told."""
    if argv is None:
        try:
            argv = gitpush.running_push_argv()
        except gitpush.AncestryUnreadable as exc:
            return replace(found, notes=(*found.notes, _unreadable_note(str(exc))))
        if argv is None and found.remote:
            # git names the remote only to a pre-push hook it runs: a `git push` is up there.
            why = "no `git push` found among the processes above this one"
            return replace(found, notes=(*found.notes, _unreadable_note(why)))
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
