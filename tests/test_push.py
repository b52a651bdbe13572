"""Checking exactly what is pushed: real ``git push`` to a local bare remote, through the hooks
pre-commit and prek install and through ``guardrail install``."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hooks import __version__
from tests.conftest import GUARDRAIL_EXE
from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    commit_all,
    datasets_export_source,
    git,
    make_project_venv,
    make_repo,
    motivating_files,
    venv_python,
    write_files,
)
from tests.precommit_fixtures import PRE_COMMIT, PREK, HookRepo, Host

ROUTES = ("pre-commit", "prek", "install")
ONE_ROUTE = pytest.mark.parametrize("route", ["pre-commit"])
"""For a scenario whose subject is what gets checked, not how the host hands the push over: it
runs through pre-commit alone (the route whose hooks see the working tree, which is what these
scenarios are about). Scenarios about the hand-over (which refs, another branch than the one
checked out, Ctrl-C through the host) run on every route."""
PIP = (sys.executable, "-m", "pip")
GOOD_EXPORT = datasets_export_source(fixed=True)
BAD_EXPORT = datasets_export_source(fixed=False)


def fingerprint(repo: Path, *, raw_index: bool = True) -> dict[str, object]:
    """Everything a check must leave alone: every file's bytes (tracked, untracked, ignored),
    the index, HEAD, the stash and the local branches."""
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [
            d for d in dirnames if not (Path(dirpath) == repo and d in (".git", ".venv"))
        ]
        for name in filenames:
            path = Path(dirpath) / name
            files[str(path.relative_to(repo))] = hashlib.sha256(path.read_bytes()).hexdigest()
    index = (
        hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
        if raw_index
        else git(repo, "ls-files", "--stage").stdout
    )
    return {
        "files": files,
        "index": index,
        "staged": git(repo, "diff", "--cached", "--binary").stdout,
        "head": git(repo, "symbolic-ref", "-q", "HEAD", check=False).stdout
        + git(repo, "rev-parse", "HEAD").stdout,
        "stash": git(repo, "stash", "list", "--format=%H %s").stdout,
        "branches": git(repo, "for-each-ref", "refs/heads", "refs/stash").stdout,
        "untracked": git(repo, "ls-files", "-o", "--exclude-standard").stdout,
    }


def worktrees_in_order(repo: Path) -> list[str]:
    """``git worktree list`` holds the repo and the snapshot slots only, none stale or locked."""
    out = git(repo, "worktree", "list", "--porcelain").stdout
    blocks = [b for b in out.strip().split("\n\n") if b]
    for block in blocks:
        assert "prunable" not in block and "locked" not in block, out
    paths = [b.splitlines()[0].removeprefix("worktree ") for b in blocks]
    assert Path(paths[0]) == repo.resolve(), out
    for extra in paths[1:]:
        assert "/push-guardrail/snapshots/" in extra, out
        assert git(Path(extra), "status", "--porcelain", "-uno").stdout == "", out
    return paths


@dataclass
class Pushing:
    repo: Path
    remote: Path
    env: dict[str, str]
    route: str

    def push(self, *refspecs: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "push", "origin", *refspecs],
            cwd=self.repo,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=900,
        )

    def remote_sha(self, branch: str) -> str | None:
        res = git(
            self.remote, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False
        )
        return res.stdout.strip() or None

    def fingerprint(self) -> dict[str, object]:
        # pre-commit itself stashes unstaged changes around its hooks, which refreshes the
        # index's stat cache; the index's content is what must stay the same there.
        return fingerprint(self.repo, raw_index=self.route == "install")


@pytest.fixture(params=ROUTES)
def route(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pushing_factory(
    tmp_path: Path, project_venv: Path, route: str, request: pytest.FixtureRequest
) -> Iterator[object]:
    """Make a repo from files, push it to a bare remote without hooks, then install the hook."""

    def make(files: dict[str, str], *, venv: Path | None = None, name: str = "repo") -> Pushing:
        files = dict(files)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT_", "GIT_"))}
        host = None
        if route != "install":
            hook_repo: HookRepo = request.getfixturevalue("hook_repo")
            home: Path = request.getfixturevalue(f"{route.replace('-', '_')}_home")
            host = Host(route, PREK if route == "prek" else PRE_COMMIT, home)
            files[".pre-commit-config.yaml"] = hook_repo.config(verbose=True)
            env = host.env
        repo = make_repo(tmp_path / name, files, venv=venv or project_venv)
        remote = tmp_path / f"{name}-remote.git"
        git(tmp_path, "init", "-q", "--bare", str(remote))
        git(repo, "remote", "add", "origin", str(remote))
        git(repo, "push", "-q", "--no-verify", "origin", "main")
        if host is not None:
            cmd = [*host.argv, "install", "--hook-type", "pre-push"]
        else:
            cmd = [GUARDRAIL_EXE, "install", "--no-background"]
        res = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        return Pushing(repo, remote, env, route)

    yield make


def _summary(res: subprocess.CompletedProcess[str]) -> str:
    return res.stdout + res.stderr


def _first_lines(out: str) -> list[str]:
    """Each pushed commit's summary's first line: what was checked, and what was not (prek
    indents a hook's output)."""
    lines = (ln.strip() for ln in out.splitlines())
    return [ln for ln in lines if ln.startswith("guardrail ") and ": checked " in ln]


@pytest.mark.slow
@ONE_ROUTE
def test_staged_fix_does_not_rescue_a_broken_commit(pushing_factory: object) -> None:
    """1. The commit has the bare dict returns; the fix is only staged: refused."""
    p = pushing_factory(motivating_files(fixed=True))  # type: ignore[operator]
    before_push = p.remote_sha("main")
    write_files(p.repo, {EXPORT_PATH: BAD_EXPORT})
    broken = commit_all(p.repo, "export: bare dict returns")
    write_files(p.repo, {EXPORT_PATH: GOOD_EXPORT})
    git(p.repo, "add", EXPORT_PATH)
    before = p.fingerprint()
    res = p.push("main")
    out = _summary(res)
    assert res.returncode != 0, out
    assert p.remote_sha("main") == before_push
    assert _first_lines(out) == [
        f"guardrail {__version__}: checked {broken[:7]} main -> origin/main; "
        "1 uncommitted change in the working tree was not checked"
    ], out
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in out, out
    assert p.fingerprint() == before
    worktrees_in_order(p.repo)


@pytest.mark.slow
@ONE_ROUTE
def test_good_commit_pushes_despite_broken_local_edits(pushing_factory: object) -> None:
    """2. A good commit with broken unstaged edits and an untracked broken file: goes through."""
    p = pushing_factory(motivating_files(fixed=True))  # type: ignore[operator]
    write_files(
        p.repo, {"backend/tests/test_more.py": "def test_more() -> None:\n    assert True\n"}
    )
    good = commit_all(p.repo, "more tests")
    write_files(p.repo, {EXPORT_PATH: BAD_EXPORT})
    write_files(p.repo, {"backend/tunix_rt_backend/wip.py": "def f() -> int:\n    return 'x'\n"})
    before = p.fingerprint()
    res = p.push("main")
    out = _summary(res)
    assert res.returncode == 0, out
    assert p.remote_sha("main") == good
    assert "All 4 checks passed" in out, out
    assert p.fingerprint() == before
    assert (p.repo / EXPORT_PATH).read_text() == BAD_EXPORT
    worktrees_in_order(p.repo)


DATA_TEST = """\
import json
from pathlib import Path


def test_reads_fixture_data() -> None:
    data = json.loads((Path(__file__).parent / "data" / "cases.json").read_text())
    assert data == {"cases": 3}
"""


@pytest.mark.slow
@ONE_ROUTE
def test_ignored_data_file_only_in_working_tree_is_missing_at_push(
    pushing_factory: object,
) -> None:
    """2b. Tests read a gitignored file present only locally: refused, as CI would fail."""
    p = pushing_factory(motivating_files(fixed=True))  # type: ignore[operator]
    gitignore = (p.repo / ".gitignore").read_text() + "backend/tests/data/\n"
    write_files(p.repo, {".gitignore": gitignore, "backend/tests/test_data.py": DATA_TEST})
    write_files(p.repo, {"backend/tests/data/cases.json": '{"cases": 3}'})
    commit_all(p.repo, "a test that reads local data")
    assert git(p.repo, "ls-files", "backend/tests/data").stdout == ""
    before = p.fingerprint()
    res = p.push("main")
    out = _summary(res)
    assert res.returncode != 0, out
    assert "backend/tests/test_data.py:6" in out, out
    assert "Push blocked: pytest failed." in out, out
    assert p.fingerprint() == before


@pytest.mark.slow
def test_pushing_another_branch_checks_that_branch(pushing_factory: object) -> None:
    """3. ``main`` (good) is checked out; ``git push origin feature`` (broken): refused."""
    p = pushing_factory(motivating_files(fixed=True))  # type: ignore[operator]
    git(p.repo, "checkout", "-q", "-b", "feature")
    write_files(p.repo, {EXPORT_PATH: BAD_EXPORT})
    broken = commit_all(p.repo, "feature: bare dict")
    git(p.repo, "checkout", "-q", "main")
    before = p.fingerprint()
    res = p.push("feature")
    out = _summary(res)
    assert res.returncode != 0, out
    assert p.remote_sha("feature") is None
    assert _first_lines(out) == [
        f"guardrail {__version__}: checked {broken[:7]} feature -> origin/feature; "
        "the working tree (main) is not the pushed commit and was not checked"
    ], out
    assert f"{EXPORT_PATH}:72:" in out, out
    assert p.fingerprint() == before


MORE_TEST = "def test_more() -> None:\n    assert True\n"


def _two_branches(p: Pushing, *, broken: str | None) -> dict[str, str]:
    """``feature`` and ``main`` each one commit ahead of the remote; ``broken`` names the one
    whose commit has the bare dict returns."""
    shas = {}
    for branch in ("feature", "main"):
        git(p.repo, "checkout", "-q", "-B" if branch == "main" else "-b", branch, "origin/main")
        if broken == branch:
            write_files(p.repo, {EXPORT_PATH: BAD_EXPORT})
        else:
            write_files(p.repo, {f"backend/tests/test_{branch}.py": MORE_TEST})
        shas[branch] = commit_all(p.repo, f"{branch} work")
    return shas


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["main", "feature"])
def test_several_refs_one_broken_is_refused(
    pushing_factory: object, route: str, broken: str
) -> None:
    """5. ``git push origin main feature`` with one branch broken: refused, naming it.

    Through pre-commit and prek, which hand hooks only the first ref, the second branch is
    recovered from the running ``git push`` command line (hooks/push/gitpush.py)."""
    p = pushing_factory(motivating_files(fixed=True))  # type: ignore[operator]
    old_main = p.remote_sha("main")
    shas = _two_branches(p, broken=broken)
    before = p.fingerprint()
    res = p.push("main", "feature")
    out = _summary(res)
    assert res.returncode != 0, out
    assert p.remote_sha("main") == old_main and p.remote_sha("feature") is None
    assert f"{shas[broken][:7]} {broken} -> origin/{broken}" in out, out
    assert f"{EXPORT_PATH}:95:" in out, out
    assert p.fingerprint() == before
    if route == "install":
        good = "main" if broken == "feature" else "feature"
        assert f"checked {shas[good][:7]} {good} -> origin/{good}" in out, out
        blocked = f"Push blocked: {shas[broken][:7]} {broken} -> origin/{broken} did not pass."
        assert blocked in out, out


