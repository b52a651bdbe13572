"""``guardrail``: build the argument parser, dispatch to :mod:`hooks.commands`, write what the
command returns, and map errors to exit codes (the one top-level handler)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

from hooks import __version__, hookargs
from hooks.commands import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, CommandOutcome, OnDone
from hooks.errors import GuardrailError, log_internal_error


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    hookargs.add_selection_arguments(parser)
    parser.add_argument("--jobs", "-j", type=int, default=None, help="checks run at once")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every check even if this content was verified green before",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show commands and output")
    hookargs.add_organisation_arguments(parser)
    _add_report_arguments(parser)


def _report_spec(value: str) -> tuple[str, str]:
    from hooks.commands.outputs import parse_report

    try:
        return parse_report(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    from hooks.report.formats import FORMATS
    from hooks.report.style import COLOR_CHOICES

    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        default=None,
        help="write this format to stdout (default: terminal; GitHub annotations are added "
        "under GITHUB_ACTIONS=true)",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        default=None,
        help="write the --format report to PATH instead; the summary still goes to the terminal",
    )
    parser.add_argument(
        "--report",
        type=_report_spec,
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="also write FORMAT to PATH (repeatable), e.g. --report sarif=guardrail.sarif",
    )
    parser.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour the terminal summary (auto: off if NO_COLOR is set, on if FORCE_COLOR is, "
        "else on a terminal)",
    )


def _add_fix_arguments(parser: argparse.ArgumentParser) -> None:
    from hooks.report.style import COLOR_CHOICES

    parser.add_argument("--jobs", "-j", type=int, default=None, help="checks run at once")
    parser.add_argument(
        "--color", choices=COLOR_CHOICES, default="auto", help="colour the terminal summary"
    )


def _add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (the default), json for tools",
    )


def _add_init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from-ci",
        action="store_true",
        required=True,
        help="write the [tool.guardrail] settings that close the gaps guardrail doctor finds",
    )
    parser.add_argument(
        "--explicit",
        action="store_true",
        help="also write down the plan the push hook derives from CI (each check's args, "
        "mypy's targets)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the changes instead of writing them"
    )


def _add_pre_push_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("remote", help="the remote's name (git passes it)")
    parser.add_argument("url", nargs="?", default="", help="the remote's URL (git passes it)")
    _add_run_arguments(parser)


def _add_install_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="move aside a pre-push (or post-commit) hook guardrail did not write (to "
        "<name>.before-guardrail, which uninstall restores)",
    )
    parser.add_argument(
        "--no-background",
        dest="background",
        action="store_false",
        help="do not install the post-commit hook that verifies each commit in the background",
    )


def _add_background_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=("start", "run", "check"),
        help="start: queue HEAD and start the runner (the post-commit hook); run: the runner; "
        "check: one verification (the runner's child)",
    )
    parser.add_argument("--sha", default="", help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    _add_run_arguments(parser)


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


def _write_err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


@contextlib.contextmanager
def _live_status(color_mode: str) -> Iterator[OnDone | None]:
    """On a terminal (stderr), a line per finished check and a ticking elapsed time, erased at
    the end. Elsewhere (a CI log, a file), one plain line per finished check, kept, so a long run
    shows progress; except under pre-commit or prek (``PRE_COMMIT=1``, set by both), which hold
    a hook's output back until it ends and then show the summary anyway."""
    from hooks.report.live import LiveStatus, progress_line
    from hooks.report.style import use_color

    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        if os.environ.get("PRE_COMMIT") == "1":
            yield None
        else:
            yield lambda result: _write_err(progress_line(result))
        return
    live = LiveStatus(
        time.monotonic(),
        color=use_color(color_mode, True, os.environ),
        width=shutil.get_terminal_size().columns,
    )
    stop = threading.Event()
    write = _write_err

    def ticker() -> None:
        while not stop.wait(0.1):
            write(live.tick(time.monotonic()))

    thread = threading.Thread(target=ticker, name="guardrail-live", daemon=True)
    thread.start()
    try:
        yield lambda result: write(live.done(result, time.monotonic()))
    finally:
        stop.set()
        thread.join()
        write(live.finish())


