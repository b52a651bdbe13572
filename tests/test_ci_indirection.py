"""CI reads through scripts, Makefiles, tox, nox and pre-commit: each shape as a small repository,
each command with the chain of files and lines it came through."""

from __future__ import annotations

from pathlib import Path

from tests.ci_shapes import CI, at, gate_rows, notes, pins_of, plan_of, rows

SCRIPT_WORKFLOW = """\
name: checks
on: [push]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: tools/setup
      - name: Static checks
        run: tools/verify -q
      - run: ./ci.sh
      - run: bash tools/types.sh strict
"""

SETUP = """\
#!/bin/sh -e
if [ -z "$GITHUB_ACTIONS" ]; then
    python3 -m venv local-env
    PIP="local-env/bin/pip"
else
    PIP="pip"
fi
"$PIP" install -r requirements/dev.txt
"""

VERIFY = """\
#!/bin/sh -e

export BIN=""
if [ -d 'venv' ] ; then
    export BIN="venv/bin/"
fi
TARGETS="src/app tests"

set -x

${BIN}ruff check $TARGETS "$@"
${BIN}ruff format --check $TARGETS
"""

CI_SH = """\
#!/usr/bin/env bash
cd src
mypy app || true
ruff check .
pytest ../tests
"""

TYPES_SH = """\
#!/bin/sh
set -euo pipefail
MODE=${1:-lenient}
if [ "$MODE" = strict ]; then
    mypy --strict src
else
    mypy src
fi
"""


def test_scripts_with_variables_conditionals_and_exit_status(tmp_path: Path) -> None:
    files = {
        CI: SCRIPT_WORKFLOW,
        "tools/setup": SETUP,
        "tools/verify": VERIFY,
        "ci.sh": CI_SH,
        "tools/types.sh": TYPES_SH,
        "requirements/dev.txt": "-r base.txt\nruff==0.6.9  # lint\n",
        "requirements/base.txt": "mypy==1.11.2\n",
        ".gitignore": "venv/\n",
        "venv/bin/ruff": "a developer's own venv: a fresh checkout has none\n",
    }
    plan = plan_of(tmp_path, files)
    verify = at(files, CI, "tools/verify")
    assert rows(plan.checks) == [
        (f"{verify} -> tools/verify:11", ".", "ruff-check", ("src/app", "tests", "-q"), False),
        (
            f"{verify} -> tools/verify:12",
            ".",
            "ruff-format",
            ("--check", "src/app", "tests"),
            False,
        ),
        # no `set -e`: only the last command's status is the script's
        (f"{CI}:11 -> ci.sh:3", "src", "mypy", ("app",), True),
        (f"{CI}:11 -> ci.sh:4", "src", "ruff-check", (".",), True),
        (f"{CI}:11 -> ci.sh:5", "src", "pytest", ("../tests",), False),
        (f"{CI}:12 -> tools/types.sh:5", ".", "mypy", ("--strict", "src"), False),
    ]
    assert dict(plan.checks[0].env) == {"BIN": ""}
    assert pins_of(plan.checks) == [
        ("ruff", "0.6.9", "requirements/dev.txt:2"),
        ("ruff", "0.6.9", "requirements/dev.txt:2"),
        ("mypy", "1.11.2", "requirements/base.txt:1"),
        ("ruff", "0.6.9", "requirements/dev.txt:2"),
        None,
        ("mypy", "1.11.2", "requirements/base.txt:1"),
    ]
    assert set(plan.files) >= {"tools/setup", "tools/verify", "ci.sh", "requirements/base.txt"}
    assert notes(plan) == []


MAKEFILE = """\
.DEFAULT_GOAL := check
PKG = myapp
SOURCES := $(PKG) tests
export COLUMNS = 120

.PHONY: check lint types test
check: lint types test

lint:  ## style
\t@ruff check $(SOURCES)
\truff format --check $(SOURCES)

types:
\t-mypy $(PKG)

test: types
\tcd backend && $(MAKE) unit ARGS=-x

fmt:
\truff format $(SOURCES)
"""

