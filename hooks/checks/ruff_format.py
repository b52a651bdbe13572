"""``ruff format --check .``: reports unformatted files, never formats them.

``--output-format json-lines`` (a finding per file at its first changed line) where ruff has it:
0.16 and later. ruff before 0.13.3 rejects the flag and 0.13.3 to 0.15 accept it only under
``--preview``, which also turns on preview formatting, so there the plain ``--check`` output CI
sees (``Would reformat: PATH``) is read instead.
"""

from __future__ import annotations

from dataclasses import replace

from hooks.checks import versions
from hooks.checks.base import CiStep, Invocation, ParseContext, ToolOutput, context_for
from hooks.checks.ruff_common import RUFF_MISSING, parse_output, version
from hooks.findings import CHECK_TOOLS, Outcome, Status, plural
from hooks.projects import Project, ruff_tool

NAME = "ruff-format"
TOOL = CHECK_TOOLS[NAME]
JSON_SINCE = (0, 16, 0)


def plan(project: Project, ci: CiStep | None = None) -> Invocation | Outcome:
    chosen = versions.tool_for(project, "ruff", ruff_tool(project), ci)
    tool = chosen.tool
    if tool is None:
        return RUFF_MISSING
    settings = project.config.check(NAME)
    found = version(tool)
    fmt = ("--output-format", "json-lines") if found and found >= JSON_SINCE else ()
    given = ci.argv if ci is not None else (*settings.args, ".")
    argv = (*tool.argv, "format", "--check", *fmt, *given)
    ctx = context_for(project, NAME)
    inv = Invocation(NAME, argv, project.path, ctx, tool.name, tool.version, tool.source)
    return versions.applied(inv, chosen)


def parse(output: ToolOutput, context: ParseContext) -> Outcome:
    outcome = parse_output(output, context, default_code="unformatted", text=True)
    if outcome.status is Status.ERROR:
        return outcome
    unformatted = [f for f in outcome.findings if f.code == "unformatted"]
    other = len(outcome.findings) - len(unformatted)
    parts = [f"{plural(len(unformatted), 'file')} would be reformatted"] if unformatted else []
    if other:
        parts.append(plural(other, "error"))
    return replace(outcome, counts=", ".join(parts) or "all files formatted")
