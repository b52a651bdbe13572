"""The hook-arg flags of ``guardrail run`` (``--only``, ``--skip``, ``--fail-fast`` and the
organisation's defaults), as argparse definitions shared by the command line and by doctor,
which parses a hook's ``args:`` the same way. Light: imported for every command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from hooks.config import CHECKS, TOOLS_CHOICES


def _check_names(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    for name in names:
        if name not in CHECKS:
            raise argparse.ArgumentTypeError(
                f"unknown check {name!r}; choose from {', '.join(CHECKS)}"
            )
    return names


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--only``, ``--skip`` and ``--fail-fast`` of ``guardrail run``."""
    parser.add_argument(
        "--only",
        type=_check_names,
        action="extend",
        nargs="+",
        default=[],
        metavar="CHECK",
        help=f"run only these checks ({', '.join(CHECKS)})",
    )
    parser.add_argument(
        "--skip",
        type=_check_names,
        action="extend",
        nargs="+",
        default=[],
        metavar="CHECK",
        help="drop these checks (a default: a project's own [tool.guardrail] checks wins)",
    )
    parser.add_argument(
        "--fail-fast",
        action="store_true",
        default=None,
        help="stop after the first failing check (a default: a project's fail_fast wins)",
    )


def _check_arg(check: str) -> Callable[[str], tuple[str, str]]:
    """``--mypy-arg=--strict`` -> ``("mypy", "--strict")``: every check's args share one list."""
    return lambda value: (check, value)


def add_organisation_arguments(parser: argparse.ArgumentParser) -> None:
    """The organisation-default flags of ``guardrail run`` (``--skip``/``--fail-fast`` are the
    CLI's own and feed the same layer)."""
    group = parser.add_argument_group(
        "organisation defaults",
        "Settings an organisation's hook repo passes as hook args. A project's own "
        "[tool.guardrail] overrides them, except what --require/--enforce pin.",
    )
    for check in CHECKS:
        group.add_argument(
            f"--{check}-arg",
            dest="check_args",
            action="append",
            type=_check_arg(check),
            default=[],
            metavar="ARG",
            help=f"an extra argument for {check}; write it with '=': --{check}-arg=--flag",
        )
    group.add_argument(
        "--timeout",
        action="append",
        default=[],
        metavar="CHECK=SECONDS",
        help="kill a check and report it as an error after this long",
    )
    group.add_argument(
        "--tools", choices=TOOLS_CHOICES, default=None, help="where ruff and mypy come from"
    )
    group.add_argument(
        "--pass-env",
        action="append",
        default=[],
        metavar="NAME",
        help="an environment variable (or a pattern such as 'APP_*') the tools may see",
    )
    group.add_argument(
        "--require",
        action="append",
        choices=CHECKS,
        default=[],
        metavar="CHECK",
        help="a check no project may drop from its checks",
    )
    group.add_argument(
        "--enforce",
        action="append",
        default=[],
        metavar="SETTING",
        help="a setting given here that no project may change (tools, fail_fast, checks, "
        "mypy.args, pytest.timeout, ...)",
    )
