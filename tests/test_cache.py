"""The verdict cache on real repositories: a hit skips every tool, any key part change reruns.

Each repository's test suite appends a line to a counter file outside the repository, so "the
checks ran" is observed from the tools' side, not inferred from the summary.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sysconfig
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hooks.engine.cache import Store, Verdicts, all_green, worktree_tree
from hooks.engine.gate import RunOptions, run_tree
from hooks.findings import CheckResult, Status
from tests.fixtures import git, make_project_venv, make_repo

CACHED = "cached; --no-cache to rerun"

PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"

[tool.ruff]
line-length = 400

[tool.mypy]
strict = true
"""

CORE = '''\
"""Prices."""


def total(prices: list[int]) -> int:
    return sum(prices)
'''


def _test_module(counter: Path) -> str:
    return f'''\
from pathlib import Path

from shop.core import total

COUNTER = Path("{counter}")


def test_total() -> None:
    with COUNTER.open("a") as f:
        f.write("ran\\n")
    assert total([1, 2]) == 3
'''


class Repo:
    """A green one-project repository with its own venv and a counter of test runs."""

    def __init__(self, tmp: Path) -> None:
        self.counter = tmp / "counter.txt"
        self.venv = make_project_venv(tmp / "venv")
        self.root = make_repo(
            tmp / "repo",
            {
                "pyproject.toml": PYPROJECT,
                "shop/__init__.py": "",
                "shop/core.py": CORE,
                "tests/__init__.py": "",
                "tests/test_core.py": _test_module(self.counter),
            },
            venv=self.venv,
        )

    def runs(self) -> int:
        return len(self.counter.read_text().splitlines()) if self.counter.exists() else 0

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).write_text(text, encoding="utf-8")

    def site_packages(self) -> Path:
        version = sysconfig.get_python_version()
        return self.venv / "lib" / f"python{version}" / "site-packages"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def _dist_info(site: Path, name: str, version: str) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    return info


def _change_source(repo: Repo) -> None:
    repo.write("shop/core.py", CORE.replace("return sum(prices)", "return sum(prices, 0)"))


def _change_test(repo: Repo) -> None:
    text = (repo.root / "tests/test_core.py").read_text()
    extra = "\n\ndef test_empty() -> None:\n    assert not total([])\n"
    repo.write("tests/test_core.py", text + extra)


def _add_untracked(repo: Repo) -> None:
    repo.write("shop/extra.py", "VALUE = 1\n")


def _change_config(repo: Repo) -> None:
    repo.write("pyproject.toml", PYPROJECT + '\n[tool.guardrail.pytest]\nargs = ["-q"]\n')


def _install_dependency(repo: Repo) -> None:
    _dist_info(repo.site_packages(), "tinydep", "1.0")


def _replace_interpreter(repo: Repo) -> None:
    other = make_project_venv(repo.root.parent / "other-venv")
    (repo.root / ".venv").unlink()
    (repo.root / ".venv").symlink_to(other, target_is_directory=True)


CHANGES: dict[str, Callable[[Repo], None]] = {
    "source file": _change_source,
    "test file": _change_test,
    "untracked file": _add_untracked,
    "config": _change_config,
    "installed dependency": _install_dependency,
    "interpreter": _replace_interpreter,
}


@pytest.mark.slow
@pytest.mark.parametrize("change", list(CHANGES))
def test_every_key_part_change_reruns_the_checks(repo: Repo, guardrail: Any, change: str) -> None:
    first = guardrail(repo.root, "run")
    assert first.code == 0, first
    assert CACHED not in first.out
    assert repo.runs() == 1

    hit = guardrail(repo.root, "run")
    assert hit.code == 0, hit
    assert "verified earlier at " in hit.out and CACHED in hit.out, hit
    assert "All 4 checks passed" in hit.out
    assert repo.runs() == 1, "a cache hit must not start any tool"

    CHANGES[change](repo)
    again = guardrail(repo.root, "run")
    assert again.code == 0, again
    assert CACHED not in again.out, f"stale verdict after changing the {change}"
    assert repo.runs() == 2

    assert CACHED in guardrail(repo.root, "run").out
    assert repo.runs() == 2


