"""Reading CI definitions: GitHub workflows and GitLab CI in, the plan's checks with their file
and line out. The shell, launchers and commands underneath are tested on tiny exact inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.ci import CiCheck, CiPlan, read_ci, shell
from hooks.ci.commands import classify, unwrap
from hooks.ci.interp import join_dir
from hooks.errors import GuardrailError
from tests.ci_workflows import (
    GITLAB_CI,
    MOTIVATING_LINES,
    MOTIVATING_WORKFLOW,
    POETRY_WORKFLOW,
    UV_WORKFLOW,
)
from tests.fixtures import write_files

CI = ".github/workflows/ci.yml"


def _read(tmp_path: Path, files: dict[str, str]) -> CiPlan:
    write_files(tmp_path, files)
    return read_ci(tmp_path)


def _rows(checks: tuple[CiCheck, ...]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(c.origin.where(), c.folder, c.check, c.argv) for c in checks]


def _notes(plan: CiPlan) -> list[tuple[str, str, str]]:
    return [(n.origin.where(), n.text, n.why) for n in plan.not_mirrored]


def test_motivating_workflow(tmp_path: Path) -> None:
    plan = _read(tmp_path, {CI: MOTIVATING_WORKFLOW})
    at = {tool: f"{CI}:{line}" for tool, line in MOTIVATING_LINES.items()}
    assert _rows(plan.checks) == [
        (at["ruff-check"], "backend", "ruff-check", (".",)),
        (at["ruff-format"], "backend", "ruff-format", ("--check", ".")),
        (at["mypy"], "backend", "mypy", ("tunix_rt_backend",)),
        (
            at["pytest"],
            "backend",
            "pytest",
            ("-q", "--cov=tunix_rt_backend", "--cov-report=term-missing"),
        ),
    ]
    lines = MOTIVATING_WORKFLOW.splitlines()
    for tool, line in MOTIVATING_LINES.items():
        assert tool.split("-")[0] in lines[line - 1], (tool, lines[line - 1])
    check = plan.checks[0]
    assert (check.python_versions, check.workflow, check.job, check.advisory) == (
        ("3.11", "3.12"),
        CI,
        "backend",
        False,
    )
    assert plan.files == (CI,) and plan.gates == () and plan.pins == ()
    assert _notes(plan) == [
        (
            f"{CI}:15",
            "uses: dorny/paths-filter@v3",
            "a path filter the guardrail does not evaluate: every project is checked",
        )
    ]
    assert [(t.workflow, t.events, t.paths, t.paths_ignore) for t in plan.triggers] == [
        (CI, ("push", "pull_request"), None, None)
    ]


def test_uv_run_workflow_with_step_working_directory_and_folded_block(tmp_path: Path) -> None:
    plan = _read(tmp_path, {".github/workflows/lint.yaml": UV_WORKFLOW})
    rel = ".github/workflows/lint.yaml"
    assert [(c.origin.where(), c.folder, c.check, c.argv, c.launcher) for c in plan.checks] == [
        (f"{rel}:13", "backend", "ruff-check", ("tunix_rt_backend", "tests"), "uv run"),
        (f"{rel}:14", "backend", "ruff-format", ("--check", "."), "uv run"),
        (f"{rel}:17", "backend", "mypy", ("--strict", "tunix_rt_backend"), "uv run python -m"),
        (f"{rel}:20", "backend", "pytest", ("-m", "not slow", "-n", "auto"), "uv run"),
    ]
    mypy = plan.checks[2]
    assert mypy.pin is not None and (mypy.pin.version, mypy.pin.origin) == ("1.13.0", f"{rel}:17")


def test_poetry_workflow_cd_continuations_chains_and_runners(tmp_path: Path) -> None:
    plan = _read(tmp_path, {CI: POETRY_WORKFLOW})
    assert [(c.origin.where(), c.folder, c.check, c.argv, c.launcher) for c in plan.checks] == [
        (
            f"{CI}:15",
            "backend",
            "mypy",
            ("tunix_rt_backend", "--config-file", "pyproject.toml"),
            "poetry run",
        ),
        (
            f"{CI}:17",
            "backend",
            "pytest",
            ("--cov=tunix_rt_backend", "--cov-fail-under=90"),
            "poetry run",
        ),
        (f"{CI}:17", "backend", "ruff-check", (), "poetry run"),
    ]
    assert plan.checks[0].python_versions == ("3.10", "3.11")
    assert [(g.kind, g.threshold, g.origin.where()) for g in plan.gates] == [
        ("pytest-cov", 90.0, f"{CI}:17")
    ]
    assert [(w, t) for w, t, _ in _notes(plan)] == [
        (f"{CI}:18", "tox -e lint,py311"),
        (f"{CI}:18", "nox -s typecheck tests"),
    ]


def test_gitlab_ci_default_before_script_extends_and_hidden_templates(tmp_path: Path) -> None:
    plan = _read(tmp_path, {".gitlab-ci.yml": GITLAB_CI})
    assert [(c.origin.line, c.job, c.folder, c.check, c.argv, c.launcher) for c in plan.checks] == [
        (12, "lint", "backend", "ruff-check", (".",), ""),
        (13, "lint", "backend", "ruff-format", ("--check", "."), ""),
        (27, "types", "backend", "mypy", ("tunix_rt_backend",), "python -m"),
        (37, "test", "backend", "pytest", ("-x", "tests/"), "hatch run"),
    ]
    assert [c.python_versions for c in plan.checks] == [("3.12",)] * 3 + [("3.11",)]
    assert [(c.pin.version, c.pin.origin) if c.pin else None for c in plan.checks] == [
        ("0.4.10", ".gitlab-ci.yml:7"),
        ("0.4.10", ".gitlab-ci.yml:7"),
        None,
        None,
    ]


def test_read_ci_reads_every_workflow_and_gitlab(tmp_path: Path) -> None:
    plan = _read(
        tmp_path,
        {
            CI: MOTIVATING_WORKFLOW,
            ".github/workflows/uv.yaml": UV_WORKFLOW,
            ".github/workflows/notes.txt": "not a workflow",
            ".gitlab-ci.yml": GITLAB_CI,
        },
    )
    assert plan.files == (CI, ".github/workflows/uv.yaml", ".gitlab-ci.yml")
    assert len(plan.checks) == 12
    assert {(p.tool, p.version) for p in plan.pins} == {("mypy", "1.13.0"), ("ruff", "0.4.10")}


def test_broken_workflow_names_file_and_line(tmp_path: Path) -> None:
    write_files(tmp_path, {CI: "jobs:\n  a:\n    steps: [\n  - run: x\n"})
    with pytest.raises(GuardrailError, match=r"\.github/workflows/ci\.yml:\d+: not valid YAML"):
        read_ci(tmp_path)


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
        ("env PYTHONPATH=. pytest", (("pytest",), "")),
        ("python tools/check.py -m fast", (("python", "tools/check.py", "-m", "fast"), "")),
    ],
)
def test_launchers_are_peeled(line: str, expected: tuple[tuple[str, ...], str]) -> None:
    unwrapped = unwrap(line.split())
    assert (unwrapped.argv, unwrapped.launcher) == expected


def test_launcher_directories_and_versions() -> None:
    assert unwrap(["uv", "run", "--directory", "backend", "mypy", "pkg"]).directory == "backend"
    assert unwrap(["uvx", "ruff@0.6.0", "check"]).with_pins == ("ruff==0.6.0",)
    assert unwrap(["uv", "run", "--with", "mypy==1.13.0", "mypy"]).with_pins == ("mypy==1.13.0",)


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


def test_ruff_format_that_writes_is_a_check_only_under_pre_commit() -> None:
    assert classify(["ruff", "format", "src"], in_pre_commit=True) == ("ruff-format", ("src",))


def test_shell_parse_keeps_lines_quotes_and_structure() -> None:
    script = (
        "set -e\n"
        "# mypy commented out\n"
        "ruff check . && \\\n"
        "  mypy pkg; pytest -q | tee out\n"
        'if [ -d venv ]; then PREFIX="venv/bin/"; fi\n'
        "cat <<EOF\nmypy not-a-command\nEOF\n"
        "echo done\n"
    )
    statements = shell.parse(script, 10)
    simple = [
        (node.line, [w.raw for w in node.words])
        for statement in statements
        for pipeline in statement.pipelines
        for node in pipeline.commands
        if isinstance(node, shell.Simple)
    ]
    assert simple == [
        (10, ["set", "-e"]),
        (12, ["ruff", "check", "."]),
        (13, ["mypy", "pkg"]),
        (13, ["pytest", "-q"]),
        (13, ["tee", "out"]),
        (15, ["cat"]),
        (18, ["echo", "done"]),
    ]
    assert isinstance(statements[3].pipelines[0].commands[0], shell.If)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("${PREFIX}ruff", ["venv/bin/ruff"]),
        ("$SOURCES", ["pkg", "tests"]),
        ('"$SOURCES"', ["pkg tests"]),
        ('"$@"', ["-x", "a b"]),
        ("${MISSING:-fallback}", ["fallback"]),
        ("${PREFIX:+set}", ["set"]),
        ("'$PREFIX'", ["$PREFIX"]),
        ("$(git describe)", None),
        ("$HOME/x", None),
        ('""', [""]),
        ("$EMPTY", []),
    ],
)
def test_expansion(word: str, expected: list[str] | None) -> None:
    values = {"PREFIX": "venv/bin/", "SOURCES": "pkg tests", "EMPTY": ""}

    def lookup(name: str) -> str | None:
        return None if name == "HOME" else values.get(name, "")

    [token] = shell.tokenize(word)
    assert token.word is not None
    assert shell.expand(token.word, lookup, ["-x", "a b"]) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-z", ""], True),
        (["-n", ""], False),
        (["!", "-z", "true"], True),
        (["-d", "venv"], False),
        (["a", "=", "a"], True),
        (["1", "-lt", "2"], True),
        (["-z", "", "-a", "x", "!=", "y"], True),
        (["-nt", "a", "b"], None),
    ],
)
def test_evaluate_test(args: list[str], expected: bool | None) -> None:
    assert shell.evaluate_test(args, lambda op, path: False) is expected


@pytest.mark.parametrize(
    ("base", "sub", "expected"),
    [
        (".", "backend", "backend"),
        ("backend", "..", "."),
        ("backend", "./src", "backend/src"),
        (".", "/__ci_workspace__/backend", "backend"),
        (".", "..", None),
        (".", "/tmp", None),
    ],
)
def test_join_dir(base: str, sub: str, expected: str | None) -> None:
    assert join_dir(base, sub) == expected


def test_gitlab_nested_script_lists_from_anchors(tmp_path: Path) -> None:
    text = (
        ".setup: &setup\n"
        "  - cd backend\n"
        "types:\n"
        "  script:\n"
        "    - *setup\n"
        "    - mypy tunix_rt_backend\n"
    )
    plan = _read(tmp_path, {".gitlab-ci.yml": text})
    assert [(c.origin.where(), c.folder, c.check) for c in plan.checks] == [
        (".gitlab-ci.yml:6", "backend", "mypy")
    ]


def test_gitlab_local_includes_are_read_and_others_named(tmp_path: Path) -> None:
    plan = _read(
        tmp_path,
        {
            ".gitlab-ci.yml": (
                "include:\n  - local: ci/lint.yml\n  - template: Python.gitlab-ci.yml\n"
                "variables:\n  STRICT: '--strict'\n"
                "t:\n  script: [pytest]\n  rules:\n    - changes: [src/**]\n"
            ),
            "ci/lint.yml": "lint:\n  script:\n    - mypy $STRICT src\n",
        },
    )
    assert _rows(plan.checks) == [
        ("ci/lint.yml:3", ".", "mypy", ("--strict", "src")),
        (".gitlab-ci.yml:7", ".", "pytest", ()),
    ]
    assert plan.files == (".gitlab-ci.yml", "ci/lint.yml")
    assert _notes(plan) == [
        (
            ".gitlab-ci.yml:1",
            "include: Python.gitlab-ci.yml",
            "an include from another project, a template or a URL: not read",
        ),
        (
            ".gitlab-ci.yml:8",
            "rules: (job t)",
            "conditions the guardrail does not evaluate: every project is checked",
        ),
    ]


def test_shell_functions_loops_and_case_are_walked(tmp_path: Path) -> None:
    script = """\
