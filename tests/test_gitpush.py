"""Recovering a push's refs from the running ``git push`` command line (pre-commit passes one)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hooks.push import gitpush
from hooks.push.precommit import with_running_push
from hooks.push.refs import Push, PushedRef, targets
from tests.fixtures import commit_all, git, make_repo, write_files

Z = "0" * 40


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["git", "push", "origin", "main", "feature"], gitpush.PushCommand(("main", "feature"))),
        (
            [
                "git",
                "-C",
                "x",
                "-c",
                "a=b",
                "push",
                "-o",
                "ci.skip",
                "--force-with-lease",
                "-u",
                "origin",
                "+main:release",
            ],
            gitpush.PushCommand(("+main:release",)),
        ),
        (["/usr/bin/git", "push", "--all", "origin"], gitpush.PushCommand((), all_branches=True)),
        (["git", "push", "--tags"], gitpush.PushCommand((), tags=True)),
        (["git", "push", "--", "origin", "-weird"], gitpush.PushCommand(("-weird",))),
        (["git", "push"], gitpush.PushCommand(())),
        (["git", "status"], None),
        (["git", "-C", "push", "status"], None),
    ],
)
def test_parse(argv: list[str], expected: gitpush.PushCommand | None) -> None:
    assert gitpush.parse(argv) == expected


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", {"a.py": "A = 1\n"})
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(root, "remote", "add", "origin", str(tmp_path / "remote.git"))
    git(root, "push", "-q", "--no-verify", "origin", "main")
    git(root, "checkout", "-q", "-b", "feature")
    write_files(root, {"b.py": "B = 1\n"})
    commit_all(root, "feature work")
    git(root, "tag", "v1")
    git(root, "checkout", "-q", "main")
    write_files(root, {"a.py": "A = 2\n"})
    commit_all(root, "main work")
    return root


def sha(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", rev).stdout.strip()


def test_resolve_names_src_dst_tags_and_what_it_cannot(repo: Path) -> None:
    command = gitpush.PushCommand(
        ("main", "feature:refs/heads/other", "v1", "HEAD:release", ":gone", "refs/heads/*", "nope")
    )
    refs, unresolved = gitpush.resolve(repo, "origin", command)
    origin_main = sha(repo, "origin/main")
    assert refs == [
        ("refs/heads/main", sha(repo, "main"), "refs/heads/main", origin_main),
        ("refs/heads/feature", sha(repo, "feature"), "refs/heads/other", Z),
        ("refs/tags/v1", sha(repo, "v1"), "refs/tags/v1", Z),
        ("refs/heads/main", sha(repo, "main"), "refs/heads/release", Z),  # HEAD is main
    ]
    assert unresolved == ["refs/heads/*", "nope"]


def test_the_running_push_adds_the_refs_pre_commit_left_out(repo: Path) -> None:
    first = PushedRef(
        "refs/heads/main", sha(repo, "main"), "refs/heads/main", sha(repo, "origin/main")
    )
    found = Push("origin", (first,))
    argv = ["git", "push", "origin", "main", "feature"]
    merged = with_running_push(repo, found, argv)
    assert merged.refs == (
        first,
        PushedRef("refs/heads/feature", sha(repo, "feature"), "refs/heads/feature", Z),
    )
    assert merged.notes == ()
    assert [t.sha for t in targets(repo, merged)] == [sha(repo, "main"), sha(repo, "feature")]


def test_refs_it_cannot_tell_are_named_in_a_note(repo: Path) -> None:
    found = Push("origin", ())
    merged = with_running_push(repo, found, ["git", "push", "origin", "refs/heads/*:refs/heads/*"])
    assert "refs/heads/* could not be resolved" in merged.notes[0]
    assert "NOT checked" in merged.notes[0]


def test_no_refspec_is_one_branch_unless_push_default_is_matching(repo: Path) -> None:
    found = Push("origin", ())
    assert with_running_push(repo, found, ["git", "push"]) == found
    git(repo, "config", "push.default", "matching")
    assert "may push several branches" in with_running_push(repo, found, ["git", "push"]).notes[0]


FIND_PUSH = (
    "import json, sys; from hooks.push import gitpush; "
    "json.dump(gitpush.running_push_argv(), sys.stdout)"
)


@pytest.mark.posix_only("bash stands in for git under git's name (exec's argv[0])")
@pytest.mark.parametrize(
    "program", ["git", "/usr/lib/git-core/git", r"C:\Program Files\Git\mingw64\bin\git.exe"]
)
def test_the_running_push_is_found_among_the_ancestors(program: str) -> None:
    """A process whose command line reads ``<git> -c ... push origin main feature`` (bash,
    started under that name) runs the guardrail's lookup: psutil finds it as an ancestor."""
    script = f"{shlex.quote(sys.executable)} -c {shlex.quote(FIND_PUSH)}; exit $?"
    argv = [program, "-c", script, "push", "origin", "main", "feature"]
    res = subprocess.run(argv, executable="/bin/bash", capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    found = json.loads(res.stdout)
    assert found == argv
    assert gitpush.parse(found) == gitpush.PushCommand(("main", "feature"))


def test_outside_a_git_push_nothing_changes(repo: Path) -> None:
    """``pre-commit run --hook-stage pre-push --from-ref ... --to-ref ...`` by hand names no
    remote: nothing is added."""
    found = Push("", ())
    assert gitpush.running_push_argv() is None  # pytest is not run by git push
    assert with_running_push(repo, found) == found


def test_a_push_whose_git_cannot_be_found_says_so(repo: Path) -> None:
    """A remote is named only to a hook git runs for a push: when no ``git push`` is found above
    (its process hidden or gone), the refs after the first are said to be unchecked."""
    (note,) = with_running_push(repo, Push("origin", ())).notes
    assert note.startswith(
        "the running `git push` command line could not be read (no `git push` found among the "
        "processes above this one)"
    )
    assert "NOT checked" in note
