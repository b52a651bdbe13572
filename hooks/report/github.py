"""GitHub Actions workflow commands: one ``::error`` annotation per finding, shown on the diff.

Escaping follows the runner's rules for workflow commands: in the message ``%``, ``\\r`` and
``\\n``; in properties also ``:`` and ``,``. A blocking finding is an ``error``, a non-blocking
one a ``warning``; a check that could not run also gets one file-less error saying why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hooks.findings import CheckResult, Finding, RunInfo, Status


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, properties: Sequence[tuple[str, object]]) -> str:
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties if value is not None
    )
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(f: Finding, title_prefix: str) -> str:
    props: list[tuple[str, object]] = []
    if f.path is not None:
        props.append(("file", f.path))
        if f.line is not None:
            props.append(("line", f.line))
            if f.end_line is not None and f.end_line >= f.line:
                props.append(("endLine", f.end_line))
            if f.column is not None:
                props.append(("col", f.column))
                if f.end_column is not None and f.end_line == f.line:
                    props.append(("endColumn", f.end_column))
    props.append(("title", f"{title_prefix}: {f.code}"))
    message = f.message if f.url is None else f"{f.message}\n{f.url}"
    return command("error" if f.blocking else "warning", message, props)


def render(info: RunInfo, results: Sequence[CheckResult]) -> str:
    many = len({r.project for r in results}) > 1
    lines: list[str] = []
    for r in results:
        prefix = f"{r.check} ({r.project})" if many else r.check
        if not r.blocking:
            prefix = f"{prefix} ({r.why}: does not block)"
        lines.extend(
            annotation(replace(f, blocking=f.blocking and r.blocking), prefix) for f in r.findings
        )
        if r.status is Status.ERROR:
            text = r.message or f"{r.check} could not run"
            level = "error" if r.blocking else "warning"
            lines.append(command(level, text, [("title", f"{prefix} could not run")]))
    return "".join(line + "\n" for line in lines)
