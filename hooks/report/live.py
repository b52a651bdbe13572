"""Progress while the checks run, on stderr.

On a terminal, :class:`LiveStatus`: a line per finished check and a ticking elapsed-time line.
Pure state: each method returns the text to write (ANSI cursor control included), and the CLI
writes it and drives the clock. :meth:`finish` erases everything it drew, so the final summary
that follows is the same text as on a non-terminal run.

Elsewhere (a CI log, a file), :func:`progress_line`: one plain line per finished check, kept.
"""

from __future__ import annotations

import threading

from hooks.findings import CheckResult, Status
from hooks.report.style import MARK_COLOR, paint
from hooks.report.terminal import MARK

CLEAR_LINE = "\r\x1b[K"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


PLAIN_WORD = {
    Status.PASSED: "ok",
    Status.FAILED: "FAILED",
    Status.ERROR: "error",
    Status.SKIPPED: "skipped",
    Status.NOT_RUN: "not run",
}


def _label(result: CheckResult) -> str:
    return result.check if result.project in ("", ".") else f"{result.check} ({result.project})"


def _detail(result: CheckResult) -> str:
    return result.counts or (result.message.splitlines()[0] if result.message else "")


def progress_line(result: CheckResult) -> str:
    """One line for a finished check where nothing can be redrawn: ``ok mypy 3.2s``,
    ``FAILED mypy (backend) 0.5s: 3 errors in 1 file``."""
    line = f"{PLAIN_WORD[result.status]} {_label(result)}"
    if result.status in (Status.SKIPPED, Status.NOT_RUN):
        return line + "\n"
    line += f" {result.duration:.1f}s"
    detail = _detail(result) if result.status.blocks else ""
    return (f"{line}: {detail}" if detail else line) + "\n"


class LiveStatus:
    def __init__(self, started: float, *, color: bool = False, width: int = 0) -> None:
        self.started = started
        self.color = color
        self.width = width
        self.lines = 0
        self.ticks = 0
        self.ticker_shown = False
        self.lock = threading.Lock()

    def _ticker(self, now: float) -> str:
        self.ticks += 1
        spin = SPINNER[self.ticks % len(SPINNER)]
        done = f" · {self.lines} done" if self.lines else ""
        self.ticker_shown = True
        return self._fit(f"  {spin}     running{' ' * 17}{now - self.started:6.1f}s{done}")

    def _fit(self, line: str) -> str:
        """Cut to the terminal's width: a wrapped line would break the erase in :meth:`finish`."""
        return line[: self.width - 1] if self.width > 1 else line

    def tick(self, now: float) -> str:
        with self.lock:
            return CLEAR_LINE + self._ticker(now)

    def done(self, result: CheckResult, now: float) -> str:
        """One permanent line for a finished check, then the ticker again below it."""
        with self.lock:
            label = _label(result)
            mark = MARK[result.status]
            skipped = result.status is Status.SKIPPED
            duration = " " * 7 if skipped else f"{result.duration:6.2f}s"
            line = f"  {mark:<5} {label:<24} {result.status.value:<8} {duration}  {_detail(result)}"
            line = self._fit(line.rstrip())
            if self.color and line.startswith(f"  {mark}"):
                line = "  " + paint(mark, MARK_COLOR[mark]) + line[2 + len(mark) :]
            self.lines += 1
            return CLEAR_LINE + line + "\n" + self._ticker(now)

    def finish(self) -> str:
        """Erase the ticker and every line drawn, leaving the cursor where it started."""
        with self.lock:
            text = CLEAR_LINE if self.ticker_shown else ""
            if self.lines:
                text += f"\x1b[{self.lines}F\x1b[J"
            self.lines = 0
            self.ticker_shown = False
            return text
