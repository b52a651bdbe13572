"""Holes found by reviewing the core: false greens, tracebacks, lost interrupts."""

from __future__ import annotations

import io
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hooks.checks import ruff_check
from hooks.checks.base import FixMode, ToolOutput
from hooks.findings import Status
from hooks.projects import load_projects, ruff_tool
from tests.fixtures import commit_all, git, make_repo
from tests.test_fail_closed import (
    PASS_MARKER,
    SLEEPER_TEST,
    guardrail_subprocess,
    no_traceback,
    small_project,
    wait_for,
)
from tests.test_parsers import ctx

CACHED = "cached; --no-cache to rerun"
UNUSED_IMPORT = "import os\n"
NO_RUFF_CONFIG = '[project]\nname = "plain"\nversion = "0"\n'
IGNORE_F401 = '[lint]\nignore = ["F401"]\n'


def _plain_repo(where: Path) -> Path:
    """A project with no ruff config of its own: ruff looks in parent folders for one."""
    return make_repo(where, {"pyproject.toml": NO_RUFF_CONFIG, "mod.py": UNUSED_IMPORT})


# -- an interpreter that cannot be started -------------------------------------------------------


@pytest.mark.posix_only("exec of an ELF file with its exec bit set fails with ENOEXEC")
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_interpreter_for_another_platform_is_an_error_not_a_traceback(
    tmp_path: Path, guardrail: Any, command: str
) -> None:
    """A venv copied from another machine: exec fails with ENOEXEC, which is no FileNotFound."""
    repo = make_repo(
        tmp_path / "repo", small_project('\n[tool.guardrail]\npython = "foreign/python"\n')
    )
    foreign = repo / "foreign" / "python"
    foreign.parent.mkdir()
    foreign.write_bytes(b"\x7fELF\x02\x01\x01not a program for this machine")
    foreign.chmod(0o755)
    run = guardrail(repo, command)
    no_traceback(run)
    assert run.code == 2, run
    assert str(foreign) in run.out + run.err, run


# -- guardrail fix interrupted -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.posix_only("SIGTERM sent to a process")
def test_fix_interrupted_exits_130_without_a_traceback(tmp_path: Path, project_venv: Path) -> None:
    marker = tmp_path / "pids"
    files = small_project(PASS_MARKER)
    files["tests/test_calc.py"] = SLEEPER_TEST
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    child = guardrail_subprocess(repo, "fix", env={"MARKER": str(marker)})
    wait_for(marker)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert "Traceback" not in out + err, out + err
    assert child.returncode == 130, out + err
    assert "interrupted" in err and "git diff" in err


# -- the push snapshot reads only the pushed commit ----------------------------------------------


def test_push_snapshot_never_reads_an_untracked_config_from_the_working_tree(
    tmp_path: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit has no ruff config; the user's untracked ruff.toml must not apply to it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = _plain_repo(tmp_path / "repo")
    (repo / "ruff.toml").write_text(IGNORE_F401)
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(f"refs/heads/main {head} refs/heads/main {'0' * 40}\n")
    )
    run = guardrail(repo, "pre-push", "origin", "unused-url", "--only", "ruff-check", "--no-cache")
    assert run.code == 1, run
    assert "mod.py:1:8: F401" in run.out, run
    listed = git(repo, "worktree", "list", "--porcelain").stdout
    assert str(tmp_path / "cache" / "push-guardrail" / "snapshots") in listed, listed
    assert f"{repo}/.git/" not in listed, listed
    run = guardrail(repo, "uninstall")
    assert run.code == 0 and "removed 1 snapshot worktree(s)" in run.out, run


# -- the verdict cache keys on configs outside the tree ------------------------------------------


