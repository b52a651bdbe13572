"""Which report goes where: ``--format``, ``--output``, ``--report FORMAT=PATH``, GitHub Actions.

Planning is pure (options and environment in, a :class:`Plan` out); rendering is pure (results
in, text out); the CLI does the writing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hooks.errors import GuardrailError
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


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """The report flags of ``guardrail run``, typed."""

    format: str | None = None
    output: str | None = None
    reports: tuple[tuple[str, str], ...] = ()
    color: str = "auto"


@dataclass(frozen=True, slots=True)
class Plan:
    """``stdout`` format (with GitHub annotations after it or not), files, the step summary."""

    stdout: str
    annotations: bool
    files: tuple[tuple[str, str], ...]
    step_summary: str | None


def parse_report(value: str) -> tuple[str, str]:
    """``json=out.json`` -> ``("json", "out.json")``."""
    fmt, sep, path = value.partition("=")
    fmt = fmt.strip()
    if not sep or not path:
        raise ValueError(f"expected FORMAT=PATH, e.g. sarif=guardrail.sarif, got {value!r}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    return fmt, path


def plan(options: ReportOptions, env: Mapping[str, str]) -> Plan:
    if options.format is not None and options.format not in FORMATS:
        raise GuardrailError(
            f"unknown --format {options.format!r}; choose from {', '.join(FORMATS)}"
        )
    files = list(options.reports)
    stdout = options.format or "terminal"
    if options.output is not None:
        if options.format is None:
            raise GuardrailError(
                "--output needs --format (the format to write there), e.g. "
                "--format sarif --output guardrail.sarif, or use --report sarif=guardrail.sarif"
            )
        files.insert(0, (options.format, options.output))
        stdout = "terminal"
    paths = [p for _, p in files]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise GuardrailError(f"two reports would be written to {', '.join(duplicates)}")
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    return Plan(
        stdout=stdout,
        annotations=in_actions and stdout == "terminal",
        files=tuple(files),
        step_summary=(env.get("GITHUB_STEP_SUMMARY") or None) if in_actions else None,
    )


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