@pytest.mark.slow
def test_several_refs_all_good_go_through(pushing_factory: object) -> None:
    """5. Both branches good: the push goes through."""
    p = pushing_factory(motivating_files(fixed=True))  # type: ignore[operator]
    shas = _two_branches(p, broken=None)
    res = p.push("main", "feature")
    out = _summary(res)
    assert res.returncode == 0, out
    assert p.remote_sha("main") == shas["main"] and p.remote_sha("feature") == shas["feature"]
    if p.route == "install":
        assert "All 2 pushed commits passed" in out, out


SLOW_TEST = """\
import os
import time
from pathlib import Path


def test_waits_when_asked() -> None:
    marker = os.environ.get("GUARDRAIL_TEST_MARKER")
    if marker:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(300)
"""


def _wait_for(path: Path, proc: subprocess.Popen[str], limit: float = 300) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the test suite never started")


def _gone(pid: int, limit: float = 30) -> bool:
    """The process ended (a zombie counts: it runs nothing)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def _processes_inside(folder: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd.startswith(str(folder)):
                found.append(int(entry.name))
    return found


def _interrupt(cmd: list[str], p: Pushing, tmp_path: Path, stdin: str | None = None) -> int:
    """Start ``cmd`` as a terminal would (its own process group), Ctrl-C it once the project's
    tests are running, and return its exit code after checking nothing is left running."""
    marker = tmp_path / "pytest-started"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen(
        cmd,
        cwd=p.repo,
        env={**p.env, "GUARDRAIL_TEST_MARKER": str(marker)},
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    if stdin is not None and proc.stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
        proc.stdin = None
    pytest_pid = _wait_for(marker, proc)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert _gone(pytest_pid), f"the project's pytest {pytest_pid} outlived the interrupt\n{out}"
    assert _processes_inside(p.repo / ".git" / "guardrail") == [], out
    return proc.returncode


@pytest.mark.slow
@pytest.mark.posix_only("Ctrl-C is SIGINT to a terminal's process group; /proc")
def test_ctrl_c_during_a_snapshot_check(pushing_factory: object, tmp_path: Path) -> None:
    """6. Ctrl-C while the snapshot's tests run: nothing left running, nothing touched, the
    snapshot reusable; the guardrail itself exits 130."""
    p = pushing_factory(motivating_files(fixed=True))  # type: ignore[operator]
    old = p.remote_sha("main")
    # The tools see a scrubbed environment: pass the marker's variable to the test suite.
    pass_marker = '\n[tool.guardrail]\npass_env = ["GUARDRAIL_TEST_MARKER"]\n'
    pyproject = (p.repo / "backend/pyproject.toml").read_text() + pass_marker
    write_files(
        p.repo, {"backend/tests/test_slow.py": SLOW_TEST, "backend/pyproject.toml": pyproject}
    )
    new = commit_all(p.repo, "a test that can be made slow")
    write_files(p.repo, {"backend/notes.txt": "local, untracked\n", EXPORT_PATH: BAD_EXPORT})
    before = p.fingerprint()

    rc = _interrupt(["git", "push", "origin", "main"], p, tmp_path)
    assert rc != 0
    assert p.remote_sha("main") == old
    assert p.fingerprint() == before
    worktrees_in_order(p.repo)

    if p.route == "install":
        line = f"refs/heads/main {new} refs/heads/main {old}\n"
        cmd = [GUARDRAIL_EXE, "pre-push", "origin", str(p.remote)]
        assert _interrupt(cmd, p, tmp_path, stdin=line) == 130
        assert p.fingerprint() == before
        worktrees_in_order(p.repo)

    res = p.push("main")
    assert res.returncode == 0, _summary(res)
    assert p.remote_sha("main") == new
    assert p.fingerprint() == before
    assert len(worktrees_in_order(p.repo)) == 2


EDITABLE_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "calc"
version = "0.1.0"

[tool.setuptools]
package-dir = {{"" = "{base}"}}
packages = ["calc", "app"]

[tool.mypy]
strict = true

[tool.guardrail.mypy]
targets = ["{prefix}app"]
"""
CORE_GOOD = "def value() -> int:\n    return 1\n"
CORE_BAD = 'def value() -> str:\n    return "one"\n'
APP = "from calc.core import value\n\n\ndef doubled() -> int:\n    return value() * 2\n"
CALC_TEST = """\
from app.main import doubled
from calc.core import value


def test_value() -> None:
    assert value() == 1
    assert doubled() == 2
"""


