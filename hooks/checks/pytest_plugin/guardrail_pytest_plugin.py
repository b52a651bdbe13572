"""A pytest plugin loaded into the project's own interpreter by the guardrail.

It records where each failed test, erroring test and collection error broke (the deepest frame
inside the project, i.e. the failing assertion rather than the ``def`` line) and the outcome
counts, and writes them as JSON to the file named by ``GUARDRAIL_PYTEST_REPORT``. It is imported
standalone (only its own folder is put on PYTHONPATH) and runs on any Python pytest supports, so
it uses nothing but the standard library and pytest's public report objects.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

REPORT_ENV = "GUARDRAIL_PYTEST_REPORT"
_FILE_LINE = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_PATH_LINE = re.compile(r"^(?P<path>[^\s:][^:]*\.py):(?P<line>\d+):", re.MULTILINE)


def _inside(path: str, root: str) -> bool:
    path = os.path.abspath(path)
    if f"{os.sep}site-packages{os.sep}" in path:
        return False
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _where(report: Any, root: str, invocation_dir: str) -> tuple[str | None, int | None, str]:
    """(path, line, message) of the deepest frame inside ``root``."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    message = ""
    if crash is not None:
        message = str(crash.message).strip().splitlines()[0] if crash.message else ""
    chain = getattr(longrepr, "chain", None)
    tb = chain[-1][0] if chain else getattr(longrepr, "reprtraceback", None)
    for entry in reversed(getattr(tb, "reprentries", None) or []):
        loc = getattr(entry, "reprfileloc", None)
        if loc is None:
            continue
        path = os.path.join(invocation_dir, str(loc.path))
        if _inside(path, root):
            return os.path.abspath(path), int(loc.lineno), message or str(loc.message)
    if crash is not None:
        return os.path.join(invocation_dir, str(crash.path)), int(crash.lineno), message
    text = str(longrepr) if longrepr is not None else ""
    best: tuple[str | None, int | None] = (None, None)
    for pattern in (_FILE_LINE, _PATH_LINE):
        for match in pattern.finditer(text):
            path = os.path.join(invocation_dir, match["path"])
            if _inside(path, root):
                best = (os.path.abspath(path), int(match["line"]))
        if best[0] is not None:
            break
    errors = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    message = errors[-1] if errors else (text.strip().splitlines() or [""])[-1]
    if best[0] is None:
        nodefile = str(report.nodeid).split("::")[0]
        best = (os.path.join(invocation_dir, nodefile) if nodefile else None, None)
    return best[0], best[1], message


class Recorder:
    def __init__(self, config: Any, path: str) -> None:
        self.config = config
        self.path = path
        self.root = str(config.rootpath) if hasattr(config, "rootpath") else os.getcwd()
        self.invocation_dir = os.getcwd()
        self.counts: dict[str, int] = {}
        self.problems: list[dict[str, Any]] = []

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def _record(self, kind: str, report: Any) -> None:
        path, line, message = _where(report, self.root, self.invocation_dir)
        self.problems.append(
            {"kind": kind, "nodeid": report.nodeid, "path": path, "line": line, "message": message}
        )

    def pytest_runtest_logreport(self, report: Any) -> None:
        if hasattr(report, "wasxfail"):
            if report.when == "call" or report.skipped:
                self._count("xfailed" if report.skipped else "xpassed")
            return
        if report.failed:
            if report.when == "call":
                self._count("failed")
                self._record("failed", report)
            else:
                self._count("error")
                self._record("error", report)
        elif report.skipped:
            self._count("skipped")
        elif report.when == "call":
            self._count("passed")

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self._count("error")
            self._record("collection", report)

    def pytest_sessionfinish(self, session: Any, exitstatus: int) -> None:
        data = {
            "exitstatus": int(exitstatus),
            "counts": self.counts,
            "collected": int(getattr(session, "testscollected", 0)),
            "problems": self.problems,
        }
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(data, f)


def pytest_configure(config: Any) -> None:
    path = os.environ.get(REPORT_ENV)
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Recorder(config, path), "guardrail-recorder")
