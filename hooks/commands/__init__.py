"""One module per subcommand. Each turns argparse's namespace into its own typed options at once
(nothing below this package sees argparse) and returns a :class:`CommandOutcome`, which only
:mod:`hooks.cli` writes out."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hooks.findings import CheckResult

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

OnDone = Callable[["CheckResult"], None]
Progress = Callable[[str], AbstractContextManager[OnDone | None]]
"""How the CLI shows a run's progress, for a colour mode: a context that yields what to call as
each check finishes (None when it shows nothing). The live terminal status is one."""


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What a subcommand did: its exit code and the text for stdout and stderr."""

    code: int
    stdout: str = ""
    stderr: str = ""
