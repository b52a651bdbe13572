"""Run the planned checks: concurrency, fail-fast, timeouts. Exceptions become results here."""

from __future__ import annotations

import functools
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from hooks import locks, proc, toolenv
from hooks.checks.base import Check, Invocation, ToolOutput, tail
from hooks.checks.registry import all_checks
from hooks.engine.plan import Planned
from hooks.errors import log_internal_error
from hooks.findings import CheckResult, Outcome, Status
from hooks.projects import Project


def _result(planned: Planned, outcome: Outcome, **kwargs: object) -> CheckResult:
    return CheckResult(
        check=planned.check,
        project=planned.project.rel,
        status=outcome.status,
        findings=outcome.findings,
        counts=outcome.counts,
        message=outcome.message,
        blocking=planned.blocking,
        why=planned.why,
        origin=planned.ci.origin if planned.ci is not None else "",
        **kwargs,  # type: ignore[arg-type]
    )


def tool_env(
    project: Project, inv: Invocation, ci: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The scrubbed environment (:mod:`hooks.toolenv`), then the variables CI's step sets
    (``ci``), then what the check itself sets; a ``PYTHONPATH`` the check sets goes before one
    the environment passes."""
    env = toolenv.for_project(project, ci)
    for name, value in inv.env.items():
        passed = env.get(name) if name == "PYTHONPATH" else None
        env[name] = os.pathsep.join((value, passed)) if passed else value
    return env


Step = Invocation | Outcome
"""A check planned for its project: the command to run, or why it cannot run."""


def prepare(planned: Planned) -> Step:
    """The check module's plan for the project; an exception comes back as an ERROR outcome."""
    try:
        return all_checks()[planned.check].plan(planned.project, planned.ci)
    except Exception as exc:
        return _crashed(planned, exc)


def _crashed(planned: Planned, exc: Exception) -> Outcome:
    """A bug met while planning or running a check: one line naming it and its log."""
    return Outcome(Status.ERROR, message=f"{planned.check}: {log_internal_error(exc)}")


def execute_one(
    planned: Planned, cancel: threading.Event | None = None, step: Step | None = None
) -> CheckResult:
    """Run one check (planned now unless ``step`` is its plan already); whatever goes wrong comes
    back as an ERROR result, never an exception."""
    module: Check = all_checks()[planned.check]
    started = time.monotonic()
    if step is None:
        step = prepare(planned)
    if isinstance(step, Outcome):
        return _result(planned, step, duration=time.monotonic() - started)
    try:
        return _invoke(planned, module, step, cancel)
    except Exception as exc:
        return _result(planned, _crashed(planned, exc), duration=time.monotonic() - started)


def _invoke(
    planned: Planned, module: Check, inv: Invocation, cancel: threading.Event | None
) -> CheckResult:
    settings = planned.project.config.check(planned.check)
    env = tool_env(planned.project, inv, planned.ci.env if planned.ci is not None else None)
    report_path: str | None = None
    if inv.report_file:
        fd, report_path = tempfile.mkstemp(prefix="guardrail-", suffix=".json")
        os.close(fd)
        os.unlink(report_path)
        env["GUARDRAIL_PYTEST_REPORT"] = report_path
    try:
        with locks.held(inv.exclusive, cancel) if inv.exclusive else nullcontext(True) as ok:
            if not ok:
                return _result(planned, Outcome(Status.NOT_RUN, message="cancelled"))
            before = None
            if inv.before is not None:
                res = proc.run(
                    inv.before, cwd=inv.cwd, env=env, timeout=settings.timeout, cancel=cancel
                )
                before = res.stdout
            if before is None or not (res.missing or res.timed_out or res.signal):
                res = proc.run(
                    inv.argv,
                    cwd=inv.cwd,
                    env=env,
                    timeout=settings.timeout,
                    stdout_tail_only=inv.stdout_tail_only,
                    cancel=cancel,
                )
        report = None
        if report_path and os.path.exists(report_path):
            report = Path(report_path).read_text(encoding="utf-8", errors="replace")
    finally:
        if report_path and os.path.exists(report_path):
            os.unlink(report_path)
    common: dict[str, object] = {
        "duration": res.duration,
        "exit_code": res.returncode,
        "command": inv.argv,
        "cwd": planned.project.rel,
        "tool": inv.tool,
        "tool_version": inv.tool_version,
        "tool_source": inv.tool_source,
        "raw_output": "\n".join(t for t in (tail(res.stdout, 300), tail(res.stderr, 100)) if t),
    }
    if cancel is not None and cancel.is_set() and not res.timed_out:
        return _result(
            planned, Outcome(Status.NOT_RUN, message="cancelled by --fail-fast"), **common
        )
    if res.missing:
        outcome = Outcome(
            Status.ERROR, message=f"{inv.tool} could not be started ({inv.argv[0]}): {res.stderr}"
        )
    elif res.timed_out:
        outcome = Outcome(
            Status.ERROR,
            message=f"timed out after {settings.timeout:g} s; its process group was killed "
            f"(raise [tool.guardrail.{planned.check}] timeout if it needs longer)",
        )
    else:
        outcome = module.parse(
            ToolOutput(res.returncode, res.stdout, res.stderr, report, before), inv.context
        )
    tail_text = ""
    if outcome.status is Status.ERROR:
        tail_text = "\n".join(t for t in (tail(res.stdout, 20), tail(res.stderr, 20)) if t)
    return _result(planned, outcome, output_tail=tail_text, **common)


def run_all(
    planned: Sequence[Planned],
    *,
    steps: Sequence[Step | None] | None = None,
    jobs: int = 1,
    fail_fast: bool = False,
    on_done: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run every planned check, ``jobs`` at a time; results come back in plan order.

    ``steps`` are the checks' plans when the caller made them already (None for a skipped one).
    A check whose command writes files (CI's ``ruff check`` with fixes) runs first, one at a
    time, so that every other check sees what it wrote; the others then run side by side.
    """
    known = list(steps) if steps is not None else [None] * len(planned)
    first = [i for i, s in enumerate(known) if isinstance(s, Invocation) and s.writes]
    after = [i for i in range(len(planned)) if i not in first]
    results: list[CheckResult | None] = [None] * len(planned)
    cancels = [threading.Event() for _ in planned]
    failed_at: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> CheckResult:
        item = planned[i]
        if item.skip_reason is not None:
            return _result(item, Outcome(Status.SKIPPED, message=item.skip_reason))
        with lock:
            stop = any(j < i for j in failed_at)
        if stop:
            return _result(
                item, Outcome(Status.NOT_RUN, message="not run: an earlier check failed")
            )
        result = execute_one(item, cancels[i], known[i])
        if fail_fast and result.status.blocks:
            with lock:
                failed_at.append(i)
            for j in range(i + 1, len(planned)):
                cancels[j].set()
        return result

    def finished(i: int, fut: Future[CheckResult]) -> None:
        result = fut.result()
        results[i] = result
        if on_done is not None:
            on_done(result)

    def in_turn(indices: Sequence[int]) -> None:
        for i in indices:
            fut: Future[CheckResult] = Future()
            fut.set_result(work(i))
            finished(i, fut)

    try:
        in_turn(first)
        if jobs <= 1:
            in_turn(after)
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="guardrail") as pool:
                futures = [pool.submit(work, i) for i in after]
                for i, f in zip(after, futures, strict=True):
                    f.add_done_callback(functools.partial(finished, i))
                try:
                    for f in futures:
                        f.exception()
                except BaseException:
                    for event in cancels:
                        event.set()
                    for f in futures:
                        f.cancel()
                    proc.terminate_all()
                    raise
    except KeyboardInterrupt:
        for event in cancels:
            event.set()
        proc.terminate_all()
        partial = [
            r
            if r is not None
            else _result(planned[i], Outcome(Status.NOT_RUN, message="interrupted"))
            for i, r in enumerate(results)
        ]
        raise Interrupted(partial) from None
    return [r for r in results if r is not None]


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a run; carries the results so far for a partial summary."""

    def __init__(self, results: list[CheckResult]) -> None:
        super().__init__("interrupted")
        self.results = results
