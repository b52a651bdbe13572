"""The state shared while CI files are read: the job a command runs in, the frame of files it was
reached through, and the :class:`Walker` every reader hands its commands to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from hooks.ci.model import GuardrailRun, Origin, PreCommitHook, ToolPin

UNKNOWN = "\x00unknown\x00"
"""Stands in a command for a word only CI knows (``$(git describe)``, ``${{ github.sha }}``)."""
MAX_DEPTH = 12
"""Files entered on the way to a command (script -> Makefile -> tox ...), at most."""


@dataclass(slots=True)
class Job:
    """A CI job while its steps are read: what its environment holds so far."""

    workflow: str
    name: str
    python_versions: tuple[str, ...]
    platform: Mapping[str, str]
    env: dict[str, str | None] = field(default_factory=dict)
    pins: dict[str, ToolPin] = field(default_factory=dict)
    combined: bool = False


@dataclass(frozen=True, slots=True)
class Frame:
    """How the commands of one file are reached: the ``origin`` chain so far, whether they can
    fail CI at all, the pre-commit hook and the versions they run under. ``isolated`` commands
    run in an environment of their own (a tox env, a pre-commit hook's), which the job's
    installs do not reach: only ``pins`` apply."""

    origin: Origin
    advisory: bool = False
    via: PreCommitHook | None = None
    pins: tuple[ToolPin, ...] = ()
    python_versions: tuple[str, ...] | None = None
    entered: frozenset[str] = frozenset()
    isolated: bool = False

    def enter(self, key: str, origin: Origin, *, advisory: bool) -> Frame | None:
        """The frame for a file or target entered from ``origin``; None on a cycle or too deep."""
        if key in self.entered or len(self.entered) >= MAX_DEPTH:
            return None
        return replace(
            self, origin=origin, advisory=self.advisory or advisory, entered=self.entered | {key}
        )


@dataclass(frozen=True, slots=True)
class Call:
    """One command to dispatch. ``env`` is its environment (None: a value only CI knows),
    ``cwd`` its repo-relative folder (None: unknown), ``origin`` ends at its own line."""

    argv: tuple[str, ...]
    env: Mapping[str, str | None]
    cwd: str | None
    origin: Origin
    advisory: bool
    text: str


class Walker(Protocol):
    """What readers need from the plan being built."""

    root: Path

    def command(self, call: Call, frame: Frame, job: Job) -> bool | None:
        """Record or follow one command; its exit status when known (it never is, so far)."""
        ...

    def note(self, origin: Origin, text: str, why: str, *, hides_checks: bool = True) -> None:
        """Something not mirrored; ``hides_checks`` False when it cannot hide a check run."""
        ...

    def count(self) -> int:
        """How many checks and gates were found so far (a reader tells what a job produced)."""
        ...

    def pin(self, pin: ToolPin) -> None:
        """A version CI installs (listed in the plan's pins)."""
        ...

    def guardrail(self, run: GuardrailRun) -> None:
        """CI runs the guardrail itself."""
        ...

    def read(self, rel: str) -> str | None:
        """A repo-relative file's text (listed among the files read); None when absent."""
        ...

    def in_checkout(self, rel: str) -> bool:
        """Whether ``rel`` exists in a fresh checkout (not a venv or other generated folder)."""
        ...
