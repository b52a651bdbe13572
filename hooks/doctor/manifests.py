"""A hook repository's manifest (``.pre-commit-hooks.yaml``) at a ``rev``, read without the
network: from the repository itself when ``repo:`` is a local path, else from the clone that
pre-commit or prek made when it built the hook's environment.

Doctor and init tell a hook that runs the guardrail by what it runs (its manifest's ``entry``),
not by its id: an organisation's ``acme-guardrail`` counts as much as ``guardrail``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from hooks import git

MANIFEST = ".pre-commit-hooks.yaml"


def local_path(repo: str) -> Path | None:
    """The folder a ``repo:`` names when it is a local path or a ``file://`` URL."""
    if repo.startswith("file://"):
        path = Path(unquote(urlparse(repo).path))
    elif os.path.isabs(repo):
        path = Path(repo)
    else:
        return None
    return path if path.is_dir() else None


def pre_commit_home() -> Path:
    """pre-commit's cache folder, as pre-commit finds it."""
    configured = os.environ.get("PRE_COMMIT_HOME")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pre-commit"


def prek_home() -> Path:
    """prek's cache folder, as prek finds it (``PREK_HOME``, else the platform's cache home)."""
    configured = os.environ.get("PREK_HOME")
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "prek"
    cache = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(cache) if os.path.isabs(cache) else Path.home() / ".cache") / "prek"


def _pre_commit_clone(repo: str, rev: str) -> Path | None:
    db = pre_commit_home() / "db.db"
    if not db.is_file():
        return None
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT path FROM repos WHERE repo = ? AND ref = ?", (repo, rev)
            ).fetchone()
    except sqlite3.Error:
        return None
    return Path(row[0]) if row else None


def _prek_clone(repo: str, rev: str) -> Path | None:
    try:
        clones = list((prek_home() / "repos").iterdir())
    except OSError:
        return None
    for clone in clones:
        try:
            marker = json.loads((clone / ".prek-repo.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(marker, dict) and marker.get("repo") == repo and marker.get("rev") == rev:
            return clone
    return None


def _parse(text: str) -> dict[str, Mapping[str, Any]] | None:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError:
        return None
    if not isinstance(data, list):
        return None
    return {str(h["id"]): h for h in data if isinstance(h, Mapping) and "id" in h}


def manifest_text(repo: str, rev: str) -> str | None:
    """The manifest's text, or None when it cannot be read without fetching the repository."""
    folder = local_path(repo)
    if folder is not None:
        return git.output(folder, "show", f"{rev}:{MANIFEST}")
    for clone in (_pre_commit_clone(repo, rev), _prek_clone(repo, rev)):
        if clone is None:
            continue
        try:
            return (clone / MANIFEST).read_text(encoding="utf-8")
        except OSError:
            continue
    return None


def find(repo: str, rev: str) -> dict[str, Mapping[str, Any]] | None:
    """The hooks ``repo`` defines at ``rev``, by id; None when its manifest cannot be read."""
    text = manifest_text(repo, rev)
    return None if text is None else _parse(text)
