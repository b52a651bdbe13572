"""``guardrail doctor`` compares the plan the push hook derives from CI with CI itself, both
ways: no less than CI (a GAP, exit 1) and no more than CI (a WARN, exit 0). Real repositories,
real git, pre-commit, ruff, mypy and pytest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hooks.ci import read_ci
from tests.fixtures import make_repo
from tests.test_doctor import _install_precommit_hook

CI = ".github/workflows/ci.yml"
CI_COMMANDS = ("ruff check .", "ruff format --check .", "mypy small", "python -m pytest -q")


def _workflow(*commands: str) -> str:
    steps = "".join(f"      - run: {c}\n" for c in commands)
    return (
        "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n" + steps
    )


def _line(workflow: str, command: str) -> int:
    return workflow.splitlines().index(f"      - run: {command}") + 1


def _files(*commands: str, guardrail: str = "") -> dict[str, str]:
    return {
        "pyproject.toml": '[project]\nname = "small"\nversion = "0"\n' + guardrail,
        "small/__init__.py": "X: int = 1\n",
        "tools/__init__.py": "Y: int = 2\n",
        "tests/test_small.py": "from small import X\n\n\ndef test_x() -> None:\n"
        "    assert X == 1\n",
        CI: _workflow(*(commands or CI_COMMANDS)),
    }


def _hook_config(*args: str) -> str:
    listed = "".join(f"          - {a}\n" for a in args)
    return (
        "repos:\n  - repo: local\n    hooks:\n      - id: guardrail\n        name: guardrail\n"
        "        entry: guardrail run\n        language: system\n        pass_filenames: false\n"
        "        stages: [pre-push]\n" + (f"        args:\n{listed}" if args else "")
    )


def _hooked(tmp_path: Path, venv: Path, hook_args: tuple[str, ...], *commands: str) -> Path:
    """A repository whose pre-push guardrail hook (pre-commit, installed) has ``hook_args``."""
    files = {**_files(*commands), ".pre-commit-config.yaml": _hook_config(*hook_args)}
    repo = make_repo(tmp_path / "repo", files, venv=venv)
    _install_precommit_hook(repo, tmp_path / "pre-commit-home")
    return repo


def _doctor(guardrail: Any, repo: Path) -> tuple[Any, dict[str, Any]]:
    text = guardrail(repo, "doctor")
    data = json.loads(guardrail(repo, "doctor", "--format", "json").out)
    assert data["exit_code"] == text.code, (text, data)
    return text, data


def _by_tool(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["tool"]: c for c in data["commands"]}


def test_a_fully_mirrored_repo_claims_parity(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """CI runs the four checks; the push hook derives each from CI with nothing in between:
    every command is ok, shown as the hook runs it with the CI line it comes from."""
    repo = make_repo(tmp_path / "repo", _files(), venv=project_venv)
    assert guardrail(repo, "install").code == 0
    run, data = _doctor(guardrail, repo)
    assert run.code == 0, run
    workflow = _workflow(*CI_COMMANDS)
    for command in data["commands"]:
        assert command["status"] == "covered", command
        assert command["warnings"] == [] and command["reasons"] == []
        assert f"from {CI}:{_line(workflow, command['text'])}" in command["guardrail"], command
    assert _by_tool(data)["mypy"]["guardrail"].startswith("mypy small  (in ., from ")
    assert data["more_than_ci"] == [] and data["warnings"] == 0
    assert data["parity"] is True
    assert "The push hook runs everything CI checks, and it is installed." in run.out
    assert "the push hook runs: mypy small" in run.out


def test_hook_args_skipping_a_check_ci_runs_is_a_gap(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """``--skip mypy`` in the pre-push hook's args: CI runs mypy, the push does not."""
    repo = _hooked(tmp_path, project_venv, ("--skip", "mypy"))
    run, data = _doctor(guardrail, repo)
    assert run.code == 1, run
    mypy = _by_tool(data)["mypy"]
    assert mypy["status"] == "gap"
    assert mypy["reasons"] == [
        "the hook guardrail (.pre-commit-config.yaml:4) skips it (--skip mypy)"
    ]
    assert mypy["manual"] == [
        "remove --skip mypy from the hook guardrail (.pre-commit-config.yaml:4)'s args"
    ]
    others = [c for c in data["commands"] if c["tool"] != "mypy"]
    assert [c["status"] for c in others] == ["covered"] * 3
    assert data["parity"] is False
    assert "1 CI command not covered by the push hook" in run.out