@pytest.mark.slow
def test_dependency_version_change_reruns(repo: Repo, guardrail: Any) -> None:
    info = _dist_info(repo.site_packages(), "tinydep", "1.0")
    assert guardrail(repo.root, "run").code == 0
    assert CACHED in guardrail(repo.root, "run").out
    shutil.rmtree(info)
    _dist_info(repo.site_packages(), "tinydep", "1.1")
    run = guardrail(repo.root, "run")
    assert CACHED not in run.out, run
    assert repo.runs() == 2
    shutil.rmtree(repo.site_packages() / "tinydep-1.1.dist-info")
    run = guardrail(repo.root, "run")
    assert CACHED not in run.out, "uninstalling a dependency must rerun the checks"
    assert repo.runs() == 3


@pytest.mark.slow
def test_selection_and_tool_environment_are_part_of_the_key(
    repo: Repo, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert guardrail(repo.root, "run").code == 0
    only = guardrail(repo.root, "run", "--only", "pytest")
    assert CACHED not in only.out, "a full verdict is not a verdict for a different selection"
    assert repo.runs() == 2
    # The tools see only a scrubbed environment (hooks/toolenv.py), and the key holds all of it:
    # a variable they never see changes nothing; once passed, its value is part of the key.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-q")
    run = guardrail(repo.root, "run")
    assert CACHED in run.out, run
    assert repo.runs() == 2
    run = guardrail(repo.root, "run", "--pass-env", "PYTEST_ADDOPTS")
    assert CACHED not in run.out, run
    assert repo.runs() == 3
    monkeypatch.setenv("PYTEST_ADDOPTS", "-v")
    run = guardrail(repo.root, "run", "--pass-env", "PYTEST_ADDOPTS")
    assert CACHED not in run.out, run
    assert repo.runs() == 4


@pytest.mark.slow
def test_extra_config_layer_is_part_of_the_key(repo: Repo) -> None:
    plain = run_tree(repo.root, RunOptions(), target="t")
    assert plain.exit_code == 0 and plain.info.cached is None
    assert run_tree(repo.root, RunOptions(), target="t").info.cached is not None
    layered = RunOptions(layers=({"pytest.args": ("-q",)},))
    assert run_tree(repo.root, layered, target="t").info.cached is None
    assert repo.runs() == 2


@pytest.mark.slow
def test_ignored_files_and_the_index_do_not_change_the_key(repo: Repo, guardrail: Any) -> None:
    assert guardrail(repo.root, "run").code == 0
    (repo.root / ".mypy_cache").mkdir(exist_ok=True)
    (repo.root / ".mypy_cache" / "junk").write_text("x")
    _change_source(repo)
    git(repo.root, "add", "shop/core.py")
    assert guardrail(repo.root, "run").code == 0
    git(repo.root, "reset", "-q", "shop/core.py")
    run = guardrail(repo.root, "run")
    assert CACHED in run.out, "staging does not change the content checked"
    assert repo.runs() == 2


@pytest.mark.slow
def test_no_cache_flag_and_config_key_turn_it_off(repo: Repo, guardrail: Any) -> None:
    assert guardrail(repo.root, "run").code == 0
    run = guardrail(repo.root, "run", "--no-cache")
    assert run.code == 0 and CACHED not in run.out
    assert repo.runs() == 2
    repo.write("pyproject.toml", PYPROJECT + "\n[tool.guardrail]\ncache = false\n")
    for expected in (3, 4):
        run = guardrail(repo.root, "run")
        assert CACHED not in run.out
        assert repo.runs() == expected
    store = Store.for_repo(repo.root)
    assert store is not None


@pytest.mark.slow
def test_failing_run_is_never_recorded(repo: Repo, guardrail: Any) -> None:
    repo.write("shop/core.py", CORE.replace("return sum(prices)", "return sum(prices) + 1"))
    for expected in (1, 2):
        run = guardrail(repo.root, "run")
        assert run.code == 1, run
        assert CACHED not in run.out
        assert repo.runs() == expected
    store = Store.for_repo(repo.root)
    assert store is not None and not list(store.folder.glob("*.json"))


@pytest.mark.slow
def test_content_changed_during_the_run_is_not_recorded(repo: Repo, guardrail: Any) -> None:
    """The tools saw other content than the key names, so the verdict is not the key's.

    The suite rewrites a tracked file while it runs; once the file is restored to what the key
    was computed from, the run must not be a hit.
    """
    repo.write("data.txt", "before\n")
    text = (repo.root / "tests/test_core.py").read_text()
    data = f'"{repo.root / "data.txt"}"'
    extra = (
        f'\n\ndef test_rewrites_tracked_file() -> None:\n    Path({data}).write_text("after\\n")\n'
    )
    repo.write("tests/test_core.py", text + extra)
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "suite writes data.txt")
    for expected in (1, 2):
        run = guardrail(repo.root, "run")
        assert run.code == 0, run
        assert CACHED not in run.out
        assert repo.runs() == expected
        assert (repo.root / "data.txt").read_text() == "after\n"
        git(repo.root, "checkout", "--", "data.txt")