def _editable_files(layout: str, core: str) -> dict[str, str]:
    prefix = "src/" if layout == "src" else ""
    return {
        ".gitignore": ".venv\n__pycache__/\n.mypy_cache/\n.pytest_cache/\n*.egg-info/\nbuild/\n",
        "pyproject.toml": EDITABLE_PYPROJECT.format(base=prefix.rstrip("/") or ".", prefix=prefix),
        f"{prefix}calc/__init__.py": "",
        f"{prefix}calc/core.py": core,
        f"{prefix}app/__init__.py": "",
        f"{prefix}app/main.py": APP,
        "tests/test_calc.py": CALC_TEST,
    }


def _editable_venv(where: Path, project: Path) -> Path:
    """A project venv with the project installed in editable mode, pointing at ``project``."""
    venv = make_project_venv(where)
    python = str(venv_python(venv))
    res = subprocess.run(
        [*PIP, "--python", python, "install", "-q", "--no-deps", "-e", str(project)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    found = subprocess.run(
        [python, "-c", "import calc.core; print(calc.core.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
    )
    assert found.stdout.strip().startswith(str(project)), found
    return venv


@pytest.mark.slow
@pytest.mark.parametrize("route", ["install"])
@pytest.mark.parametrize("layout", ["flat", "src"])
def test_editable_install_sees_the_snapshot(
    pushing_factory: object, tmp_path: Path, layout: str
) -> None:
    """4. The project is installed editable from the working tree; pytest and mypy still check
    the snapshot's code, in both directions."""
    prefix = "src/" if layout == "src" else ""
    repo = tmp_path / "repo"
    files = _editable_files(layout, CORE_GOOD)
    write_files(repo, files)
    venv = _editable_venv(tmp_path / "calc-venv", repo)
    p = pushing_factory(files, venv=venv)  # type: ignore[operator]
    assert p.repo == repo

    write_files(repo, {"tests/test_more.py": "def test_more() -> None:\n    pass\n"})
    good = commit_all(repo, "good commit")
    write_files(repo, {f"{prefix}calc/core.py": CORE_BAD})
    res = p.push("main")
    assert res.returncode == 0, _summary(res)
    assert p.remote_sha("main") == good

    commit_all(repo, "bad commit")
    write_files(repo, {f"{prefix}calc/core.py": CORE_GOOD})
    res = p.push("main")
    out = _summary(res)
    assert res.returncode != 0, out
    assert p.remote_sha("main") == good
    assert f"{prefix}app/main.py:5:" in out, out
    assert "tests/test_calc.py:6" in out, out
    assert "Push blocked: mypy, pytest did not pass." in out, out
