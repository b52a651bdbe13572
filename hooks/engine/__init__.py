"""The gate itself: plan the checks (:mod:`~hooks.engine.plan`), run them
(:mod:`~hooks.engine.run`), remember green verdicts (:mod:`~hooks.engine.cache`), and the run
pipeline for one tree (:mod:`~hooks.engine.gate`); :mod:`~hooks.engine.fix` applies the fixers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hooks.findings import CheckResult


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a run; carries the results so far for a partial summary. Here,
    not in :mod:`~hooks.engine.run`, so that a command can catch it without importing the
    runner (a cached verdict runs nothing)."""

    def __init__(self, results: list[CheckResult]) -> None:
        super().__init__("interrupted")
        self.results = results
