"""A failure analysis in Markdown, the post-mortem a person would otherwise write by hand.

Executive summary (what failed, what passed, the verdict), one findings table per failing check,
then concrete fix steps: the exact fixer command for ruff findings, a hint table for mypy error
codes with their docs, and for each failing test its id, the line that failed and the command
that reruns just that test. GitHub renders it in ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from hooks.findings import CheckResult, Finding, RunInfo, Status, exit_code_for
from hooks.report.terminal import verdict

MAX_ROWS = 50
MYPY_DOCS = "https://mypy.readthedocs.io/en/stable/_refs.html#code-{code}"
MYPY_HINTS = {
    "type-arg": "add type arguments, e.g. {example}",
    "no-untyped-def": "annotate every parameter and the return type (`-> None` when it "
    "returns nothing)",
    "no-untyped-call": "annotate the function being called, so strict callers can use it",
    "arg-type": "pass a value of the parameter's type (convert it), or widen the parameter's "
    "annotation",
    "return-value": "return a value of the declared type, or correct the return annotation",
    "assignment": "assign a value of the variable's declared type, or widen the annotation",
    "attr-defined": "the type has no such attribute: check the spelling or narrow the type first",
    "union-attr": "a member of the union (often `None`) lacks the attribute: check "
    "`if x is not None:` first",
    "name-defined": "import the name or correct its spelling",
    "import-untyped": "install the package's stubs (`types-…`) in the project env, or set "
    "`ignore_missing_imports` for that module",
    "import-not-found": "install the module in the project env mypy runs with, or fix the import",
    "call-arg": "match the callee's signature: number and names of the arguments",
    "var-annotated": "annotate the empty collection, e.g. `items: list[str] = []`",
    "no-any-return": "the value returned is `Any`: annotate or `cast()` it to the declared type",
    "override": "keep the override's signature compatible with the base class method",
    "index": "the value cannot be indexed with that key type",
    "operator": "the operand types do not support this operator",
    "unused-ignore": "delete the `# type: ignore` that no longer silences anything",
    "valid-type": "use a type, not a value, in the annotation",
    "has-type": "annotate the attribute where it is first assigned",
}
GENERIC_EXAMPLES = {
    "dict": "`dict[str, Any]` (with `from typing import Any`)",
    "list": "`list[str]`",
    "set": "`set[str]`",
    "frozenset": "`frozenset[str]`",
    "tuple": "`tuple[int, ...]`",
    "type": "`type[Base]`",
    "Callable": "`Callable[..., Any]`",
}
_GENERIC = re.compile(r'generic type "(?P<name>[^"]+)"')


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _label(r: CheckResult, many: bool) -> str:
    return f"{r.check} ({r.project})" if many else r.check


def _in_project(path: str, project: str) -> str:
    """A repo-relative path as the tool sees it from the project's folder."""
    if project in ("", ".") or not path.startswith(project.rstrip("/") + "/"):
        return path
    return path[len(project.rstrip("/")) + 1 :]


def _cd(project: str, argv: Sequence[str]) -> str:
    cmd = shlex.join(argv)
    return cmd if project in ("", ".") else f"cd {shlex.quote(project)} && {cmd}"


def _files(findings: Sequence[Finding]) -> list[str]:
    return sorted({f.path for f in findings if f.path is not None})


def _code_link(f: Finding) -> str:
    return f"[{code(f.code)}]({f.url})" if f.url else code(f.code)