def test_hook_only_leaves_the_other_checks_uncovered(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    repo = _hooked(tmp_path, project_venv, ("--only", "ruff-check"))
    run, data = _doctor(guardrail, repo)
    assert run.code == 1, run
    status = {tool: c["status"] for tool, c in _by_tool(data).items()}
    assert status == {
        "ruff-check": "covered",
        "ruff-format": "gap",
        "mypy": "gap",
        "pytest": "gap",
    }
    assert _by_tool(data)["pytest"]["reasons"] == [
        "the hook guardrail (.pre-commit-config.yaml:4) runs only ruff-check (--only)"
    ]


def test_project_checks_dropping_pytest_is_a_gap_init_closes(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """The project's ``checks`` leaves pytest out while CI runs it: a GAP naming the key and the
    file; ``init --from-ci`` puts pytest back and doctor then claims parity."""
    own = '\n[tool.guardrail]\nchecks = ["ruff-check", "ruff-format", "mypy"]\n'
    repo = make_repo(tmp_path / "repo", _files(guardrail=own), venv=project_venv)
    assert guardrail(repo, "install").code == 0
    run, data = _doctor(guardrail, repo)
    assert run.code == 1, run
    pytest_cmd = _by_tool(data)["pytest"]
    assert pytest_cmd["status"] == "gap"
    assert pytest_cmd["reasons"] == [
        "[tool.guardrail] checks in pyproject.toml leaves it out (ruff-check, ruff-format, mypy)"
    ]
    assert pytest_cmd["changes"] == [{"project": ".", "key": "checks", "values": ["pytest"]}]
    init = guardrail(repo, "init", "--from-ci")
    assert "pyproject.toml: [tool.guardrail] checks += ['pytest']" in init.out, init
    run, data = _doctor(guardrail, repo)
    assert run.code == 0 and data["parity"] is True, run


def test_require_of_a_check_ci_does_not_run_warns(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """CI runs ruff only; the hook's ``--require mypy`` makes mypy block at push: a WARN that
    names the hook, exit 0, and no parity claimed."""
    repo = _hooked(tmp_path, project_venv, ("--require", "mypy"), "ruff check .")
    run, data = _doctor(guardrail, repo)
    assert run.code == 0, run
    assert data["more_than_ci"] == [
        {
            "project": ".",
            "check": "mypy",
            "reasons": [
                "the hook guardrail (.pre-commit-config.yaml:4) requires it (--require mypy)"
            ],
        }
    ]
    assert data["parity"] is False and data["warnings"] == 1
    assert _by_tool(data)["ruff-check"]["status"] == "covered"
    assert "  WARN mypy: the hook guardrail (.pre-commit-config.yaml:4) requires it" in run.out
    assert "blocks on more than CI in 1 place" in run.out


def test_project_checks_naming_a_check_ci_does_not_run_warns(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    own = '\n[tool.guardrail]\nchecks = ["ruff-check", "pytest"]\n'
    repo = make_repo(tmp_path / "repo", _files("ruff check .", guardrail=own), venv=project_venv)
    assert guardrail(repo, "install").code == 0
    run, data = _doctor(guardrail, repo)
    assert run.code == 0, run
    assert data["more_than_ci"] == [
        {
            "project": ".",
            "check": "pytest",
            "reasons": ["[tool.guardrail] checks in pyproject.toml names it"],
        }
    ]


def test_project_targets_wider_than_cis_warn_narrower_ones_are_a_gap(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    wider = '\n[tool.guardrail.mypy]\ntargets = ["small", "tools"]\n'
    repo = make_repo(tmp_path / "wide", _files(guardrail=wider), venv=project_venv)
    assert guardrail(repo, "install").code == 0
    run, data = _doctor(guardrail, repo)
    assert run.code == 0, run
    mypy = _by_tool(data)["mypy"]
    assert mypy["status"] == "covered"
    assert mypy["warnings"] == [
        "blocks on more than CI: [tool.guardrail.mypy] targets in pyproject.toml adds tools, "
        "which CI does not check"
    ]
    assert data["parity"] is False
    assert "WARN blocks on more than CI: [tool.guardrail.mypy] targets" in run.out

    narrower = '\n[tool.guardrail.mypy]\ntargets = ["tools"]\n'
    repo = make_repo(tmp_path / "narrow", _files(guardrail=narrower), venv=project_venv)
    assert guardrail(repo, "install").code == 0
    run, data = _doctor(guardrail, repo)
    assert run.code == 1, run
    assert _by_tool(data)["mypy"]["reasons"] == [
        "[tool.guardrail.mypy] targets in pyproject.toml (tools) does not cover CI's small"
    ]


def test_project_args_replacing_cis_are_compared_both_ways(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """CI runs ``mypy --strict small``; the project's args replace CI's: leaving ``--strict``
    out is a GAP, adding ``--warn-unreachable`` beside it a WARN."""
    commands = ("mypy --strict small",)
    dropped = '\n[tool.guardrail.mypy]\nargs = ["--warn-unreachable"]\n'
    repo = make_repo(tmp_path / "a", _files(*commands, guardrail=dropped), venv=project_venv)
    assert guardrail(repo, "install").code == 0
    run, data = _doctor(guardrail, repo)
    assert run.code == 1, run
    assert _by_tool(data)["mypy"]["reasons"] == [
        "[tool.guardrail.mypy] args in pyproject.toml replaces CI's arguments and leaves out "
        "--strict"
    ]
    added = '\n[tool.guardrail.mypy]\nargs = ["--strict", "--warn-unreachable"]\n'
    repo = make_repo(tmp_path / "b", _files(*commands, guardrail=added), venv=project_venv)
    assert guardrail(repo, "install").code == 0
    run, data = _doctor(guardrail, repo)
    assert run.code == 0, run
    assert _by_tool(data)["mypy"]["warnings"] == [
        "blocks on more than CI: [tool.guardrail.mypy] args in pyproject.toml adds "
        "--warn-unreachable"
    ]


def test_not_mirrored_items_say_whether_they_may_hide_a_check(tmp_path: Path) -> None:
    """A job ``if:`` is a filter (every project is checked): it hides no check run. A Python
    script CI runs may run any check: the plan fails closed on it."""
    workflow = (
        "on: [push]\njobs:\n  test:\n    if: github.ref == 'refs/heads/main'\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n"
        "      - run: python tools/gate.py\n"
    )
    repo = make_repo(tmp_path / "repo", {**_files(), CI: workflow, "tools/gate.py": "0\n"})
    hides = {item.text: item.hides_checks for item in read_ci(repo).not_mirrored}
    assert hides == {
        "if: github.ref == 'refs/heads/main'": False,
        "python tools/gate.py": True,
    }


def test_bad_hook_args_are_a_clear_error(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """Hook args the push would refuse make doctor stop with the file, line and hook named."""
    files = {**_files(), ".pre-commit-config.yaml": _hook_config("--skip", "nosuch")}
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "doctor")
    assert run.code == 2, run
    assert "Traceback" not in run.err
    assert (
        "guardrail: error: .pre-commit-config.yaml:4 hook guardrail: the guardrail hook's args: "
        "argument --skip: unknown check 'nosuch'" in run.err
    )
