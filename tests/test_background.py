"""Background verification on commit: real commits fire the post-commit hook ``guardrail
install`` (or pre-commit, or prek) writes, the detached runner checks the commit in a push
snapshot, and real pushes to a bare remote find, join or outrank its verdict.

The project's one test can be held: a commit that holds ``slow.flag`` makes it wait for a gate
file the test creates, so a run is caught in the middle deterministically, whatever the load.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psutil
import pytest

from hooks.push import background as bg
from hooks.push.snapshot import snapshot_base
from tests.conftest import GUARDRAIL_EXE
from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    GIT_ENV,
    datasets_export_source,
    git,
    make_repo,
    motivating_files,
)
from tests.precommit_fixtures import HookRepo, Host
from tests.test_push import fingerprint

pytestmark = [pytest.mark.slow, pytest.mark.posix_only("a detached runner in its own session")]

WAIT = 240.0
T = TypeVar("T")

HELD_TEST = """\
import json
import time
from pathlib import Path

HERE = Path(__file__).parent
PATHS = json.loads((HERE / "held.json").read_text())


def test_held() -> None:
    with Path(PATHS["runs"]).open("a") as f:
        f.write("run\\n")
    if (HERE.parent / "slow.flag").exists():
        deadline = time.monotonic() + 300
        while not Path(PATHS["gate"]).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert True
"""

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"

[tool.mypy]
strict = true
"""


def held_files(gate: Path, runs: Path) -> dict[str, str]:
    return {
        "pyproject.toml": PYPROJECT,
        "demo/__init__.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
        "tests/test_held.py": HELD_TEST,
        "tests/held.json": json.dumps({"gate": str(gate), "runs": str(runs)}),
    }