def _git_state(root: Path) -> tuple[str, ...]:
    """Status, index, staged diff, and the content of every file under .git but the verdicts.

    Content, not mtimes: git freshens the mtime of an object it finds already stored.
    """
    state = (
        git(root, "--no-optional-locks", "status", "--porcelain").stdout,
        git(root, "ls-files", "--stage").stdout,
        git(root, "diff", "--cached").stdout,
    )
    files = sorted(
        f"{p.relative_to(root)} {hashlib.sha256(p.read_bytes()).hexdigest()}"
        for p in (root / ".git").rglob("*")
        if p.is_file() and "guardrail" not in p.relative_to(root / ".git").parts
    )
    return (*state, *files)


@pytest.mark.slow
def test_the_users_index_and_tree_are_untouched(repo: Repo, guardrail: Any) -> None:
    _change_source(repo)
    git(repo.root, "add", "shop/core.py")
    _add_untracked(repo)
    repo.write("shop/core.py", CORE + "\n\nVAT = 20\n")
    before = _git_state(repo.root)
    assert guardrail(repo.root, "run").code == 0
    assert CACHED in guardrail(repo.root, "run").out
    assert _git_state(repo.root) == before


@pytest.mark.slow
def test_a_known_tree_keys_the_cache_whatever_the_folder(repo: Repo) -> None:
    """The pushed commit's tree id is the content key: a clone of it hits the same verdict."""
    head_tree = git(repo.root, "rev-parse", "HEAD^{tree}").stdout.strip()
    assert worktree_tree(repo.root) == head_tree
    first = run_tree(repo.root, RunOptions(), target="t", tree=head_tree)
    assert first.exit_code == 0 and first.info.cached is None
    second = run_tree(repo.root, RunOptions(), target="t", tree=head_tree)
    assert second.info.cached is not None
    assert [r.check for r in second.results] == ["ruff-check", "ruff-format", "mypy", "pytest"]
    assert all(r.status is Status.PASSED for r in second.results)
    assert repo.runs() == 1


def test_worktree_tree_outside_git_is_none(tmp_path: Path) -> None:
    assert worktree_tree(tmp_path) is None
    assert Store.for_repo(tmp_path) is None


def _green(check: str) -> CheckResult:
    return CheckResult(check=check, project=".", status=Status.PASSED, counts="ok")


