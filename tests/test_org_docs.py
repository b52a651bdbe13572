"""docs/organisation.md followed word for word on a fresh home folder.

Every ``sh`` block of the page runs, in order, in one bash; the only change is the clone's
source: the GitHub URL becomes a local clone of this checkout (no git host is reachable here).
The hook repo then depends on ``push-guardrail @ git+file://<clone>@<commit>``, and pre-commit
builds its environment from that and from PyPI. The project is the motivating repository; its
push is blocked, then passes once the test fixes it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    commit_all,
    fix_motivating,
    git,
    make_repo,
    motivating_files,
)
from tests.precommit_fixtures import HookRepo, pre_commit_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "organisation.md"
UPSTREAM = "https://github.com/push-guardrail/push-guardrail"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")) if lang == kind]


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_organisation_route_word_for_word(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    hook_repo: HookRepo,
    project_venv: Path,
) -> None:
    home = tmp_path / "home"
    project = make_repo(home / "src" / "my-project", motivating_files(), venv=project_venv)
    remote = home / "src" / "my-project-remote.git"
    git(project, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "config", "branch.main.remote", "origin")
    git(project, "config", "branch.main.merge", "refs/heads/main")
    env = pre_commit_env(tmp_path_factory.mktemp("pre-commit-home"))
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")

    steps = blocks("sh")
    assert len(steps) == 3, steps
    assert steps[0].count(UPSTREAM) == 1, steps[0]
    steps[0] = steps[0].replace(UPSTREAM, str(hook_repo.path))
    setup = bash("\n".join(steps[:2]), home, env)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    pinned = f'"push-guardrail @ git+file://{home}/src/push-guardrail@{hook_repo.rev}",'
    assert setup.stdout.splitlines() == [f"    {pinned}"], setup.stdout

    pushed = bash(steps[2], home, env)
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, out
    assert git(remote, "rev-parse", "-q", "--verify", "refs/heads/main", check=False).returncode
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in out, out
    (shown,) = blocks("text")
    for expected in shown.replace("/home/me", str(home)).splitlines():
        assert expected == "..." or expected in out, (expected, out)

    fix_motivating(project)
    commit_all(project, "export: type the records")
    pushed = bash("git push", project, env)
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode == 0, out
    assert "acme guardrail (ruff check, ruff format, mypy, pytest)" in out and "Passed" in out, out
    assert (
        git(remote, "rev-parse", "refs/heads/main").stdout.strip()
        == git(project, "rev-parse", "HEAD").stdout.strip()
    )
