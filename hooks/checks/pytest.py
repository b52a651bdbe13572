"""``<project python> -m pytest`` with a small recording plugin, so failures carry file and line."""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from hooks import interpreters
from hooks.checks import versions
from hooks.checks.base import (
    SCRATCH,
    CiGate,
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
from hooks.projects import Interpreter, Project

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
    wanted = versions.python_versions(project, ci)
    pythons, notes = _pythons(project, wanted)
    # A version not checked here may be found on the next run: its green is not remembered.
    unchecked = bool(notes)
    gates = ci.gates if ci is not None else ()
    settings = project.config.check(NAME)
    # CI's arguments (the precedence applied) replace the project's.
    args = ci.argv if ci is not None else settings.args
    reports = tuple(g for g in gates if g.kind == "coverage" and not g.combined)
    notes += tuple(_combined_note(g) for g in gates if g.combined)
    # CI's separate `coverage report` reads data its tests wrote under `coverage run`, unless
    # its pytest line collects coverage itself (pytest-cov's --cov).
    wrap = bool(reports) and not any(a == "--cov" or a.startswith("--cov=") for a in args)
    if reports:
        kept = [p for p in pythons if p.has("coverage")]
        notes += tuple(
            f"not checked under {p.version}: {p.python} lacks coverage, which CI's coverage "
            f"gate ({reports[0].origin}) runs"
            for p in pythons
            if p not in kept
        )
        unchecked = unchecked or len(kept) < len(pythons)
        pythons = kept
    if not pythons:
        return _missing(project, notes, needs_coverage=bool(reports))
    in_pytest = tuple(g for g in gates if g.kind == "pytest-cov" and not g.combined)
    scripts = tuple(g for g in gates if g.kind == "script")
    # The files CI's gate scripts read, written where CI's pytest step writes them: the
    # engine then runs the check on a throwaway tree (``leaves_files``).
    args = (*args, *(f"--cov-report={r}" for g in scripts for r in g.reports))
    pythonpath = os.pathsep.join((str(PLUGIN_DIR), *code_paths(project)))
    ctx = context_for(project, NAME, allow_no_tests=settings.allow_no_tests)
    runs: list[Invocation] = []
    for python in pythons:
        label = f"Python {_major_minor(python.version)}" if len(pythons) > 1 else ""
        env = {
            "PYTHONPATH": pythonpath,
            "PYTHONDONTWRITEBYTECODE": "1",
            # Coverage data goes to the run's scratch folder, never into the checked tree.
            "COVERAGE_FILE": f"{SCRATCH}/.coverage{_suffix(python)}",
        }
        extra: tuple[str, ...] = ()
        if settings.parallel and python.has("pytest-xdist"):
            extra = ("-n", "auto")
        launcher = ("-m", "coverage", "run", "-m", "pytest") if wrap else ("-m", "pytest")
        runs.append(
            Invocation(
                NAME,
                (python.python, *launcher, "-p", PLUGIN, *extra, *args),
                project.path,
                ctx,
                "pytest",
                python.dists.get("pytest", "?"),
                python.source if len(pythons) > 1 else "project env",
                env,
                report_file=True,
                stdout_tail_only=True,
                label=label,
                parser=functools.partial(parse_gated, gates=in_pytest) if in_pytest else None,
                scratch=True,
            )
        )
        runs.extend(
            _after_tests(project, ctx, python, env, label, gate) for gate in (*reports, *scripts)
        )
    first = replace(runs[0], then=tuple(runs[1:]), notes=notes, cacheable=not unchecked)
    return replace(first, leaves_files=bool(scripts))


def _after_tests(
    project: Project,
    ctx: ParseContext,
    python: Interpreter,
    env: dict[str, str],
    label: str,
    gate: CiGate,
) -> Invocation:
    """A gate CI runs on the tests' results, in the next step, so only once they passed: its
    ``coverage report`` (or xml, json, ...) or the repository's own gate script."""
    if gate.kind == "script":
        argv, cwd, tool, version = (
            (python.python, *gate.argv),
            project.path / gate.cwd,
            "python",
            python.version,
        )
        parser = functools.partial(parse_script_gate, gate=gate)
    else:
        argv = (python.python, "-m", "coverage", *coverage_argv(gate))
        cwd, tool, version = project.path, "coverage", python.dists.get("coverage", "?")
        parser = functools.partial(parse_gate, gate=gate)
    return Invocation(
        NAME,
        argv,
        cwd,
        ctx,
        tool,
        version,
        python.source,
        env,
        label=label,
        parser=parser,
        after_pass=True,
        scratch=True,
    )


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _suffix(python: Interpreter) -> str:
    return "-" + _major_minor(python.version)


def _pythons(
    project: Project, wanted: tuple[str, ...]
) -> tuple[list[Interpreter], tuple[str, ...]]:
    """The interpreters the tests run under: one per version of CI's matrix found on this
    machine (:func:`hooks.interpreters.matrix`), else the project's own; and a loud note for
    each version that is not checked."""
    own = project.interpreter
    if not wanted:
        return ([own] if own.has("pytest") else []), ()
    found = interpreters.matrix(wanted, project.path, project.repo_root, own)
    pythons = [m.interpreter for m in found if m.interpreter is not None]
    notes = tuple(f"warning: {m.note}" for m in found if m.note)
    if pythons:
        return pythons, notes
    if not own.has("pytest"):
        return [], notes
    instead = (
        f"warning: no Python of CI's matrix ({', '.join(wanted)}) can run the tests here: ran "
        f"them under the project's interpreter, Python {own.version}, instead"
    )
    return [own], (*notes, instead)


def _missing(project: Project, notes: tuple[str, ...], *, needs_coverage: bool) -> Outcome:
    python = project.interpreter
    what, them, install = ("pytest and coverage are", "them", "pytest coverage")
    if not needs_coverage:
        what, them, install = ("pytest is", "it", "pytest")
    message = (
        f"{what} not installed in the project interpreter {python.python} ({python.source}): "
        f"install {them} there ({python.python} -m pip install {install}) or set "
        "[tool.guardrail] python to the interpreter that has the project's test dependencies"
    )
    return Outcome(Status.ERROR, message="\n".join((*notes, message)))


def _combined_note(gate: CiGate) -> str:
    threshold = f"{gate.threshold:g}%" if gate.threshold is not None else "its threshold"
    return (
        f"not checked: CI's coverage gate ({gate.origin}) compares {threshold} with coverage "
        "combined from several CI jobs (coverage combine), which one local run cannot reproduce"
    )


_OUTPUT_OPTIONS = {"xml": "-o", "json": "-o", "lcov": "-o", "html": "-d"}
_DROPPED_OPTIONS = frozenset({"-o", "-d", "--directory", "--data-file"})


def coverage_argv(gate: CiGate) -> tuple[str, ...]:
    """CI's ``coverage <command> ...`` with its data file and the file or folder it writes moved
    to the scratch folder: the checked tree is never written."""
    command, *rest = gate.argv or ("report",)
    kept: list[str] = []
    skip = False
    for arg in rest:
        if skip:
            skip = False
            continue
        name = arg.partition("=")[0]
        if name in _DROPPED_OPTIONS:
            skip = "=" not in arg
            continue
        kept.append(arg)
    out = _OUTPUT_OPTIONS.get(command)
    written = (out, f"{SCRATCH}/coverage-{command}") if out else ()
    return (command, *kept, *written)


_FAIL_UNDER = re.compile(
    r"Coverage failure: total of (?P<total>[\d.]+) is less than fail-under=(?P<req>[\d.]+)"
)
_TOTAL = re.compile(r"^TOTAL\s.*?(?P<total>[\d.]+)%\s*$", re.MULTILINE)


def _located(gate: CiGate) -> tuple[str | None, int | None]:
    """The file and line of the gate's origin (its last hop: where the threshold is set)."""
    last = gate.origin.split(" -> ")[-1]
    path, colon, line = last.rpartition(":")
    if not colon or not line.isdigit():
        return (last or None), None
    return path, int(line)


def _gate_finding(gate: CiGate, total: str, required: str, where: str) -> Finding:
    return _at_gate(gate, f"coverage {total}% is under the threshold {required}% ({where})")


def _at_gate(gate: CiGate, message: str) -> Finding:
    path, line = _located(gate)
    return Finding(
        check=NAME,
        path=path,
        line=line,
        column=None,
        code="coverage",
        message=message,
        blocking=not gate.advisory,
    )


def _gate_failed(gate: CiGate, finding: Finding, counts: str) -> Outcome:
    """A gate under its threshold blocks, unless CI's step cannot fail the job."""
    if gate.advisory:
        message = f"CI's coverage step cannot fail the job ({gate.origin})"
        return Outcome(Status.PASSED, (finding,), counts, message=message)
    return Outcome(Status.FAILED, (finding,), counts)


def parse_gate(output: ToolOutput, context: ParseContext, *, gate: CiGate) -> Outcome:
    """``coverage report`` (or html, xml, json, lcov) with a threshold, as CI runs it after the
    tests: exit 0 passed; 2 with ``Coverage failure:`` the total is under the threshold, a
    finding at the line that sets it; anything else could not run."""
    signalled = killed("coverage", output)
    if signalled is not None:
        return signalled
    where = "--fail-under" if any(a.startswith("--fail-under") for a in gate.argv) else "fail_under"
    failed = _FAIL_UNDER.search(output.stdout)
    totals = _TOTAL.findall(output.stdout)
    if output.exit_code == 0:
        shown = f"coverage {totals[-1]}%" if totals else "coverage above the threshold"
        return Outcome(Status.PASSED, counts=shown)
    if output.exit_code == 2 and failed is not None:
        finding = _gate_finding(gate, failed["total"], failed["req"], where)
        return _gate_failed(gate, finding, f"coverage {failed['total']}% < {failed['req']}%")
    return Outcome(
        Status.ERROR,
        message=unread(f"coverage {gate.argv[0] if gate.argv else 'report'}", "failed", output),
    )


def parse_script_gate(output: ToolOutput, context: ParseContext, *, gate: CiGate) -> Outcome:
    """CI's own gate script, run after the tests: its exit status is the verdict, as CI's
    step's is; a failure is located at CI's step and quotes the script's last lines."""
    signalled = killed(gate.argv[0], output)
    if signalled is not None:
        return signalled
    if output.exit_code == 0:
        return Outcome(Status.PASSED, counts=f"{gate.argv[0]} passed")
    said = tail("\n".join((output.stdout, output.stderr)).strip(), 5)
    message = f"CI's gate {gate.argv[0]} failed (exit {output.exit_code})"
    finding = _at_gate(gate, f"{message}: {said}" if said else message)
    return _gate_failed(gate, finding, f"{gate.argv[0]} failed")


def parse_gated(output: ToolOutput, context: ParseContext, *, gates: tuple[CiGate, ...]) -> Outcome:
    """pytest's outcome, with pytest-cov's ``--cov-fail-under`` / ``fail_under`` failure located
    at the line of CI's files that sets the threshold."""
    outcome = parse(output, context)
    gate = gates[0]
    findings = tuple(
        _gate_finding(gate, *_totals(f.message), "--cov-fail-under / fail_under")
        if f.code == "coverage" and f.path is None
        else f
        for f in outcome.findings
    )
    return replace(outcome, findings=findings)


def _totals(message: str) -> tuple[str, str]:
    numbers = re.findall(r"([\d.]+)%", message)
    return (numbers[0], numbers[1]) if len(numbers) >= 2 else ("?", "?")


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
