"""Run the planned checks: concurrency, fail-fast, timeouts. Exceptions become results here."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from hooks import locks, proc, toolenv
from hooks.checks.base import SCRATCH, Check, Invocation, ToolOutput, tail
from hooks.checks.registry import all_checks
from hooks.engine import Interrupted
from hooks.engine.plan import Planned
from hooks.errors import log_internal_error
from hooks.findings import CheckResult, Finding, Outcome, Status
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
    """Run the check's commands (``inv`` and its ``then``) in turn and merge their outcomes."""
    settings = planned.project.config.check(planned.check)
    ci_env = planned.ci.env if planned.ci is not None else None
    ran: list[tuple[Invocation, proc.ProcResult, Outcome]] = []
    runs = (inv, *inv.then)
    scratch = tempfile.mkdtemp(prefix="guardrail-") if any(r.scratch for r in runs) else None
    try:
        with locks.held(inv.exclusive, cancel) if inv.exclusive else nullcontext(True) as ok:
            if not ok:
                return _result(planned, Outcome(Status.NOT_RUN, message="cancelled"))
            for one in runs:
                if one.after_pass and ran and ran[-1][2].status is not Status.PASSED:
                    continue
                res, outcome = _run_one(
                    planned.project, module, one, settings.timeout, cancel, scratch, ci_env
                )
                ran.append((one, res, outcome))
                if res.missing or res.timed_out or (cancel is not None and cancel.is_set()):
                    break
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    first = ran[0][1]
    common: dict[str, object] = {
        "duration": sum(res.duration for _, res, _ in ran),
        "exit_code": next((r.returncode for _, r, _ in ran if r.returncode), first.returncode),
        "command": inv.argv,
        "cwd": planned.project.rel,
        "tool": inv.tool,
        "tool_version": inv.tool_version,
        "tool_source": inv.tool_source,
        "raw_output": "\n".join(_raw(one, res, len(ran) > 1) for one, res, _ in ran),
    }
    if cancel is not None and cancel.is_set() and not any(r.timed_out for _, r, _ in ran):
        return _result(
            planned, Outcome(Status.NOT_RUN, message="cancelled by --fail-fast"), **common
        )
    outcome = merge([(one.label, out) for one, _, out in ran])
    notes = tuple(n for one, _, _ in ran for n in one.notes)
    if notes:
        outcome = replace(outcome, message="\n".join((*notes, outcome.message)).strip())
    tail_text = ""
    if outcome.status is Status.ERROR:
        tail_text = "\n".join(
            t for _, res, _ in ran for t in (tail(res.stdout, 20), tail(res.stderr, 20)) if t
        )
    return _result(planned, outcome, output_tail=tail_text, **common)


def _raw(inv: Invocation, res: proc.ProcResult, several: bool) -> str:
    text = "\n".join(t for t in (tail(res.stdout, 300), tail(res.stderr, 100)) if t)
    if not several:
        return text
    head = f"$ {' '.join(inv.argv)}  # exit {res.returncode}"
    return f"{head}{f' ({inv.label})' if inv.label else ''}\n{text}"


def _run_one(
    project: Project,
    module: Check,
    inv: Invocation,
    timeout: float,
    cancel: threading.Event | None,
    scratch: str | None,
    ci_env: Mapping[str, str] | None,
) -> tuple[proc.ProcResult, Outcome]:
    """One command of a check, in its folder with its environment, and what its parser makes
    of it. A report file exists only for the run; ``scratch`` is the check's scratch folder,
    shared by its commands (coverage's data file, written by the tests and read by the gate)."""
    env = tool_env(project, inv, ci_env)
    report_path: str | None = None
    argv = inv.argv
    if scratch is not None and inv.scratch:
        argv = tuple(a.replace(SCRATCH, scratch) for a in argv)
        env = {k: v.replace(SCRATCH, scratch) for k, v in env.items()}
    if inv.report_file:
        fd, report_path = tempfile.mkstemp(prefix="guardrail-", suffix=".json")
        os.close(fd)
        os.unlink(report_path)
        env["GUARDRAIL_PYTEST_REPORT"] = report_path
    try:
        before = None
        if inv.before is not None:
            res = proc.run(inv.before, cwd=inv.cwd, env=env, timeout=timeout, cancel=cancel)
            before = res.stdout
        if before is None or not (res.missing or res.timed_out or res.signal):
            res = proc.run(
                argv,
                cwd=inv.cwd,
                env=env,
                timeout=timeout,
                stdout_tail_only=inv.stdout_tail_only,
                cancel=cancel,
            )
        report = None
        if report_path and os.path.exists(report_path):
            report = Path(report_path).read_text(encoding="utf-8", errors="replace")
    finally:
        if report_path and os.path.exists(report_path):
            os.unlink(report_path)
    if res.missing:
        return res, Outcome(
            Status.ERROR, message=f"{inv.tool} could not be started ({argv[0]}): {res.stderr}"
        )
    if res.timed_out:
        return res, Outcome(
            Status.ERROR,
            message=f"timed out after {timeout:g} s; its process group was killed "
            f"(raise [tool.guardrail.{inv.check}] timeout if it needs longer)",
        )
    parse = inv.parser if inv.parser is not None else module.parse
    output = ToolOutput(res.returncode, res.stdout, res.stderr, report, before)
    return res, parse(output, inv.context)


_WORST = (Status.ERROR, Status.FAILED, Status.PASSED, Status.NOT_RUN, Status.SKIPPED)


def merge(parts: Sequence[tuple[str, Outcome]]) -> Outcome:
    """One outcome for a check that ran several commands: the worst status; every finding once,
    naming the runs it came from (``under Python 3.12``) when it did not come from every
    labelled run; the count lines and messages of each run, by label."""
    if len(parts) == 1:
        return parts[0][1]
    status = next(s for s in _WORST if any(o.status is s for _, o in parts))
    labels = list(dict.fromkeys(label for label, _ in parts if label))
    seen: dict[Finding, list[str]] = {}
    for label, outcome in parts:
        for f in outcome.findings:
            runs = seen.setdefault(f, [])
            if label and label not in runs:
                runs.append(label)
    findings = tuple(
        f
        if len(labels) < 2 or not runs or len(runs) == len(labels)
        else replace(f, message=f"{f.message} (under {', '.join(runs)})")
        for f, runs in seen.items()
    )
    by_label: dict[str, list[Outcome]] = {}
    for label, outcome in parts:
        by_label.setdefault(label, []).append(outcome)
    counts: list[str] = []
    messages: list[str] = []
    for label, outcomes in by_label.items():
        shown = ", ".join(dict.fromkeys(o.counts for o in outcomes if o.counts))
        prefix = f"{label}: " if label and len(by_label) > 1 else ""
        if shown:
            counts.append(prefix + shown)
        messages.extend(prefix + o.message for o in outcomes if o.message)
    return Outcome(status, findings, "; ".join(counts), "\n".join(messages))


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
