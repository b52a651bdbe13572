"""Renderers: pure functions from a run's results to text. Only the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """What ran for one project: interpreter and tool versions, with where each came from."""

    rel: str
    python: str
    python_version: str
    python_source: str
    tools: tuple[tuple[str, str, str], ...] = ()
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Facts about the run as a whole that every report shows."""

    version: str
    target: str
    notes: tuple[str, ...] = ()
    projects: tuple[ProjectInfo, ...] = field(default=())
    cached: str | None = None
