"""Fail closed: bad input, broken tools and odd repositories never give a false green.

Each test is one row of the fail-closed table in docs/failure-modes.md.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
import pytest

import hooks
from tests.fixtures import (
    BACKEND_PYPROJECT,
    EXPORT_PATH,
    commit_all,
    git,
    make_repo,
    motivating_files,
)

SOURCE_ROOT = str(Path(hooks.__file__).resolve().parent.parent)
TYPED = "def add(a: int, b: int) -> int:\n    return a + b\n"
PASSING_TEST = "from pkg.calc import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n"
STRICT = '[tool.mypy]\nstrict = true\n\n[tool.ruff.lint]\nselect = ["E", "F", "I"]\n'


def small_project(extra_pyproject: str = "", files: Mapping[str, str] = {}) -> dict[str, str]:
    """A strict, green project (a package and its test); ``files`` adds or replaces paths."""
    return {
        "pyproject.toml": STRICT + extra_pyproject,
        "pkg/__init__.py": "",
        "pkg/calc.py": TYPED,
        "tests/test_calc.py": PASSING_TEST,
        **files,
    }


def no_traceback(run: Any) -> None:
    assert "Traceback (most recent call last)" not in run.out + run.err, run


def guardrail_subprocess(
    cwd: Path, *args: str, env: dict[str, str] | None = None, python: str = sys.executable
) -> subprocess.Popen[str]:
    full_env = {**os.environ, "PYTHONPATH": SOURCE_ROOT, **(env or {})}
    return subprocess.Popen(
        [python, "-m", "hooks", *args],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _pid_alive(pid: int) -> bool:
    """The process runs (a zombie runs nothing)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


# -- tools missing or broken ---------------------------------------------------------------


@pytest.mark.posix_only("PATH=/usr/bin:/bin is a POSIX folder list")
def test_tool_installed_nowhere_exits_2_naming_it(tmp_path: Path) -> None:
    bare = tmp_path / "bare-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    python = str(bare / "bin" / "python")
    repo = make_repo(tmp_path / "repo", small_project(f'\n[tool.guardrail]\npython = "{python}"\n'))
    child = guardrail_subprocess(repo, "run", python=python, env={"PATH": "/usr/bin:/bin"})
    out, err = child.communicate(timeout=120)
    assert child.returncode == 2, out + err
    assert "ruff is not installed" in out and "pip install ruff" in out
    assert "mypy is not installed" in out and "pip install mypy" in out
    assert f"pytest is not installed in the project interpreter {python}" in out
    assert "Traceback" not in out + err


def test_mypy_internal_error_is_an_error_with_its_output(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    plugin = (
        "from mypy.plugin import Plugin\n\n\nclass Crash(Plugin):\n"
        "    def get_function_hook(self, fullname):\n"
        "        if fullname == 'pkg.calc.add':\n"
        "            raise RuntimeError('plugin exploded')\n\n\n"
        "def plugin(version):\n    return Crash\n"
    )
    files = small_project(
        files={
            "crash_plugin.py": plugin,
            "pkg/use.py": "from pkg.calc import add\n\nx = add(1, 2)\n",
        }
    )
    files["pyproject.toml"] = files["pyproject.toml"].replace(
        "strict = true", 'strict = true\nplugins = ["crash_plugin.py"]'
    )
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "mypy")
    assert run.code == 2, run
    assert "mypy crashed" in run.out and "INTERNAL ERROR" in run.out
    no_traceback(run)


