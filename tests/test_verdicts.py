"""The verdict is CI's: a tool's exit status, read as CI reads it (issue 11).

Each test is a minimal repository that reproduces a wrong verdict found on a real one, run
through the CLI with the real tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures import make_repo
from tests.test_fail_closed import STRICT, no_traceback, small_project

# tunix-rt's mypy config (backend/pyproject.toml at ddeb7de): strict, warn_unused_configs, and an
# override for tests.* while CI checks only the package, so mypy notes the unused section.
UNUSED_OVERRIDE = (
    "warn_unused_configs = true\n\n"
    '[[tool.mypy.overrides]]\nmodule = "tests.*"\ndisallow_untyped_defs = false\n'
)
UNUSED_NOTE = "pyproject.toml: note: unused section(s): module = ['tests.*']"


def _unused_override_repo(tmp_path: Path, venv: Path) -> Path:
    files = small_project()
    files["pyproject.toml"] = STRICT.replace("strict = true\n", "strict = true\n" + UNUSED_OVERRIDE)
    return make_repo(tmp_path / "repo", files, venv=venv)


def test_mypy_exit_0_with_a_note_passes_and_shows_the_note(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = _unused_override_repo(tmp_path, project_venv)
    run = guardrail(repo, "run", "--only", "mypy", "--no-cache")
    assert run.code == 0, run
    assert "ok    mypy" in run.out
    assert UNUSED_NOTE in run.out, run
    no_traceback(run)


def test_doctor_mypy_config_check_does_not_fail_on_a_note(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = _unused_override_repo(tmp_path, project_venv)
    doctor = guardrail(repo, "doctor")
    assert "ok   mypy config (.)" in doctor.out, doctor
    assert "FAIL mypy config" not in doctor.out, doctor
