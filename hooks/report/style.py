"""Colour for the terminal summary: whether to use it, and ANSI added to finished text.

Colour is decided once: ``--color always|never`` wins; with ``auto``, a non-empty ``NO_COLOR``
turns it off, a non-empty ``FORCE_COLOR`` (other than ``0``) turns it on, else it follows
whether the stream is a terminal. Colouring rewrites rendered text, so every renderer stays
plain and the plain text is what tests compare.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

COLOR_CHOICES = ("auto", "always", "never")
RESET = "\x1b[0m"
GREEN = "\x1b[32m"
RED = "\x1b[31m"
YELLOW = "\x1b[33m"
DIM = "\x1b[2m"
BOLD = "\x1b[1m"

MARK_COLOR = {"ok": GREEN, "FAIL": RED, "ERROR": RED, "skip": DIM, "--": DIM}
_STATUS = re.compile(r"^(  )(ok|FAIL|ERROR|skip|--)(\s.*)$")
_HEADER = re.compile(r"^\S.* (failed|error)( \(.*\))?:$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def use_color(mode: str, isatty: bool, env: Mapping[str, str]) -> bool:
    if mode == "always":
        return True
    if mode == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force and force != "0":
        return True
    return isatty


def paint(text: str, color: str) -> str:
    return f"{color}{text}{RESET}"


def strip(text: str) -> str:
    return _ANSI.sub("", text)


def colorize_line(line: str) -> str:
    if m := _STATUS.match(line):
        mark = m[2]
        return m[1] + paint(mark, MARK_COLOR[mark]) + m[3]
    if line.startswith("Push blocked:"):
        return paint(line, BOLD + RED)
    if line.startswith("All ") and line.endswith("the push may go ahead."):
        return paint(line, BOLD + GREEN)
    if line.startswith("  warning:"):
        return paint(line, YELLOW)
    if _HEADER.match(line):
        return paint(line, BOLD)
    return line


def colorize(text: str) -> str:
    """The terminal summary with its marks, headers and verdict in colour."""
    return "".join(colorize_line(line) + end for line, end in _lines(text))


def _lines(text: str) -> list[tuple[str, str]]:
    out = []
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\n")
        out.append((body, raw[len(body) :]))
    return out
