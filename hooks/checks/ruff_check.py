"""``ruff check .`` with ``--no-fix``: never rewrites the user's files, even with ``fix = true``."""

from __future__ import annotations

from dataclasses import replace

from hooks.checks.base import Invocation, ParseContext, ToolOutput, context_for
from hooks.checks.ruff_common import RUFF_MISSING, fix_enabled, parse_json
from hooks.findings import CHECK_TOOLS, Outcome, Status, count_line
from hooks.projects import Project, ruff_tool

NAME = "ruff-check"
TOOL = CHECK_TOOLS[NAME]
# Flags that would make the check rewrite the user's files (and then pass) or never exit.
FORBIDDEN_ARGS = ("--fix", "--fix-only", "--add-noqa", "--watch", "-w")


def plan(project: Project) -> Invocation | Outcome:
    tool = ruff_tool(project)
    if tool is None:
        return RUFF_MISSING
    settings = project.config.check(NAME)
    forbidden = [a for a in settings.args if a.split("=", 1)[0] in FORBIDDEN_ARGS]
    if forbidden:
        return Outcome(
            Status.ERROR,
            message=f"ruff-check args ([tool.guardrail.ruff-check] args or the hook's args) "
            f"include {forbidden[0]}: ruff would rewrite the project's files (or never exit) "
            "instead of checking them. Remove it; `guardrail fix` applies ruff's safe fixes.",
        )
    argv = (*tool.argv, "check", "--no-fix", "--output-format", "json-lines", *settings.args, ".")
    ctx = context_for(project, NAME, ruff_fix=fix_enabled(project.path))
    return Invocation(NAME, argv, project.path, ctx, tool.name, tool.version, tool.source)


def parse(output: ToolOutput, context: ParseContext) -> Outcome:
    outcome = parse_json(output, context, default_code="ruff")
    if outcome.status is Status.ERROR:
        return outcome
    counts = count_line(outcome.findings) if outcome.findings else "no problems"
    if context.ruff_fix and any(not f.blocking for f in outcome.findings):
        message = "fixable findings do not block: fix = true makes CI's `ruff check .` fix them"
        return replace(outcome, counts=counts, message=message)
    return replace(outcome, counts=counts)