@pytest.mark.parametrize("where", ["parent folder", "user config"])
def test_cache_misses_when_a_config_outside_the_tree_changes(
    tmp_path: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    repo = _plain_repo(tmp_path / "parent" / "repo")
    config = (
        tmp_path / "parent" / "ruff.toml"
        if where == "parent folder"
        else tmp_path / "config" / "ruff" / "ruff.toml"
    )
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(IGNORE_F401)
    first = guardrail(repo, "run", "--only", "ruff-check")
    assert first.code == 0, first
    assert CACHED in guardrail(repo, "run", "--only", "ruff-check").out
    config.unlink()
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert CACHED not in run.out, run
    assert run.code == 1 and "mod.py:1:8: F401" in run.out, run


@pytest.mark.slow
def test_cache_misses_when_an_ignored_conftest_changes(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    files = small_project()
    files[".gitignore"] = ".venv\n__pycache__/\n.mypy_cache/\n.pytest_cache/\ntests/conftest.py\n"
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    conftest = repo / "tests" / "conftest.py"
    conftest.write_text("")
    assert guardrail(repo, "run", "--only", "pytest").code == 0
    assert CACHED in guardrail(repo, "run", "--only", "pytest").out
    conftest.write_text(
        "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef broken() -> None:\n"
        "    raise RuntimeError('local setup')\n"
    )
    assert git(repo, "status", "--porcelain").stdout == ""
    run = guardrail(repo, "run", "--only", "pytest")
    assert CACHED not in run.out, run
    assert run.code == 1, run


def test_ignored_tool_caches_still_hit(tmp_path: Path, guardrail: Any) -> None:
    """Only configs and Python files count: a tool's own cache folder changing is no miss."""
    repo = _plain_repo(tmp_path / "repo")
    (repo / "ruff.toml").write_text(IGNORE_F401)
    commit_all(repo, "config")
    assert guardrail(repo, "run", "--only", "ruff-check").code == 0
    (repo / ".ruff_cache" / "junk").parent.mkdir(exist_ok=True)
    (repo / ".ruff_cache" / "junk").write_text("x")
    assert CACHED in guardrail(repo, "run", "--only", "ruff-check").out


# -- ruff exiting abnormally ---------------------------------------------------------------------


def test_ruff_abnormal_exit_beside_non_blocking_findings_is_never_a_pass(
    tmp_path: Path,
) -> None:
    """Under ``--exit-zero`` findings do not block; ruff exiting 2 (it could not run) must still:
    an error when it reports nothing, a failure at the findings when it reports some."""
    repo = _plain_repo(tmp_path / "repo")
    tool = ruff_tool(load_projects(repo)[0])
    assert tool is not None
    res = subprocess.run(
        [*tool.argv, "check", "--no-fix", "--output-format", "json-lines", "mod.py"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1 and json.loads(res.stdout.splitlines()[0])["code"] == "F401"
    context = ctx("ruff-check", fix=FixMode(exit_zero=True))
    assert ruff_check.parse(ToolOutput(1, res.stdout, ""), context).status is Status.PASSED
    crashed = ruff_check.parse(ToolOutput(2, "", "error: Ruff crashed"), context)
    assert crashed.status is Status.ERROR, crashed
    assert crashed.message == "ruff exited 2 (it could not run): error: Ruff crashed"
    beside = ruff_check.parse(ToolOutput(2, res.stdout, "error: Ruff crashed"), context)
    assert beside.status is Status.FAILED, beside
    assert [(f.code, f.blocking) for f in beside.findings] == [("F401", True)]
    assert "error: Ruff crashed" in beside.message


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_cache_sees_edits_to_files_git_is_told_to_ignore(
    tmp_path: Path, guardrail: Any, flag: str
) -> None:
    """``git add`` skips assume-unchanged and skip-worktree files; the key must not."""
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": NO_RUFF_CONFIG, "mod.py": "VALUE = 1\n"})
    assert guardrail(repo, "run", "--only", "ruff-check").code == 0
    git(repo, "update-index", flag, "mod.py")
    (repo / "mod.py").write_text(UNUSED_IMPORT)
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert CACHED not in run.out, run
    assert run.code == 1 and "mod.py:1:8: F401" in run.out, run
    tags = git(repo, "ls-files", "-v", "mod.py").stdout
    assert tags[0] in "hS", "the user's index keeps its flag"


def test_unwritable_snapshot_folder_is_a_clear_error(
    tmp_path: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    repo = _plain_repo(tmp_path / "repo")
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(f"refs/heads/main {head} refs/heads/main {'0' * 40}\n")
    )
    run = guardrail(repo, "pre-push", "origin", "unused-url", "--no-cache")
    no_traceback(run)
    assert run.code == 2, run
    assert "XDG_CACHE_HOME" in run.err and str(not_a_folder) in run.err, run


@pytest.mark.parametrize("flag", ["--add-noqa", "--watch"])
def test_ruff_args_that_are_no_check_are_refused(tmp_path: Path, guardrail: Any, flag: str) -> None:
    """``--add-noqa`` silences findings by editing the files; ``--watch`` never exits. (``--fix``
    is CI's own command: it runs on a throwaway copy, see tests/test_ruff_fix.py.)"""
    pyproject = NO_RUFF_CONFIG + f'\n[tool.guardrail.ruff-check]\nargs = ["{flag}"]\n'
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": pyproject, "mod.py": UNUSED_IMPORT})
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert git(repo, "status", "--porcelain").stdout == "", "the check rewrote a file"
    assert run.code == 2, run
    assert f"include {flag}" in run.out, run


ODD_CI = {
    ".github/workflows/ci.yml": "jobs:\n  test:\n    steps: 7\n",
    ".github/workflows/lint.yml": (
        "jobs:\n  lint:\n    steps:\n      - uses: astral-sh/ruff-action@v3\n        with: 5\n"
    ),
    ".gitlab-ci.yml": "test:\n  extends: 5\n  script: ruff check .\n",
}


@pytest.mark.parametrize("name", sorted(ODD_CI))
@pytest.mark.parametrize("command", [("doctor",), ("init", "--from-ci", "--dry-run")])
def test_ci_files_of_an_odd_shape_are_no_traceback(
    tmp_path: Path, guardrail: Any, name: str, command: tuple[str, ...]
) -> None:
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": NO_RUFF_CONFIG, name: ODD_CI[name]})
    run = guardrail(repo, *command)
    no_traceback(run)
    assert run.code in (0, 1), run


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_projects_outside_the_repository_are_refused(
    tmp_path: Path, guardrail: Any, how: str
) -> None:
    """Checking a sibling folder instead of the repository's code would be a green for nothing."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text(NO_RUFF_CONFIG)
    named = "../other" if how == "relative" else str(other)
    pyproject = NO_RUFF_CONFIG + f'\n[tool.guardrail]\nprojects = ["{named}"]\n'
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": pyproject, "mod.py": UNUSED_IMPORT})
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert run.code == 2, run
    assert f"names {named!r}, which is not a folder of this repository" in run.err, run


def test_cache_sees_edits_inside_a_submodule(tmp_path: Path, guardrail: Any) -> None:
    """The tree holds only the submodule's commit id, but ruff checks its files."""
    library = make_repo(tmp_path / "library", {"lib.py": "VALUE = 1\n"})
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": NO_RUFF_CONFIG})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "lib")
    commit_all(repo, "submodule")
    assert guardrail(repo, "run", "--only", "ruff-check").code == 0
    assert CACHED in guardrail(repo, "run", "--only", "ruff-check").out
    (repo / "lib" / "lib.py").write_text(UNUSED_IMPORT)
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert CACHED not in run.out, run
    assert run.code == 1 and "lib/lib.py:1:8: F401" in run.out, run


def test_a_pushed_commit_missing_from_the_repository_is_an_error(
    tmp_path: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "nothing to check": a sha the repository lacks cannot have been verified."""
    repo = _plain_repo(tmp_path / "repo")
    missing = "1" * 40
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(f"refs/heads/main {missing} refs/heads/main {'0' * 40}\n")
    )
    run = guardrail(repo, "pre-push", "origin", "unused-url")
    no_traceback(run)
    assert run.code == 2, run
    assert f"the push sends {missing}" in run.err, run
