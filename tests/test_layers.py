"""Configuration layers: guardrail defaults < hook args < [tool.guardrail], except what is enforced.

The precedence table in docs/organisation.md is the specification: every row is read from there
and run.
"""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from hooks import layers
from hooks.cli import build_parser
from hooks.commands import run as run_command
from hooks.errors import GuardrailError
from hooks.projects import load_projects
from tests.fixtures import commit_all, write_files

PAGE = Path(__file__).resolve().parent.parent / "docs" / "organisation.md"
TABLE_HEADING = "## Layers and their precedence"


@dataclass(frozen=True)
class Row:
    number: int
    hook_args: tuple[str, ...]
    project: str
    resolved: str

    @property
    def is_error(self) -> bool:
        return self.resolved.startswith("error")


def _cell(text: str) -> str:
    text = text.strip()
    return "" if text == "—" else text.strip("`")


def precedence_rows() -> list[Row]:
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index(TABLE_HEADING)
    rows: list[Row] = []
    in_table = False
    for ln in lines[start + 1 :]:
        if ln.startswith("|"):
            in_table = True
            cells = ln.strip("|").split("|")
            if cells[0].strip() in ("hook args (organisation)", "---"):
                continue
            hook, project, resolved = (_cell(c) for c in cells[:3])
            rows.append(Row(len(rows) + 1, tuple(shlex.split(hook)), project, resolved))
        elif in_table:
            break
    assert rows, "docs/organisation.md lost its precedence table"
    return rows


ROWS = precedence_rows()


def hook_args(*argv: str) -> layers.HookArgs:
    return run_command.hook_args(build_parser().parse_args(["run", *argv]))


def _flatten_toml(text: str) -> tuple[str, Any]:
    data = tomllib.loads(text)
    ((key, value),) = data.items()
    if isinstance(value, dict):
        ((sub, value),) = value.items()
        key = f"{key}.{sub}"
    return key, value


def _resolved(project_dir: Path, hook: layers.HookArgs, key: str) -> Any:
    (project,) = load_projects(project_dir, hook.layers)
    check, dot, sub = key.partition(".")
    value = getattr(project.config.check(check), sub) if dot else getattr(project.config, key)
    return list(value) if isinstance(value, tuple) else value


def _project(tmp_path: Path, table: str) -> Path:
    text = f'[project]\nname = "p"\n\n[tool.guardrail]\n{table}\n'
    write_files(tmp_path, {"pyproject.toml": text})
    return tmp_path


def test_the_precedence_table_has_every_kind_of_row() -> None:
    assert len(ROWS) >= 15
    assert sum(r.is_error for r in ROWS) >= 3
    assert any(not r.hook_args and not r.project for r in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[f"row{r.number}" for r in ROWS])
def test_precedence_row(row: Row, tmp_path: Path) -> None:
    project = _project(tmp_path, row.project)
    hook = hook_args(*row.hook_args)
    if row.is_error:
        with pytest.raises(GuardrailError) as caught:
            layers.enforce(project, hook)
        message = str(caught.value)
        assert str(project / "pyproject.toml") in message
        project_key = _flatten_toml(row.project)[0].rpartition(".")[2]
        assert project_key in message
        enforcing = [a for a in row.hook_args if a in ("--require", "--enforce")]
        assert enforcing and all(
            f"{flag} {row.hook_args[row.hook_args.index(flag) + 1]}" in message
            for flag in enforcing
        ), message
        return
    layers.enforce(project, hook)
    key, expected = _flatten_toml(row.resolved)
    assert _resolved(project, hook, key) == expected


@pytest.mark.parametrize("row", [r for r in ROWS if r.is_error], ids=lambda r: f"row{r.number}")
def test_enforced_rows_exit_2_through_the_cli(row: Row, tmp_path: Path, guardrail: Any) -> None:
    project = _project(tmp_path, row.project)
    run = guardrail(project, "run", *row.hook_args)
    assert run.code == 2, run
    assert run.out == "", run
    assert "pyproject.toml" in run.err and "hook args" in run.err, run


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--timeout", "pytest"], "CHECK=SECONDS"),
        (["--timeout", "nope=3"], "CHECK=SECONDS"),
        (["--timeout", "pytest=-1"], "positive number"),
        (["--timeout", "pytest=soon"], "positive number"),
        (["--enforce", "tools"], "do not set 'tools'"),
        (["--skip", "mypy", "--require", "mypy"], "--skip mypy contradicts --require mypy"),
    ],
)
def test_bad_hook_args_are_clear_errors(
    argv: list[str], words: str, tmp_path: Path, guardrail: Any
) -> None:
    run = guardrail(_project(tmp_path, ""), "run", *argv)
    assert run.code == 2, run
    assert words in run.err and "hook args" in run.err, run
    assert "Traceback" not in run.err


def test_unknown_required_check_is_a_usage_error(tmp_path: Path, guardrail: Any) -> None:
    with pytest.raises(SystemExit) as caught:
        guardrail(_project(tmp_path, ""), "run", "--require", "pylint")
    assert caught.value.code == 2


