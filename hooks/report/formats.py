"""Every report format by name, and rendering one: results in, text out."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hooks.findings import CheckResult, RunInfo
from hooks.report import github, junit, markdown, sarif, terminal
from hooks.report import json as json_report
from hooks.report.style import colorize

Renderer = Callable[[RunInfo, Sequence[CheckResult]], str]
FORMATS: dict[str, Renderer] = {
    "terminal": terminal.render,
    "json": json_report.render,
    "github": github.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
}


def render(
    fmt: str,
    info: RunInfo,
    results: Sequence[CheckResult],
    *,
    verbose: bool = False,
    color: bool = False,
) -> str:
    if fmt == "terminal":
        text = terminal.render(info, results, verbose=verbose)
        return colorize(text) if color else text
    return FORMATS[fmt](info, results)