def _summary(info: RunInfo, results: Sequence[CheckResult], many: bool) -> list[str]:
    exit_code = exit_code_for(list(results))
    blocking = [r for r in results if r.status.blocks and r.blocking]
    passed = [r for r in results if r.status is Status.PASSED]
    other = [r for r in results if r.status in (Status.SKIPPED, Status.NOT_RUN)]
    aside = [r for r in results if r.status.blocks and not r.blocking]
    lines = ["## Executive summary", ""]
    if not blocking:
        lines.append(f"✅ **Every check passed** ({len(passed)} of {len(results)} ran).")
    else:
        noun = "check" if len(blocking) == 1 else "checks"
        lines.append(f"**{len(blocking)} {noun} blocking the push:**")
        lines.append("")
        for r in blocking:
            what = "could not run" if r.status is Status.ERROR else "failed"
            first = r.message.splitlines()[0] if r.message else ""
            detail = (first or r.counts) if r.status is Status.ERROR else (r.counts or first)
            files = _files(r.blocking_findings)
            more = f", +{len(files) - 3} more" if len(files) > 3 else ""
            where = f" ({', '.join(code(p) for p in files[:3])}{more})" if files else ""
            lines.append(f"- ❌ **{_label(r, many)}** {what}: {detail}{where}")
        if passed:
            lines.extend(["", "Passed:"])
    if blocking:
        for r in passed:
            lines.append(f"- ✅ {_label(r, many)}: {r.counts or 'passed'}")
    for r in aside:
        lines.append(
            f"- ⚠️ {_label(r, many)}: {r.status.value} ({r.why or 'not blocking'}: does not "
            f"block){': ' + r.counts if r.counts else ''}"
        )
    for r in other:
        reason = r.message.splitlines()[0] if r.message else r.status.value
        lines.append(f"- ⏭️ {_label(r, many)}: {r.status.value} ({reason})")
    origins = [r for r in results if r.origin]
    if origins:
        lines.extend(["", "Plan from CI:", ""])
        lines.extend(f"- {_label(r, many)}: {code(r.origin)}" for r in origins)
    lines.extend(["", f"**Verdict:** {verdict(results)} (exit {exit_code})", ""])
    return lines


def _findings_table(r: CheckResult) -> list[str]:
    rows = list(r.blocking_findings)
    lines = ["| Location | Code | Message |", "|---|---|---|"]
    for f in rows[:MAX_ROWS]:
        lines.append(f"| {code(f.location())} | {_code_link(f)} | {cell(f.message)} |")
    if len(rows) > MAX_ROWS:
        lines.append(f"| … | | {len(rows) - MAX_ROWS} more |")
    return lines


def _failing_check(r: CheckResult, many: bool) -> list[str]:
    what = "could not run" if r.status is Status.ERROR else "failed"
    lines = [f"### {_label(r, many)} {what}", ""]
    facts = []
    if r.tool:
        facts.append(f"{r.tool} {r.tool_version} ({r.tool_source})".rstrip())
    if r.exit_code is not None:
        facts.append(f"exit {r.exit_code}")
    facts.append(f"{r.duration:.2f} s")
    lines.append(" · ".join(facts))
    if r.command:
        lines.extend(["", "```console", f"$ {_cd(r.cwd or r.project, r.command)}", "```"])
    lines.append("")
    if r.blocking_findings:
        lines.extend(_findings_table(r))
        lines.append("")
    if r.message:
        lines.extend(["```text", r.message.rstrip(), "```", ""])
    if r.status is Status.ERROR and r.output_tail:
        lines.extend(["Last lines of its output:", "", "```text", r.output_tail, "```", ""])
    return lines


def _type_arg_example(findings: Sequence[Finding]) -> str:
    names = []
    for f in findings:
        m = _GENERIC.search(f.message)
        if m and m["name"] not in names:
            names.append(m["name"])
    examples = [GENERIC_EXAMPLES.get(n, f"`{n}[Any]`") for n in names]
    return ", ".join(examples) or GENERIC_EXAMPLES["dict"]


def _mypy_fix(r: CheckResult, label: str) -> list[str]:
    by_code: dict[str, list[Finding]] = {}
    for f in r.blocking_findings:
        by_code.setdefault(f.code, []).append(f)
    lines = [f"**{label}**: fix the type errors by hand.", ""]
    lines += ["| Code | Findings | Hint | Docs |", "|---|---|---|---|"]
    for c, fs in by_code.items():
        hint = MYPY_HINTS.get(c, "see the message and the docs")
        if c == "type-arg":
            hint = hint.format(example=_type_arg_example(fs))
        url = fs[0].url or MYPY_DOCS.format(code=c)
        lines.append(f"| {code(c)} | {len(fs)} | {hint} | [{c}]({url}) |")
    lines.append("")
    for path in _files(r.blocking_findings):
        at = [f for f in r.blocking_findings if f.path == path]
        where = ", ".join(str(f.line) for f in at if f.line is not None)
        lines.append(f"- {code(path)}: line{'s' if len(at) > 1 else ''} {where}")
    return [*lines, ""]