BACKEND_MAKEFILE = """\
unit:
\tpytest $(ARGS) tests; echo finished
"""

MAKE_WORKFLOW = """\
on: push
jobs:
  all:
    runs-on: ubuntu-latest
    steps:
      - run: make
  lint-src:
    runs-on: ubuntu-latest
    steps:
      - run: make lint SOURCES=src
      - run: make fmt
      - run: make docs
"""


def test_makefile_targets_prerequisites_variables_and_prefixes(tmp_path: Path) -> None:
    files = {CI: MAKE_WORKFLOW, "Makefile": MAKEFILE, "backend/Makefile": BACKEND_MAKEFILE}
    plan = plan_of(tmp_path, files)
    test_line = at(files, "Makefile", "$(MAKE) unit")
    assert rows(plan.checks) == [
        (f"{CI}:6 -> Makefile:10", ".", "ruff-check", ("myapp", "tests"), False),
        (f"{CI}:6 -> Makefile:11", ".", "ruff-format", ("--check", "myapp", "tests"), False),
        (f"{CI}:6 -> Makefile:14", ".", "mypy", ("myapp",), True),  # `-`: errors ignored
        # each recipe line is one `sh -c`: `pytest ...; echo finished` exits with echo's status
        (
            f"{CI}:6 -> {test_line} -> backend/Makefile:2",
            "backend",
            "pytest",
            ("-x", "tests"),
            True,
        ),
        (f"{CI}:10 -> Makefile:10", ".", "ruff-check", ("src",), False),
        (f"{CI}:10 -> Makefile:11", ".", "ruff-format", ("--check", "src"), False),
    ]
    assert {dict(c.env).get("COLUMNS") for c in plan.checks} == {"120"}
    assert notes(plan) == [(f"{CI}:12", "make docs", "Makefile has no rule for docs")]


TOX_INI = """\
[tox]
envlist = py{311,312}, lint

[testenv]
deps =
    pytest
    -r requirements-test.txt
setenv =
    APP_MODE = test
commands =
    pytest {posargs:tests -q}

[testenv:lint]
skip_install = true
deps =
    ruff==0.5.7
    mypy==1.10.1
changedir = src
commands =
    ruff check .
    - ruff format --check .
    mypy --config-file {toxinidir}/mypy.ini app
    py311: pytest never-in-lint
"""


def test_tox_envs_posargs_changedir_factors_and_deps(tmp_path: Path) -> None:
    files = {
        CI: (
            "on: push\njobs:\n  t:\n    steps:\n"
            "      - run: tox -e lint,py312 -- -x\n      - run: tox\n"
        ),
        "tox.ini": TOX_INI,
        "requirements-test.txt": "mypy==1.0.0\n",
    }
    plan = plan_of(tmp_path, files)
    ruff_line = at(files, "tox.ini", "ruff check .")
    mypy_line = at(files, "tox.ini", "mypy --config-file")
    pytest_line = at(files, "tox.ini", "pytest {posargs")
    assert rows(plan.checks) == [
        (f"{CI}:5 -> {ruff_line}", "src", "ruff-check", (".",), False),
        (f"{CI}:5 -> tox.ini:21", "src", "ruff-format", ("--check", "."), True),
        (f"{CI}:5 -> {mypy_line}", "src", "mypy", ("--config-file", "../mypy.ini", "app"), False),
        (f"{CI}:5 -> {pytest_line}", ".", "pytest", ("-x",), False),
        (f"{CI}:6 -> {pytest_line}", ".", "pytest", ("tests", "-q"), False),
        (f"{CI}:6 -> {pytest_line}", ".", "pytest", ("tests", "-q"), False),
        (f"{CI}:6 -> {ruff_line}", "src", "ruff-check", (".",), False),
        (f"{CI}:6 -> tox.ini:21", "src", "ruff-format", ("--check", "."), True),
        (f"{CI}:6 -> {mypy_line}", "src", "mypy", ("--config-file", "../mypy.ini", "app"), False),
    ]
    assert [c.python_versions for c in plan.checks[3:6]] == [("3.12",), ("3.11",), ("3.12",)]
    assert dict(plan.checks[3].env) == {"APP_MODE": "test"}
    assert pins_of(plan.checks[:3]) == [
        ("ruff", "0.5.7", at(files, "tox.ini", "ruff==")),
        ("ruff", "0.5.7", at(files, "tox.ini", "ruff==")),
        ("mypy", "1.10.1", at(files, "tox.ini", "mypy==")),
    ]
    assert ("mypy", "1.0.0", "requirements-test.txt:1") in {
        (p.tool, p.version, p.origin) for p in plan.pins
    }


