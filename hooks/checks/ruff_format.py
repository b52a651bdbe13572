"""``ruff format --check .``: reports unformatted files, never formats them."""

from __future__ import annotations

from dataclasses import replace

from hooks.checks.base import Invocation, ParseContext, ToolOutput, context_for
from hooks.checks.ruff_common import RUFF_MISSING, parse_output
from hooks.findings import CHECK_TOOLS, Outcome, Status, plural
from hooks.projects import Project, ruff_tool

NAME = "ruff-format"
TOOL = CHECK_TOOLS[NAME]


def plan(project: Project) -> Invocation | Outcome:
    tool = ruff_tool(project)
    if tool is None:
        return RUFF_MISSING
    settings = project.config.check(NAME)
    argv = (*tool.argv, "format", "--check", "--output-format", "json-lines", *settings.args, ".")
    ctx = context_for(project, NAME)
    return Invocation(NAME, argv, project.path, ctx, tool.name, tool.version, tool.source)


def parse(output: ToolOutput, context: ParseContext) -> Outcome:
    outcome = parse_output(output, context, default_code="unformatted")
    if outcome.status is Status.ERROR:
        return outcome
    unformatted = [f for f in outcome.findings if f.code == "unformatted"]
    other = len(outcome.findings) - len(unformatted)
    parts = [f"{plural(len(unformatted), 'file')} would be reformatted"] if unformatted else []
    if other:
        parts.append(plural(other, "error"))
    return replace(outcome, counts=", ".join(parts) or "all files formatted")
