"""``guardrail``: parse arguments into typed options, call one function, map errors to exits."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from hooks import __version__
from hooks.config import CHECKS
from hooks.errors import GuardrailError

if TYPE_CHECKING:
    from hooks.findings import CheckResult, RunInfo
    from hooks.push.check import TargetOutcome
    from hooks.report.outputs import Plan

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
    parser.add_argument("--jobs", "-j", type=int, default=None, help="checks run at once")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every check even if this content was verified green before",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show commands and output")
    from hooks import layers

    layers.add_arguments(parser)
    _add_report_arguments(parser)


def _report_spec(value: str) -> tuple[str, str]:
    from hooks.report.outputs import parse_report

    try:
        return parse_report(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    from hooks.report.outputs import FORMATS
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


@dataclass(frozen=True, slots=True)
class EnvSkip:
    """What ``GUARDRAIL=0`` / ``GUARDRAIL_SKIP`` ask to skip, and the loud notes saying so."""

    everything: bool = False
    checks: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def escape_hatches(environ: Mapping[str, str]) -> EnvSkip:
    """Read the escape hatches. Skipping is never silent: each comes with a note."""
    if environ.get("GUARDRAIL", "").strip().lower() in ("0", "false", "no", "off"):
        return EnvSkip(
            everything=True,
            notes=("guardrail: GUARDRAIL=0 is set: ALL CHECKS SKIPPED, nothing was verified",),
        )
    raw = environ.get("GUARDRAIL_SKIP", "")
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise GuardrailError(
            f"GUARDRAIL_SKIP names unknown check {unknown[0]!r}; use a comma-separated list of "
            f"{', '.join(CHECKS)}"
        )
    if not names:
        return EnvSkip()
    return EnvSkip(
        checks=names,
        notes=(f"GUARDRAIL_SKIP={raw} is set: {', '.join(names)} SKIPPED, not verified",),
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _emit(emitted: tuple[int, str, str]) -> int:
    code, out, err = emitted
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    """``guardrail run``; also ``guardrail pre-push``. At push time (pre-commit's pre-push stage,
    or git's pre-push hook) the pushed commits are checked instead of the working tree."""
    from hooks import layers
    from hooks.engine.gate import RunOptions, outside_git_note, repo_root, run_tree
    from hooks.engine.run import Interrupted
    from hooks.push import precommit
    from hooks.push.check import check_push
    from hooks.report import outputs

    if args.jobs is not None and args.jobs < 1:
        raise GuardrailError("--jobs must be at least 1")
    env_skip = escape_hatches(os.environ)
    hook = layers.from_namespace(args)
    options = RunOptions(
        only=_flatten(args.only),
        skip=env_skip.checks,
        jobs=args.jobs,
        verbose=args.verbose,
        layers=hook.layers,
        cache=not args.no_cache,
    )
    report = outputs.ReportOptions(
        format=args.format, output=args.output, reports=tuple(args.report), color=args.color
    )
    where = outputs.plan(report, os.environ)
    root = repo_root(Path.cwd())
    notes = [n for n in (outside_git_note(root), *env_skip.notes, *hook.notes) if n]
    if env_skip.everything:
        sys.stderr.write(env_skip.notes[0] + "\n")
        return EXIT_OK
    pre_push = (args.remote, args.url) if args.command == "pre-push" else None
    pushed = precommit.pushed(root, pre_push=pre_push)
    if pushed is None:
        layers.enforce(root, hook)
    try:
        target = f"checked the working tree of {root}"
        with _live_status(report.color) as on_done:
            if pushed is not None:
                outcomes = check_push(
                    root,
                    pushed,
                    options,
                    notes=[*notes, *pushed.notes],
                    on_done=on_done,
                    prepare=lambda snapshot: layers.enforce(snapshot, hook),
                )
            else:
                outcome = run_tree(root, options, target=target, notes=notes, on_done=on_done)
    except Interrupted as exc:
        from hooks.findings import RunInfo

        info = RunInfo(version=__version__, target="interrupted")
        emit_reports(where, info, exc.results, color=report.color)
        sys.stderr.write("guardrail: interrupted; every check was stopped\n")
        return EXIT_INTERRUPTED
    if pushed is not None:
        return _emit_push(outcomes, where, color=report.color, verbose=options.verbose)
    written = emit_reports(
        where, outcome.info, outcome.results, color=report.color, verbose=options.verbose
    )
    return outcome.exit_code if written else EXIT_ERROR


def _emit_push(outcomes: Sequence[TargetOutcome], where: Plan, *, color: str, verbose: bool) -> int:
    """One pushed commit: its reports as ``guardrail run`` writes them. Several: the terminal
    summary of each and a verdict naming the failing ones (file reports cover one commit)."""
    from hooks.push import summary
    from hooks.push.check import exit_code

    if len(outcomes) == 1 and outcomes[0].outcome.results:
        o = outcomes[0].outcome
        written = emit_reports(where, o.info, o.results, color=color, verbose=verbose)
        return o.exit_code if written else EXIT_ERROR
    sys.stdout.write(summary.render(outcomes, verbose=verbose))
    if where.files and len(outcomes) > 1:
        sys.stderr.write(
            f"guardrail: the push sends {len(outcomes)} commits; --output/--report files were "
            "not written (they hold one commit's results: push the branches one at a time)\n"
        )
    return exit_code(outcomes)


@contextlib.contextmanager
def _live_status(color_mode: str) -> Iterator[Callable[[CheckResult], None] | None]:
    """On a terminal (stderr), a line per finished check and a ticking elapsed time."""
    from hooks.report.live import LiveStatus
    from hooks.report.style import use_color

    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield None
        return
    live = LiveStatus(
        time.monotonic(),
        color=use_color(color_mode, True, os.environ),
        width=shutil.get_terminal_size().columns,
    )
    stop = threading.Event()

    def write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

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


def emit_reports(
    where: Plan,
    info: RunInfo,
    results: Sequence[CheckResult],
    *,
    color: str,
    verbose: bool = False,
) -> bool:
    """Write the planned reports; False (after saying why) when a file could not be written."""
    from hooks.report import outputs
    from hooks.report.style import use_color

    paint = use_color(color, sys.stdout.isatty(), os.environ)
    text = outputs.render(where.stdout, info, results, verbose=verbose, color=paint)
    if where.annotations:
        text += outputs.render("github", info, results)
    sys.stdout.write(text)
    sys.stdout.flush()
    targets = [(fmt, path, "w") for fmt, path in where.files]
    if where.step_summary:
        targets.append(("markdown", where.step_summary, "a"))
    ok = True
    for fmt, path, mode in targets:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, mode, encoding="utf-8") as f:
                f.write(outputs.render(fmt, info, results))
        except OSError as exc:
            sys.stderr.write(f"guardrail: error: cannot write the {fmt} report to {path}: {exc}\n")
            ok = False
    return ok


