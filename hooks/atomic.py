"""Writing the guardrail's own JSON files atomically: concurrent runs (two pushes, a snapshot and
a working-tree run) read a whole old file or a whole new one, never half of either."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any) -> bool:
    """Write ``data`` to ``path`` by rename; False when it could not be written, which callers
    treat as a cache miss to come, never as an error."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, default=str)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
    return True


def prune(folder: Path, keep: int) -> None:
    """Keep the newest ``keep`` JSON files in ``folder`` so it never grows without bound."""
    try:
        entries = sorted(
            (p for p in folder.glob("*.json") if not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
        )
    except OSError:
        return
    for old in entries[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
