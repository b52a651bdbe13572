"""``guardrail``: parse arguments into typed options, call one function, map errors to exits."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from hooks import __version__
from hooks.config import CHECKS
from hooks.errors import GuardrailError

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def _check_names(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    for name in names:
        if name not in CHECKS:
            raise argparse.ArgumentTypeError(
                f"unknown check {name!r}; choose from {', '.join(CHECKS)}"
            )
    return names


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
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
        "--skip", type=_check_names, action="extend", nargs="+", default=[], metavar="CHECK"
    )
    parser.add_argument(
        "--fail-fast",
        action="store_true",
        default=None,
        help="stop after the first failing check; the rest are reported as not run",
    )
    parser.add_argument("--jobs", "-j", type=int, default=None, help="checks run at once")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every check even if this content was verified green before",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show commands and output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrail",
        description="Run ruff check, ruff format --check, mypy and pytest the way CI does, "
        "and block the push on any failure.",
    )
    parser.add_argument("--version", action="version", version=f"guardrail {__version__}")
    sub = parser.add_subparsers(dest="command")
    for name, (help_text, configure, _) in commands().items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def _flatten(values: list[list[str]] | list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return tuple(out)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_run(args: argparse.Namespace) -> int:
    from hooks.gate import RunOptions, repo_root, run_tree
    from hooks.report import terminal
    from hooks.runner import Interrupted

    if args.jobs is not None and args.jobs < 1:
        raise GuardrailError("--jobs must be at least 1")
    options = RunOptions(
        only=_flatten(args.only),
        skip=_flatten(args.skip),
        fail_fast=args.fail_fast,
        jobs=args.jobs,
        verbose=args.verbose,
        cache=not args.no_cache,
    )
    root = repo_root(Path.cwd())
    try:
        outcome = run_tree(root, options, target=f"checked the working tree of {root}")
    except Interrupted as exc:
        from hooks.report import RunInfo

        info = RunInfo(version=__version__, target="interrupted")
        sys.stdout.write(terminal.render(info, exc.results))
        sys.stderr.write("guardrail: interrupted; every check was stopped\n")
        return EXIT_INTERRUPTED
    sys.stdout.write(terminal.render(outcome.info, outcome.results, verbose=options.verbose))
    return outcome.exit_code


Configure = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


def commands() -> dict[str, tuple[str, Configure, Handler]]:
    """Subcommand name -> (help, add its arguments, run it). Handlers turn the namespace into
    their own typed options at once; nothing deeper sees argparse."""
    return {
        "run": ("run the checks (the default)", _add_run_arguments, cmd_run),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:
        # Answered before the parser is built: building it imports every subcommand's module.
        sys.stdout.write(f"guardrail {__version__}\n")
        return EXIT_OK
    parser = build_parser()
    if not args_list or (
        args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")
    ):
        args_list.insert(0, "run")
    args = parser.parse_args(args_list)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if args.command is None:
            parser.print_help()
            return EXIT_ERROR
        handler: Handler = commands()[args.command][2]
        return handler(args)
    except GuardrailError as exc:
        sys.stderr.write(f"guardrail: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        from hooks import proc

        proc.terminate_all()
        sys.stderr.write("guardrail: interrupted\n")
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
