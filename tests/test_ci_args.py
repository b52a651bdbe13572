"""Verdict-changing options, and the ruff/mypy pins a project keeps for CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.ci.args import SPECS, Option, rebased_tokens, split, verdict_args
from hooks.pins import Pin, poetry_spec, project_pins, requirement_pin, satisfies
from tests.fixtures import write_files


def _names(
    tool: str, argv: list[str], cwd: str = ".", gate: bool = False
) -> list[tuple[str, str | None]]:
    return [(o.name, o.value) for o in verdict_args(tool, argv, cwd, coverage_gate=gate).options]


def test_split_forms() -> None:
    parts = split(
        ["-k", "fast", "-mnot slow", "-qx", "--cov=pkg", "--tb", "short", "tests"], SPECS["pytest"]
    )
    assert [(o.name, o.value) for o in parts.options] == [
        ("-k", "fast"),
        ("-m", "not slow"),
        ("-q", None),
        ("-x", None),
        ("--cov", "pkg"),
        ("--tb", "short"),
    ]
    assert parts.positionals == ("tests",)


def test_cosmetic_options_do_not_count() -> None:
    assert _names("pytest", ["-q", "-n", "auto", "--cov-report=xml", "-rA", "-x"]) == []
    assert _names("mypy", ["--pretty", "--show-error-codes", "--no-incremental", "pkg"]) == []
    assert _names("ruff-check", ["--output-format=github", "-q", "--statistics", "."]) == []
    assert _names("ruff-format", ["--check", "--diff", "--output-format=github", "."]) == []


@pytest.mark.parametrize(
    "flag",
    [
        "--fix",
        "--no-fix",
        "--fix-only",
        "--diff",
        "--unsafe-fixes",
        "--no-unsafe-fixes",
        "--unfixable=F401",
        "--fixable=F401",
        "--exit-zero",
        "-e",
        "--exit-non-zero-on-fix",
    ],
)
def test_what_ruff_check_does_with_fixes_changes_the_verdict(flag: str) -> None:
    """With fix = true, CI's `ruff check --no-fix .` fails on what `ruff check .` fixes; and so
    on for each: none of them is cosmetic for ruff check (issue 11 row 10)."""
    name, _, value = flag.partition("=")
    assert _names("ruff-check", [flag, "."]) == [(name, value or None)]


def test_verdict_options_count_and_unknown_ones_too() -> None:
    assert _names("mypy", ["--strict", "--warn-unreachable", "pkg"]) == [
        ("--strict", None),
        ("--warn-unreachable", None),
    ]
    assert _names("ruff-check", ["--select", "E,F", "--preview"]) == [
        ("--select", "E,F"),
        ("--preview", None),
    ]
    assert _names("pytest", ["-m", "not slow", "-W", "error"]) == [
        ("-m", "not slow"),
        ("-W", "error"),
    ]


def test_coverage_counts_only_with_a_threshold() -> None:
    assert _names("pytest", ["--cov=pkg", "--cov-branch"]) == []
    assert _names("pytest", ["--cov=pkg"], gate=True) == [("--cov", "pkg")]
    assert _names("pytest", ["--cov=pkg", "--cov-fail-under", "80.0"]) == [
        ("--cov", "pkg"),
        ("--cov-fail-under", "80"),
    ]


def test_paths_are_compared_from_the_repository_root() -> None:
    ci = verdict_args(
        "mypy",
        ["--config-file", "pyproject.toml", "-p", "pkg", "src"],
        "backend",
        coverage_gate=False,
    )
    assert [(o.name, o.value) for o in ci.options] == [("--config-file", "backend/pyproject.toml")]
    assert ci.positionals == ("backend/src",)
    assert ci.package_targets == ("p:pkg",)
    mine = verdict_args(
        "mypy", ["--config-file=../pyproject.toml"], "backend/sub", coverage_gate=False
    )
    assert [(o.name, o.value) for o in mine.options] == [
        ("--config-file", "backend/pyproject.toml")
    ]


def test_rebased_tokens_for_another_folder() -> None:
    option = Option("--config-file", "x", ("--config-file", "cfg/mypy.ini"))
    assert rebased_tokens(option, "mypy", ".", "backend") == ("--config-file", "../cfg/mypy.ini")
    joined = Option("-c", "x", ("-cpytest.ini",))
    assert rebased_tokens(joined, "pytest", "backend", "backend") == ("-cpytest.ini",)
    plain = Option("--strict", None, ("--strict",))
    assert rebased_tokens(plain, "mypy", ".", "backend") == ("--strict",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("^0.5.1", ">=0.5.1,<0.6"),
        ("^1.10", ">=1.10,<2"),
        ("~1.10.0", ">=1.10.0,<1.11"),
        ("1.11.2", "==1.11.2"),
        ("*", None),
        ({"version": ">=1"}, ">=1"),
    ],
)
def test_poetry_spec(value: object, expected: str | None) -> None:
    assert poetry_spec(value) == expected


def test_requirement_pin() -> None:
    assert requirement_pin("ruff==0.5.0 ; python_version >= '3.8'", "x") == Pin(
        "ruff", "==0.5.0", "x"
    )
    assert requirement_pin("mypy[reports] >= 1.10", "x") == Pin("mypy", ">=1.10", "x")
    assert requirement_pin("ruff", "x") is None
    assert requirement_pin("ruff-lsp==0.1", "x") is None


def test_project_pins_from_every_source(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[dependency-groups]\nlint = ["ruff>=0.4,<0.5"]\n',
            "requirements-dev.txt": "# tools\n-r requirements.txt\nmypy==1.10.0\n",
            "backend/pyproject.toml": (
                '[project]\nname = "b"\n[project.optional-dependencies]\n'
                'dev = ["mypy==1.11.2", "pytest"]\n'
                '[tool.poetry.group.dev.dependencies]\nruff = "^0.5.1"\n'
            ),
            "backend/uv.lock": 'version = 1\n[[package]]\nname = "ruff"\nversion = "0.5.7"\n',
        },
    )
    pins = project_pins(tmp_path, "backend")
    assert pins == [
        Pin("mypy", "==1.11.2", "backend/pyproject.toml [project.optional-dependencies] dev"),
        Pin("ruff", ">=0.5.1,<0.6", "backend/pyproject.toml [tool.poetry.group.dev.dependencies]"),
        Pin("ruff", "==0.5.7", "backend/uv.lock"),
        Pin("ruff", ">=0.4,<0.5", "pyproject.toml [dependency-groups] lint"),
        Pin("mypy", "==1.10.0", "requirements-dev.txt:3"),
    ]


def test_satisfies() -> None:
    assert satisfies("0.5.7", ">=0.5.1,<0.6") is True
    assert satisfies("0.17.6", "==0.5.0") is False
    assert satisfies("0.5.0", "==not a version") is None