def _add_fix_arguments(parser: argparse.ArgumentParser) -> None:
    from hooks.report.style import COLOR_CHOICES

    parser.add_argument("--jobs", "-j", type=int, default=None, help="checks run at once")
    parser.add_argument(
        "--color", choices=COLOR_CHOICES, default="auto", help="colour the terminal summary"
    )


def cmd_fix(args: argparse.Namespace) -> int:
    from hooks.engine import fix
    from hooks.engine.gate import RunOptions, repo_root
    from hooks.engine.run import Interrupted
    from hooks.report import outputs

    if args.jobs is not None and args.jobs < 1:
        raise GuardrailError("--jobs must be at least 1")
    root = repo_root(Path.cwd())
    try:
        with _live_status(args.color) as on_done:
            outcome = fix.fix_tree(root, RunOptions(jobs=args.jobs), on_done=on_done)
    except Interrupted:
        sys.stderr.write(
            "guardrail: interrupted; every check was stopped. The fixers may already have "
            "rewritten files: review with `git diff`\n"
        )
        return EXIT_INTERRUPTED
    sys.stdout.write(fix.render(outcome.steps))
    where = outputs.plan(outputs.ReportOptions(color=args.color), {})
    emit_reports(where, outcome.run.info, outcome.run.results, color=args.color)
    return outcome.exit_code


def _add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (the default), json for tools",
    )


def cmd_doctor(args: argparse.Namespace) -> int:
    from hooks.doctor.compare import DoctorOptions, doctor
    from hooks.engine.gate import repo_root

    text, code = doctor(repo_root(Path.cwd()), DoctorOptions(output_format=args.format))
    sys.stdout.write(text)
    return code


def _add_init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from-ci",
        action="store_true",
        required=True,
        help="write [tool.guardrail] settings so the push hook runs what CI runs",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the changes instead of writing them"
    )


def cmd_init(args: argparse.Namespace) -> int:
    from hooks.doctor.init import InitOptions, init_from_ci
    from hooks.engine.gate import repo_root

    text, code = init_from_ci(repo_root(Path.cwd()), InitOptions(dry_run=args.dry_run))
    sys.stdout.write(text)
    return code


def _add_pre_push_arguments(parser: argparse.ArgumentParser) -> None:
    from hooks.push import precommit

    precommit.add_arguments(parser)
    _add_run_arguments(parser)


def _add_install_arguments(parser: argparse.ArgumentParser) -> None:
    from hooks.push import install

    install.add_install_arguments(parser)


def cmd_install(args: argparse.Namespace) -> int:
    from hooks.push import install

    return _emit(install.handle_install(args))


def cmd_uninstall(args: argparse.Namespace) -> int:
    from hooks.push import install

    return _emit(install.handle_uninstall(args))


Configure = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


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
        "install": ("install a plain git pre-push hook", _add_install_arguments, cmd_install),
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
