"""``guardrail install`` / ``guardrail uninstall``: plain git hooks, for teams that do not use
pre-commit. The pre-push hook runs ``guardrail pre-push`` with the interpreter that installed it;
the post-commit hook starts the background verification of each new commit
(:mod:`hooks.push.runner`) and returns at once.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import sys
import sysconfig
from pathlib import Path

from hooks.errors import GuardrailError
from hooks.githook import MARKER, hook_path
from hooks.push.snapshot import remove_snapshots

BACKUP_SUFFIX = ".before-guardrail"


def command() -> list[str]:
    """How the hook starts this guardrail: its entry point beside the running interpreter
    (``guardrail.exe`` on Windows), else ``python -I -m hooks`` (isolated, so a ``hooks`` folder
    in the user's repo cannot shadow it)."""
    script = shutil.which("guardrail", path=sysconfig.get_path("scripts"))
    if script:
        return [script]
    return [sys.executable, "-I", "-m", "hooks"]


def hook_script(argv: list[str]) -> str:
    """A POSIX shell script: git runs hooks through its own ``sh`` on Windows too, which takes
    ``C:\\...\\guardrail.exe`` quoted as any other path."""
    return (
        "#!/bin/sh\n"
        f"{MARKER}\n"
        "# Checks each pushed commit in a clean snapshot; remove with `guardrail uninstall`.\n"
        f'exec {shlex.join(argv)} pre-push "$@"\n'
    )


def post_commit_script(argv: list[str]) -> str:
    """Starts ``guardrail background start`` and returns without waiting: no Python starts in
    the foreground, so ``git commit`` is not slowed. The started process ignores the terminal's
    Ctrl-C and hang-up (``trap ''`` is inherited across ``exec``), and makes its own session."""
    return (
        "#!/bin/sh\n"
        f"{MARKER}\n"
        "# Verifies each new commit in the background (guardrail status); remove with\n"
        "# `guardrail uninstall`, or install with --no-background to do without.\n"
        f"(trap '' INT HUP; exec {shlex.join(argv)} background start "
        "</dev/null >/dev/null 2>&1) &\n"
    )


def hook_file(root: Path, name: str = "pre-push") -> Path:
    """Where git looks for the hook ``name`` (``core.hooksPath`` honoured)."""
    hook = hook_path(root, name)
    if hook is None:
        raise GuardrailError(f"{root} is not inside a git repository: nothing to install into")
    return hook


def ours(path: Path) -> bool:
    """Whether the hook at ``path`` was written by ``guardrail install``."""
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace").splitlines()[:3]
    except OSError:
        return False


def install(root: Path, *, force: bool = False, background: bool = True) -> str:
    """Write the pre-push hook, and the post-commit hook unless not ``background``; a hook
    someone else wrote is kept unless ``force`` (then it is moved aside to
    ``<name>.before-guardrail``, which ``uninstall`` restores). A foreign pre-push hook is an
    error; a foreign post-commit hook is kept, and background verification not installed."""
    hook = hook_file(root)
    if hook.exists() and not ours(hook):
        if not force:
            raise GuardrailError(
                f"{hook} exists and was not written by guardrail install (pre-commit's own hook, "
                "perhaps). Keep it and use the pre-commit route, or run guardrail install "
                f"--force to move it aside to {hook.name}{BACKUP_SUFFIX}"
            )
        hook.replace(hook.with_name(hook.name + BACKUP_SUFFIX))
    _write(hook, hook_script(command()))
    lines = [f"guardrail: installed the pre-push hook at {hook}"]
    post = hook_file(root, "post-commit")
    if not background:
        if post.exists() and ours(post):
            post.unlink()
            lines.append(f"guardrail: removed the post-commit hook at {post} (--no-background)")
    elif post.exists() and not ours(post) and not force:
        lines.append(
            f"guardrail: kept {post}, which guardrail install did not write: commits are not "
            "verified in the background (--force moves it aside to "
            f"{post.name}{BACKUP_SUFFIX})"
        )
    else:
        if post.exists() and not ours(post):
            post.replace(post.with_name(post.name + BACKUP_SUFFIX))
        _write(post, post_commit_script(command()))
        lines.append(
            f"guardrail: installed the post-commit hook at {post}: each commit is verified in "
            "the background (guardrail status; --no-background to do without)"
        )
    return "\n".join(lines) + "\n"


def _write(hook: Path, text: str) -> None:
    hook.parent.mkdir(parents=True, exist_ok=True)
    # LF line endings on every OS: sh reads a CR as part of the command.
    hook.write_text(text, encoding="utf-8", newline="\n")
    mode = hook.stat().st_mode
    hook.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def uninstall(root: Path) -> str:
    """Remove the hook if guardrail wrote it (restoring a hook ``install --force`` moved aside),
    and the snapshot worktrees pushes were checked in."""
    hook = hook_file(root)
    if hook.exists() and not ours(hook):
        raise GuardrailError(
            f"{hook} was not written by guardrail install; it was left alone. Remove it by hand "
            "if you mean to."
        )
    snapshots = remove_snapshots(root)
    lines = [f"guardrail: removed {snapshots} snapshot worktree(s)"] if snapshots else []
    if not hook.exists():
        lines.append(f"guardrail: no pre-push hook at {hook}; nothing to remove")
    else:
        lines.append(_remove(hook))
    post = hook_file(root, "post-commit")
    if post.exists() and ours(post):
        lines.append(_remove(post))
    return "\n".join(lines) + "\n"


def _remove(hook: Path) -> str:
    """Remove a hook guardrail wrote, restoring the one it moved aside."""
    hook.unlink()
    backup = hook.with_name(hook.name + BACKUP_SUFFIX)
    restored = backup.exists()
    if restored:
        os.replace(backup, hook)
    return f"guardrail: removed the {hook.name} hook at {hook}" + (
        "; restored the one it replaced" if restored else ""
    )
