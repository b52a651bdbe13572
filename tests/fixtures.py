"""Real git repositories for the tests, built from data in code.

The motivating repository mirrors the CI failure the guardrail exists for: ``backend/`` holds a
strict-mypy project whose ``services/datasets_export.py`` returns bare ``dict`` at lines 72, 95
and 128, while ruff, the formatter and the tests are all green.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from filelock import FileLock

EXPORT_PATH = "backend/tunix_rt_backend/services/datasets_export.py"
BAD_LINES = (72, 95, 128)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Guardrail Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Guardrail Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=check, capture_output=True, text=True
    )


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def make_repo(root: Path, files: Mapping[str, str], *, venv: Path | None = None) -> Path:
    """A git repo on branch ``main`` with ``files`` committed; ``venv`` linked as ``.venv``."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Guardrail Tests")
    git(root, "config", "user.email", "tests@example.invalid")
    git(root, "config", "commit.gpgsign", "false")
    all_files = {".gitignore": ".venv\n__pycache__/\n.mypy_cache/\n.pytest_cache/\n.ruff_cache/\n"}
    all_files.update(files)
    write_files(root, all_files)
    if venv is not None:
        (root / ".venv").symlink_to(venv, target_is_directory=True)
    commit_all(root, "initial")
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message)
    return git(root, "rev-parse", "HEAD").stdout.strip()


def venv_python(venv: Path) -> Path:
    """A venv's interpreter: ``bin/python``, or ``Scripts\\python.exe`` on Windows."""
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def make_project_venv(where: Path) -> Path:
    """A venv whose interpreter also sees this test environment's packages (pytest, mypy, ruff).

    It stands in for a project's own ``.venv``: the guardrail must find it and run pytest and
    mypy with it, not with the hook's own interpreter.
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, capture_output=True
    )
    purelib = sysconfig.get_path("purelib")
    platlib = sysconfig.get_path("platlib")
    result = subprocess.run(
        [
            str(venv_python(where)),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    site = Path(result.stdout.strip())
    (site / "_guardrail_tests.pth").write_text(f"{purelib}\n{platlib}\n", encoding="utf-8")
    return where


def _pad_to(lines: list[str], line_no: int, note: str) -> None:
    """Comment lines so that the next line appended is line ``line_no`` (1-based)."""
    if len(lines) >= line_no:
        raise ValueError(f"already past line {line_no}")
    while len(lines) < line_no - 1:
        lines.append(f"# {note}")


def datasets_export_source(*, fixed: bool = False) -> str:
    """``datasets_export.py`` with its three builders' ``def`` lines at 72, 95 and 128."""
    ret = "dict[str, Any]" if fixed else "dict"
    lines = [
        '"""Export traces as training datasets."""',
        "",
        "from dataclasses import dataclass, field",
        "from typing import Any",
        "",
        "Record = dict[str, Any]",
        "",
        "",
        "@dataclass",
        "class Trace:",
        "    id: str",
        "    prompt: str",
        "",
        "",
        "@dataclass",
        "class ReasoningTrace:",
        "    answer: str",
        "    steps: list[str] = field(default_factory=list)",
        "",
        "",
        "def export_all(traces: list[tuple[Trace, ReasoningTrace]]) -> list[Record]:",
        '    """Every trace as a plain record."""',
        "    return [_build_trace_record(t, p) for t, p in traces]",
        "",
        "",
    ]
    builders = [
        ("_build_trace_record", '{"id": trace.id, "prompt": trace.prompt, "steps": payload.steps}'),
        ("_build_tunix_sft_record", '{"prompt": trace.prompt, "completion": payload.answer}'),
        ("_build_training_example_record", '{"input": trace.prompt, "output": payload.answer}'),
    ]
    for (name, body), line_no in zip(builders, BAD_LINES, strict=True):
        _pad_to(lines, line_no, "Keep the record shape in step with the training schema.")
        lines.append(f"def {name}(trace: Trace, payload: ReasoningTrace) -> {ret}:")
        lines.append(f'    """Build one record for {name.removeprefix("_build_")}."""')
        lines.append(f"    return {body}")
        lines.append("")
        lines.append("")
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


MOTIVATING_TESTS = """\
from tunix_rt_backend.services.datasets_export import (
    ReasoningTrace,
    Trace,
    _build_trace_record,
    _build_training_example_record,
    _build_tunix_sft_record,
    export_all,
)


def test_trace_record() -> None:
    record = _build_trace_record(Trace("t1", "2+2?"), ReasoningTrace("4", ["add"]))
    assert record == {"id": "t1", "prompt": "2+2?", "steps": ["add"]}


def test_sft_record() -> None:
    record = _build_tunix_sft_record(Trace("t1", "2+2?"), ReasoningTrace("4"))
    assert record["completion"] == "4"


def test_training_example_record() -> None:
    record = _build_training_example_record(Trace("t1", "2+2?"), ReasoningTrace("4"))
    assert record["output"] == "4"


def test_export_all() -> None:
    assert len(export_all([(Trace("a", "b"), ReasoningTrace("c"))])) == 1
"""

BACKEND_PYPROJECT = """\
[project]
name = "tunix-rt-backend"
version = "0.1.0"
requires-python = ">=3.11"

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F", "I"]

[tool.mypy]
strict = true

[tool.pytest.ini_options]
testpaths = ["tests"]
"""


def motivating_files(*, fixed: bool = False) -> dict[str, str]:
    return {
        "README.md": "# tunix-rt\n",
        "backend/pyproject.toml": BACKEND_PYPROJECT,
        "backend/tunix_rt_backend/__init__.py": "",
        "backend/tunix_rt_backend/services/__init__.py": "",
        EXPORT_PATH: datasets_export_source(fixed=fixed),
        "backend/tests/__init__.py": "",
        "backend/tests/test_services.py": MOTIVATING_TESTS,
    }


def fix_motivating(root: Path) -> None:
    (root / EXPORT_PATH).write_text(datasets_export_source(fixed=True), encoding="utf-8")


def once(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], str]
) -> tuple[Path, str]:
    """``build(folder)`` run once per test run, not once per xdist worker: the first worker to
    get here builds it under a lock, the others wait and reuse it. Returns the folder and what
    ``build`` returned (kept in a marker file written only once the build is complete, so a
    build that failed is done again, and fails again, in the next worker rather than reused)."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, which holds each worker's basetemp
    folder, done = root / f"shared-{name}", root / f"shared-{name}.done"
    with FileLock(root / f"shared-{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(build(folder), encoding="utf-8")
    return folder, done.read_text(encoding="utf-8")
