"""The parity oracle's pytest observer: where each failing test broke, in CI's own pytest run.

``bench/parity.py`` loads it into CI's unchanged pytest command with ``PYTEST_ADDOPTS=-p
parity_pytest_observer`` (its folder on PYTHONPATH). It only observes: it writes, to the file named
by ``PARITY_PYTEST_OUT``, one JSON line per failed test, erroring setup/teardown and collection
error, with the node id (relative to ``PARITY_REPO_ROOT``) and the deepest traceback frame that is
a real file of the repository (never a frozen module, a virtualenv or site-packages). It shares no
code with the guardrail on purpose: it is the independent side of the comparison.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

_TEXT_FRAMES = (
    re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)'),
    re.compile(r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+): ", re.MULTILINE),
)
_venv_dirs: dict[Path, bool] = {}
_config: list[pytest.Config] = []


def _root() -> Path:
    return Path(os.environ["PARITY_REPO_ROOT"]).resolve()


def _in_venv(path: Path, root: Path) -> bool:
    for parent in path.parents:
        if parent == root or root not in parent.parents:
            return False
        if parent not in _venv_dirs:
            _venv_dirs[parent] = (parent / "pyvenv.cfg").is_file()
        if _venv_dirs[parent]:
            return True
    return False


def project_file(raw: str | os.PathLike[str], base: Path) -> str | None:
    """``raw`` relative to the repository root when it is a real file of the project."""
    path = Path(raw)
    if not path.is_absolute():
        path = base / path
    try:
        path = path.resolve()
    except OSError:
        return None
    root = _root()
    if root not in path.parents or not path.is_file():
        return None
    if {"site-packages", "dist-packages"} & set(path.parts) or _in_venv(path, root):
        return None
    return path.relative_to(root).as_posix()


def _frames_from_excinfo(excinfo: pytest.ExceptionInfo[BaseException]) -> Iterator[tuple[str, int]]:
    for entry in excinfo.traceback:
        yield str(entry.path), entry.lineno + 1


def _frames_from_text(text: str) -> Iterator[tuple[str, int]]:
    found: list[tuple[int, str, int]] = []
    for pattern in _TEXT_FRAMES:
        found.extend((m.start(), m["path"], int(m["line"])) for m in pattern.finditer(text))
    for _, path, line in sorted(found):
        yield path, line


def _deepest(frames: Iterator[tuple[str, int]], base: Path) -> tuple[str, int] | None:
    best = None
    for path, line in frames:
        rel = project_file(path, base)
        if rel is not None:
            best = (rel, line)
    return best


def _node_id(nodeid: str, rootpath: Path) -> str:
    """A node id relative to the repository root (pytest's are relative to its rootdir)."""
    prefix = rootpath.resolve().relative_to(_root()).as_posix() if rootpath != _root() else ""
    if not prefix or prefix == "." or not nodeid:
        return nodeid
    return f"{prefix}/{nodeid}"


def _write(record: dict[str, Any]) -> None:
    out = os.environ.get("PARITY_PYTEST_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome: Any = yield
    report = outcome.get_result()
    if not report.failed:
        return
    base = Path(str(item.config.invocation_params.dir))
    frame = None
    if call.excinfo is not None:
        frame = _deepest(_frames_from_excinfo(call.excinfo), base)
    if frame is None:
        frame = _deepest(_frames_from_text(str(report.longrepr)), base)
    _write(
        {
            "kind": "test" if report.when == "call" else f"error-{report.when}",
            "nodeid": _node_id(report.nodeid, item.config.rootpath),
            "frame": list(frame) if frame else None,
        }
    )


def pytest_configure(config: pytest.Config) -> None:
    _config.append(config)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if not report.failed:
        return
    base = Path(str(_config[-1].invocation_params.dir)) if _config else Path.cwd()
    rootpath = _config[-1].rootpath if _config else _root()
    frame = _deepest(_frames_from_text(str(report.longrepr)), base)
    _write(
        {
            "kind": "collection",
            "nodeid": _node_id(report.nodeid, rootpath),
            "frame": list(frame) if frame else None,
        }
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _write({"kind": "session", "exitstatus": int(exitstatus)})
