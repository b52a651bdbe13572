"""Reading CI definitions: workflow files in, commands with their file and line out."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.ci.workflows import (
    CiCommand,
    CiDelegation,
    CiInstall,
    classify,
    expand_matrix,
    join_dir,
    parse_github,
    parse_gitlab,
    scan,
    script_lines,
    simple_commands,
    unwrap,
)
from hooks.errors import GuardrailError
from tests.ci_workflows import (
    GITLAB_CI,
    MOTIVATING_LINES,
    MOTIVATING_WORKFLOW,
    POETRY_WORKFLOW,
    UV_WORKFLOW,
)


def _write(tmp_path: Path, rel: str, text: str) -> Path:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _rows(commands: tuple[CiCommand, ...]) -> list[tuple[int, str, str, str, tuple[str, ...]]]:
    return [(c.line, c.job, c.cwd, c.tool, c.argv) for c in commands]


def test_motivating_workflow(tmp_path: Path) -> None:
    rel = ".github/workflows/ci.yml"
    result = parse_github(_write(tmp_path, rel, MOTIVATING_WORKFLOW), rel)
    assert _rows(result.commands) == [
        (MOTIVATING_LINES["ruff-check"], "backend", "backend", "ruff-check", (".",)),
        (MOTIVATING_LINES["ruff-format"], "backend", "backend", "ruff-format", ("--check", ".")),
        (MOTIVATING_LINES["mypy"], "backend", "backend", "mypy", ("tunix_rt_backend",)),
        (
            MOTIVATING_LINES["pytest"],
            "backend",
            "backend",
            "pytest",
            ("-q", "--cov=tunix_rt_backend", "--cov-report=term-missing"),
        ),
    ]
    lines = MOTIVATING_WORKFLOW.splitlines()
    for tool, line in MOTIVATING_LINES.items():
        assert tool.split("-")[0] in lines[line - 1], (tool, lines[line - 1])
    assert {c.python_versions for c in result.commands} == {("3.11", "3.12")}
    assert result.commands[0].where == f"{rel}:{MOTIVATING_LINES['ruff-check']}"
    assert result.delegations == () and result.installs == ()


def test_uv_run_workflow_with_step_working_directory_and_folded_block(tmp_path: Path) -> None:
    rel = ".github/workflows/lint.yaml"
    result = parse_github(_write(tmp_path, rel, UV_WORKFLOW), rel)
    assert [(c.line, c.cwd, c.tool, c.argv, c.launcher) for c in result.commands] == [
        (13, "backend", "ruff-check", ("tunix_rt_backend", "tests"), "uv run"),
        (14, "backend", "ruff-format", ("--check", "."), "uv run"),
        (17, "backend", "mypy", ("--strict", "tunix_rt_backend"), "uv run python -m"),
        (20, "backend", "pytest", ("-m", "not slow", "-n", "auto"), "uv run"),
    ]
    assert result.installs == (CiInstall(rel, 17, "mypy==1.13.0"),)


def test_poetry_workflow_cd_continuations_chains_and_delegations(tmp_path: Path) -> None:
    rel = ".github/workflows/ci.yml"
    result = parse_github(_write(tmp_path, rel, POETRY_WORKFLOW), rel)
    assert [(c.line, c.cwd, c.tool, c.argv, c.launcher) for c in result.commands] == [
        (
            15,
            "backend",
            "mypy",
            ("tunix_rt_backend", "--config-file", "pyproject.toml"),
            "poetry run",
        ),
        (17, "backend", "pytest", ("--cov=tunix_rt_backend", "--cov-fail-under=90"), "poetry run"),
        (17, "backend", "ruff-check", (), "poetry run"),
    ]
    assert result.commands[0].python_versions == ("3.10", "3.11")
    assert result.delegations == (
        CiDelegation(rel, 18, "test", "tox", ("lint", "py311"), "tox -e lint,py311"),
        CiDelegation(rel, 18, "test", "nox", ("typecheck", "tests"), "nox -s typecheck tests"),
    )


def test_gitlab_ci_default_before_script_extends_and_hidden_templates(tmp_path: Path) -> None:
    result = parse_gitlab(_write(tmp_path, ".gitlab-ci.yml", GITLAB_CI), ".gitlab-ci.yml")
    assert [(c.line, c.job, c.cwd, c.tool, c.argv, c.launcher) for c in result.commands] == [
        (12, "lint", "backend", "ruff-check", (".",), ""),
        (13, "lint", "backend", "ruff-format", ("--check", "."), ""),
        (27, "types", "backend", "mypy", ("tunix_rt_backend",), "python -m"),
        (37, "test", "backend", "pytest", ("-x", "tests/"), "hatch run"),
    ]
    assert [c.python_versions for c in result.commands] == [("3.12",)] * 3 + [("3.11",)]
    assert set(result.installs) == {CiInstall(".gitlab-ci.yml", 7, "ruff==0.4.10")}


def test_scan_reads_every_workflow_and_gitlab(tmp_path: Path) -> None:
    _write(tmp_path, ".github/workflows/ci.yml", MOTIVATING_WORKFLOW)
    _write(tmp_path, ".github/workflows/uv.yaml", UV_WORKFLOW)
    _write(tmp_path, ".github/workflows/notes.txt", "not a workflow")
    _write(tmp_path, ".gitlab-ci.yml", GITLAB_CI)
    result = scan(tmp_path)
    assert result.files == (
        ".github/workflows/ci.yml",
        ".github/workflows/uv.yaml",
        ".gitlab-ci.yml",
    )
    assert len(result.commands) == 12
    assert len(result.installs) == 2


def test_broken_workflow_names_file_and_line(tmp_path: Path) -> None:
    rel = ".github/workflows/ci.yml"
    _write(tmp_path, rel, "jobs:\n  a:\n    steps: [\n  - run: x\n")
    with pytest.raises(GuardrailError, match=r"\.github/workflows/ci\.yml:\d+: not valid YAML"):
        scan(tmp_path)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("python -m mypy pkg", (("mypy", "pkg"), "python -m")),
        ("python3.12 -m pytest -q", (("pytest", "-q"), "python -m")),
        ("uv run --python 3.12 --extra dev ruff check .", (("ruff", "check", "."), "uv run")),
        ("poetry run python -m pytest", (("pytest",), "poetry run python -m")),
        ("pipx run --spec ruff==0.5.0 ruff check", (("ruff", "check"), "pipx run")),
        ("uvx ruff@0.6.0 format --check", (("ruff", "format", "--check"), "uvx")),
        ("hatch run types:mypy src", (("mypy", "src"), "hatch run")),
        ("coverage run -m pytest tests", (("pytest", "tests"), "coverage run")),
        ("PYTHONPATH=. pytest", (("pytest",), "")),
    ],
)
def test_launchers_are_peeled(line: str, expected: tuple[tuple[str, ...], str]) -> None:
    [argv] = list(simple_commands(line))
    unwrapped = unwrap(argv)
    assert (unwrapped.argv, unwrapped.launcher) == expected


def test_uv_directory_moves_the_command() -> None:
    [argv] = list(simple_commands("uv run --directory backend mypy pkg"))
    assert unwrap(argv).directory == "backend"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ruff", "check", "--select", "E", "."], ("ruff-check", ("--select", "E", "."))),
        (["ruff", "."], ("ruff-check", (".",))),
        (["ruff", "format", "--diff", "."], ("ruff-format", ("--diff", "."))),
        (["ruff", "format", "."], None),
        (["ruff", "version"], None),
        (["dmypy", "run", "--", "pkg"], ("mypy", ("pkg",))),
        (["py.test"], ("pytest", ())),
        (["echo", "mypy"], None),
    ],
)
def test_classify(argv: list[str], expected: object) -> None:
    assert classify(argv) == expected


def test_shell_splitting_keeps_lines_and_drops_comments() -> None:
    script = "set -e\n# mypy commented out\nruff check . && \\\n  mypy pkg; pytest -q | tee out\n"
    lines = script_lines(script, 10)
    assert [(sl.line, sl.text.split()[0]) for sl in lines] == [(10, "set"), (11, "#"), (12, "ruff")]
    commands = [c for sl in lines for c in simple_commands(sl.text)]
    assert commands == [
        ["set", "-e"],
        ["ruff", "check", "."],
        ["mypy", "pkg"],
        ["pytest", "-q"],
        ["tee", "out"],
    ]


@pytest.mark.parametrize(
    ("base", "sub", "expected"),
    [
        (".", "backend", "backend"),
        ("backend", "..", "."),
        ("backend", "./src", "backend/src"),
        (".", "${{ github.workspace }}/backend", "backend"),
        (".", "$CI_PROJECT_DIR/backend", "backend"),
        (".", "${{ matrix.dir }}", "${{ matrix.dir }}"),
    ],
)
def test_join_dir(base: str, sub: str, expected: str) -> None:
    assert join_dir(base, sub) == expected


def test_reusable_workflows_and_local_actions_are_named(tmp_path: Path) -> None:
    text = (
        "jobs:\n"
        "  lint:\n"
        "    uses: ./.github/workflows/lint.yml\n"
        "  test:\n"
        "    steps:\n"
        "      - uses: ./.github/actions/checks\n"
        "      - run: pytest\n"
    )
    result = parse_github(_write(tmp_path, "ci.yml", text), "ci.yml")
    assert [(d.line, d.runner, d.envs) for d in result.delegations] == [
        (3, "workflow", ("./.github/workflows/lint.yml",)),
        (6, "action", ("./.github/actions/checks",)),
    ]
    assert [(c.line, c.tool) for c in result.commands] == [(7, "pytest")]


def test_commands_that_cannot_fail_ci_are_advisory(tmp_path: Path) -> None:
    workflow = (
        "jobs:\n"
        "  t:\n"
        "    steps:\n"
        "      - run: mypy pkg\n"
        "        continue-on-error: true\n"
        "      - run: ruff check .\n"
    )
    result = parse_github(_write(tmp_path, "ci.yml", workflow), "ci.yml")
    assert [(c.tool, c.advisory) for c in result.commands] == [
        ("mypy", True),
        ("ruff-check", False),
    ]
    gitlab = (
        "types:\n  allow_failure: true\n  script:\n    - mypy pkg\nlint:\n  script: ruff check\n"
    )
    result = parse_gitlab(_write(tmp_path, ".gitlab-ci.yml", gitlab), ".gitlab-ci.yml")
    assert [(c.line, c.tool, c.advisory) for c in result.commands] == [
        (4, "mypy", True),
        (6, "ruff-check", False),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("make lint typecheck", ("make", ("lint", "typecheck"))),
        ("make install", None),
        ("just test", ("just", ("test",))),
        ("./scripts/lint.sh --strict", ("script", ("./scripts/lint.sh",))),
        ("./scripts/deploy.sh", None),
        ("bash scripts/typecheck.sh", ("script", ("scripts/typecheck.sh",))),
        ("pre-commit run --all-files", ("pre-commit", ())),
        ("pre-commit run mypy --all-files", ("pre-commit", ("mypy",))),
    ],
)
def test_other_runners_are_named(tmp_path: Path, line: str, expected: object) -> None:
    text = f"jobs:\n  j:\n    steps:\n      - run: {line}\n"
    result = parse_github(_write(tmp_path, "ci.yml", text), "ci.yml")
    found = [(d.runner, d.envs) for d in result.delegations]
    assert found == ([expected] if expected else [])


def test_gitlab_includes_are_named(tmp_path: Path) -> None:
    text = (
        "include:\n  - local: ci/lint.yml\n  - template: Python.gitlab-ci.yml\n"
        "t:\n  script: [pytest]\n"
    )
    result = parse_gitlab(_write(tmp_path, ".gitlab-ci.yml", text), ".gitlab-ci.yml")
    assert [(d.line, d.runner, d.envs) for d in result.delegations] == [
        (1, "include", ("ci/lint.yml", "Python.gitlab-ci.yml"))
    ]
    assert [(c.line, c.tool) for c in result.commands] == [(5, "pytest")]


def test_matrix_folders_are_expanded(tmp_path: Path) -> None:
    text = (
        "jobs:\n"
        "  lint:\n"
        "    strategy:\n"
        "      matrix:\n"
        "        project: [backend, worker]\n"
        "        include:\n"
        "          - project: tools/cli\n"
        "    defaults:\n"
        "      run:\n"
        "        working-directory: ${{ matrix.project }}\n"
        "    steps:\n"
        "      - run: mypy .\n"
    )
    result = parse_github(_write(tmp_path, "ci.yml", text), "ci.yml")
    assert [(c.line, c.cwd) for c in result.commands] == [
        (12, "backend"),
        (12, "worker"),
        (12, "tools/cli"),
    ]
    assert expand_matrix("${{ matrix.dir }}", {"dir": [{"a": 1}]}) == ["${{ matrix.dir }}"]
    assert expand_matrix("src/${{ matrix.pkg }}", {"pkg": ["a", "b"]}) == ["src/a", "src/b"]


def test_gitlab_nested_script_lists_from_anchors(tmp_path: Path) -> None:
    text = (
        ".setup: &setup\n"
        "  - cd backend\n"
        "types:\n"
        "  script:\n"
        "    - *setup\n"
        "    - mypy tunix_rt_backend\n"
    )
    result = parse_gitlab(_write(tmp_path, ".gitlab-ci.yml", text), ".gitlab-ci.yml")
    assert [(c.line, c.cwd, c.tool) for c in result.commands] == [(6, "backend", "mypy")]
