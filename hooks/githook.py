"""The hook files git runs (pre-push, post-commit): where they are, and the marker line that
says ``guardrail install`` wrote one (the installer writes the marker, doctor looks for it)."""

from __future__ import annotations

from pathlib import Path

from hooks import git

MARKER = "# installed by guardrail install"


def hook_path(root: Path, name: str = "pre-push") -> Path | None:
    """Where git looks for this clone's hook ``name`` (``core.hooksPath`` honoured); None
    outside a git repository."""
    out = git.output(root, "rev-parse", "--git-path", f"hooks/{name}")
    if out is None or not out.strip():
        return None
    path = Path(out.strip())
    return path if path.is_absolute() else root / path
