"""Which report goes where: ``--format``, ``--output``, ``--report FORMAT=PATH``, GitHub Actions.

Planning is pure (options and environment in, a :class:`Plan` out); rendering is pure
(:mod:`hooks.report.formats`); :func:`emit` writes the report files and hands the text for
stdout back to the CLI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hooks.commands import EXIT_ERROR, CommandOutcome
from hooks.errors import GuardrailError
from hooks.findings import CheckResult, RunInfo
from hooks.report import formats
from hooks.report.formats import FORMATS
from hooks.report.style import use_color


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


def emit(
    where: Plan,
    info: RunInfo,
    results: Sequence[CheckResult],
    *,
    code: int,
    color: str,
    verbose: bool = False,
) -> CommandOutcome:
    """Write the planned report files; the text for stdout, and ``code`` unless a file could not
    be written (then exit 2, and stderr says why)."""
    paint = use_color(color, sys.stdout.isatty(), os.environ)
    text = formats.render(where.stdout, info, results, verbose=verbose, color=paint)
    if where.annotations:
        text += formats.render("github", info, results)
    targets = [(fmt, path, "w") for fmt, path in where.files]
    if where.step_summary:
        targets.append(("markdown", where.step_summary, "a"))
    errors = ""
    for fmt, path, mode in targets:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, mode, encoding="utf-8") as f:
                f.write(formats.render(fmt, info, results))
        except OSError as exc:
            errors += f"guardrail: error: cannot write the {fmt} report to {path}: {exc}\n"
    return CommandOutcome(EXIT_ERROR if errors else code, text, errors)
