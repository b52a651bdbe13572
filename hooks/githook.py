"""The pre-push hook file git runs: where it is, and the marker line that says ``guardrail install``
wrote it (the installer writes the marker, doctor looks for it)."""

from __future__ import annotations

from pathlib import Path

from hooks import git

MARKER = "# installed by guardrail install"


def hook_path(root: Path) -> Path | None:
    """Where git looks for this clone's pre-push hook (``core.hooksPath`` honoured); None
    outside a git repository."""
    out = git.output(root, "rev-parse", "--git-path", "hooks/pre-push")
    if out is None or not out.strip():
        return None
    path = Path(out.strip())
    return path if path.is_absolute() else root / path
