"""The guardrail off Linux, proven on this machine as far as it can be.

- No module needs an API one OS lacks: mypy checks ``hooks/`` as Windows and macOS see it, and
  the package is imported, and real pushes are checked, with ``fcntl`` made unimportable (a
  ``sitecustomize`` that refuses it, as Windows has none).
- When the running ``git push`` cannot be read (``/proc`` hidden in a mount namespace), a push
  through pre-commit or prek gets the named "NOT checked" note, never a traceback.
- The files the guardrail writes keep the line endings that sh and the user's editor expect.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GUARDRAIL_EXE
from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    commit_all,
    fix_motivating,
    git,
    make_repo,
    motivating_files,
    write_files,
)
from tests.precommit_fixtures import HookRepo, Host

ROOT = Path(__file__).resolve().parent.parent

NO_FCNTL = '''\
"""Refuse ``import fcntl``, as on Windows, and note who asked (NO_FCNTL_LOG)."""
import os
import sys


class NoFcntl:
    def find_spec(self, name, path=None, target=None):
        if name != "fcntl":
            return None
        log = os.environ.get("NO_FCNTL_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(" ".join(sys.argv[:1]) + "\\n")
        raise ModuleNotFoundError("No module named 'fcntl' (refused by the test)", name=name)


sys.modules.pop("fcntl", None)
sys.meta_path.insert(0, NoFcntl())
'''


def no_fcntl_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose Pythons cannot import fcntl; a fresh temp folder, so no lock file
    an flock-using run left behind is met by filelock's fallback."""
    blocker = tmp_path / "no-fcntl"
    (blocker / "tmp").mkdir(parents=True)
    (blocker / "sitecustomize.py").write_text(NO_FCNTL, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT_"))}
    env.update(
        PYTHONPATH=str(blocker),
        NO_FCNTL_LOG=str(blocker / "asked"),
        TMPDIR=str(blocker / "tmp"),
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_mypy_finds_no_api_the_platform_lacks(platform: str, tmp_path: Path) -> None:
    """typeshed knows which OS has what (fcntl, os.getuid, os.killpg, signal.SIGKILL...)."""
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--platform",
            platform,
            "--cache-dir",
            str(tmp_path),
            "hooks",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_module_imports_without_fcntl(tmp_path: Path) -> None:
    env = no_fcntl_env(tmp_path)
    code = (
        "import importlib, pkgutil, sys, hooks\n"
        "names = [m.name for m in pkgutil.walk_packages(hooks.__path__, 'hooks.')]\n"
        "names.remove('hooks.__main__')  # it runs the CLI\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "assert 'fcntl' not in sys.modules\n"
        "print(len(names))\n"
    )
    check = subprocess.run([sys.executable, "-c", "import fcntl"], env=env, capture_output=True)
    assert check.returncode == 1 and b"refused by the test" in check.stderr
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert int(res.stdout) > 50


@pytest.mark.slow
@pytest.mark.posix_only("fcntl exists only on POSIX: elsewhere the real OS makes this test")
def test_pushes_are_checked_without_fcntl(tmp_path: Path, project_venv: Path) -> None:
    """The plain git hook runs the guardrail with fcntl refused: the locks fall back, the broken
    commit is refused, the fixed one goes through."""
    env = no_fcntl_env(tmp_path)
    repo = make_repo(tmp_path / "tunix-rt", motivating_files(), venv=project_venv)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    installed = subprocess.run(
        [GUARDRAIL_EXE, "install", "--no-background"], cwd=repo, env=env, capture_output=True
    )
    assert installed.returncode == 0, installed

    def push() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "push", "origin", "main"], cwd=repo, env=env, capture_output=True, text=True
        )

    blocked = push()
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, out
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in out, out
    assert "Push blocked: mypy failed." in out and "Traceback" not in out, out
    asked = (tmp_path / "no-fcntl" / "asked").read_text(encoding="utf-8").splitlines()
    assert any(line.endswith("guardrail") for line in asked), asked  # the hook asked, was refused

    fix_motivating(repo)
    fixed = commit_all(repo, "export: dict[str, Any]")
    passed = push()
    out = passed.stdout + passed.stderr
    assert passed.returncode == 0, out
    assert "All 4 checks passed" in out and "Traceback" not in out, out
    assert git(remote, "rev-parse", "refs/heads/main").stdout.strip() == fixed


HIDE_PROC = 'mount -t tmpfs none /proc && exec "$@"'
# Only the process's own entry (the shell execs the command, which keeps its pid): tools that
# read /proc for themselves (mypy does) still run.
HIDE_OWN_PROC = 'mount -t tmpfs none "/proc/$$" && exec "$@"'


