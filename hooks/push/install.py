"""``guardrail install`` / ``guardrail uninstall``: a plain git pre-push hook, for teams that do
not use pre-commit. The hook runs ``guardrail pre-push`` with the interpreter that installed it.
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


def hook_file(root: Path) -> Path:
    """Where git looks for the pre-push hook (``core.hooksPath`` honoured)."""
    hook = hook_path(root)
    if hook is None:
        raise GuardrailError(f"{root} is not inside a git repository: nothing to install into")
    return hook


def ours(path: Path) -> bool:
    """Whether the hook at ``path`` was written by ``guardrail install``."""
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace").splitlines()[:3]
    except OSError:
        return False


def install(root: Path, *, force: bool = False) -> str:
    """Write the pre-push hook; a hook someone else wrote is kept unless ``force`` (then it is
    moved aside to ``pre-push.before-guardrail``, which ``uninstall`` restores)."""
    hook = hook_file(root)
    if hook.exists() and not ours(hook):
        if not force:
            raise GuardrailError(
                f"{hook} exists and was not written by guardrail install (pre-commit's own hook, "
                "perhaps). Keep it and use the pre-commit route, or run guardrail install "
                f"--force to move it aside to {hook.name}{BACKUP_SUFFIX}"
            )
        hook.replace(hook.with_name(hook.name + BACKUP_SUFFIX))
    hook.parent.mkdir(parents=True, exist_ok=True)
    # LF line endings on every OS: sh reads a CR as part of the command.
    hook.write_text(hook_script(command()), encoding="utf-8", newline="\n")
    mode = hook.stat().st_mode
    hook.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return f"guardrail: installed the pre-push hook at {hook}\n"


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
        hook.unlink()
        backup = hook.with_name(hook.name + BACKUP_SUFFIX)
        restored = backup.exists()
        if restored:
            os.replace(backup, hook)
        lines.append(
            f"guardrail: removed the pre-push hook at {hook}"
            + ("; restored the one it replaced" if restored else "")
        )
    return "\n".join(lines) + "\n"