def _tell(line: str) -> None:
    """A line for the person waiting, at once (not with the command's outcome)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def cmd_run(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import run

    return run.main(args, _live_status, _tell)


def cmd_fix(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import fix

    return fix.main(args, _live_status)


def cmd_doctor(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import doctor

    return doctor.main(args)


def cmd_init(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import init

    return init.main(args)


def cmd_install(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import install

    return install.install(args)


def cmd_background(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import background

    return background.main(args)


def cmd_status(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import status

    return status.main(args)


def cmd_uninstall(args: argparse.Namespace) -> CommandOutcome:
    from hooks.commands import install

    return install.uninstall(args)


Configure = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], CommandOutcome]


def commands() -> dict[str, tuple[str, Configure, Handler]]:
    """Subcommand name -> (help, add its arguments, run it). Handlers turn the namespace into
    their own typed options at once; nothing deeper sees argparse."""
    return {
        "doctor": (
            "show what CI checks that the push hook does not, and plumbing that turns it off",
            _add_doctor_arguments,
            cmd_doctor,
        ),
        "init": (
            "write [tool.guardrail] settings and the pre-commit entry so the push hook runs "
            "what CI runs",
            _add_init_arguments,
            cmd_init,
        ),
        "run": ("run the checks (the default)", _add_run_arguments, cmd_run),
        "pre-push": (
            "check the pushed commits git names on stdin (the hook guardrail install writes)",
            _add_pre_push_arguments,
            cmd_run,
        ),
        "install": (
            "install plain git hooks: pre-push, and post-commit (background verification)",
            _add_install_arguments,
            cmd_install,
        ),
        "background": (
            "verify HEAD in the background (what the post-commit hook runs)",
            _add_background_arguments,
            cmd_background,
        ),
        "status": (
            "what the background verification found for HEAD and the branches to push",
            _add_doctor_arguments,
            cmd_status,
        ),
        "uninstall": (
            "remove the pre-push hook guardrail install wrote, and the push snapshots",
            lambda parser: None,
            cmd_uninstall,
        ),
        "fix": (
            "apply ruff's safe fixes and ruff format in every project, then rerun the checks "
            "(rewrites files; never part of the hook)",
            _add_fix_arguments,
            cmd_fix,
        ),
    }


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _prepare_console() -> None:
    """Make every output writable: a character the stream's encoding lacks (a Windows code page
    when pre-commit captures the hook's output) is replaced, never a crash; and on Windows,
    colorama lets the console show ANSI colours and the live status's cursor moves."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")
    if sys.platform == "win32":
        importlib.import_module("colorama").just_fix_windows_console()


def _detached_parent() -> bool:
    """``guardrail background start`` returns at once: it forks before building the parser (which
    imports most of the guardrail), and the child, in a session of its own with its output going
    nowhere, does the work. True in the parent, which exits; False in the child, and where there
    is no ``fork`` (Windows: the work is then done in the foreground)."""
    if sys.platform == "win32":
        return False
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() != 0:
        return True
    os.setsid()
    # A hook manager reads the hook's output until every writer has closed it.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return False


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:
        # Answered before the parser is built: building it imports the report renderers.
        sys.stdout.write(f"guardrail {__version__}\n")
        return EXIT_OK
    if argv is None and args_list[:2] == ["background", "start"] and _detached_parent():
        return EXIT_OK
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        parser = build_parser()
        if not args_list or (
            args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")
        ):
            args_list.insert(0, "run")
        args = parser.parse_args(args_list)
        _prepare_console()
        if args.command is None:
            parser.print_help()
            return EXIT_ERROR
        handler: Handler = commands()[args.command][2]
        outcome = handler(args)
        sys.stdout.write(outcome.stdout)
        sys.stdout.flush()
        sys.stderr.write(outcome.stderr)
        return outcome.code
    except GuardrailError as exc:
        sys.stderr.write(f"guardrail: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        from hooks import proc

        proc.terminate_all()
        sys.stderr.write("guardrail: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        # The one place an unexpected exception ends: exit 2 (a check could not run), never 1
        # ("problems found") and never a traceback on the terminal.
        sys.stdout.flush()
        sys.stderr.write(f"guardrail: {log_internal_error(exc)}\n")
        return EXIT_ERROR
    finally:
        signal.signal(signal.SIGTERM, previous)
