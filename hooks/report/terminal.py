"""The human summary: one line per check in the guardrail order, then findings, then a verdict."""

from __future__ import annotations

from collections.abc import Sequence

from hooks.findings import CheckResult, Finding, RunInfo, Status, exit_code_for

MAX_FINDINGS = 20
MARK = {
    Status.PASSED: "ok",
    Status.FAILED: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "skip",
    Status.NOT_RUN: "--",
}


def _label(result: CheckResult, many_projects: bool) -> str:
    return f"{result.check} ({result.project})" if many_projects else result.check


def finding_line(f: Finding) -> str:
    return f"{f.location()}: {f.code} {f.message}".rstrip()


def not_blocking(result: CheckResult) -> str:
    """``(not in CI: does not block)`` for a failure that does not block; "" otherwise."""
    if result.blocking or not result.status.blocks:
        return ""
    return f"({result.why or 'not blocking'}: does not block)"


def _status_line(result: CheckResult, many: bool) -> str:
    label = _label(result, many)
    duration = " " * 7 if result.status is Status.SKIPPED else f"{result.duration:6.2f}s"
    first_message_line = result.message.splitlines()[0] if result.message else ""
    detail = result.counts or first_message_line
    if result.status in (Status.SKIPPED, Status.NOT_RUN):
        detail = first_message_line
    mark = MARK[result.status]
    aside = not_blocking(result)
    if aside:
        mark = "warn"
        detail = f"{detail} {aside}".strip()
    return f"  {mark:<5} {label:<24} {result.status.value:<8} {duration}  {detail}".rstrip()


def _findings_block(result: CheckResult, many: bool, limit: int) -> list[str]:
    lines: list[str] = []
    if result.status in (Status.SKIPPED, Status.NOT_RUN):
        return lines
    blocking = list(result.blocking_findings)
    other = [f for f in result.findings if not f.blocking]
    if not blocking and not other and not result.message and not result.output_tail:
        return lines
    header = f"{_label(result, many)} {result.status.value}"
    if not_blocking(result):
        header += f" {not_blocking(result)}"
    if result.tool_version:
        header += f" ({result.tool} {result.tool_version})"
    lines.append(header + ":")
    for f in blocking[:limit]:
        lines.append(f"  {finding_line(f)}")
    if len(blocking) > limit:
        lines.append(f"  +{len(blocking) - limit} more")
    if other:
        lines.append(f"  {len(other)} not blocking (CI's command does not fail on them):")
        for f in other[: max(limit // 4, 3)]:
            lines.append(f"    {finding_line(f)}")
        if len(other) > max(limit // 4, 3):
            lines.append(f"    +{len(other) - max(limit // 4, 3)} more")
    if result.message:
        for text in result.message.splitlines():
            lines.append(f"  {text}")
    if result.status is Status.ERROR and result.output_tail:
        lines.append("  output (last lines):")
        lines.extend(f"    | {t}" for t in result.output_tail.splitlines())
    return lines


def origin_lines(results: Sequence[CheckResult], many: bool) -> list[str]:
    """Where each check's command came from, when the plan comes from CI:
    ``mypy: .github/workflows/ci.yml:46 -> Makefile:12``."""
    if not any(r.origin for r in results):
        return []
    lines = ["  plan from CI:"]
    for r in results:
        if r.origin:
            lines.append(f"    {_label(r, many)}: {r.origin}")
        elif r.why and r.status is not Status.SKIPPED:
            lines.append(f"    {_label(r, many)}: {r.why} (the guardrail's defaults)")
    return lines


def verdict(results: Sequence[CheckResult]) -> str:
    code = exit_code_for(list(results))
    many = len({r.project for r in results}) > 1
    aside = [_label(r, many) for r in results if not_blocking(r)]
    if code == 0:
        ran = [r for r in results if r.status is Status.PASSED]
        if aside:
            return (
                f"{len(ran)} checks passed; {', '.join(aside)} did not, and does not block: "
                "the push may go ahead."
            )
        return f"All {len(ran)} checks passed: the push may go ahead."
    failing = [_label(r, many) for r in results if r.status.blocks and r.blocking]
    kind = "could not run" if code == 2 else "failed"
    return f"Push blocked: {', '.join(failing)} {kind if len(failing) == 1 else 'did not pass'}."


def render(
    info: RunInfo,
    results: Sequence[CheckResult],
    *,
    verbose: bool = False,
    limit: int = MAX_FINDINGS,
) -> str:
    """The whole terminal summary as one string."""
    many = len({r.project for r in results}) > 1
    lines = [f"guardrail {info.version}: {info.target}"]
    lines.extend(f"  note: {n}" for n in info.notes)
    for p in info.projects:
        tools = " · ".join(f"{name} {ver} ({src})" for name, ver, src in p.tools)
        where = "" if p.rel == "." else f"{p.rel}: "
        lines.append(
            f"  {where}python {p.python_version} ({p.python_source}) · {tools}".rstrip(" ·")
        )
        if p.warning:
            lines.append(f"  warning: {p.warning}")
    lines.extend(origin_lines(results, many))
    if info.cached:
        lines.append(f"  {info.cached}")
    lines.append("")
    lines.extend(_status_line(r, many) for r in results)
    for r in results:
        block = _findings_block(r, many, limit)
        if block:
            lines.append("")
            lines.extend(block)
        if verbose and r.command:
            lines.append("")
            lines.append(f"$ (cd {r.cwd}) {' '.join(r.command)}  # exit {r.exit_code}")
            lines.extend(f"  | {t}" for t in r.raw_output.splitlines())
    lines.append("")
    lines.append(verdict(results))
    return "\n".join(lines) + "\n"