def _ruff_check_fix(r: CheckResult, label: str) -> list[str]:
    project = r.cwd or r.project
    fixable = [f for f in r.blocking_findings if f.fixable]
    manual = [f for f in r.blocking_findings if not f.fixable]
    lines: list[str] = []
    if fixable:
        files = [_in_project(p, project) for p in _files(fixable)]
        lines += [
            f"**{label}**: {len(fixable)} finding{'s' if len(fixable) != 1 else ''} "
            "have a safe fix; apply them with:",
            "",
            "```bash",
            _cd(project, ["ruff", "check", "--fix", *files]),
            "```",
            "",
        ]
    if manual:
        lines += [f"**{label}**: fix by hand (no safe fix):", ""]
        for f in manual[:MAX_ROWS]:
            lines.append(f"- {code(f.location())} {_code_link(f)} {cell(f.message)}")
        lines.append("")
    return lines


def _ruff_format_fix(r: CheckResult, label: str) -> list[str]:
    project = r.cwd or r.project
    files = [_in_project(p, project) for p in _files(r.blocking_findings)]
    return [
        f"**{label}**: reformat {len(files)} file{'s' if len(files) != 1 else ''}:",
        "",
        "```bash",
        _cd(project, ["ruff", "format", *files]),
        "```",
        "",
    ]


def _pytest_argv(r: CheckResult) -> list[str]:
    if len(r.command) >= 3 and tuple(r.command[1:3]) == ("-m", "pytest"):
        return list(r.command[:3])
    return ["python", "-m", "pytest"]


def _pytest_fix(r: CheckResult, label: str) -> list[str]:
    project = r.cwd or r.project
    lines = [f"**{label}**: make the failing tests pass.", ""]
    for f in r.blocking_findings:
        if f.test_id:
            where = f" at {code(f.location())}" if f.path else ""
            message = f.message.removeprefix(f"{f.test_id}: ")
            lines.append(f"- {code(f.test_id)} {f.code.replace('test-', '')}{where}")
            if message and message != f.test_id:
                lines.append(f"  - {cell(message)}")
            rerun = _cd(project, [*_pytest_argv(r), f.test_id])
            lines.append(f"  - rerun just this test: {code(rerun)}")
        else:
            lines.append(f"- {code(f.location())} {code(f.code)}: {cell(f.message)}")
    return [*lines, ""]


def _error_fix(r: CheckResult, label: str) -> list[str]:
    first = r.message.splitlines()[0].rstrip(":.") if r.message else "no reason given"
    return [
        f"**{label}** could not run ({cell(first)}): see its output above. Fix that first; "
        "the push stays blocked until it runs.",
        "",
    ]


def _fix_section(results: Sequence[CheckResult], many: bool) -> list[str]:
    lines = ["## Recommended fix", ""]
    rerun_only: list[str] = []
    for r in results:
        if not r.status.blocks or not r.blocking:
            continue
        label = _label(r, many)
        if r.status is Status.ERROR:
            lines += _error_fix(r, label)
        elif r.check == "mypy":
            lines += _mypy_fix(r, label)
        elif r.check == "ruff-check":
            lines += _ruff_check_fix(r, label)
        elif r.check == "ruff-format":
            lines += _ruff_format_fix(r, label)
        elif r.check == "pytest":
            lines += _pytest_fix(r, label)
        if r.check not in rerun_only:
            rerun_only.append(r.check)
    lines += [
        "Then rerun what failed, and the whole chain before pushing:",
        "",
        "```bash",
        f"guardrail run --only {' '.join(rerun_only)}",
        "guardrail run",
        "```",
        "",
    ]
    return lines


def _tools(info: RunInfo) -> list[str]:
    if not info.projects:
        return []
    lines = ["## What ran", "", "| Project | Python | Tools |", "|---|---|---|"]
    for p in info.projects:
        tools = ", ".join(f"{n} {v} ({s})" for n, v, s in p.tools)
        lines.append(f"| {code(p.rel)} | {p.python_version} ({p.python_source}) | {tools} |")
    return [*lines, ""]


def render(info: RunInfo, results: Sequence[CheckResult]) -> str:
    many = len({r.project for r in results}) > 1
    failed = exit_code_for(list(results)) != 0
    title = "Guardrail failure analysis" if failed else "Guardrail report"
    lines = [f"# {title}", "", f"guardrail {info.version}: {info.target}", ""]
    lines += [f"> note: {n}" for n in info.notes]
    lines += _summary(info, results, many)
    failing = [r for r in results if r.status.blocks and r.blocking]
    if failing:
        lines += ["## Failing checks", ""]
        for r in failing:
            lines += _failing_check(r, many)
        lines += _fix_section(results, many)
    lines += _tools(info)
    return "\n".join(lines).rstrip("\n") + "\n"
