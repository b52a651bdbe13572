"""The guardrail's own overhead: what ``--version`` imports, and huge outputs handled whole.

How fast these are is measured by ``bench/run.py``; the tests pin what must stay true for it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hooks.engine.plan import Planned
from hooks.engine.run import execute_one
from hooks.findings import RunInfo, Status
from hooks.projects import load_projects
from hooks.report.terminal import render
from tests.fixtures import make_repo

HEAVY = (
    "subprocess",
    "json",
    "tempfile",
    "concurrent.futures",
    "importlib.metadata",
    "hooks.proc",
    "hooks.projects",
    "hooks.engine.run",
    "hooks.engine.gate",
    "hooks.engine.cache",
    "hooks.checks",
    "hooks.report.terminal",
)


def test_version_imports_nothing_heavy() -> None:
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hooks", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert res.stdout.strip().startswith("guardrail ")
    imported = {
        line.split("|")[-1].strip()
        for line in res.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "hooks.cli" in imported
    assert sorted(m for m in HEAVY if m in imported) == []


BIG_PYPROJECT = """\
[project]
name = "big"
version = "0.1.0"

[tool.ruff.lint]
select = ["F401"]
"""


def noisy_files(files: int = 500, per_file: int = 100) -> dict[str, str]:
    """A project on which ruff reports ``files * per_file`` unused imports."""
    body = "".join(f"import mod{j}\n" for j in range(per_file))
    tree = {f"pkg/m{i}.py": body for i in range(files)}
    tree["pyproject.toml"] = BIG_PYPROJECT
    return tree


@pytest.mark.slow
def test_fifty_thousand_real_findings_are_parsed_and_summarised_whole(
    tmp_path: Path, project_venv: Path
) -> None:
    root = make_repo(tmp_path / "big", noisy_files(), venv=project_venv)
    (project,) = load_projects(root)
    result = execute_one(Planned(project, "ruff-check"))
    assert result.status is Status.FAILED, result.message
    assert len(result.findings) == 50_000
    assert {f.path for f in result.findings} == {f"pkg/m{i}.py" for i in range(500)}
    text = render(RunInfo(version="0", target="t"), [result])
    assert "50000 errors in 500 files" in text
    assert "+49980 more" in text