def test_tox_in_pyproject_setup_cfg_and_native_toml(tmp_path: Path) -> None:
    workflow = (
        "on: push\njobs:\n  t:\n    steps:\n"
        "      - run: tox -e lint\n        working-directory: legacy\n"
        "      - run: tox -e lint\n        working-directory: cfg\n"
        "      - run: tox -e lint -- src\n        working-directory: native\n"
    )
    files = {
        CI: workflow,
        "legacy/pyproject.toml": (
            '[project]\nname = "x"\n\n[tool.tox]\nlegacy_tox_ini = """\n'
            "[testenv:lint]\ncommands = mypy {posargs:pkg}\n"
            '"""\n'
        ),
        "cfg/setup.cfg": "[metadata]\nname = y\n\n[tox:tox]\nenvlist = lint\n\n"
        "[testenv:lint]\ncommands =\n    ruff check {env:LINT_TARGET:.}\n",
        "native/tox.toml": (
            'env_list = ["lint"]\n\n[env.lint]\n'
            'commands = [["ruff", "format", "--check", { replace = "posargs", default = ["."] }]]\n'
        ),
    }
    plan = plan_of(tmp_path, files)
    assert rows(plan.checks) == [
        (f"{CI}:5 -> legacy/pyproject.toml:7", "legacy", "mypy", ("pkg",), False),
        (
            f"{CI}:7 -> {at(files, 'cfg/setup.cfg', 'ruff check')}",
            "cfg",
            "ruff-check",
            (".",),
            False,
        ),
        (f"{CI}:9 -> native/tox.toml:4", "native", "ruff-format", ("--check", "src"), False),
    ]


PRE_COMMIT_CONFIG = """\
exclude: ^docs/
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: 0123456789abcdef0123456789abcdef01234567  # frozen: v0.6.2
    hooks:
      - id: ruff
        args: [--fix]
        files: ^src/
      - id: ruff-format
  - repo: https://github.com/pre-commit/mirrors-mypy
    rev: v1.11.1
    hooks:
      - id: mypy
        additional_dependencies: [types-requests==2.32.0]
        exclude: ^tests/
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace
  - repo: local
    hooks:
      - id: types
        name: types
        entry: make types
        language: system
        types: [python]
        pass_filenames: false
      - id: slow-tests
        name: slow tests
        entry: pytest -m slow
        language: system
        stages: [manual]
        pass_filenames: false
      - id: strict-mypy
        name: strict mypy
        entry: mypy
        language: python
        additional_dependencies: ["mypy==1.9.0"]
        args: [--strict]
"""


