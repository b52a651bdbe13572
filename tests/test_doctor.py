"""``guardrail doctor`` and ``guardrail init --from-ci`` on real repositories, real git, mypy and
pre-commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ci_workflows import (
    GITLAB_CI,
    MOTIVATING_LINES,
    MOTIVATING_WORKFLOW,
    POETRY_WORKFLOW,
    UV_WORKFLOW,
)
from tests.fixtures import (
    BACKEND_PYPROJECT,
    BAD_LINES,
    EXPORT_PATH,
    datasets_export_source,
    git,
    make_repo,
    motivating_files,
)
from tests.precommit_fixtures import HookRepo

CI = ".github/workflows/ci.yml"
NO_MYPY = """
[tool.guardrail]
# mypy is slow here; CI runs it anyway
checks = ["ruff-check", "ruff-format", "pytest"]  # the fast ones
"""


def _repo(
    tmp_path: Path,
    venv: Path,
    *,
    workflow: str | None = MOTIVATING_WORKFLOW,
    backend_extra: str = NO_MYPY,
    files: dict[str, str] | None = None,
) -> Path:
    all_files = motivating_files(fixed=True)
    all_files["backend/pyproject.toml"] = BACKEND_PYPROJECT + backend_extra
    if workflow is not None:
        all_files[CI] = workflow
    all_files.update(files or {})
    return make_repo(tmp_path / "tunix-rt", all_files, venv=venv)


def _json(guardrail: Any, repo: Path) -> tuple[int, dict[str, Any]]:
    run = guardrail(repo, "doctor", "--format", "json")
    return run.code, json.loads(run.out)


def _by_tool(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["tool"]: c for c in data["commands"]}


def _install_precommit_hook(repo: Path, home: Path) -> None:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_motivating_repo_gap_then_init_and_hook_install_close_it(
    tmp_path: Path, project_venv: Path, guardrail: Any, hook_repo: HookRepo
) -> None:
    repo = _repo(tmp_path, project_venv)

    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    mypy_line = MOTIVATING_LINES["mypy"]
    gap = [ln for ln in run.out.splitlines() if f"{CI}:{mypy_line}" in ln]
    assert gap and gap[0].split()[0] == "GAP" and "mypy tunix_rt_backend" in gap[0], run
    assert "(job backend, in backend)" in gap[0]
    assert (
        "- [tool.guardrail] checks in backend/pyproject.toml leaves it out "
        "(ruff-check, ruff-format, pytest)" in run.out
    )
    assert "guardrail runs instead: nothing" in run.out
    for tool in ("ruff-check", "ruff-format", "pytest"):
        line = next(ln for ln in run.out.splitlines() if f"{CI}:{MOTIVATING_LINES[tool]}" in ln)
        assert line.split()[0] == "ok", run
    assert "FAIL pre-push hook: not installed in this clone (.git/hooks/pre-push)" in run.out
    ci_block = run.out[run.out.index("What CI runs") : run.out.index("Plumbing:")]
    page = (Path(__file__).parents[1] / "docs/doctor.md").read_text(encoding="utf-8")
    assert ci_block in page, "docs/doctor.md's sample no longer matches a real run"
    assert "FAIL .pre-commit-config.yaml: no .pre-commit-config.yaml" in run.out

    init = guardrail(repo, "init", "--from-ci")
    assert init.code == 1, init  # the hook entry is left to complete: no existing rev is known
    assert "backend/pyproject.toml: [tool.guardrail] checks += ['mypy']" in init.out
    pyproject = (repo / "backend/pyproject.toml").read_text()
    assert pyproject.startswith(BACKEND_PYPROJECT)
    assert "# mypy is slow here; CI runs it anyway\n" in pyproject
    assert 'checks = ["ruff-check", "ruff-format", "pytest", "mypy"]  # the fast ones' in pyproject
    # mypy's targets come from CI's command (the plan from CI): nothing to write for them.
    assert "[tool.guardrail.mypy]" not in pyproject
    assert not (repo / ".pre-commit-config.yaml").exists()
    assert "rev: <a tag or full commit id of push-guardrail>\n" in init.out
    assert "      - id: guardrail\n" in init.out and "stages:" not in init.out
    # The developer completes the printed entry with a commit of push-guardrail.
    entry = init.out[init.out.index("  - repo: ") :].split("\n\n")[0] + "\n"
    entry = entry.replace("https://github.com/push-guardrail/push-guardrail", str(hook_repo.path))
    entry = entry.replace("<a tag or full commit id of push-guardrail>", hook_repo.rev)
    config = "default_install_hook_types: [pre-push]\nrepos:\n" + entry
    (repo / ".pre-commit-config.yaml").write_text(config)

    before = {
        p: (repo / p).read_text() for p in ("backend/pyproject.toml", ".pre-commit-config.yaml")
    }
    again = guardrail(repo, "init", "--from-ci")
    assert again.code == 0, again
    assert "nothing to change" in again.out
    assert {p: (repo / p).read_text() for p in before} == before

    still = guardrail(repo, "doctor")
    assert still.code == 1, still
    assert f"ok   {CI}:{mypy_line}" in still.out
    assert "FAIL pre-push hook" in still.out

    _install_precommit_hook(repo, tmp_path / "pre-commit-home")
    done = guardrail(repo, "doctor")
    assert done.code == 0, done
    assert "ok   pre-push hook: .git/hooks/pre-push runs pre-commit at pre-push" in done.out
    assert "ok   .pre-commit-config.yaml: guardrail (line 6) runs at pre-push" in done.out
    assert "ok   mypy config (backend): mypy" in done.out
    # Every command is covered, but CI's dorny/paths-filter is not evaluated: doctor names it
    # and does not claim parity (issue 12: never claim parity with something not mirrored).
    assert "uses: dorny/paths-filter@v3: not mirrored: a path filter" in done.out
    assert "The push hook runs everything CI checks" not in done.out
    assert "1 thing CI runs or decides NOT mirrored (see Notes)" in done.out
    settled = guardrail(repo, "init", "--from-ci")
    (repo / EXPORT_PATH).write_text(datasets_export_source(fixed=False))
    blocked = guardrail(repo, "run")
    assert blocked.code == 1, blocked
    assert "Push blocked: mypy failed." in blocked.out
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}:" in blocked.out
    assert settled.out.endswith(
        "nothing to change; the settings already cover what CI runs.\n"
        "The push hook takes its plan from CI; `guardrail init --from-ci --explicit` writes it "
        "down in [tool.guardrail] for those who want it explicit.\n\nNext: guardrail doctor.\n"
    ), settled


def test_json_format(tmp_path: Path, project_venv: Path, guardrail: Any) -> None:
    repo = _repo(tmp_path, project_venv)
    code, data = _json(guardrail, repo)
    assert code == 1 and data["exit_code"] == 1
    assert data["ci_files"] == [CI]
    mypy = _by_tool(data)["mypy"]
    assert (mypy["file"], mypy["line"], mypy["cwd"], mypy["job"]) == (
        CI,
        MOTIVATING_LINES["mypy"],
        "backend",
        "backend",
    )
    assert mypy["status"] == "gap" and mypy["project"] == "backend"
    assert {"project": "backend", "key": "checks", "values": ["mypy"]} in mypy["changes"]
    assert [c["status"] for c in data["commands"]] == ["covered", "covered", "gap", "covered"]
    assert data["gaps"] == 1
    names = {p["name"]: p["status"] for p in data["plumbing"]}
    assert names[".pre-commit-config.yaml"] == "problem"
    assert names["pre-push hook"] == "problem"


@pytest.mark.posix_only("git skips a hook without its exec bit; Windows has none")
def test_plain_hook_from_guardrail_install_under_core_hookspath(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = _repo(tmp_path, project_venv, backend_extra="")
    git(repo, "config", "core.hooksPath", ".githooks")
    hook = repo / ".githooks" / "pre-push"
    hook.parent.mkdir()
    hook.write_text("#!/bin/sh\n# installed by guardrail install\nexec guardrail run\n")
    hook.chmod(0o755)
    run = guardrail(repo, "doctor")
    assert run.code == 0, run
    assert "ok   pre-push hook: .githooks/pre-push installed by guardrail install" in run.out
    assert "info .pre-commit-config.yaml: not used" in run.out

    hook.chmod(0o644)
    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    assert "FAIL pre-push hook: .githooks/pre-push is not executable: git skips it" in run.out


def test_broken_mypy_config_and_version_pins_are_problems(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    backend = BACKEND_PYPROJECT.replace("strict = true", 'strict = "very"').replace(
        'requires-python = ">=3.11"\n',
        'requires-python = ">=3.11"\n\n[project.optional-dependencies]\ndev = ["ruff==0.1.0"]\n',
    )
    workflow = MOTIVATING_WORKFLOW.replace(
        'pip install -e ".[dev]"', 'pip install -e ".[dev]" "mypy==0.900"'
    )
    repo = _repo(
        tmp_path, project_venv, workflow=workflow, files={"backend/pyproject.toml": backend}
    )
    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    assert "FAIL mypy config (backend): mypy " in run.out
    assert "pyproject.toml: [mypy]: strict: Not a boolean: very" in run.out
    assert (
        "but CI pins ==0.1.0 in backend/pyproject.toml [project.optional-dependencies] dev"
        in run.out
    )
    assert f"but CI pins ==0.900 in {CI}:40" in run.out


def test_uv_run_workflow_flags_then_init(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = _repo(tmp_path, project_venv, workflow=UV_WORKFLOW, backend_extra="")
    code, data = _json(guardrail, repo)
    assert code == 1
    commands = _by_tool(data)
    # The plan comes from CI: its flags are the push hook's, nothing to write to cover them.
    assert [c["status"] for c in data["commands"]] == ["covered"] * 4
    assert (
        commands["mypy"]["guardrail"]
        == f"mypy --strict tunix_rt_backend  (in backend, from {CI}:17)"
    )
    assert commands["pytest"]["guardrail"] == f"pytest -m not slow  (in backend, from {CI}:20)"
    assert commands["pytest"]["cwd"] == "backend"
    plumbing = {p["name"]: p for p in data["plumbing"]}
    assert plumbing["mypy version (backend)"]["status"] == "problem"
    assert plumbing["mypy version (backend)"]["message"].endswith(f"CI pins ==1.13.0 in {CI}:17")

    before = (repo / "backend/pyproject.toml").read_text()
    init = guardrail(repo, "init", "--from-ci")
    assert init.code == 1, init  # the hook entry is printed: this build records no commit
    assert "rev: <a tag or full commit id of push-guardrail>" in init.out
    assert (repo / "backend/pyproject.toml").read_text() == before
    # --explicit writes the derived plan down; the push hook then runs the same, no WARN.
    guardrail(repo, "init", "--from-ci", "--explicit")
    pyproject = (repo / "backend/pyproject.toml").read_text()
    assert (
        '[tool.guardrail.mypy]\nargs = ["--strict"]\ntargets = ["tunix_rt_backend"]\n' in pyproject
    )
    assert '[tool.guardrail.pytest]\nargs = ["-m", "not slow"]\n' in pyproject
    _, data = _json(guardrail, repo)
    assert [c["status"] for c in data["commands"]] == ["covered"] * 4
    assert data["warnings"] == 0


def test_poetry_workflow_config_file_coverage_gate_and_tox(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = _repo(tmp_path, project_venv, workflow=POETRY_WORKFLOW, backend_extra="")
    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    assert f"ok   {CI}:15  poetry run mypy tunix_rt_backend --config-file pyproject.toml" in run.out
    assert "the push hook runs: mypy --config-file pyproject.toml tunix_rt_backend" in run.out
    assert "pytest --cov=tunix_rt_backend --cov-fail-under=90  (in backend" in run.out
    # CI's tox and nox are not read: ruff-format, which CI runs nowhere the guardrail can see,
    # blocks (fail closed), and doctor names that as blocking on more than CI.
    assert "  WARN ruff-format (backend): CI runs what the guardrail cannot read" in run.out
    assert (
        f"{CI}:18: tox -e lint,py311: not mirrored: no tox configuration (tox.ini, setup.cfg "
        "[tox:tox], pyproject.toml [tool.tox], tox.toml) in ." in run.out
    )
    assert f"{CI}:18: nox -s typecheck tests: not mirrored: no noxfile.py in ." in run.out

    init = guardrail(repo, "init", "--from-ci", "--explicit")
    pyproject = (repo / "backend/pyproject.toml").read_text()
    assert 'args = ["--config-file", "pyproject.toml"]' in pyproject, init
    assert 'args = ["--cov=tunix_rt_backend", "--cov-fail-under=90"]' in pyproject, init
    _, data = _json(guardrail, repo)
    assert [c["status"] for c in data["commands"]] == ["covered"] * 3


def test_gitlab_ci(tmp_path: Path, project_venv: Path, guardrail: Any) -> None:
    repo = _repo(tmp_path, project_venv, workflow=None, files={".gitlab-ci.yml": GITLAB_CI})
    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    assert "GAP  .gitlab-ci.yml:27  python -m mypy tunix_rt_backend  (job types, in backend)" in (
        run.out
    )
    assert "ok   .gitlab-ci.yml:12  ruff check .  (job lint, in backend)" in run.out
    assert "but CI pins ==0.4.10 in .gitlab-ci.yml:7" in run.out


def test_mypy_from_the_repository_root_reads_another_config(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    workflow = MOTIVATING_WORKFLOW.replace(
        "run: mypy tunix_rt_backend", "run: cd .. && mypy backend/tunix_rt_backend"
    )
    repo = _repo(tmp_path, project_venv, workflow=workflow, backend_extra="")
    run = guardrail(repo, "doctor")
    assert run.code == 1, run
    assert (
        "CI starts mypy in . and it reads no config; the guardrail starts it in backend and it "
        "reads backend/pyproject.toml" in run.out
    )
    init = guardrail(repo, "init", "--from-ci")
    assert init.code == 1, init
    assert "Left to do by hand:" in init.out
    assert f"{CI}:{MOTIVATING_LINES['mypy']}: make CI run mypy from backend" in init.out


def test_files_outside_every_project(tmp_path: Path, project_venv: Path, guardrail: Any) -> None:
    workflow = MOTIVATING_WORKFLOW.replace("run: ruff check .", "run: cd .. && ruff check .")
    repo = _repo(
        tmp_path,
        project_venv,
        workflow=workflow,
        backend_extra="",
        files={"scripts/release.py": "print('release')\n"},
    )
    run = guardrail(repo, "doctor")
    # CI's ruff runs from the repository root, which is no project: the plan cannot mirror it.
    assert "- CI runs it in ., which is in no guardrail project" in run.out, run
    assert "make the folder a project: give it a pyproject.toml" in run.out
    assert run.code == 1


PRECOMMIT_WITH_COMMENTS = """\
# Hooks for this repository; keep them fast.
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0  # pinned
    hooks:
      - id: trailing-whitespace
      # - id: check-yaml
