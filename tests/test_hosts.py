"""doctor and init wherever the guardrail is reached: through prek (its hook script, its
``prek.toml``, its migration mode), through an organisation's hook repo whose hooks have ids of
their own, through a hook repo only pre-commit's or prek's cache holds, and with the rev of a
build installed from a git URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import (
    commit_all,
    git,
    make_project_venv,
    make_repo,
    motivating_files,
    venv_python,
)
from tests.precommit_fixtures import PRE_COMMIT, PREK, HookRepo, Host, pre_commit_env

ROOT = Path(__file__).resolve().parent.parent
ORG_EXAMPLE = ROOT / "examples" / "org-hook-repo"
GATE_URL = "https://git.example.invalid/acme/gate"


def consumer(where: Path, venv: Path, files: dict[str, str]) -> Path:
    """The motivating repository, fixed, with the given hook config."""
    return make_repo(where / "tunix-rt", {**motivating_files(fixed=True), **files}, venv=venv)


def no_fail(run: Any) -> None:
    assert run.code == 0, run
    assert "FAIL" not in run.out, run
    assert "The push hook runs everything CI checks, and it is installed." in run.out, run


def prek(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return Host("prek", PREK, home).run(repo, *args)


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return Host("pre-commit", PRE_COMMIT, home).run(repo, *args)


def test_a_healthy_repository_through_prek_has_no_fail(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, guardrail: Any
) -> None:
    repo = consumer(tmp_path, project_venv, {".pre-commit-config.yaml": hook_repo.config()})
    installed = prek(repo, tmp_path / "prek-home", "install", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stderr
    run = guardrail(repo, "doctor")
    no_fail(run)
    assert "ok   pre-push hook: .git/hooks/pre-push runs prek at pre-push" in run.out, run
    assert "ok   .pre-commit-config.yaml: guardrail (line 5) runs at pre-push" in run.out, run


def test_prek_toml_is_the_config_prek_reads(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, guardrail: Any
) -> None:
    toml = (
        'default_install_hook_types = ["pre-push"]\n\n'
        "[[repos]]\n"
        f'repo = "{hook_repo.path}"\n'
        f'rev = "{hook_repo.rev}"\n'
        'hooks = [{ id = "guardrail-ruff-check" }]\n'
    )
    repo = consumer(tmp_path, project_venv, {"prek.toml": toml})
    home = tmp_path / "prek-home"
    assert prek(repo, home, "validate-config", "prek.toml").returncode == 0
    assert prek(repo, home, "install").returncode == 0
    run = guardrail(repo, "doctor")
    assert "ok   pre-push hook: .git/hooks/pre-push runs prek at pre-push" in run.out, run
    assert "ok   prek.toml: guardrail-ruff-check runs at pre-push" in run.out, run

    init = guardrail(repo, "init", "--from-ci")
    assert init.code == 1, init
    assert not (repo / ".pre-commit-config.yaml").exists()
    snippet = init.out[init.out.index("[[repos]]") :].split("\n\n")[0] + "\n"
    assert snippet == (
        "[[repos]]\n"
        f'repo = "{hook_repo.path}"\n'
        f'rev = "{hook_repo.rev}"\n'
        'hooks = [{ id = "guardrail", stages = ["pre-push", "manual"] }]\n'
    ), init.out
    (repo / "prek.toml").write_text(toml + "\n" + snippet)
    assert prek(repo, home, "validate-config", "prek.toml").returncode == 0
    no_fail(guardrail(repo, "doctor"))


def _remote(repo: Path, where: Path) -> Path:
    remote = where / "remote.git"
    git(where, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    return remote


def _push_a_change(repo: Path, env: dict[str, str]) -> tuple[int, str]:
    """Commit a change and push it: the exit code and how many times the push was checked."""
    (repo / "CHANGES.md").write_text(git(repo, "log", "--oneline").stdout)
    commit_all(repo, "one more change")
    res = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, env=env, capture_output=True, text=True
    )
    out = res.stdout + res.stderr
    return res.returncode, out


def _fix(repo: Path, run: Any, home: Path) -> None:
    """Run the fix doctor printed for the pre-push hook, word for word (it is a prek command)."""
    fix = next(ln for ln in run.out.splitlines() if ln.startswith("         fix: prek "))
    argv = fix.removeprefix("         fix: ").split(" (")[0].split()
    res = prek(repo, home, *argv[1:])
    assert res.returncode == 0, res.stderr


@pytest.mark.slow
def test_prek_over_pre_commits_hook_fails_every_push_until_the_fix(
    tmp_path: Path,
    project_venv: Path,
    hook_repo: HookRepo,
    pre_commit_home: Path,
    prek_home: Path,
    guardrail: Any,
) -> None:
    """prek installed over pre-commit's hook keeps it as pre-push.legacy and runs it first;
    pre-commit then finds itself as its own legacy hook and fails the push, after the
    guardrail checked it twice. doctor says so, and its fix keeps prek."""
    repo = consumer(tmp_path, project_venv, {".pre-commit-config.yaml": hook_repo.config()})
    _remote(repo, tmp_path)
    assert pre_commit(repo, pre_commit_home, "install", "--hook-type", "pre-push").returncode == 0
    assert prek(repo, prek_home, "install", "--hook-type", "pre-push").returncode == 0
    hooks = repo / ".git" / "hooks"
    assert (hooks / "pre-push.legacy").is_file()
    env = {**pre_commit_env(pre_commit_home), "PREK_HOME": str(prek_home)}

    code, out = _push_a_change(repo, env)
    assert code != 0 and "installed in migration mode" in out, out
    assert out.count(": checked ") == 2, out
    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    assert (
        "FAIL pre-push hook: .git/hooks/pre-push runs prek at pre-push, and first "
        "pre-push.legacy, the hook prek's migration mode kept: pre-commit's own script, which "
        "finds itself as its legacy hook and fails every push"
    ) in run.out, run
    assert (
        "fix: prek install --force --hook-type pre-push (removes pre-push.legacy; prek stays)"
    ) in run.out, run

    _fix(repo, run, prek_home)
    assert not (hooks / "pre-push.legacy").exists()
    assert "File generated by prek" in (hooks / "pre-push").read_text()
    no_fail(guardrail(repo, "doctor"))
    code, out = _push_a_change(repo, env)
    assert code == 0 and out.count(": checked ") == 1, out


@pytest.mark.slow
def test_prek_over_guardrail_install_checks_every_push_twice_until_the_fix(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, prek_home: Path, guardrail: Any
) -> None:
    repo = consumer(tmp_path, project_venv, {".pre-commit-config.yaml": hook_repo.config()})
    _remote(repo, tmp_path)
    assert guardrail(repo, "install", "--no-background").code == 0
    assert prek(repo, prek_home, "install", "--hook-type", "pre-push").returncode == 0
    env = pre_commit_env(prek_home, variable="PREK_HOME")

    code, out = _push_a_change(repo, env)
    assert code == 0 and out.count(": checked ") == 2, out
    run = guardrail(repo, "doctor")
    assert run.code == 0, run
    assert (
        "WARN pre-push hook: .git/hooks/pre-push runs prek at pre-push, and first "
        "pre-push.legacy, the hook prek's migration mode kept (guardrail install's hook) runs "
        "the guardrail again: every push is checked twice"
    ) in run.out, run

    _fix(repo, run, prek_home)
    no_fail(guardrail(repo, "doctor"))
    code, out = _push_a_change(repo, env)
    assert code == 0 and out.count(": checked ") == 1, out


def org_hook_repo(where: Path) -> Path:
    """examples/org-hook-repo as the organisation's git repository, tagged v1.0.0."""
    files = {
        name: (ORG_EXAMPLE / name).read_text(encoding="utf-8")
        for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md")
    }
    path = make_repo(where / "acme-guardrail-hooks", files)
    git(path, "tag", "v1.0.0")
    return path