def test_hook_args_layer_is_typed_like_a_project_layer() -> None:
    hook = hook_args(
        "--mypy-arg=--strict",
        "--mypy-arg=--warn-unreachable",
        "--pytest-arg=-x",
        "--timeout",
        "pytest=900",
        "--skip",
        "ruff-format",
        "--fail-fast",
        "--tools",
        "bundled",
    )
    assert hook.layer == {
        "fail_fast": True,
        "checks": ("ruff-check", "mypy", "pytest"),
        "mypy.args": ("--strict", "--warn-unreachable"),
        "pytest.args": ("-x",),
        "pytest.timeout": 900.0,
        "tools": "bundled",
    }
    assert hook.notes == (
        "hook args (organisation defaults; [tool.guardrail] overrides them): --fail-fast "
        "--skip ruff-format --mypy-arg=--strict --mypy-arg=--warn-unreachable --pytest-arg=-x "
        "--timeout pytest=900 --tools bundled",
    )
    assert hook_args().layers == () and hook_args().notes == ()


def test_only_is_a_filter_not_a_default(motivating_repo: Path, guardrail: Any) -> None:
    """The per-check hooks say --only mypy; a project's checks cannot widen it."""
    run = guardrail(motivating_repo, "run", "--only", "mypy")
    assert run.code == 1, run
    assert "skipped           not selected by --only" in run.out
    assert "Push blocked: mypy failed." in run.out


# The same layers through real runs on the motivating repository (backend/ fails strict mypy).


def _set_backend_guardrail(repo: Path, table: str) -> None:
    path = repo / "backend" / "pyproject.toml"
    path.write_text(path.read_text(encoding="utf-8") + f"\n[tool.guardrail]\n{table}\n")
    commit_all(repo, "backend: guardrail settings")


def _status(out: str) -> dict[str, str]:
    status = {}
    for ln in out.splitlines():
        parts = ln.split()
        if ln.startswith("  ") and len(parts) > 2 and parts[1] in layers.CHECKS:
            status[parts[1]] = " ".join(parts[2:4]) if parts[2] == "not" else parts[2]
    return status


def test_org_mypy_arg_applies_until_the_project_sets_its_own(
    motivating_repo: Path, guardrail: Any
) -> None:
    org = ("--mypy-arg=--disable-error-code=type-arg",)
    run = guardrail(motivating_repo, "run", *org)
    assert run.code == 0, run
    assert "note: hook args (organisation defaults" in run.out
    assert "--mypy-arg=--disable-error-code=type-arg" in run.out

    _set_backend_guardrail(motivating_repo, "mypy.args = []")
    run = guardrail(motivating_repo, "run", *org)
    assert run.code == 1, run
    assert _status(run.out)["mypy"] == "failed"


def test_org_fail_fast_and_skip_are_defaults_the_project_overrides(
    motivating_repo: Path, guardrail: Any
) -> None:
    run = guardrail(motivating_repo, "run", "--fail-fast", "--jobs", "1")
    assert run.code == 1, run
    assert _status(run.out) == {
        "ruff-check": "passed",
        "ruff-format": "passed",
        "mypy": "failed",
        "pytest": "not run",
    }, run

    run = guardrail(motivating_repo, "run", "--skip", "pytest")
    assert _status(run.out)["pytest"] == "skipped", run
    assert "--skip" in run.out

    _set_backend_guardrail(
        motivating_repo,
        'fail_fast = false\nchecks = ["ruff-check", "ruff-format", "mypy", "pytest"]',
    )
    run = guardrail(motivating_repo, "run", "--fail-fast", "--skip", "pytest", "--jobs", "1")
    assert run.code == 1, run
    assert _status(run.out)["pytest"] == "passed", run


def test_require_names_the_hook_arg_and_the_project_file(
    motivating_repo: Path, guardrail: Any
) -> None:
    _set_backend_guardrail(motivating_repo, 'checks = ["ruff-check", "ruff-format", "pytest"]')
    run = guardrail(motivating_repo, "run", "--require", "mypy")
    assert run.code == 2, run
    assert run.out == ""
    assert str(motivating_repo / "backend" / "pyproject.toml") in run.err
    assert "[tool.guardrail] checks" in run.err and "--require mypy" in run.err, run

    run = guardrail(motivating_repo, "run")
    assert run.code == 0, run
    assert _status(run.out)["mypy"] == "skipped"


def _tools_line(out: str) -> str:
    return next(ln for ln in out.splitlines() if ln.startswith("  backend: python "))


def test_tools_bundled_names_versions_and_sources(motivating_repo: Path, guardrail: Any) -> None:
    mypy_version = metadata.version("mypy")
    run = guardrail(motivating_repo, "run", "--only", "ruff-check")
    assert f"mypy {mypy_version} (project env)" in _tools_line(run.out), run

    run = guardrail(motivating_repo, "run", "--only", "ruff-check", "--tools", "bundled")
    line = _tools_line(run.out)
    assert f"ruff {metadata.version('ruff')} (bundled)" in line, run
    assert f"mypy {mypy_version} (bundled)" in line, run
    assert f"pytest {metadata.version('pytest')} (project env)" in line, run

    _set_backend_guardrail(motivating_repo, 'tools = "project"')
    run = guardrail(motivating_repo, "run", "--only", "ruff-check", "--tools", "bundled")
    assert f"mypy {mypy_version} (project env)" in _tools_line(run.out), run
    run = guardrail(
        motivating_repo, "run", "--only", "ruff-check", "--tools", "bundled", "--enforce", "tools"
    )
    assert run.code == 2, run
    assert '[tool.guardrail] tools = "project"' in run.err and "--enforce tools" in run.err, run