"""


def test_init_prints_the_entry_when_no_existing_rev_is_known(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """No hook repo that runs the guardrail is configured and this build records no commit (an
    editable install): the entry is printed for a person to complete, never a guessed tag."""
    repo = _repo(
        tmp_path,
        project_venv,
        backend_extra="",
        files={".pre-commit-config.yaml": PRECOMMIT_WITH_COMMENTS},
    )
    for argv in (("--dry-run",), ()):
        init = guardrail(repo, "init", "--from-ci", *argv)
        assert init.code == 1, init
        assert (repo / ".pre-commit-config.yaml").read_text() == PRECOMMIT_WITH_COMMENTS
        assert (
            "add under repos: in .pre-commit-config.yaml (no hook repo in the config runs the "
            "guardrail, and this push-guardrail records no commit"
        ) in init.out, init
        assert (
            "  - repo: https://github.com/push-guardrail/push-guardrail\n"
            "    rev: <a tag or full commit id of push-guardrail>\n"
            "    hooks:\n"
            "      - id: guardrail\n"
            "        stages: [pre-push, manual]\n"
        ) in init.out, init


def test_partial_hook_at_push_leaves_mypy_uncovered(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    config = (
        "repos:\n"
        "  - repo: https://github.com/push-guardrail/push-guardrail\n"
        "    rev: v0.1.0\n"
        "    hooks:\n"
        "      - id: guardrail-ruff-check\n"
        "        stages: [pre-push]\n"
        "      - id: guardrail\n"
        "        stages: [pre-commit]\n"
    )
    repo = _repo(
        tmp_path, project_venv, backend_extra="", files={".pre-commit-config.yaml": config}
    )
    _, data = _json(guardrail, repo)
    mypy = _by_tool(data)["mypy"]
    assert mypy["status"] == "gap"
    assert mypy["reasons"] == [
        "the hook guardrail-ruff-check (.pre-commit-config.yaml:5) runs only ruff-check (--only)"
    ]
    init = guardrail(repo, "init", "--from-ci")
    assert init.code == 0, init
    text = (repo / ".pre-commit-config.yaml").read_text()
    assert "      - id: guardrail\n        stages: [pre-commit, pre-push]\n" in text
    _, data = _json(guardrail, repo)
    assert _by_tool(data)["mypy"]["status"] == "covered"


def test_unreadable_workflow_is_an_error(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = _repo(tmp_path, project_venv, workflow="jobs:\n  a: [\n")
    run = guardrail(repo, "doctor")
    assert run.code == 2, run
    assert f"guardrail: error: {CI}:3: not valid YAML" in run.err


def test_no_ci_and_unresolvable_folders(tmp_path: Path, project_venv: Path, guardrail: Any) -> None:
    repo = _repo(tmp_path, project_venv, workflow=None, backend_extra="")
    run = guardrail(repo, "doctor")
    assert "no CI definitions found (.github/workflows/*.yml, .gitlab-ci.yml)" in run.out, run
    matrix = MOTIVATING_WORKFLOW.replace(
        "working-directory: backend", "working-directory: ${{ matrix.dir }}"
    )
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / CI).write_text(matrix)
    _, data = _json(guardrail, repo)
    assert data["commands"] == [] and data["gaps"] == 0
    for tool in ("ruff-check", "ruff-format", "mypy", "pytest"):
        line = MOTIVATING_LINES[tool]
        assert any(
            n.startswith(f"{CI}:{line}: ")
            and n.endswith("not mirrored: runs in a folder that cannot be known without running CI")
            for n in data["notes"]
        ), data["notes"]


def test_matrix_python_other_than_the_project_interpreter_is_noted(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    workflow = MOTIVATING_WORKFLOW.replace('["3.11", "3.12"]', '["3.9"]')
    repo = _repo(tmp_path, project_venv, workflow=workflow, backend_extra="")
    run = guardrail(repo, "doctor")
    running = ".".join(str(v) for v in sys.version_info[:3])
    assert (
        f"{CI} job backend runs Python 3.9; the guardrail runs backend with Python "
        f"{running} (.venv)" in run.out
    ), run


def test_doctor_and_init_modules_stay_out_of_guardrail_run() -> None:
    code = (
        "import sys, hooks.cli, hooks.engine.gate, hooks.engine.run, hooks.report.terminal; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'ruamel', 'tomlkit', 'packaging'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ci_mypy_on_the_whole_folder_is_the_plan_and_explicit_writes_it(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    workflow = MOTIVATING_WORKFLOW.replace("run: mypy tunix_rt_backend", "run: mypy .")
    repo = _repo(tmp_path, project_venv, workflow=workflow, backend_extra="")
    _, data = _json(guardrail, repo)
    mypy = _by_tool(data)["mypy"]
    assert mypy["status"] == "covered" and mypy["changes"] == []
    assert mypy["guardrail"] == f"mypy .  (in backend, from {CI}:{MOTIVATING_LINES['mypy']})"
    guardrail(repo, "init", "--from-ci", "--explicit")
    assert (
        '[tool.guardrail.mypy]\ntargets = ["."]\n' in (repo / "backend/pyproject.toml").read_text()
    )
    _, data = _json(guardrail, repo)
    assert _by_tool(data)["mypy"]["status"] == "covered"


def test_outside_git(tmp_path: Path, guardrail: Any) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    run = guardrail(tmp_path, "doctor")
    assert run.code == 1, run
    assert f"FAIL pre-push hook: {tmp_path} is not a git repository: no hook can run" in run.out


def test_a_step_that_cannot_fail_ci_is_not_a_gap(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    workflow = MOTIVATING_WORKFLOW.replace(
        "run: mypy tunix_rt_backend", "run: mypy tunix_rt_backend\n        continue-on-error: true"
    )
    repo = _repo(tmp_path, project_venv, workflow=workflow)
    _, data = _json(guardrail, repo)
    assert _by_tool(data)["mypy"]["status"] == "advisory"
    assert data["gaps"] == 0
    run = guardrail(repo, "doctor")
    assert f"  --   {CI}:{MOTIVATING_LINES['mypy']}  mypy tunix_rt_backend" in run.out, run


ACTION_WORKFLOW = """\
name: ci
on: [push, pull_request]
jobs:
  guardrail:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"
      - uses: push-guardrail/push-guardrail@0123456789abcdef0123456789abcdef01234567
        with:
          args: --skip pytest