@dataclass
class Repo:
    path: Path
    remote: Path
    gate: Path
    runs: Path
    env: dict[str, str]

    @property
    def state(self) -> Path:
        found = bg.folder(self.path)
        assert found is not None
        return found

    def commit(
        self,
        message: str,
        files: dict[str, str] | None = None,
        *,
        amend: bool = False,
        cwd: Path | None = None,
    ) -> str:
        where = cwd or self.path
        for rel, text in (files or {}).items():
            (where / rel).parent.mkdir(parents=True, exist_ok=True)
            (where / rel).write_text(text, encoding="utf-8")
        run(where, self.env, "git", "add", "-A")
        args = ["--amend", "--no-edit"] if amend else ["-m", message]
        run(where, self.env, "git", "commit", "-q", *args)
        return git(where, "rev-parse", "HEAD").stdout.strip()

    def status(self, sha: str) -> dict[str, object]:
        return bg.read_json(bg.status_path(self.state, sha)) or {}

    def wait_state(self, sha: str, *states: str) -> dict[str, object]:
        return wait_for(
            lambda: self.status(sha).get("state") in states,
            f"{sha[:7]} {states}",
            then=lambda: self.status(sha),
        )

    def push(self, *refspecs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "push", "origin", *refspecs],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def start_push(self, *refspecs: str) -> subprocess.Popen[str]:
        """``git push`` started, not waited for (its output piped)."""
        return subprocess.Popen(
            ["git", "push", "origin", *refspecs],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def gstatus(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(self.path, self.env, GUARDRAIL_EXE, "status", *args)

    def leftovers(self) -> list[str]:
        """Processes still working for this repository: the runner, a check, a tool."""
        places = (str(self.path.resolve()), str(snapshot_base(self.path)))
        found = []
        for p in psutil.process_iter(["pid", "cwd", "cmdline"]):
            cwd = p.info.get("cwd") or ""
            if p.pid != os.getpid() and cwd.startswith(places):
                found.append(f"{p.pid} {cwd} {' '.join(p.info.get('cmdline') or [])}")
        return found

    def settle(self) -> None:
        """Wait until the background has nothing left running, then assert nothing is left."""
        wait_for(
            lambda: not self.leftovers(),
            "no process left",
            then=lambda: None,
            detail=self.leftovers,
        )


def run(cwd: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def wait_for(
    ready: Callable[[], bool],
    what: str,
    *,
    then: Callable[[], T],
    detail: Callable[[], object] = lambda: "",
) -> T:
    deadline = time.monotonic() + WAIT
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {detail()}")
        time.sleep(0.1)
    return then()


def check_children(repo: Repo) -> list[psutil.Process]:
    """The running ``guardrail background check`` and every process under it."""
    for p in psutil.process_iter(["cmdline", "cwd"]):
        cmd = p.info.get("cmdline") or []
        if "background" in cmd and "check" in cmd and p.info.get("cwd") == str(repo.path):
            return [p, *p.children(recursive=True)]
    return []


def gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT_", "GIT_"))}
    env.update(GIT_ENV)
    return env


@pytest.fixture
def make(tmp_path: Path, project_venv: Path) -> Iterator[Callable[..., Repo]]:
    made: list[Repo] = []

    def factory(
        files: dict[str, str] | None = None,
        *,
        install: tuple[str, ...] = (GUARDRAIL_EXE, "install"),
        env: dict[str, str] | None = None,
    ) -> Repo:
        gate, runs = tmp_path / "gate", tmp_path / "runs"
        repo = make_repo(tmp_path / "repo", files or held_files(gate, runs), venv=project_venv)
        remote = tmp_path / "remote.git"
        git(tmp_path, "init", "-q", "--bare", str(remote))
        git(repo, "remote", "add", "origin", str(remote))
        git(repo, "push", "-q", "--no-verify", "-u", "origin", "main")
        the_env = env or _env()
        run(repo, the_env, *install)
        made.append(Repo(repo, remote, gate, runs, the_env))
        return made[-1]

    yield factory
    for repo in made:
        repo.gate.touch()  # release a held run, so that nothing outlives the test
        for p in check_children(repo):
            p.kill()


def test_commit_is_verified_in_the_background_and_the_push_finds_it(
    make: Callable[..., Repo],
) -> None:
    repo = make()
    hook = repo.path / ".git" / "hooks" / "post-commit"
    assert "background start" in hook.read_text()
    sha = repo.commit("more", {"demo/extra.py": "X = 1\n"})
    (repo.path / "demo" / "extra.py").write_text("X = 'uncommitted'\n")  # never checked
    before = fingerprint(repo.path)
    done = repo.wait_state(sha, "green", "red", "error")
    assert done["state"] == "green", done
    assert repo.runs.read_text().count("run") == 1
    repo.settle()
    assert fingerprint(repo.path) == before  # the working tree, the index, HEAD: untouched
    assert f"HEAD (main) {sha[:7]}, ahead 1 of origin/main: verified green" in repo.gstatus().stdout
    res = repo.push("main")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verified earlier at" in res.stdout + res.stderr, res.stdout + res.stderr
    assert repo.runs.read_text().count("run") == 1  # the push ran no test
    assert git(repo.remote, "rev-parse", "main").stdout.strip() == sha


def test_a_cached_push_imports_no_runner_and_asks_git_little(
    make: Callable[..., Repo], tmp_path: Path
) -> None:
    """The route of a push whose verdict the background found (bench/background.py's (b)): the
    pre-push hook as git runs it computes the key and answers, without importing the runner, the
    checks or the other report formats, and with eight git calls (each costs a process start)."""
    repo = make()
    sha = repo.commit("more", {"demo/extra.py": "X = 1\n"})
    assert repo.wait_state(sha, "green", "red", "error")["state"] == "green"
    repo.settle()
    base = git(repo.remote, "rev-parse", "main").stdout.strip()
    trace = tmp_path / "trace2.json"
    res = subprocess.run(
        [GUARDRAIL_EXE, "pre-push", "origin", str(repo.remote)],
        input=f"refs/heads/main {sha} refs/heads/main {base}\n",
        cwd=repo.path,
        env={**repo.env, "PYTHONPROFILEIMPORTTIME": "1", "GIT_TRACE2_EVENT": str(trace)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verified earlier at" in res.stdout + res.stderr, res.stdout + res.stderr
    imported = {
        line.split("|")[-1].strip()
        for line in res.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "hooks.engine.cache" in imported  # the key was computed
    unneeded = ("hooks.engine.run", "hooks.checks.registry", "hooks.report.junit")
    assert [m for m in unneeded if m in imported] == []
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    calls = [" ".join(e["argv"][1:3]) for e in events if e.get("event") == "start"]
    assert len(calls) <= 8, calls
    assert repo.runs.read_text().count("run") == 1  # the hook ran no test


def test_amend_cancels_the_running_verification(make: Callable[..., Repo]) -> None:
    repo = make()
    first = repo.commit("slow", {"slow.flag": ""})
    repo.wait_state(first, "running")
    wait_for(lambda: repo.runs.exists(), "the held test to start", then=lambda: None)
    old_tree = check_children(repo)
    assert old_tree, "no background check is running"
    second = repo.commit("slow", {"demo/extra.py": "X = 2\n"}, amend=True)
    done = repo.wait_state(first, "superseded")
    assert done["cause"] == f"superseded by {second[:7]} on main", done
    wait_for(
        lambda: all(gone(p) for p in old_tree),
        "the superseded check's processes to end",
        then=lambda: None,
        detail=lambda: [p for p in old_tree if not gone(p)],
    )
    repo.wait_state(second, "running")
    repo.gate.touch()
    assert repo.wait_state(second, "green", "red", "error")["state"] == "green"
    repo.settle()
    out = repo.gstatus().stdout
    assert f"HEAD (main) {second[:7]}" in out and "verified green" in out, out
    data = json.loads(repo.gstatus("--format", "json").stdout)
    assert [(c["sha"], c["state"]) for c in data["commits"]] == [(second, "green")]


def test_push_during_a_run_joins_it(make: Callable[..., Repo]) -> None:
    repo = make()
    sha = repo.commit("slow", {"slow.flag": ""})
    repo.wait_state(sha, "running")
    wait_for(lambda: repo.runs.exists(), "the held test to start", then=lambda: None)
    assert "running for" in repo.gstatus().stdout
    pushing = repo.start_push("main")
    err_lines: list[str] = []
    stream = pushing.stderr
    assert stream is not None
    reader = threading.Thread(target=lambda: err_lines.extend(iter(stream.readline, "")))
    reader.start()
    # The push has computed its key, found no verdict, and waits for the background run.
    wait_for(
        lambda: any("guardrail: verifying since" in line for line in err_lines),
        "the push to join the run",
        then=lambda: None,
        detail=lambda: "".join(err_lines),
    )
    repo.gate.touch()
    out = pushing.stdout.read() if pushing.stdout is not None else ""
    pushing.wait(timeout=600)
    reader.join()
    err = "".join(err_lines)
    assert pushing.returncode == 0, out + err
    assert "verified earlier at" in out + err, out + err
    assert repo.runs.read_text().count("run") == 1  # one run of the tests, not two
    repo.settle()


def test_push_of_a_red_commit_is_refused_with_the_background_summary(
    make: Callable[..., Repo],
) -> None:
    repo = make(motivating_files(fixed=True))

    sha = repo.commit("bare dict", {EXPORT_PATH: datasets_export_source(fixed=False)})
    done = repo.wait_state(sha, "green", "red", "error")
    assert done["state"] == "red", done
    cause = f"mypy (backend) failed: 3 errors in 1 file, first at {EXPORT_PATH}:{BAD_LINES[0]}:"
    assert str(done["cause"]).startswith(cause), done
    repo.settle()
    status = repo.gstatus().stdout
    assert f"HEAD (main) {sha[:7]}, ahead 1 of origin/main: red: {cause}" in status, status
    verdicts = sorted((repo.path / ".git" / "guardrail" / "verdicts").glob("*.json"))
    res = repo.push("main")
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "found earlier at" in out, out
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in out, out
    assert "Push blocked: mypy failed." in out, out
    assert git(repo.remote, "rev-parse", "main").stdout.strip() != sha
    # Nothing ran again: no verdict was added.
    assert sorted((repo.path / ".git" / "guardrail" / "verdicts").glob("*.json")) == verdicts


def test_a_killed_run_leaves_no_verdict(make: Callable[..., Repo]) -> None:
    repo = make()
    sha = repo.commit("slow", {"slow.flag": ""})
    repo.wait_state(sha, "running")
    wait_for(lambda: repo.runs.exists(), "the held test to start", then=lambda: None)
    tree = check_children(repo)
    assert tree
    for p in tree:
        p.send_signal(signal.SIGKILL)
    done = repo.wait_state(sha, "cancelled", "error", "green", "red")
    assert done["state"] == "cancelled" and "killed" in str(done["cause"]), done
    repo.settle()
    assert "not verified" in repo.gstatus().stdout
    assert not list((repo.path / ".git" / "guardrail" / "verdicts").glob("*.json"))
    repo.gate.touch()
    res = repo.push("main")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verified earlier" not in res.stdout + res.stderr


def test_commits_on_two_worktrees_queue_and_never_cancel(make: Callable[..., Repo]) -> None:
    repo = make()
    other = repo.path.parent / "other"
    git(repo.path, "worktree", "add", "-q", "-b", "feature", str(other))
    first = repo.commit("slow", {"slow.flag": ""})
    repo.wait_state(first, "running")
    second = repo.commit("feature", {"demo/feature.py": "Y = 1\n"}, cwd=other)
    assert repo.wait_state(second, "queued")["state"] == "queued"
    time.sleep(0.5)
    assert repo.status(first)["state"] == "running"  # another branch queues, never cancels
    repo.gate.touch()
    assert repo.wait_state(first, "green", "red", "error")["state"] == "green"
    assert repo.wait_state(second, "green", "red", "error")["state"] == "green"
    repo.settle()
    git(repo.path, "worktree", "remove", "--force", str(other))


def held_on_feature(repo: Repo) -> str:
    """A commit on a new branch ``feature`` whose background run is held in its test; back on
    ``main`` after it."""
    git(repo.path, "checkout", "-q", "-b", "feature")
    held = repo.commit("slow", {"slow.flag": ""})
    repo.wait_state(held, "running")
    wait_for(lambda: repo.runs.exists(), "the held test to start", then=lambda: None)
    git(repo.path, "checkout", "-q", "main")
    return held


def test_push_outranks_a_run_of_other_content(make: Callable[..., Repo]) -> None:
    repo = make()
    held = held_on_feature(repo)
    quick = repo.commit("quick", {"demo/extra.py": "X = 3\n"})
    res = repo.push("main")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verifying since" not in res.stderr
    assert git(repo.remote, "rev-parse", "main").stdout.strip() == quick
    # The held run was cancelled for the push and queued again; it completes later. The
    # test ran three times: the cancelled run, the push's, the held commit's again (the quick
    # commit's own background run finds the push's verdict).
    repo.gate.touch()
    assert repo.wait_state(held, "green", "red", "error")["state"] == "green"
    assert repo.wait_state(quick, "green", "red", "error")["state"] == "green"
    repo.settle()
    assert repo.runs.read_text().count("run") == 3


def test_push_outranks_a_run_of_its_content_that_began_after_it(make: Callable[..., Repo]) -> None:
    """A run of the pushed content that started after ``git push`` did is no further along than
    the push: the push checks the content itself and the runner cancels that run (it is queued
    again, and then finds the push's verdict) instead of the push waiting for a niced run."""
    repo = make()
    held_on_feature(repo)
    pushed = repo.commit("slow too", {"slow.flag": "", "demo/extra.py": "X = 3\n"})
    assert repo.wait_state(pushed, "queued")["state"] == "queued"  # behind the other branch's
    # The push begins (git has read its refs and runs the pre-push hook), but the hook waits
    # for a gate before it starts the guardrail.
    hook = repo.path / ".git" / "hooks" / "pre-push"
    push_gate = repo.path.parent / "push-gate"
    wait = f"while [ ! -e '{push_gate}' ]; do sleep 0.05; done\n"
    hook.write_text(hook.read_text().replace("exec ", wait + "exec ", 1))
    pushing = repo.start_push("main")
    wait_for(lambda: bool(psutil.Process(pushing.pid).children()), "the hook", then=lambda: None)
    # The other branch's run ends; the runner starts the pushed commit's, after the push began.
    for p in check_children(repo):
        p.kill()
    repo.wait_state(pushed, "running")
    wait_for(lambda: repo.runs.read_text().count("run") == 2, "its test", then=lambda: None)
    push_gate.touch()
    # The push claims its content: the runner cancels the younger run and queues it again,
    # while the push runs the checks itself (its test waits for the gate too).
    repo.wait_state(pushed, "queued")
    wait_for(lambda: repo.runs.read_text().count("run") == 3, "the push's test", then=lambda: None)
    repo.gate.touch()
    out, err = pushing.communicate(timeout=600)
    assert pushing.returncode == 0, out + err
    assert "verifying since" not in err, err
    assert git(repo.remote, "rev-parse", "main").stdout.strip() == pushed
    # The requeued run finds the push's verdict: the test ran three times (the other branch's
    # killed run, the pushed commit's cancelled run, the push's), not a fourth.
    assert repo.wait_state(pushed, "green", "red", "error")["state"] == "green"
    repo.settle()
    assert repo.runs.read_text().count("run") == 3


def test_a_run_goes_on_while_some_push_will_join_it() -> None:
    """With several pushes at once, a run is kept while one of them will join it (it sends the
    run's content and began before the run); else the push of other content, or the push of
    the same content that began first, outranks it."""
    started = 1000.0
    joins = bg.LivePush(frozenset({"T"}), since=started + 1)
    began_first = bg.LivePush(frozenset({"T"}), since=started - 1)
    other = bg.LivePush(frozenset({"U"}), since=started + 1)
    assert bg.outranked([], "T", started) is None
    assert bg.outranked([joins], "T", started) is None
    assert bg.outranked([joins, other], "T", started) is None
    assert bg.outranked([began_first, joins], "T", started) is None
    assert bg.outranked([other], "T", started) == "a push of other content outranked it"
    assert bg.outranked([began_first, other], "T", started) == (
        "a push of the same content, begun before it, outranked it"
    )


def test_background_through_a_hook_manager(
    make: Callable[..., Repo], host: Host, hook_repo: HookRepo
) -> None:
    """The ``guardrail-background`` hook id at the post-commit stage, installed by the hook
    manager from ``default_install_hook_types``; the push through its pre-push stage finds the
    verdict."""
    config = (
        "default_install_hook_types: [pre-push, post-commit]\n"
        "repos:\n"
        f"  - repo: {hook_repo.path}\n"
        f"    rev: {hook_repo.rev}\n"
        "    hooks:\n"
        "      - id: guardrail\n"
        "        stages: [pre-push]\n"
        "        verbose: true\n"
        "      - id: guardrail-background\n"
    )
    gate, runs = hook_repo.path.parent / "gate", Path(os.devnull)
    files = {**held_files(gate, runs), ".pre-commit-config.yaml": config}
    repo = make(files, install=(*host.argv, "install"), env=host.env)
    assert (repo.path / ".git" / "hooks" / "post-commit").is_file()
    sha = repo.commit("more", {"demo/extra.py": "X = 4\n"})
    done = repo.wait_state(sha, "green", "red", "error")
    assert done["state"] == "green", done
    repo.settle()
    res = repo.push("main")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "verified earlier at" in out, out


def test_install_writes_the_post_commit_hook_unless_told_not_to(
    tmp_path: Path, guardrail: Callable[..., object]
) -> None:
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": PYPROJECT})
    hooks = repo / ".git" / "hooks"
    run = guardrail(repo, "install")
    assert run.code == 0 and "installed the post-commit hook" in run.out, run  # type: ignore[attr-defined]
    assert "background start" in (hooks / "post-commit").read_text()
    run = guardrail(repo, "install", "--no-background")
    assert "removed the post-commit hook" in run.out, run  # type: ignore[attr-defined]
    assert not (hooks / "post-commit").exists() and (hooks / "pre-push").exists()
    (hooks / "post-commit").write_text("#!/bin/sh\necho mine\n")
    run = guardrail(repo, "install")
    assert "kept" in run.out and "not verified in the background" in run.out, run  # type: ignore[attr-defined]
    assert (hooks / "post-commit").read_text() == "#!/bin/sh\necho mine\n"
    assert guardrail(repo, "install", "--force").code == 0  # type: ignore[attr-defined]
    assert "background start" in (hooks / "post-commit").read_text()
    run = guardrail(repo, "uninstall")
    assert "removed the post-commit hook" in run.out and "restored" in run.out, run  # type: ignore[attr-defined]
    assert (hooks / "post-commit").read_text() == "#!/bin/sh\necho mine\n"


def test_status_says_not_verified_without_any_background_run(
    tmp_path: Path, guardrail: Callable[..., object]
) -> None:
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": PYPROJECT})
    sha = git(repo, "rev-parse", "HEAD").stdout.strip()
    run = guardrail(repo, "status")
    assert run.out == f"HEAD (main) {sha[:7]}: not verified\n", run  # type: ignore[attr-defined]
    data = json.loads(guardrail(repo, "status", "--format", "json").out)  # type: ignore[attr-defined]
    assert data["commits"][0]["state"] == "not verified"
