"""What a push contains, which projects it touches, and the plain git hook's install."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from hooks.errors import GuardrailError
from hooks.githook import MARKER
from hooks.push.refs import (
    Push,
    PushedRef,
    describe,
    from_pre_commit,
    parse_pre_push,
    targets,
    touches,
)
from hooks.push.snapshot import snapshot, snapshot_base
from tests.fixtures import commit_all, git, make_repo, motivating_files, write_files

Z = "0" * 40


def test_parse_pre_push_lines() -> None:
    text = (
        f"refs/heads/main {'a' * 40} refs/heads/main {'b' * 40}\n"
        f"(delete) {Z} refs/heads/old {'c' * 40}\n\n"
    )
    main, old = parse_pre_push(text)
    assert (main.local_ref, main.remote_sha, main.deletion, main.new_branch) == (
        "refs/heads/main",
        "b" * 40,
        False,
        False,
    )
    assert old.deletion and old.remote_ref == "refs/heads/old"
    with pytest.raises(GuardrailError, match="line 1"):
        parse_pre_push("main abc\n")


def test_touches_follows_folder_boundaries() -> None:
    changed = frozenset({"backend/app.py", "docs/x.md"})
    assert touches("backend", changed)
    assert not touches("back", changed)
    assert not touches("frontend", changed)
    assert touches(".", changed)
    assert not touches(".", frozenset())


@pytest.fixture
def two_projects(tmp_path: Path) -> Path:
    files = {
        "backend/pyproject.toml": "[project]\nname = 'b'\n",
        "backend/b.py": "B = 1\n",
        "tools/pyproject.toml": "[project]\nname = 't'\n",
        "tools/t.py": "T = 1\n",
    }
    repo = make_repo(tmp_path / "mono", files)
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    return repo


def _sha(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "rev-parse", rev).stdout.strip()


def test_targets_one_per_commit_deletions_skipped_new_branch_against_the_remote(
    two_projects: Path,
) -> None:
    repo = two_projects
    base = _sha(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"backend/b.py": "B = 2\n"})
    feature = commit_all(repo, "backend change")
    refs = (
        PushedRef("refs/heads/feature", feature, "refs/heads/feature", Z),
        PushedRef("refs/heads/copy", feature, "refs/heads/copy", Z),
        PushedRef("(delete)", Z, "refs/heads/gone", base),
    )
    (target,) = targets(repo, Push("origin", refs))
    assert target.sha == feature
    assert [r.remote_ref for r in target.refs] == ["refs/heads/feature", "refs/heads/copy"]
    assert target.changed == frozenset({"backend/b.py"})
    assert describe(target, "origin") == (
        f"{feature[:7]} feature -> origin/feature, copy -> origin/copy"
    )

    update = PushedRef("refs/heads/main", feature, "refs/heads/main", base)
    (target,) = targets(repo, Push("origin", (update,)))
    assert target.changed == frozenset({"backend/b.py"})


def test_an_annotated_tag_is_checked_as_its_commit(two_projects: Path) -> None:
    repo = two_projects
    head = _sha(repo)
    git(repo, "tag", "-a", "-m", "release", "v1")
    tag = _sha(repo, "refs/tags/v1")
    assert tag != head
    ref = PushedRef("refs/tags/v1", tag, "refs/tags/v1", Z)
    (target,) = targets(repo, Push("origin", (ref,)))
    assert target.sha == head
    assert describe(target, "origin") == f"{head[:7]} v1 -> origin/v1"


def test_a_range_with_the_root_commit_checks_everything(two_projects: Path) -> None:
    head = _sha(two_projects)
    ref = PushedRef("refs/heads/main", head, "refs/heads/main", Z)
    (target,) = targets(two_projects, Push("elsewhere", (ref,)))
    assert target.changed is None


def test_pre_commit_environment(two_projects: Path) -> None:
    repo = two_projects
    head = _sha(repo)
    assert from_pre_commit({}, repo) is None
    env = {
        "PRE_COMMIT_FROM_REF": head,
        "PRE_COMMIT_TO_REF": "HEAD",
        "PRE_COMMIT_REMOTE_NAME": "origin",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
    }
    pushed = from_pre_commit(env, repo)
    assert pushed == Push("origin", (PushedRef("refs/heads/main", head, "refs/heads/main", head),))
    root_push = {
        "PRE_COMMIT_REMOTE_NAME": "origin",
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
    }
    pushed = from_pre_commit(root_push, repo)
    assert pushed is not None and pushed.refs[0].local_sha == head
    assert pushed.refs[0].new_branch


def _pre_push(
    guardrail: Any, monkeypatch: pytest.MonkeyPatch, repo: Path, lines: str, *argv: str
) -> Any:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    return guardrail(repo, "pre-push", "origin", "unused-url", *argv)


def _commit_on_main(repo: Path, files: dict[str, str]) -> tuple[str, str, str]:
    """Commit ``files`` on main; (the commit before, the new one, git's pre-push line)."""
    before = _sha(repo)
    write_files(repo, files)
    head = commit_all(repo, f"change {', '.join(files)}")
    return before, head, f"refs/heads/main {head} refs/heads/main {before}\n"


CHANGED_ONLY = "[project]\nname = '{name}'\n\n[tool.guardrail]\npush = \"changed\"\n"


def test_push_changed_skips_an_untouched_project_and_always_is_still_accepted(
    two_projects: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every project is checked on every push unless it sets push = "changed" (issue 11 row 8:
    this test asserted the old rule, "only the projects the push touches", which let a push of a
    shared config, data file or sibling library check nothing). ``always = true``, the old way to
    ask for every push, is still accepted."""
    repo = two_projects
    write_files(repo, {"tools/pyproject.toml": CHANGED_ONLY.format(name="t")})
    commit_all(repo, "tools: only when changed")
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    _, head, line = _commit_on_main(repo, {"backend/b.py": "B = 2\n"})
    run = _pre_push(guardrail, monkeypatch, repo, line, "--only", "ruff-check")
    assert run.code == 0, run
    assert run.out.startswith(f"guardrail {_version()}: checked {head[:7]} main -> origin/main")
    assert (
        'note: not checked: tools (push = "changed" and the push changes nothing in it)' in run.out
    ), run
    assert "  tools: python" not in run.out and "  backend: python" in run.out, run

    write_files(
        repo, {"tools/pyproject.toml": "[project]\nname = 't'\n\n[tool.guardrail]\nalways = true\n"}
    )
    middle = commit_all(repo, "tools: always")
    write_files(repo, {"backend/b.py": "B = 3\n"})
    head = commit_all(repo, "backend again")
    line = f"refs/heads/main {head} refs/heads/main {middle}\n"
    run = _pre_push(guardrail, monkeypatch, repo, line, "--only", "ruff-check")
    assert run.code == 0, run
    assert "ruff-check (tools)" in run.out and "ruff-check (backend)" in run.out, run
    assert "not checked" not in run.out, run

    snapshot = snapshot_base(repo) / "0"
    assert snapshot.is_dir()
    run = guardrail(repo, "uninstall")
    assert run.code == 0 and "removed 1 snapshot worktree(s)" in run.out, run
    assert not snapshot.exists()
    assert len(git(repo, "worktree", "list").stdout.splitlines()) == 1


def test_a_push_that_changes_no_project_checks_every_project(
    two_projects: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push that changes only a file outside every project (a README, a shared config, a data
    file the tests read) still checks every project, as CI with no path filter does (issue 11
    row 8: this test asserted the old "Nothing to check")."""
    repo = two_projects
    base = _sha(repo)
    write_files(repo, {"README.md": "# mono\n"})
    head = commit_all(repo, "docs")
    run = _pre_push(
        guardrail, monkeypatch, repo, f"main {head} main {base}\n", "--only", "ruff-check"
    )
    assert run.code == 0, run
    assert "ruff-check (tools)" in run.out and "ruff-check (backend)" in run.out, run
    assert "not checked" not in run.out and "Nothing to check" not in run.out, run
    deletion = _pre_push(guardrail, monkeypatch, repo, f"(delete) {Z} refs/heads/x {base}\n")
    assert deletion.code == 0 and "the push sends no commit" in deletion.out, deletion


def test_push_changed_projects_untouched_by_the_push_check_nothing(
    two_projects: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = two_projects
    write_files(
        repo,
        {
            "backend/pyproject.toml": CHANGED_ONLY.format(name="b"),
            "tools/pyproject.toml": CHANGED_ONLY.format(name="t"),
        },
    )
    base = commit_all(repo, "both only when changed")
    write_files(repo, {"README.md": "# mono\n"})
    head = commit_all(repo, "docs")
    run = _pre_push(guardrail, monkeypatch, repo, f"main {head} main {base}\n")
    assert run.code == 0, run
    assert (
        "Nothing to check: the push changes none of the projects (backend, tools), which all set "
        'push = "changed".' in run.out
    ), run


def _version() -> str:
    from hooks import __version__

    return __version__


def test_install_writes_a_marked_executable_hook_and_uninstall_removes_it(
    tmp_path: Path, guardrail: Any
) -> None:
    repo = make_repo(tmp_path / "r", motivating_files())
    run = guardrail(repo, "install")
    assert run.code == 0, run
    hook = repo / ".git" / "hooks" / "pre-push"
    assert MARKER in hook.read_text()
    assert os.access(hook, os.X_OK)
    assert 'pre-push "$@"' in hook.read_text()
    doctor = guardrail(repo, "doctor")
    assert "installed by guardrail install" in doctor.out, doctor
    assert guardrail(repo, "install").code == 0, "reinstalling over its own hook is fine"
    run = guardrail(repo, "uninstall")
    assert run.code == 0 and not hook.exists(), run
    assert "nothing to remove" in guardrail(repo, "uninstall").out


def test_install_refuses_a_foreign_hook_unless_forced(tmp_path: Path, guardrail: Any) -> None:
    repo = make_repo(tmp_path / "r", motivating_files())
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\n# File generated by pre-commit\nexit 0\n")
    run = guardrail(repo, "install")
    assert run.code == 2 and "was not written by guardrail install" in run.err, run
    assert "pre-commit" in hook.read_text()
    assert guardrail(repo, "uninstall").code == 2
    assert hook.exists()
    run = guardrail(repo, "install", "--force")
    assert run.code == 0, run
    assert MARKER in hook.read_text()
    run = guardrail(repo, "uninstall")
    assert run.code == 0 and "restored" in run.out, run
    assert "pre-commit" in hook.read_text()


def test_install_honours_core_hooks_path(tmp_path: Path, guardrail: Any) -> None:
    repo = make_repo(tmp_path / "r", motivating_files())
    git(repo, "config", "core.hooksPath", "githooks")
    assert guardrail(repo, "install").code == 0
    assert MARKER in (repo / "githooks" / "pre-push").read_text()
    assert not (repo / ".git" / "hooks" / "pre-push").exists()


def test_concurrent_runs_take_separate_slots_and_a_damaged_snapshot_is_remade(
    two_projects: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = two_projects
    base, head, line = _commit_on_main(repo, {"backend/b.py": "B = 2\n"})
    snapshots = snapshot_base(repo)
    with snapshot(repo, base) as held:
        assert held == snapshots / "0"
        run = _pre_push(guardrail, monkeypatch, repo, line, "--only", "ruff-check")
        assert run.code == 0, run
        assert git(held, "rev-parse", "HEAD").stdout.strip() == base
    assert git(snapshots / "1", "rev-parse", "HEAD").stdout.strip() == head

    (
        Path(git(snapshots / "0", "rev-parse", "--absolute-git-dir").stdout.strip()) / "index.lock"
    ).touch()
    run = _pre_push(guardrail, monkeypatch, repo, line, "--only", "ruff-check")
    assert run.code == 0, run
    shutil.rmtree(snapshots / "0")
    run = _pre_push(guardrail, monkeypatch, repo, line, "--only", "ruff-check")
    assert run.code == 0, run
    assert git(snapshots / "0", "rev-parse", "HEAD").stdout.strip() == head
    listed = git(repo, "worktree", "list", "--porcelain").stdout
    assert "prunable" not in listed and listed.count("worktree ") == 3, listed


def test_escape_hatches_and_their_notes_apply_at_push_time(
    two_projects: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, head, line = _commit_on_main(two_projects, {"backend/b.py": "B = 2\n"})
    monkeypatch.setenv("GUARDRAIL_SKIP", "mypy,pytest,ruff-format")
    run = _pre_push(guardrail, monkeypatch, two_projects, line)
    assert run.code == 0, run
    assert f"checked {head[:7]} main -> origin/main" in run.out, run
    assert "GUARDRAIL_SKIP=mypy,pytest,ruff-format is set" in run.out, run
    assert "ruff-check" in run.out and "passed" in run.out, run


def test_report_formats_apply_to_a_single_pushed_commit(
    two_projects: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, head, line = _commit_on_main(two_projects, {"backend/b.py": "B = 2\n"})
    run = _pre_push(
        guardrail, monkeypatch, two_projects, line, "--only", "ruff-check", "--format", "json"
    )
    assert run.code == 0, run
    report = json.loads(run.out)
    assert report["target"] == f"checked {head[:7]} main -> origin/main", report
    assert report["exit_code"] == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('push = "sometimes"', 'tool.guardrail.push must be "always" (every push) or "changed"'),
        (
            'always = true\npush = "changed"',
            'sets both always = true and push = "changed"; keep one',
        ),
    ],
)
def test_a_wrong_push_setting_is_an_error_naming_the_file(
    tmp_path: Path, guardrail: Any, table: str, message: str
) -> None:
    pyproject = f"[project]\nname = 'x'\n\n[tool.guardrail]\n{table}\n"
    repo = make_repo(tmp_path / "r", {"pyproject.toml": pyproject})
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert run.code == 2, run
    assert f"{repo / 'pyproject.toml'}: " in run.err and message in run.err, run
