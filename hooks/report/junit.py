"""JUnit XML for test-report uploads: one testsuite per check, one testcase per blocking finding.

A check with no blocking finding is one testcase of its own (passed, skipped, or an ``error``
when it could not run), so every check shows up in the consumer's test list. Test cases carry
``file`` and ``line`` (what GitLab and most JUnit viewers read) and the suite carries the tool,
its version and the command as properties.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from hooks.findings import CheckResult, Finding, RunInfo, Status

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped; tool output can."""
    return _NOT_XML.sub("\ufffd", value)


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def _finding_case(f: Finding, classname: str) -> ET.Element:
    name = f.test_id if f.test_id else f"{f.location()} {f.code}"
    case = ET.Element("testcase", classname=classname, name=_text(name), time="0")
    if f.path is not None:
        case.set("file", f.path)
    if f.line is not None:
        case.set("line", str(f.line))
    body = f"{f.location()}: {f.code} {f.message}"
    if f.url:
        body += f"\n{f.url}"
    failure = ET.SubElement(case, "failure", message=_text(f.message), type=_text(f.code))
    failure.text = _text(body)
    return case


def _check_case(r: CheckResult, classname: str) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name=r.check, time=f"{r.duration:.3f}")
    if r.status.blocks and not r.blocking:
        aside = f"{r.status.value} ({r.why or 'not blocking'}: does not block)"
        ET.SubElement(case, "skipped", message=_text(aside))
        out = ET.SubElement(case, "system-out")
        out.text = _text("\n".join(t for t in (r.counts, r.message) if t))
    elif r.status is Status.ERROR:
        error = ET.SubElement(
            case, "error", message=_text(_first_line(r.message)), type="could-not-run"
        )
        error.text = _text("\n".join(t for t in (r.message, r.output_tail) if t))
    elif r.status is Status.FAILED:
        failure = ET.SubElement(case, "failure", message=_text(_first_line(r.message)))
        failure.text = _text(r.message or r.counts)
    elif r.status in (Status.SKIPPED, Status.NOT_RUN):
        ET.SubElement(case, "skipped", message=_text(_first_line(r.message) or r.status.value))
    return case


def _suite(r: CheckResult, many: bool) -> ET.Element:
    name = f"{r.check} ({r.project})" if many else r.check
    classname = f"guardrail.{r.check}"
    suite = ET.Element("testsuite", name=name)
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("project", r.project),
        ("status", r.status.value),
        ("tool", r.tool),
        ("tool_version", r.tool_version),
        ("command", " ".join(r.command)),
        ("exit_code", "" if r.exit_code is None else str(r.exit_code)),
        ("blocking", "true" if r.blocking else "false"),
        ("why", r.why),
        ("origin", r.origin),
    ):
        if value:
            ET.SubElement(props, "property", name=key, value=_text(value))
    blocking = r.blocking_findings if r.blocking else ()
    cases = [_finding_case(f, classname) for f in blocking] or [_check_case(r, classname)]
    if blocking and r.status is Status.ERROR:
        cases.append(_check_case(r, classname))
    suite.extend(cases)
    counts = {
        "tests": len(cases),
        "failures": sum(c.find("failure") is not None for c in cases),
        "errors": sum(c.find("error") is not None for c in cases),
        "skipped": sum(c.find("skipped") is not None for c in cases),
    }
    for key, n in counts.items():
        suite.set(key, str(n))
    suite.set("time", f"{r.duration:.3f}")
    return suite


def render(info: RunInfo, results: Sequence[CheckResult]) -> str:
    many = len({r.project for r in results}) > 1
    root = ET.Element("testsuites", name=f"guardrail {info.version}")
    suites = [_suite(r, many) for r in results]
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    root.set("time", f"{sum(r.duration for r in results):.3f}")
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