def test_pre_commit_action_hooks_filters_versions_and_local_make_hooks(tmp_path: Path) -> None:
    files = {
        CI: "on: push\njobs:\n  lint:\n    steps:\n      - uses: pre-commit/action@v3.0.1\n",
        ".pre-commit-config.yaml": PRE_COMMIT_CONFIG,
        "Makefile": "types:\n\tmypy --warn-unused-ignores src\n",
    }
    plan = plan_of(tmp_path, files)
    config = ".pre-commit-config.yaml"
    step = f"{CI}:5"
    assert rows(plan.checks) == [
        (f"{step} -> {config}:6", ".", "ruff-check", ("--force-exclude", "--fix"), False),
        (f"{step} -> {config}:9", ".", "ruff-format", ("--force-exclude",), False),
        (
            f"{step} -> {config}:13",
            ".",
            "mypy",
            ("--ignore-missing-imports", "--scripts-are-modules"),
            False,
        ),
        (
            f"{step} -> {config}:22 -> Makefile:2",
            ".",
            "mypy",
            ("--warn-unused-ignores", "src"),
            False,
        ),
        (f"{step} -> {config}:34", ".", "mypy", ("--strict",), False),
    ]
    ruff, ruff_format, mypy, local, _ = plan.checks
    assert ruff.via_pre_commit is not None and ruff_format.via_pre_commit is not None
    assert (ruff.via_pre_commit.files, ruff.via_pre_commit.exclude) == (("^src/",), ("^docs/",))
    assert ruff_format.via_pre_commit.types_or == ("python", "pyi", "jupyter")
    assert mypy.via_pre_commit is not None
    assert mypy.via_pre_commit.exclude == ("^docs/", "^tests/")
    assert mypy.via_pre_commit.additional_dependencies == ("types-requests==2.32.0",)
    assert local.via_pre_commit is not None and local.via_pre_commit.hook_id == "types"
    assert (local.via_pre_commit.pass_filenames, local.via_pre_commit.types) == (False, ("python",))
    assert pins_of(plan.checks) == [
        ("ruff", "0.6.2", f"{config}:4"),
        ("ruff", "0.6.2", f"{config}:4"),
        ("mypy", "1.11.1", f"{config}:11"),
        None,
        ("mypy", "1.9.0", f"{config}:34"),
    ]
    assert mypy.pin is not None and mypy.pin.extra == ("types-requests==2.32.0",)


def test_pre_commit_run_one_hook_a_manual_stage_and_pre_commit_ci(tmp_path: Path) -> None:
    config = PRE_COMMIT_CONFIG + "ci:\n  skip: [types, strict-mypy]\n"
    workflow = (
        "on: push\njobs:\n  lint:\n    steps:\n"
        "      - run: pre-commit run mypy --all-files\n"
        "      - run: pre-commit run slow-tests --all-files --hook-stage manual\n"
        "      - run: pre-commit run --files src/a.py\n"
        "      - run: pre-commit run\n"
    )
    files = {CI: workflow, ".pre-commit-config.yaml": config, "Makefile": "types:\n\tmypy src\n"}
    plan = plan_of(tmp_path, files)
    ci_line = at(files, ".pre-commit-config.yaml", "ci:")
    assert [(c.origin.where(), c.check, c.workflow, c.job) for c in plan.checks] == [
        (f"{CI}:5 -> .pre-commit-config.yaml:13", "mypy", CI, "lint"),
        (f"{CI}:6 -> .pre-commit-config.yaml:28", "pytest", CI, "lint"),
        (f"{CI}:7 -> .pre-commit-config.yaml:6", "ruff-check", CI, "lint"),
        (f"{CI}:7 -> .pre-commit-config.yaml:9", "ruff-format", CI, "lint"),
        (f"{CI}:7 -> .pre-commit-config.yaml:13", "mypy", CI, "lint"),
        (f"{CI}:7 -> .pre-commit-config.yaml:22 -> Makefile:2", "mypy", CI, "lint"),
        (f"{CI}:7 -> .pre-commit-config.yaml:34", "mypy", CI, "lint"),
        # pre-commit.ci: every hook but those in ci.skip
        (
            f"{ci_line} -> .pre-commit-config.yaml:6",
            "ruff-check",
            ".pre-commit-config.yaml",
            "pre-commit.ci",
        ),
        (
            f"{ci_line} -> .pre-commit-config.yaml:9",
            "ruff-format",
            ".pre-commit-config.yaml",
            "pre-commit.ci",
        ),
        (
            f"{ci_line} -> .pre-commit-config.yaml:13",
            "mypy",
            ".pre-commit-config.yaml",
            "pre-commit.ci",
        ),
    ]
    assert plan.checks[1].argv == ("-m", "slow")
    assert notes(plan) == [
        (
            f"{CI}:7",
            "pre-commit run --files src/a.py",
            "pre-commit checks only the files this range changed; the guardrail checks all files",
        ),
        (
            f"{CI}:8",
            "pre-commit run",
            "without --all-files pre-commit checks only staged files: nothing in a CI checkout",
        ),
    ]


