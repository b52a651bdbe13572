"""Every report format by name, and rendering one: results in, text out."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from hooks.findings import CheckResult, RunInfo

Renderer = Callable[[RunInfo, Sequence[CheckResult]], str]
FORMATS: dict[str, str] = {
    "terminal": "terminal",
    "json": "json",
    "github": "github",
    "junit": "junit",
    "sarif": "sarif",
    "markdown": "markdown",
}
"""Each format by name, and the module of ``hooks.report`` that renders it: imported when used,
so that a push hook whose verdict is cached does not load six renderers (and an XML library)."""


def renderer(fmt: str) -> Renderer:
    found: Renderer = importlib.import_module(f"hooks.report.{FORMATS[fmt]}").render
    return found


def render(
    fmt: str,
    info: RunInfo,
    results: Sequence[CheckResult],
    *,
    verbose: bool = False,
    color: bool = False,
) -> str:
    if fmt == "terminal":
        from hooks.report import terminal
        from hooks.report.style import colorize

        text = terminal.render(info, results, verbose=verbose)
        return colorize(text) if color else text
    return renderer(fmt)(info, results)
