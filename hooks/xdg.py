"""The user's cache and config folders (XDG base directories): where the guardrail keeps what it
remembers between runs, and where the tools look for per-user config.

A variable that is unset, empty or not an absolute path is ignored, as the XDG spec says: a
relative one would put the guardrail's files inside whatever folder it runs in.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "push-guardrail"


def _home(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else Path.home() / fallback


def cache_home() -> Path:
    return _home("XDG_CACHE_HOME", ".cache")


def config_home() -> Path:
    return _home("XDG_CONFIG_HOME", ".config")


def cache_folder(*parts: str) -> Path:
    """``<cache home>/push-guardrail/<parts>``, the cache home resolved."""
    return cache_home().resolve().joinpath(APP, *parts)