def test_only_green_results_are_recorded(tmp_path: Path) -> None:
    store = Store(tmp_path / "verdicts")
    assert not all_green([])
    assert not all_green([CheckResult("mypy", ".", Status.SKIPPED)])
    assert not all_green([_green("ruff-check"), CheckResult("pytest", ".", Status.NOT_RUN)])
    store.record("k1", {}, [_green("ruff-check"), CheckResult("mypy", ".", Status.FAILED)])
    assert store.lookup("k1") is None
    store.record("k2", {}, [_green("ruff-check"), CheckResult("mypy", ".", Status.SKIPPED)])
    hit = store.lookup("k2")
    assert hit is not None
    assert [(r.check, r.status) for r in hit.results] == [
        ("ruff-check", Status.PASSED),
        ("mypy", Status.SKIPPED),
    ]


def test_corrupt_or_foreign_entries_are_misses(tmp_path: Path) -> None:
    store = Store(tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"key": "x", "verified_at": 1, "results": []}')
    (tmp_path / "red.json").write_text(
        '{"key": "red", "verified_at": 1, "results": [{"status": "failed"}]}'
    )
    assert store.lookup("bad") is None
    assert store.lookup("other") is None
    assert store.lookup("red") is None


def test_concurrent_writers_never_leave_half_a_verdict(tmp_path: Path) -> None:
    store = Store(tmp_path / "verdicts")
    results = [_green(c) for c in ("ruff-check", "ruff-format", "mypy", "pytest")]
    seen: list[object] = []
    stop = threading.Event()

    def write() -> None:
        for _ in range(50):
            store.record("same", {"pad": "x" * 20000}, results)

    def read() -> None:
        while not stop.is_set():
            if (store.folder / "same.json").exists():
                seen.append(store.lookup("same"))

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write) for _ in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert seen and all(hit is not None for hit in seen)
    assert [p.name for p in store.folder.iterdir()] == ["same.json"]


def test_old_verdicts_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hooks.engine.cache.KEEP", 3)
    store = Store(tmp_path)
    for i in range(6):
        store.record(f"k{i}", {}, [_green("mypy")])
        os.utime(tmp_path / f"k{i}.json", (i, i))
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["k3.json", "k4.json", "k5.json"]


def test_verdicts_open_needs_a_repository(tmp_path: Path) -> None:
    assert Verdicts.open(tmp_path, tree=None, version="0", projects=[], selected=[]) is None


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_key_hashes_a_hidden_file_edited_to_the_same_size_and_time(
    tmp_path: Path, flag: str
) -> None:
    """git trusts a file's recorded size and time once its flag is cleared; a same-size edit
    that keeps the time (a write within one clock tick) must still change the key."""
    repo = make_repo(tmp_path / "repo", {"mod.py": "VALUE = 1\n"})
    clean = worktree_tree(repo)
    git(repo, "update-index", flag, "mod.py")
    before = (repo / "mod.py").stat()
    (repo / "mod.py").write_text("import os\n")
    os.utime(repo / "mod.py", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (repo / "mod.py").stat().st_size == before.st_size
    assert worktree_tree(repo) != clean
    assert git(repo, "ls-files", "-v", "mod.py").stdout[0] in "hS", "the user's index keeps it"


def test_red_verdicts_are_given_only_to_lookups_that_ask(tmp_path: Path) -> None:
    """A completed red run is kept with its findings, for a push; one where a check could not
    run says nothing about the content and is never kept."""
    from hooks.findings import Finding

    store = Store(tmp_path / "verdicts")
    bad = Finding("mypy", "app.py", 3, 5, "type-arg", "Missing type parameters")
    failed = CheckResult("mypy", ".", Status.FAILED, findings=(bad,), counts="1 error")
    store.record("red", {}, [_green("ruff-check"), failed], red=True)
    assert store.lookup("red") is None
    hit = store.lookup("red", red=True)
    assert hit is not None and not hit.green and "found earlier" in hit.line()
    assert hit.results[1].findings == (bad,) and hit.results[1].counts == "1 error"
    store.record("not-asked", {}, [_green("ruff-check"), failed])
    assert store.lookup("not-asked", red=True) is None
    errored = CheckResult("pytest", ".", Status.ERROR, message="timed out")
    store.record("error", {}, [failed, errored], red=True)
    assert store.lookup("error", red=True) is None