"""

SMALL_PROJECT = {
    "pyproject.toml": '[project]\nname = "small"\nversion = "0"\n',
    "small/__init__.py": "X = 1\n",
}


def test_doctor_treats_ci_running_the_guardrail_action_as_mirrored(
    tmp_path: Path, guardrail: Any
) -> None:
    """A workflow that uses the guardrail's own action runs the push hook's checks by
    construction: doctor says so, compares no command by hand, names the args CI gives it,
    and (with the hook installed) claims parity."""
    repo = make_repo(tmp_path / "repo", {**SMALL_PROJECT, CI: ACTION_WORKFLOW})
    assert guardrail(repo, "install").code == 0
    run = guardrail(repo, "doctor")
    assert run.code == 0, run
    action_line = ACTION_WORKFLOW.splitlines().index(
        "      - uses: push-guardrail/push-guardrail@0123456789abcdef0123456789abcdef01234567"
    )
    where = f"{CI}:{action_line + 1}: uses: push-guardrail/push-guardrail@0123456789abcdef"
    assert "CI runs the guardrail itself, so its checks are the push hook's by construction:" in (
        run.out
    )
    assert f"  ok   {where}" in run.out
    assert "No ruff, mypy or pytest command found" not in run.out
    assert "CI's guardrail run is given `--skip pytest`" in run.out
    assert "The push hook runs everything CI checks, and it is installed." in run.out
    code, data = _json(guardrail, repo)
    assert code == 0 and data["parity"] is True
    assert data["by_construction"] == [where + "0123456789abcdef01234567"]


def test_doctor_treats_a_guardrail_run_step_as_mirrored(tmp_path: Path, guardrail: Any) -> None:
    workflow = ACTION_WORKFLOW.replace(
        "      - uses: push-guardrail/push-guardrail@0123456789abcdef0123456789abcdef01234567\n"
        "        with:\n          args: --skip pytest\n",
        "      - run: pip install push-guardrail && guardrail run\n"
        "        continue-on-error: true\n",
    )
    repo = make_repo(tmp_path / "repo", {**SMALL_PROJECT, CI: workflow})
    assert guardrail(repo, "install").code == 0
    run = guardrail(repo, "doctor")
    assert run.code == 0, run
    assert "guardrail run" in run.out and "by construction" in run.out
    assert "CI's step cannot fail the job: its verdict never blocks CI" in run.out


def test_doctor_never_claims_parity_when_ci_runs_something_unread(
    tmp_path: Path, guardrail: Any
) -> None:
    """Every command doctor could read is covered, but CI also runs a nox session it does not
    expand: doctor names it and does not claim the push hook runs everything CI checks."""
    workflow = ACTION_WORKFLOW.replace(
        "      - uses: push-guardrail/push-guardrail@0123456789abcdef0123456789abcdef01234567\n"
        "        with:\n          args: --skip pytest\n",
        "      - run: ruff check .\n      - run: python tools/gate.py\n",
    )
    repo = make_repo(
        tmp_path / "repo", {**SMALL_PROJECT, CI: workflow, "tools/gate.py": "print('ok')\n"}
    )
    assert guardrail(repo, "install").code == 0
    run = guardrail(repo, "doctor")
    assert "python tools/gate.py: not mirrored: a Python script: not read" in run.out, run
    assert "The push hook runs everything CI checks" not in run.out
    assert "NOT mirrored (see Notes): the guardrail cannot promise CI's verdict here." in run.out
    code, data = _json(guardrail, repo)
    assert code == 0  # not a gap it can close: named, never claimed as parity
    assert data["parity"] is False and data["not_mirrored"] == 1
