"""``<project python> -m pytest`` with a small recording plugin, so failures carry file and line."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from hooks.checks.base import Invocation, ParseContext, ToolOutput, context_for, tail
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


def plan(project: Project) -> Invocation | Outcome:
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
    argv = (*tool.argv, "-p", PLUGIN, *extra, *settings.args)
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


def parse(output: ToolOutput, context: ParseContext) -> Outcome:
    code = output.exit_code
    everything = output.stdout + "\n" + output.stderr
    if code < 0:
        return Outcome(
            Status.ERROR, message=f"pytest was killed by signal {-code}\n{tail(everything)}"
        )
    try:
        report = json.loads(output.report) if output.report else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        meaning = EXIT_MEANING.get(code, f"pytest exited {code}")
        return Outcome(
            Status.ERROR,
            message=f"{meaning} before it reported results:\n{tail(everything)}",
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
    if code == 5:
        if context.allow_no_tests:
            return Outcome(Status.PASSED, counts="no tests collected (allowed)")
        return Outcome(
            Status.FAILED,
            (Finding(NAME, None, None, None, "no-tests", "pytest collected no tests (exit 5)"),),
            counts="no tests collected",
            message="CI fails on pytest's exit 5 too; set [tool.guardrail.pytest] "
            "allow_no_tests = true if the project has no tests yet",
        )
    if code == 0 and not counts and not context.allow_no_tests:
        return Outcome(
            Status.FAILED,
            (Finding(NAME, None, None, None, "no-tests", "pytest exited 0 but ran no test"),),
            counts="no test ran",
            message="e.g. --collect-only or --setup-plan in the arguments; CI would verify "
            "nothing either. allow_no_tests = true accepts it",
        )
    if code == 0 and not any(f.code != "coverage" for f in result):
        return Outcome(Status.PASSED, counts=counts or "no tests failed")
    if code in (1, 2) and result:
        return Outcome(Status.FAILED, result, counts=counts)
    meaning = EXIT_MEANING.get(code, f"pytest exited {code}")
    return Outcome(Status.ERROR, result, counts=counts, message=f"{meaning}:\n{tail(everything)}")
