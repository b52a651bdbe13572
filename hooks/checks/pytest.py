"""``<project python> -m pytest`` with a small recording plugin, so failures carry file and line."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from hooks.checks.base import (
    CiStep,
    Invocation,
    ParseContext,
    ToolOutput,
    Unrecognised,
    context_for,
    killed,
    passed_with,
    tail,
    unread,
)
from hooks.findings import CHECK_TOOLS, Finding, Outcome, Status, int_or_none, plural
from hooks.projects import Project, pytest_tool

NAME = "pytest"
TOOL = CHECK_TOOLS[NAME]

PLUGIN_DIR = Path(__file__).parent / "pytest_plugin"
PLUGIN = "guardrail_pytest_plugin"
REPORT_ENV = "GUARDRAIL_PYTEST_REPORT"
COUNT_ORDER = ("failed", "passed", "skipped", "xfailed", "xpassed", "error")
EXIT_MEANING = {
    2: "pytest was interrupted",
    3: "pytest hit an internal error (INTERNALERROR)",
    4: "pytest was called wrongly (usage error)",
}
_INTERNALERROR = re.compile(r"^INTERNALERROR> ", re.MULTILINE)
_COVERAGE = re.compile(
    r"Required test coverage of (?P<req>[\d.]+)% not reached\. Total coverage: (?P<total>[\d.]+)%"
)


def code_paths(project: Project) -> tuple[str, ...]:
    """The checked tree's code first on the path: its ``src/``, and in a push snapshot the
    snapshot's copy of every editable install inside the repository (a sibling library
    installed with ``pip install -e ./libs/shared`` points at the working tree, whose
    uncommitted code must not make a broken push pass). A flat layout needs nothing for the
    project itself: ``python -m pytest`` puts the project folder first already."""
    src = project.path / "src"
    own = (str(src),) if src.is_dir() and not (src / "__init__.py").exists() else ()
    return tuple(dict.fromkeys((*own, *project.snapshot_imports())))


def plan(project: Project, ci: CiStep | None = None) -> Invocation | Outcome:
    tool = pytest_tool(project)
    if tool is None:
        return Outcome(
            Status.ERROR,
            message=f"pytest is not installed in the project interpreter "
            f"{project.interpreter.python} ({project.interpreter.source}): install it there "
            f"({project.interpreter.python} -m pip install pytest) or set "
            "[tool.guardrail] python to the interpreter that has the project's test dependencies",
        )
    settings = project.config.check(NAME)
    extra: tuple[str, ...] = ()
    if settings.parallel and project.interpreter.has("pytest-xdist"):
        extra = ("-n", "auto")
    given = ci.argv if ci is not None else settings.args
    argv = (*tool.argv, "-p", PLUGIN, *extra, *given)
    pythonpath = os.pathsep.join((str(PLUGIN_DIR), *code_paths(project)))
    env = {"PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1"}
    ctx = context_for(project, NAME, allow_no_tests=settings.allow_no_tests)
    return Invocation(
        NAME,
        argv,
        project.path,
        ctx,
        tool.name,
        tool.version,
        tool.source,
        env,
        report_file=True,
        stdout_tail_only=True,
    )


def _counts(counts: dict[str, Any]) -> str:
    parts = []
    for key in COUNT_ORDER:
        n = counts.get(key)
        if isinstance(n, int) and n:
            parts.append(plural(n, "error") if key == "error" else f"{n} {key}")
    return ", ".join(parts)


def _problem_finding(problem: dict[str, Any], context: ParseContext) -> Finding:
    kind = str(problem.get("kind", "failed"))
    path = problem.get("path")
    line = problem.get("line")
    nodeid = str(problem.get("nodeid") or "")
    message = str(problem.get("message") or "")
    code = {"failed": "test-failed", "error": "test-error"}.get(kind, "collection-error")
    label = nodeid if kind != "collection" else f"collecting {nodeid or path}"
    return Finding(
        check=NAME,
        path=context.paths(path) if isinstance(path, str) else None,
        line=int_or_none(line),
        column=None,
        code=code,
        message=f"{label}: {message}" if message else label,
        test_id=nodeid or None,
    )


def _no_tests(code: int, context: ParseContext) -> Outcome:
    """pytest exit 5, or exit 0 with no test run: CI verified nothing, so the push is blocked
    unless ``allow_no_tests`` says the project has no tests yet."""
    if context.allow_no_tests:
        return Outcome(Status.PASSED, counts="no tests collected (allowed)")
    if code == 5:
        return Outcome(
            Status.FAILED,
            (Finding(NAME, None, None, None, "no-tests", "pytest collected no tests (exit 5)"),),
            counts="no tests collected",
            message="CI fails on pytest's exit 5 too; set [tool.guardrail.pytest] "
            "allow_no_tests = true if the project has no tests yet",
        )
    return Outcome(
        Status.FAILED,
        (Finding(NAME, None, None, None, "no-tests", "pytest exited 0 but ran no test"),),
        counts="no test ran",
        message="e.g. --collect-only or --setup-plan in the arguments; CI would verify "
        "nothing either. allow_no_tests = true accepts it",
    )


def _report(output: ToolOutput) -> dict[str, Any] | None:
    try:
        report = json.loads(output.report) if output.report else None
    except json.JSONDecodeError:
        return None
    return report if isinstance(report, dict) else None


def parse(output: ToolOutput, context: ParseContext) -> Outcome:
    """pytest's exit status is the verdict, as CI reads it, with its results from the plugin's
    report. The fail-open patterns, each by name: exit 5 or exit 0 with no test run, and a crash
    (``INTERNALERROR``, death by a signal). Exit 2 without a failure to show (interrupted), 3
    and 4 are a run that could not finish; anything else pytest printed is shown, never judged."""
    code = output.exit_code
    everything = output.stdout + "\n" + output.stderr
    signalled = killed("pytest", output)
    if signalled is not None:
        return replace(signalled, message=f"{signalled.message}\n{tail(everything)}")
    if code == 3 or _INTERNALERROR.search(everything):
        return Outcome(Status.ERROR, message=f"{EXIT_MEANING[3]}:\n{tail(everything)}")
    if code == 5:
        return _no_tests(code, context)
    report = _report(output)
    if report is None:
        if code == 1:
            return Outcome(
                Status.FAILED,
                counts="pytest exited 1",
                message=unread(
                    "pytest", "tests failed; the guardrail's plugin wrote no report", output, 30
                ),
            )
        meaning = EXIT_MEANING.get(code, f"pytest exited {code}")
        return Outcome(
            Status.ERROR,
            message=f"{meaning} before it reported results (the guardrail's plugin wrote no "
            f"report, so whether any test ran is unknown):\n{tail(everything)}",
        )
    counts_raw = report.get("counts")
    counts = _counts(counts_raw if isinstance(counts_raw, dict) else {})
    problems = report.get("problems")
    findings = [
        _problem_finding(p, context)
        for p in (problems if isinstance(problems, list) else [])
        if isinstance(p, dict)
    ]
    for match in _COVERAGE.finditer(output.stdout):
        findings.append(
            Finding(
                check=NAME,
                path=None,
                line=None,
                column=None,
                code="coverage",
                message=f"total coverage {match['total']}% is under the required "
                f"{match['req']}% (--cov-fail-under / fail_under)",
            )
        )
    result = tuple(findings)
    if code == 0:
        if not counts:
            return _no_tests(code, context)
        return Outcome(
            Status.PASSED, counts=counts, message=passed_with("pytest", result, Unrecognised())
        )
    if code in (1, 2) and result:
        return Outcome(Status.FAILED, result, counts=counts)
    if code == 1:
        return Outcome(
            Status.FAILED,
            counts=counts or "pytest exited 1",
            message=unread("pytest", "tests failed; none in the plugin's report", output, 30),
        )
    meaning = EXIT_MEANING.get(code, f"pytest exited {code}, which pytest does not document")
    return Outcome(Status.ERROR, result, counts=counts, message=f"{meaning}:\n{tail(everything)}")