def test_pytest_internalerror_is_an_error(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    conftest = "def pytest_collection_modifyitems(items):\n    raise RuntimeError('hook boom')\n"
    files = small_project(files={"tests/conftest.py": conftest})
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 2, run
    assert "INTERNALERROR" in run.out and "hook boom" in run.out
    no_traceback(run)


@pytest.mark.posix_only("a child killed by SIGKILL")
def test_pytest_killed_by_a_signal_is_an_error(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    killer = (
        "import os, signal\n\n\ndef test_die() -> None:\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    repo = make_repo(tmp_path / "repo", small_project(), venv=project_venv)
    (repo / "tests" / "test_die.py").write_text(killer)
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 2, run
    assert "killed by signal 9" in run.out


# -- bad configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ("[tool.guardrail\n", "not valid TOML"),
        ("[tool.guardrail]\nfail_fst = true\n", "unknown key 'fail_fst' in [tool.guardrail]"),
        ('[tool.guardrail]\nfail_fast = "yes"\n', "tool.guardrail.fail_fast must be true or false"),
        (
            '[tool.guardrail.mypy]\ntarget = ["pkg"]\n',
            "unknown key 'target' in [tool.guardrail.mypy]",
        ),
        (
            "[tool.guardrail.pytest]\ntimeout = -1\n",
            "tool.guardrail.pytest.timeout must be a positive",
        ),
        ('[tool.guardrail]\nchecks = ["mypy", "pylint"]\n', "not 'pylint'"),
        ("[tool.guardrail]\nprojects = 3\n", "tool.guardrail.projects must be a list of strings"),
    ],
)
def test_bad_guardrail_config_exits_2_naming_file_and_key(
    tmp_path: Path, guardrail: Any, pyproject: str, expected: str
) -> None:
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": pyproject, "a.py": "x = 1\n"})
    run = guardrail(repo, "run")
    assert run.code == 2, run
    assert str(repo / "pyproject.toml") in run.err
    assert expected in run.err, run
    no_traceback(run)


@pytest.mark.parametrize(
    ("mypy_section", "expected"),
    [
        ('[tool.mypy]\nstrict = "maybe"\n', "strict: Not a boolean: maybe"),
        ('[tool.mypy]\nstrict = "yes"\n', "strict = 'yes' is a string; write strict = true"),
        ("[tool.mypy]\nstrict = true\n[[tool.mypy.overrides]]\nmodule = 3\n", "module value"),
        ("[tool.mypy]\nstrict = true\nwarn_unused_ignorez = true\n", "Unrecognized option"),
    ],
)
def test_mypy_config_it_cannot_read_is_never_green(
    tmp_path: Path, project_venv: Path, guardrail: Any, mypy_section: str, expected: str
) -> None:
    files = small_project()
    files["pyproject.toml"] = mypy_section
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "mypy")
    assert run.code == 2, run
    assert expected in run.out, run


def test_configured_python_pointing_nowhere(tmp_path: Path, guardrail: Any) -> None:
    repo = make_repo(
        tmp_path / "repo", small_project('\n[tool.guardrail]\npython = "envs/missing/bin/python"\n')
    )
    run = guardrail(repo, "run")
    assert run.code == 2, run
    assert str(repo / "envs/missing/bin/python") in run.err
    assert "Point it at the project's interpreter" in run.err
    no_traceback(run)


def test_interpreter_without_pytest(tmp_path: Path, guardrail: Any) -> None:
    bare = tmp_path / "bare-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    repo = make_repo(tmp_path / "repo", small_project(), venv=bare)
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 2, run
    assert f"pytest is not installed in the project interpreter {repo}/.venv/bin/python" in run.out
    assert "-m pip install pytest" in run.out


def test_no_tests_collected_fails_unless_allowed(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = small_project()
    del files["tests/test_calc.py"]
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 1, run
    assert "pytest collected no tests (exit 5)" in run.out
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.guardrail.pytest]\nallow_no_tests = true\n"
    )
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 0, run
    assert "no tests collected (allowed)" in run.out