@pytest.fixture(scope="session")
def hidden_proc() -> Any:
    """``hidden_proc(*argv, only_own=False)``: the command line that runs argv with /proc hidden
    (an empty tmpfs over it, or over the process's own entry only, in a mount namespace of its
    own). Skipped, with the reason, where that is not
    permitted (it needs root or user namespaces, and ``unshare``)."""
    if sys.platform != "linux":
        pytest.skip("hiding /proc needs Linux mount namespaces")
    try:
        res = subprocess.run(
            ["unshare", "-m", "sh", "-c", HIDE_PROC, "sh", "true"], capture_output=True, text=True
        )
    except OSError as exc:
        pytest.skip(f"unshare cannot run here: {exc}")
    if res.returncode != 0:
        pytest.skip(f"unshare -m is not permitted here: {res.stderr.strip()}")
    return lambda *argv, only_own=False: [
        "unshare",
        "-m",
        "sh",
        "-c",
        HIDE_OWN_PROC if only_own else HIDE_PROC,
        "sh",
        *argv,
    ]


def test_unreadable_ancestry_is_a_named_note(tmp_path: Path, hidden_proc: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "A = 1\n"})
    code = (
        "from pathlib import Path\n"
        "from hooks.push.precommit import with_running_push\n"
        "from hooks.push.refs import Push\n"
        f"print(with_running_push(Path({str(repo)!r}), Push('origin', ())).notes[0])\n"
    )
    res = subprocess.run(hidden_proc(sys.executable, "-c", code), capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("the running `git push` command line could not be read ("), res
    assert "any other ref this push sends was NOT checked" in res.stdout, res


@pytest.mark.slow
def test_a_push_under_a_host_that_cannot_read_git_push_says_what_was_not_checked(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, host: Host, hidden_proc: Any
) -> None:
    """``git push origin main feature`` through pre-commit or prek, the ``git push`` process's
    /proc entry hidden: the first ref is checked, the note names the fallback, nothing crashes."""
    files = {
        **motivating_files(fixed=True),
        ".pre-commit-config.yaml": hook_repo.config(verbose=True),
    }
    repo = make_repo(tmp_path / "tunix-rt", files, venv=project_venv)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    installed = host.run(repo, "install", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"backend/tests/test_feature.py": "def test_f() -> None:\n    pass\n"})
    commit_all(repo, "feature work")
    git(repo, "checkout", "-q", "main")
    write_files(repo, {"backend/tests/test_main.py": "def test_m() -> None:\n    pass\n"})
    main = commit_all(repo, "main work")

    res = subprocess.run(
        hidden_proc("git", "push", "origin", "main", "feature", only_own=True),
        cwd=repo,
        env=host.env,
        capture_output=True,
        text=True,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert f"checked {main[:7]} main -> origin/main" in out, out
    assert "the running `git push` command line could not be read" in out, out
    assert "NOT checked" in out and "Traceback" not in out, out


def test_init_keeps_each_files_line_endings(tmp_path: Path, guardrail: Any) -> None:
    """Windows' text mode would rewrite an LF file as CRLF; init keeps what the file had."""
    workflow = (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: mypy app\n        working-directory: lf\n"
        "      - run: mypy app\n        working-directory: crlf\n"
    )
    files = {
        ".github/workflows/ci.yml": workflow,
        "lf/pyproject.toml": '[project]\nname = "lf"\n\n[tool.guardrail]\nchecks = ["pytest"]\n',
        "lf/app/__init__.py": "",
        "crlf/app/__init__.py": "",
    }
    repo = make_repo(tmp_path / "repo", files)
    crlf = '[project]\r\nname = "crlf"\r\n\r\n[tool.guardrail]\r\nchecks = ["pytest"]\r\n'
    (repo / "crlf" / "pyproject.toml").write_bytes(crlf.encode())
    guardrail(repo, "init", "--from-ci")
    lf_after = (repo / "lf" / "pyproject.toml").read_bytes()
    crlf_after = (repo / "crlf" / "pyproject.toml").read_bytes()
    assert b'checks = ["pytest", "mypy"]\n' in lf_after and b"\r" not in lf_after, lf_after
    assert b'checks = ["pytest", "mypy"]\r\n' in crlf_after, crlf_after
    assert crlf_after.count(b"\n") == crlf_after.count(b"\r\n"), crlf_after


def test_the_hook_script_has_lf_line_endings(tmp_path: Path, guardrail: Any) -> None:
    """Git for Windows runs hooks with its sh, which reads a CR as part of the command."""
    repo = make_repo(tmp_path / "repo", {"a.py": "A = 1\n"})
    assert guardrail(repo, "install", "--no-background").code == 0
    script = (repo / ".git" / "hooks" / "pre-push").read_bytes()
    assert script.startswith(b"#!/bin/sh\n") and b"\r" not in script
    assert b' pre-push "$@"\n' in script
