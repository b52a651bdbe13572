"""``guardrail init --from-ci``: write the settings doctor's comparisons call for
(:mod:`hooks.doctor.init`), or with ``--dry-run`` show them."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from hooks.commands import CommandOutcome
from hooks.doctor.init import plan_edits, render
from hooks.doctor.plumbing import installed_hook_check, load_precommit_config
from hooks.git import repo_root


@dataclass(frozen=True, slots=True)
class InitOptions:
    dry_run: bool = False
    explicit: bool = False


def main(args: argparse.Namespace) -> CommandOutcome:
    return init_from_ci(
        repo_root(Path.cwd()), InitOptions(dry_run=args.dry_run, explicit=args.explicit)
    )


def _line_ending(path: Path) -> str:
    """The file's own line ending, kept when it is rewritten (text mode on Windows would turn
    every line of an LF file into CRLF)."""
    try:
        return "\r\n" if b"\r\n" in path.read_bytes() else "\n"
    except OSError:
        return os.linesep


def init_from_ci(root: Path, options: InitOptions) -> CommandOutcome:
    """Apply (or with ``dry_run`` show) the edits; exit 1 when gaps remain that need a person."""
    edits, manual, printed = plan_edits(root, explicit=options.explicit)
    if not options.dry_run:
        for edit in edits:
            if edit.changed:
                path = root / edit.path
                path.write_text(edit.after, encoding="utf-8", newline=_line_ending(path))
    installed = installed_hook_check(root, load_precommit_config(root)).ok
    text = render(
        edits,
        manual,
        printed,
        dry_run=options.dry_run,
        hook_installed=installed,
        explicit=options.explicit,
    )
    return CommandOutcome(1 if manual or printed else 0, text)