NOXFILE = """\
import nox

nox.options.sessions = ["lint", "tests"]
SOURCES = ["src", "tests"]


@nox.session(python="3.12")
def lint(session):
    session.install("ruff==0.4.1", "-r", "requirements-lint.txt")
    session.run("ruff", "check", *SOURCES)
    session.run("mypy", "src", success_codes=[0, 1])


@nox.session(python=["3.11", "3.12"], tags=["typing"])
def tests(session):
    session.install("-e", ".")
    session.chdir("src")
    session.run("pytest", *(session.posargs or ["../tests"]), env={"MODE": "ci"})
    session.run("mypy", f"--python-version={session.python}")


@nox.session(default=False, name="docs-check", tags=["typing"])
def docs(session):
    session.run("python", "-m", "mypy", "docs")
"""


def test_nox_sessions_read_with_ast(tmp_path: Path) -> None:
    workflow = (
        "on: push\njobs:\n  n:\n    steps:\n"
        "      - run: nox -s lint tests-3.12 -- -x\n"
        "      - run: nox -t typing\n"
        "      - run: nox\n"
        "      - run: nox -k 'not slow'\n"
    )
    files = {CI: workflow, "noxfile.py": NOXFILE, "requirements-lint.txt": "mypy==1.8.0\n"}
    plan = plan_of(tmp_path, files)
    ruff = at(files, "noxfile.py", '"ruff", "check"')
    mypy = at(files, "noxfile.py", '"mypy", "src"')
    pytest = at(files, "noxfile.py", '"pytest"')
    docs = at(files, "noxfile.py", '"docs"')
    assert rows(plan.checks) == [
        (f"{CI}:5 -> {ruff}", ".", "ruff-check", ("src", "tests"), False),
        (f"{CI}:5 -> {mypy}", ".", "mypy", ("src",), True),
        (f"{CI}:5 -> {pytest}", "src", "pytest", ("-x",), False),
        (f"{CI}:6 -> {pytest}", "src", "pytest", ("../tests",), False),
        (f"{CI}:6 -> {docs}", ".", "mypy", ("docs",), False),
        (f"{CI}:7 -> {ruff}", ".", "ruff-check", ("src", "tests"), False),
        (f"{CI}:7 -> {mypy}", ".", "mypy", ("src",), True),
        (f"{CI}:7 -> {pytest}", "src", "pytest", ("../tests",), False),
    ]
    assert [c.python_versions for c in plan.checks[:4]] == [
        ("3.12",),
        ("3.12",),
        ("3.12",),
        ("3.11", "3.12"),
    ]
    assert dict(plan.checks[2].env) == {"MODE": "ci"}
    assert pins_of(plan.checks[:2]) == [
        ("ruff", "0.4.1", at(files, "noxfile.py", 'session.install("ruff')),
        ("mypy", "1.8.0", "requirements-lint.txt:1"),
    ]
    unread = at(files, "noxfile.py", "--python-version")
    assert notes(plan) == [
        (
            f"{CI}:5 -> {unread}",
            "nox session tests",
            "a session.run whose argument f'--python-version={session.python}' is not a constant",
        ),
        (
            f"{CI}:6 -> {unread}",
            "nox session tests",
            "a session.run whose argument f'--python-version={session.python}' is not a constant",
        ),
        (
            f"{CI}:7 -> {unread}",
            "nox session tests",
            "a session.run whose argument f'--python-version={session.python}' is not a constant",
        ),
        (f"{CI}:8", "nox -k 'not slow'", "nox -k selects sessions by an expression: not read"),
    ]


