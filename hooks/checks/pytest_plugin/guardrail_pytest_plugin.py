"""A pytest plugin loaded into the project's own interpreter by the guardrail.

It records where each failed test, erroring test and collection error broke (the deepest frame
that is a real file of the project, i.e. the failing assertion rather than the ``def`` line) and
the outcome counts, and writes them as JSON to the file named by ``GUARDRAIL_PYTEST_REPORT``. It
is imported standalone (only its own folder is put on PYTHONPATH) and runs on any Python pytest
supports, so it uses nothing but the standard library and pytest's public report objects.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any

REPORT_ENV = "GUARDRAIL_PYTEST_REPORT"
_FILE_LINE = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_PATH_LINE = re.compile(r"^(?P<path>[^\s:][^:]*\.py):(?P<line>\d+):", re.MULTILINE)
_PACKAGE_DIRS = frozenset({"site-packages", "dist-packages"})


@functools.lru_cache(maxsize=None)  # noqa: UP033 (functools.cache is Python 3.9+)
def _environment(folder: str) -> bool:
    """A virtualenv (``pyvenv.cfg``: venv, virtualenv, tox, nox, uv) or a conda env."""
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg")) or os.path.isdir(
        os.path.join(folder, "conda-meta")
    )


def _project_file(path: str, root: str) -> bool:
    """A real file of the project: under ``root``, on disk (not ``<frozen importlib._bootstrap>``
    or ``<string>``), and in no virtualenv or site-packages, which are never project code even
    inside the repository (``venv/``, ``.venv/``)."""
    path = os.path.abspath(path)
    prefix = root.rstrip(os.sep) + os.sep
    if not path.startswith(prefix) or not os.path.isfile(path):
        return False
    folder = root.rstrip(os.sep)
    for part in path[len(prefix) :].split(os.sep)[:-1]:
        folder = os.path.join(folder, part)
        if part in _PACKAGE_DIRS or _environment(folder):
            return False
    return True


def _tracebacks(longrepr: Any) -> list[Any]:
    """The tracebacks of an exception and of the ones it was raised from, the last raised first:
    a warning turned into an error inside pytest has its cause's frames only in the first."""
    chain = getattr(longrepr, "chain", None)
    if chain:
        return [element[0] for element in reversed(chain)]
    tb = getattr(longrepr, "reprtraceback", None)
    return [tb] if tb is not None else []


def _deepest(tb: Any, root: str, invocation_dir: str) -> tuple[str, int, str] | None:
    for entry in reversed(getattr(tb, "reprentries", None) or []):
        loc = getattr(entry, "reprfileloc", None)
        if loc is not None:
            candidates = [(str(loc.path), int(loc.lineno), str(loc.message))]
        else:  # --tb=native: the entry is the text of a Python traceback
            text = "".join(getattr(entry, "lines", None) or [])
            found = [(m["path"], int(m["line"]), "") for m in _FILE_LINE.finditer(text)]
            candidates = found[::-1]
        for path, line, message in candidates:
            full = os.path.join(invocation_dir, path)
            if _project_file(full, root):
                return os.path.abspath(full), line, message
    return None


def _where(report: Any, root: str, invocation_dir: str) -> tuple[str | None, int | None, str]:
    """(path, line, message) of the deepest frame that is a real file of the project."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    message = ""
    if crash is not None:
        message = str(crash.message).strip().splitlines()[0] if crash.message else ""
    for tb in _tracebacks(longrepr):
        found = _deepest(tb, root, invocation_dir)
        if found is not None:
            return found[0], found[1], message or found[2]
    if crash is not None:
        path = os.path.join(invocation_dir, str(crash.path))
        if _project_file(path, root):
            return os.path.abspath(path), int(crash.lineno), message
    text = str(longrepr) if longrepr is not None else ""
    best: tuple[str | None, int | None] = (None, None)
    for pattern in (_FILE_LINE, _PATH_LINE):
        for match in pattern.finditer(text):
            path = os.path.join(invocation_dir, match["path"])
            if _project_file(path, root):
                best = (os.path.abspath(path), int(match["line"]))
        if best[0] is not None:
            break
    if not message:
        errors = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
        message = errors[-1] if errors else (text.strip().splitlines() or [""])[-1]
    if best[0] is None:
        best = _item_location(report, root, invocation_dir)
    return best[0], best[1], message


def _item_location(report: Any, root: str, invocation_dir: str) -> tuple[str | None, int | None]:
    """The test's own file and ``def`` line when no frame is the project's (a failure raised
    wholly inside pytest or a plugin)."""
    location = getattr(report, "location", None)
    if location and location[0]:
        path = os.path.join(root, str(location[0]))
        if _project_file(path, root):
            line = location[1]
            return os.path.abspath(path), (int(line) + 1 if isinstance(line, int) else None)
    nodefile = str(report.nodeid).split("::")[0]
    return (os.path.join(invocation_dir, nodefile) if nodefile else None), None


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