def test_syntax_error_is_a_finding_from_ruff_and_mypy(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = make_repo(tmp_path / "repo", small_project(), venv=project_venv)
    (repo / "pkg" / "broken.py").write_text("def f(:\n    pass\n")
    run = guardrail(repo, "run", "--only", "ruff-check", "mypy")
    assert run.code == 1, run
    assert "pkg/broken.py:1:7: invalid-syntax" in run.out
    assert "pkg/broken.py:1:8: syntax" in run.out  # mypy counts this column one later


# -- time limits and interruptions -------------------------------------------------------------

PASS_MARKER = '\n[tool.guardrail]\npass_env = ["MARKER"]\n'
"""The tools see a scrubbed environment: SLEEPER_TEST's marker variable must be passed."""

SLEEPER_TEST = """\
import os
import subprocess
import sys
import time
from pathlib import Path


def test_sleeps() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    Path(os.environ["MARKER"]).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(300)
"""


def test_timeout_kills_the_whole_process_group(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pids"
    monkeypatch.setenv("MARKER", str(marker))
    files = small_project("\n[tool.guardrail.pytest]\ntimeout = 3\n" + PASS_MARKER)
    files["tests/test_calc.py"] = SLEEPER_TEST
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 2, run
    assert "timed out after 3 s" in run.out
    pids = [int(p) for p in marker.read_text().split()]
    time.sleep(0.2)
    assert not any(_pid_alive(p) for p in pids), pids


@pytest.mark.posix_only("SIGINT and SIGTERM sent to a process")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_every_child_and_exits_130(
    tmp_path: Path, project_venv: Path, sig: signal.Signals
) -> None:
    marker = tmp_path / "pids"
    files = small_project(PASS_MARKER)
    files["tests/test_calc.py"] = SLEEPER_TEST
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    child = guardrail_subprocess(repo, "run", "--jobs", "2", env={"MARKER": str(marker)})
    wait_for(marker)
    pids = [int(p) for p in marker.read_text().split()]
    started = time.monotonic()
    child.send_signal(sig)
    out, err = child.communicate(timeout=30)
    elapsed = time.monotonic() - started
    assert child.returncode == 130, out + err
    assert "interrupted" in err
    assert "pytest" in out  # the partial summary still lists every check
    time.sleep(0.2)
    assert not any(_pid_alive(p) for p in pids), (pids, elapsed)
    assert "Traceback" not in out + err


# -- huge outputs --------------------------------------------------------------------------------

MEASURE = (
    "import resource, sys\n"
    "from hooks.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def _measured(repo: Path, *args: str) -> tuple[int, str, int]:
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, *args],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": SOURCE_ROOT},
        capture_output=True,
        text=True,
        timeout=600,
    )
    rss = int(proc.stderr.rsplit("MAXRSS_KB", 1)[1].split()[0])
    return proc.returncode, proc.stdout, rss


@pytest.mark.slow
def test_100000_findings_bounded_memory_capped_summary_right_counts(
    tmp_path: Path, project_venv: Path
) -> None:
    files = small_project()
    files["pyproject.toml"] = '[tool.ruff.lint]\nselect = ["E703"]\n'
    files["pkg/many.py"] = "x = 1;\n" * 100_000
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    code, out, rss_kb = _measured(repo, "run", "--only", "ruff-check")
    assert code == 1, out
    assert "100000 errors in 1 file" in out
    assert "+99980 more" in out
    assert out.count("pkg/many.py:") == 20
    assert rss_kb < 250 * 1024, f"peak RSS {rss_kb / 1024:.0f} MiB"


@pytest.mark.slow
def test_50_mb_of_test_output_bounded_memory(tmp_path: Path, project_venv: Path) -> None:
    noisy = (
        "import sys\n\n\ndef test_noisy() -> None:\n"
        "    line = 'x' * 1023 + '\\n'\n"
        "    for _ in range(50 * 1024):\n"
        "        sys.stdout.write(line)\n"
        "    assert False, 'noisy failure'\n"
    )
    files = small_project()
    files["tests/test_noisy.py"] = noisy
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    code, out, rss_kb = _measured(repo, "run", "--only", "pytest")
    assert code == 1, out[-2000:]
    assert "tests/test_noisy.py:8: test-failed" in out
    assert "1 failed, 1 passed" in out
    assert len(out) < 100_000
    assert rss_kb < 200 * 1024, f"peak RSS {rss_kb / 1024:.0f} MiB"


# -- paths -------------------------------------------------------------------------------------


def test_paths_with_spaces_non_ascii_and_leading_dash(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = small_project()
    files["pkg/ünï code.py"] = "import os\n\nx: int = 'a'\n"
    files["-dash.py"] = "import sys\n"
    repo = make_repo(tmp_path / "my repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--only", "ruff-check", "mypy")
    assert run.code == 1, run
    assert "pkg/ünï code.py:1:8: F401" in run.out
    assert "-dash.py:1:8: F401" in run.out
    assert "pkg/ünï code.py:3:10: assignment" in run.out


def test_repo_reached_through_a_symlink_reports_repo_relative_paths(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = make_repo(tmp_path / "real", motivating_files(), venv=project_venv)
    link = tmp_path / "link"
    link.symlink_to(repo, target_is_directory=True)
    (repo / "backend" / "alias.py").symlink_to(repo / EXPORT_PATH)
    run = guardrail(link / "backend", "run", "--only", "mypy")
    assert run.code == 1, run
    assert f"{EXPORT_PATH}:72:" in run.out
    assert "../" not in run.out


# -- repositories --------------------------------------------------------------------------------


def test_not_a_git_repository_runs_and_says_so(tmp_path: Path, guardrail: Any) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(STRICT)
    (folder / "a.py").write_text("import os\n")
    run = guardrail(folder, "run", "--only", "ruff-check")
    assert run.code == 1, run
    assert "is not in a git repository" in run.out
    assert "a.py:1:8: F401" in run.out


def test_bare_repository_exits_2(tmp_path: Path, guardrail: Any) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    run = guardrail(bare, "run")
    assert run.code == 2, run
    assert "bare git repository" in run.err


def test_detached_head_shallow_clone_and_linked_worktree_run(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = make_repo(tmp_path / "repo", motivating_files(), venv=project_venv)
    commit_all(repo, "second") if (repo / "x").exists() else None
    (repo / "backend" / "note.txt").write_text("n\n")
    commit_all(repo, "second")
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    run = guardrail(repo, "run", "--only", "mypy")
    assert run.code == 1 and f"{EXPORT_PATH}:72:" in run.out, run

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    (shallow / ".venv").symlink_to(project_venv, target_is_directory=True)
    run = guardrail(shallow, "run", "--only", "mypy")
    assert run.code == 1 and f"{EXPORT_PATH}:95:" in run.out, run

    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "--detach", str(linked), "main")
    (linked / ".venv").symlink_to(project_venv, target_is_directory=True)
    run = guardrail(linked, "run", "--only", "mypy")
    assert run.code == 1 and f"{EXPORT_PATH}:128:" in run.out, run


def test_submodule_repository_runs(tmp_path: Path, project_venv: Path, guardrail: Any) -> None:
    lib = make_repo(tmp_path / "lib", {"lib.py": "x = 1\n"})
    repo = make_repo(tmp_path / "repo", small_project(), venv=project_venv)
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    commit_all(repo, "add submodule")
    run = guardrail(repo, "run")
    assert run.code == 0, run


# -- the user's tree and the escape hatches ---------------------------------------------------

CACHE_DIRS = {".mypy_cache", ".ruff_cache", ".pytest_cache"}


def fingerprint(root: Path) -> dict[str, str]:
    """Every file's content hash (tool cache folders aside), plus git's index and HEAD.

    ``.git/worktrees`` is left out: it registers the snapshot slots, where a run whose CI command
    rewrites files (fix = true) checks a copy of the working tree, as a push checks the commit."""
    prints: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        at_git = Path(dirpath) == root / ".git"
        dirnames[:] = [
            d
            for d in dirnames
            if d not in CACHE_DIRS and d != ".venv" and not (at_git and d == "worktrees")
        ]
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                prints[str(path.relative_to(root))] = "link:" + os.readlink(path)
            else:
                prints[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def test_a_run_changes_nothing_in_the_tree_even_with_fix_true(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    files = motivating_files()
    files["backend/pyproject.toml"] = BACKEND_PYPROJECT.replace(
        "[tool.ruff]\n", "[tool.ruff]\nfix = true\n"
    )
    files["backend/tunix_rt_backend/extra.py"] = "import os\nimport sys\nx=1\n"
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    (repo / "untracked.py").write_text("y=2\n")
    before = fingerprint(repo)
    run = guardrail(repo, "run")
    assert run.code == 1, run
    assert fingerprint(repo) == before


def test_guardrail_0_skips_everything_loudly(
    motivating_repo: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARDRAIL", "0")
    run = guardrail(motivating_repo, "run")
    assert run.code == 0
    assert "ALL CHECKS SKIPPED" in run.err


def test_guardrail_skip_skips_named_checks_loudly(
    motivating_repo: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARDRAIL_SKIP", "mypy,pytest")
    run = guardrail(motivating_repo, "run")
    assert run.code == 0, run
    assert "GUARDRAIL_SKIP=mypy,pytest is set: mypy, pytest SKIPPED" in run.out
    monkeypatch.setenv("GUARDRAIL_SKIP", "mypy,pylint")
    run = guardrail(motivating_repo, "run")
    assert run.code == 2 and "GUARDRAIL_SKIP names unknown check 'pylint'" in run.err