def test_local_composite_actions_and_reusable_workflows(tmp_path: Path) -> None:
    files = {
        CI: (
            "on: push\njobs:\n"
            "  lint:\n    steps:\n"
            "      - uses: ./.github/actions/lint\n        with:\n          paths: src\n"
            "  reuse:\n    uses: ./.github/workflows/reusable.yml\n    with:\n      folder: svc\n"
            "  remote:\n    uses: org/shared/.github/workflows/py.yml@v1\n"
        ),
        ".github/actions/lint/action.yml": (
            "name: lint\ninputs:\n  paths:\n    default: .\n  strict:\n    default: '--strict'\n"
            "runs:\n  using: composite\n  steps:\n"
            "    - run: mypy ${{ inputs.strict }} ${{ inputs.paths }}\n      shell: bash\n"
        ),
        ".github/workflows/reusable.yml": (
            "on:\n  workflow_call:\n    inputs:\n      folder:\n        type: string\n"
            "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: pytest\n        working-directory: ${{ inputs.folder }}\n"
        ),
    }
    plan = plan_of(tmp_path, files)
    assert rows(plan.checks) == [
        (f"{CI}:5 -> .github/actions/lint/action.yml:10", ".", "mypy", ("--strict", "src"), False),
        (f"{CI}:9 -> .github/workflows/reusable.yml:10", "svc", "pytest", (), False),
    ]
    assert plan.checks[1].workflow == CI
    assert notes(plan) == [
        (
            f"{CI}:13",
            "uses: org/shared/.github/workflows/py.yml@v1",
            "a reusable workflow of another repository: not read",
        )
    ]


def test_coverage_gates_from_every_source(tmp_path: Path) -> None:
    workflow = (
        "on: push\njobs:\n"
        "  a:\n    steps:\n"
        "      - run: coverage run -m pytest\n"
        "      - run: coverage report --fail-under 95\n"
        "  b:\n    defaults:\n      run:\n        working-directory: svc\n    steps:\n"
        "      - run: pytest --cov=svc --cov-config=cov.ini\n"
        "  c:\n    steps:\n"
        "      - run: cd api && pytest --cov api\n"
        "      - run: cd lib && pytest\n"
        "      - run: cd web && coverage xml\n"
        "      - run: cd web && pytest --cov --no-cov\n"
        "      - run: cd none && pytest --cov=none\n"
    )
    files = {
        CI: workflow,
        "svc/cov.ini": "[run]\nbranch = true\n[report]\nfail_under = 88\n",
        "api/setup.cfg": "[metadata]\nname = api\n\n[coverage:report]\nfail_under=75\n",
        "lib/pyproject.toml": (
            '[project]\nname = "lib"\n\n[tool.pytest.ini_options]\n'
            'addopts = "--cov=lib --cov-fail-under=60"\n'
        ),
        "web/pyproject.toml": "[tool.coverage.report]\nshow_missing = true\nfail_under = 50\n",
        "none/pyproject.toml": "[tool.coverage.run]\nbranch = true\n",
    }
    plan = plan_of(tmp_path, files)
    assert gate_rows(plan.gates) == [
        ("coverage", ".", 95.0, f"{CI}:6", False),
        ("pytest-cov", "svc", 88.0, f"{CI}:12 -> svc/cov.ini:4", False),
        ("pytest-cov", "api", 75.0, f"{CI}:15 -> api/setup.cfg:5", False),
        ("pytest-cov", "lib", 60.0, f"{CI}:16 -> lib/pyproject.toml:5", False),
        ("coverage", "web", 50.0, f"{CI}:17 -> web/pyproject.toml:3", False),
    ]
    assert [g.argv for g in plan.gates] == [
        ("report", "--fail-under", "95"),
        ("--cov=svc", "--cov-config=cov.ini"),
        ("--cov", "api"),
        (),
        ("xml",),
    ]
    assert not any(g.combined for g in plan.gates)
    assert [g.config for g in plan.gates] == [
        None,
        "svc/cov.ini",
        "api/setup.cfg",
        None,
        "web/pyproject.toml",
    ]
