"""Remembered interpreter probes, so a run does not start the project's Python just to list it.

Asking an interpreter for its version and installed distributions costs a Python start-up and a
walk over site-packages: the largest fixed cost of a run and most of a cache hit. The answer only
changes when the interpreter or its import path changes, and installing, upgrading or removing a
distribution adds or removes a ``*.dist-info`` folder, which changes its parent folder's mtime.
So a probe is reused while a fingerprint of those folders (and of the interpreter and its ``.pth``
files, which extend the import path) is unchanged; anything else probes again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hooks import atomic, xdg

FORMAT = 2  # 2: editable installs (direct_url.json) and what they map
Probe = Callable[[str], "dict[str, object] | None"]


def folder() -> Path:
    return xdg.cache_folder("interpreters")


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def fingerprint(python: str, paths: Sequence[str]) -> list[Any]:
    """What must stay the same for an earlier probe of ``python`` to still be true."""
    exe = os.path.realpath(python)
    venv_cfg = Path(python).parent.parent / "pyvenv.cfg"
    parts: list[Any] = [exe, _stat(exe), _stat(str(venv_cfg))]
    for entry in paths:
        parts.append([entry, _stat(entry)])
        if os.path.isdir(entry):
            with contextlib.suppress(OSError):
                for pth in sorted(Path(entry).glob("*.pth")):
                    parts.append([pth.name, _stat(str(pth))])
    return parts


def cached(python: str, probe: Probe) -> dict[str, object] | None:
    """``probe(python)``, or its remembered answer while the fingerprint holds.

    The fingerprint stored with an answer is taken *before* that probe ran, from the import path
    an earlier probe reported, so a change during the probe can only cause a miss later. The
    first probe of an interpreter therefore only records its import path.
    """
    path = folder() / (hashlib.sha256(python.encode()).hexdigest()[:32] + ".json")
    known: list[str] = []
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        info = data.get("info") if isinstance(data, dict) else None
        if isinstance(info, dict) and data.get("format") == FORMAT and data.get("python") == python:
            known = _paths(info)
            if known and data.get("fingerprint") == fingerprint(python, known):
                return info
    before = fingerprint(python, known) if known else None
    info = probe(python)
    if info is not None:
        usable = before if before is not None and _paths(info) == known else None
        atomic.write_json(
            path, {"format": FORMAT, "python": python, "info": info, "fingerprint": usable}
        )
    return info


def _paths(info: dict[str, Any]) -> list[str]:
    paths = info.get("paths")
    if not isinstance(paths, list):
        return []
    return [p for p in paths if isinstance(p, str) and os.path.isabs(p)]
