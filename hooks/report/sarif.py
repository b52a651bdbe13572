"""SARIF 2.1.0 for code-scanning uploads: one run per tool (ruff, mypy, pytest) and version.

Every finding is a result pointing at its file and region, relative to ``%SRCROOT%`` (the
repository root); a finding that belongs to no file points at its project's ``pyproject.toml``
(code scanning needs a location). Each check that ran is an invocation of its tool's run, so a
check that could not run is visible as ``executionSuccessful: false`` with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from hooks.findings import CHECK_TOOLS, CheckResult, Finding, RunInfo, Status

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_URI = {
    "ruff": "https://docs.astral.sh/ruff/",
    "mypy": "https://mypy.readthedocs.io/",
    "pytest": "https://docs.pytest.org/",
}
CODE_URI = {
    "unformatted": "https://docs.astral.sh/ruff/formatter/",
    "test-failed": "https://docs.pytest.org/en/stable/how-to/assert.html",
    "test-error": "https://docs.pytest.org/en/stable/how-to/fixtures.html",
    "collection-error": "https://docs.pytest.org/en/stable/how-to/usage.html",
    "no-tests": "https://docs.pytest.org/en/stable/reference/exit-codes.html",
    "coverage": "https://pytest-cov.readthedocs.io/en/latest/config.html",
}
BASE = "%SRCROOT%"


def _tool_of(r: CheckResult) -> str:
    return r.tool or CHECK_TOOLS.get(r.check, r.check)


def _location(f: Finding, project: str) -> dict[str, Any]:
    path = f.path if f.path is not None else _project_file(project)
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path), "uriBaseId": BASE}}
    if f.path is not None and f.line is not None and f.line >= 1:
        region: dict[str, int] = {"startLine": f.line}
        if f.column is not None and f.column >= 1:
            region["startColumn"] = f.column
        if f.end_line is not None and f.end_line >= f.line:
            region["endLine"] = f.end_line
            if f.end_column is not None and f.end_column >= 1:
                region["endColumn"] = f.end_column
        physical["region"] = region
    return {"physicalLocation": physical}


def _project_file(project: str) -> str:
    return "pyproject.toml" if project in ("", ".") else f"{project}/pyproject.toml"


def _invocation(r: CheckResult) -> dict[str, Any]:
    inv: dict[str, Any] = {
        "executionSuccessful": r.status is not Status.ERROR,
        "properties": {
            "check": r.check,
            "project": r.project,
            "status": r.status.value,
            "blocking": r.blocking,
            "why": r.why,
            "origin": r.origin,
        },
    }
    if r.command:
        inv["commandLine"] = " ".join(r.command)
    if r.exit_code is not None:
        inv["exitCode"] = r.exit_code
    if r.status is Status.ERROR and r.message:
        inv["toolExecutionNotifications"] = [{"level": "error", "message": {"text": r.message}}]
    return inv


def _run(tool: str, version: str, results: Sequence[CheckResult]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    sarif_results: list[dict[str, Any]] = []
    for r in results:
        for f in r.findings:
            if f.code not in index:
                index[f.code] = len(rules)
                rule: dict[str, Any] = {"id": f.code}
                help_uri = f.url or CODE_URI.get(f.code)
                if help_uri:
                    rule["helpUri"] = help_uri
                rules.append(rule)
            item: dict[str, Any] = {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": "error" if f.blocking and r.blocking else "warning",
                "message": {"text": f.message or f.code},
                "locations": [_location(f, r.project)],
                "properties": {"check": f.check, "fixable": f.fixable, "blocking": r.blocking},
            }
            if f.test_id:
                item["properties"]["test_id"] = f.test_id
            sarif_results.append(item)
    driver: dict[str, Any] = {"name": tool}
    if version and version != "?":
        driver["version"] = version
    if tool in TOOL_URI:
        driver["informationUri"] = TOOL_URI[tool]
    driver["rules"] = rules
    return {
        "tool": {"driver": driver},
        "invocations": [_invocation(r) for r in results],
        "columnKind": "unicodeCodePoints",
        "results": sarif_results,
    }


def document(info: RunInfo, results: Sequence[CheckResult]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        if r.status in (Status.SKIPPED, Status.NOT_RUN):
            continue
        groups.setdefault((_tool_of(r), r.tool_version), []).append(r)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [_run(tool, version, rs) for (tool, version), rs in groups.items()],
    }


def render(info: RunInfo, results: Sequence[CheckResult]) -> str:
    return json.dumps(document(info, results), indent=2, ensure_ascii=False) + "\n"