def org_config(org: Path, *hook_ids: str) -> str:
    hooks = "".join(f"      - id: {h}\n        stages: [pre-push]\n" for h in hook_ids)
    return f"repos:\n  - repo: {org}\n    rev: v1.0.0\n    hooks:\n{hooks}"


def test_the_organisation_example_counts_by_its_manifest(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """The organisation's hooks have ids of their own (acme-guardrail, acme-guardrail-mypy):
    doctor reads what they run from the org repo's manifest, and init adds the org's whole
    chain at the rev already configured."""
    org = org_hook_repo(tmp_path)
    config = org_config(org, "acme-guardrail-mypy")
    repo = consumer(tmp_path, project_venv, {".pre-commit-config.yaml": config})
    assert pre_commit(repo, tmp_path / "home", "install", "--hook-type", "pre-push").returncode == 0

    init = guardrail(repo, "init", "--from-ci")
    assert init.code == 0, init
    assert f".pre-commit-config.yaml: added hook acme-guardrail of {org} at pre-push" in init.out
    text = (repo / ".pre-commit-config.yaml").read_text()
    assert text == "default_install_hook_types: [pre-commit, pre-push]\n" + config + (
        "      - id: acme-guardrail\n        stages: [pre-push, manual]\n"
    )
    assert "rev: v1.0.0\n" in text and text.count("rev:") == 1

    run = guardrail(repo, "doctor")
    no_fail(run)
    assert (
        "ok   .pre-commit-config.yaml: acme-guardrail-mypy (line 6), acme-guardrail (line 8) "
        "runs at pre-push"
    ) in run.out, run


GATE_MANIFEST = """\
- id: acme-gate
  name: acme gate
  entry: guardrail run --require mypy
  language: system
  pass_filenames: false
  always_run: true
  stages: [pre-push]
"""


@pytest.mark.parametrize("host_name", ["pre-commit", "prek"])
def test_a_hook_repo_known_only_from_the_hosts_cache(
    tmp_path: Path,
    project_venv: Path,
    guardrail: Any,
    monkeypatch: pytest.MonkeyPatch,
    host_name: str,
) -> None:
    """A remote hook repo (here a local one git fetches in its place, through ``insteadOf``):
    its manifest is read from the clone pre-commit or prek made, once there is one."""
    gate = make_repo(tmp_path / "gate", {".pre-commit-hooks.yaml": GATE_MANIFEST})
    git(gate, "tag", "v1")
    config = f"repos:\n  - repo: {GATE_URL}\n    rev: v1\n    hooks:\n      - id: acme-gate\n"
    repo = consumer(tmp_path, project_venv, {".pre-commit-config.yaml": config})
    home = tmp_path / f"{host_name}-home"
    host = Host(host_name, PREK if host_name == "prek" else PRE_COMMIT, home)
    variable = "PREK_HOME" if host_name == "prek" else "PRE_COMMIT_HOME"
    monkeypatch.setenv(variable, str(home))
    assert host.run(repo, "install", "--hook-type", "pre-push").returncode == 0

    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    assert (
        "FAIL .pre-commit-config.yaml: lists no hook that runs the guardrail (an entry "
        "`guardrail run` or `guardrail pre-push`, in the hook or its repo's manifest); the "
        f"manifests of {GATE_URL}@v1 are not cached here"
    ) in run.out, run

    rewrite = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{gate}.insteadOf",
        "GIT_CONFIG_VALUE_0": GATE_URL,
    }
    prepare = "prepare-hooks" if host_name == "prek" else "install-hooks"
    res = subprocess.run(
        [*host.argv, prepare],
        cwd=repo,
        env={**host.env, **rewrite},
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    run = guardrail(repo, "doctor")
    no_fail(run)
    assert "ok   .pre-commit-config.yaml: acme-gate (line 5) runs at pre-push" in run.out, run


@pytest.mark.slow
def test_init_writes_the_commit_a_git_install_recorded(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, pre_commit_home: Path
) -> None:
    """push-guardrail installed with ``pip install git+URL@commit``: pip records the commit, and
    init writes exactly that repo and rev, which pre-commit then runs."""
    venv = make_project_venv(tmp_path / "tool-venv")
    python = str(venv_python(venv))
    source = f"git+file://{hook_repo.path}@{hook_repo.rev}"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", source]
    installed = subprocess.run(pip, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    repo = consumer(tmp_path, project_venv, {})
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    init = subprocess.run(
        [python, "-m", "hooks", "init", "--from-ci"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    assert f".pre-commit-config.yaml: created with the guardrail hook at {hook_repo.rev}" in (
        init.stdout
    )
    text = (repo / ".pre-commit-config.yaml").read_text()
    assert f"  - repo: {hook_repo.path}\n    rev: {hook_repo.rev}\n" in text, text

    res = pre_commit(repo, pre_commit_home, "run", "--all-files")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "guardrail (ruff check, ruff format, mypy, pytest)" in res.stdout, res.stdout
