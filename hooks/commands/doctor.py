"""``guardrail doctor``: what CI checks that the push hook does not, as text or JSON."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from hooks.commands import CommandOutcome
from hooks.doctor.compare import diagnose
from hooks.doctor.render import render_json, render_text
from hooks.git import repo_root


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    output_format: str = "text"


def main(args: argparse.Namespace) -> CommandOutcome:
    return doctor(repo_root(Path.cwd()), DoctorOptions(output_format=args.format))


def doctor(root: Path, options: DoctorOptions) -> CommandOutcome:
    """The rendered report; exit 0 when all is covered, 1 for gaps or plumbing problems."""
    report = diagnose(root)
    render = render_json if options.output_format == "json" else render_text
    return CommandOutcome(report.exit_code, render(report))
