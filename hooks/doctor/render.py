"""``guardrail doctor`` reports: text for people, JSON for machines. Pure functions."""

from __future__ import annotations

import json
from typing import Any

from hooks import __version__
from hooks.doctor.compare import MORE, Comparison, DoctorReport
from hooks.doctor.plumbing import PlumbingCheck
from hooks.findings import plural


def _status(comparison: Comparison) -> str:
    if comparison.command.advisory:
        return "advisory"
    return {True: "covered", False: "gap", None: "unknown"}[comparison.covered]


MARKS = {"covered": "ok", "gap": "GAP", "unknown": "??", "advisory": "--"}


PLUMBING_MARKS = {"note": "info", "warning": "WARN", "ok": "ok", "problem": "FAIL"}


def _plumbing_status(check: PlumbingCheck) -> str:
    if check.note:
        return "note"
    if check.warning:
        return "warning"
    return "ok" if check.ok else "problem"


def render_text(report: DoctorReport) -> str:
    lines = [f"guardrail doctor: {report.root}", ""]
    if report.comparisons:
        lines.append("What CI runs, and whether the push hook runs it too:")
        width = max(len(c.command.origin.where()) for c in report.comparisons)
        for comparison in report.comparisons:
            cmd = comparison.command
            where = f"(job {cmd.job}, in {cmd.folder})"
            mark = MARKS[_status(comparison)]
            lines.append(f"  {mark:<4} {cmd.origin.where():<{width}}  {cmd.text}  {where}")
            for reason in comparison.reasons:
                lines.append(f"         - {reason}")
            if comparison.covered:
                lines.append(f"         the push hook runs: {comparison.guardrail}")
            for warning in comparison.warnings:
                lines.append(f"         WARN {warning}")
            if comparison.covered is False:
                lines.append(f"         guardrail runs instead: {comparison.guardrail}")
                for step in comparison.manual:
                    lines.append(f"         to do by hand: {step}")
        lines.append("")
    elif report.ci_files and not report.by_construction:
        lines += [f"No ruff, mypy or pytest command found in {', '.join(report.ci_files)}.", ""]
    if report.by_construction:
        lines.append(
            "CI runs the guardrail itself, so its checks are the push hook's by construction:"
        )
        lines.extend(f"  ok   {where}" for where in report.by_construction)
        lines.append("")
    if report.more:
        lines.append(
            "What the push hook blocks on that CI never runs there (blocks on more than CI):"
        )
        for more in report.more:
            label = more.check if more.project == "." else f"{more.check} ({more.project})"
            lines.append(f"  WARN {label}: {'; '.join(more.reasons)}")
        lines.append("")
    lines.append("Plumbing:")
    for check in report.plumbing:
        first, *rest = check.message.splitlines() or [""]
        lines.append(f"  {PLUMBING_MARKS[_plumbing_status(check)]:<4} {check.name}: {first}")
        lines.extend(f"         {more}" for more in rest)
        if (check.warning or not check.ok) and check.fix:
            lines.append(f"         fix: {check.fix}")
    if report.notes:
        lines += ["", "Notes:"]
        lines.extend(f"  - {note}" for note in report.notes)
    lines.append("")
    gaps, problems = report.gaps, report.problems
    if not gaps and not problems and report.not_mirrored:
        unread = plural(report.not_mirrored, "thing")
        lines.append(
            f"The push hook runs every CI command the guardrail could read, but {unread} CI "
            "runs or decides NOT mirrored (see Notes): the guardrail cannot promise CI's "
            "verdict here."
        )
    elif not gaps and not problems and report.warnings:
        lines.append(
            f"The push hook blocks on everything CI checks, and it is installed; it also "
            f"{MORE} in {plural(report.warnings, 'place')} (WARN above): it may block a push "
            "that CI passes."
        )
    elif not gaps and not problems:
        lines.append("The push hook runs everything CI checks, and it is installed.")
    else:
        parts = []
        if gaps:
            parts.append(f"{plural(len(gaps), 'CI command')} not covered by the push hook")
        if problems:
            parts.append(plural(len(problems), "plumbing problem"))
        fixable = any(c.changes for c in gaps)
        hint = " Run `guardrail init --from-ci` to close the gaps it can." if fixable else ""
        lines.append(f"{'; '.join(parts)}.{hint}")
    return "\n".join(lines) + "\n"


def _comparison(c: Comparison) -> dict[str, Any]:
    cmd = c.command
    return {
        "file": cmd.origin.file,
        "line": cmd.origin.line,
        "origin": list(cmd.origin.chain),
        "job": cmd.job,
        "cwd": cmd.folder,
        "tool": cmd.check,
        "argv": list(cmd.argv),
        "launcher": cmd.launcher,
        "text": cmd.text,
        "python_versions": list(cmd.python_versions),
        "status": _status(c),
        "project": c.project,
        "reasons": list(c.reasons),
        "guardrail": c.guardrail,
        "changes": [
            {"project": ch.project, "key": ch.key, "values": list(ch.values)} for ch in c.changes
        ],
        "manual": list(c.manual),
        "warnings": list(c.warnings),
    }


def render_json(report: DoctorReport) -> str:
    data = {
        "version": __version__,
        "root": report.root,
        "ci_files": list(report.ci_files),
        "commands": [_comparison(c) for c in report.comparisons],
        "plumbing": [
            {
                "name": p.name,
                "status": _plumbing_status(p),
                "message": p.message,
                "fix": p.fix,
            }
            for p in report.plumbing
        ],
        "notes": list(report.notes),
        "not_mirrored": report.not_mirrored,
        "by_construction": list(report.by_construction),
        "more_than_ci": [
            {"project": m.project, "check": m.check, "reasons": list(m.reasons)}
            for m in report.more
        ],
        "parity": not (report.gaps or report.problems or report.not_mirrored or report.warnings),
        "warnings": report.warnings,
        "gaps": len(report.gaps),
        "problems": len(report.problems),
        "exit_code": report.exit_code,
    }
    return json.dumps(data, indent=2) + "\n"