#!/bin/bash
set -e
check() {
    mypy "$@"
}
forever() { forever; }
for pkg in core web; do
    check "src/$pkg"
done
case "$GITHUB_ACTIONS" in
    true) pytest -q ;;
    *) pytest ;;
esac
forever
"""
    plan = _read(
        tmp_path, {CI: "on: push\njobs:\n  t:\n    steps:\n      - run: ./ci.sh\n", "ci.sh": script}
    )
    assert _rows(plan.checks) == [
        (f"{CI}:5 -> ci.sh:4", ".", "mypy", ("src/core",)),
        (f"{CI}:5 -> ci.sh:4", ".", "mypy", ("src/web",)),
        (f"{CI}:5 -> ci.sh:11", ".", "pytest", ("-q",)),
    ]


def test_a_condition_only_ci_can_decide_reads_every_branch_and_says_so(tmp_path: Path) -> None:
    script = (
        "if command -v uv >/dev/null; then\n"
        "    uv run mypy src\n"
        "else\n"
        "    mypy src\n"
        "fi\n"
        'if [ "$(uname)" = Darwin ]; then echo mac; fi\n'
    )
    plan = _read(
        tmp_path, {CI: f"on: push\njobs:\n  t:\n    steps:\n      - run: |\n{_indent(script)}"}
    )
    assert [(c.origin.where(), c.launcher) for c in plan.checks] == [
        (f"{CI}:7", "uv run"),
        (f"{CI}:9", ""),
    ]
    assert _notes(plan) == [
        (
            f"{CI}:6",
            "if command -v uv",
            "a condition that cannot be decided without running CI: the commands of every "
            "branch were read",
        )
    ]


def _indent(text: str) -> str:
    return "".join(f"          {line}\n" for line in text.splitlines())
