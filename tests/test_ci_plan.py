"""The plan read from CI: matrix, environment, pins from every source, triggers, the forms that
make a command advisory, what is not mirrored, and the shapes of three real projects' CI (written
anew here, not copied)."""

from __future__ import annotations

from pathlib import Path

from tests.ci_shapes import CI, at, gate_rows, notes, pins_of, plan_of, rows

UNKNOWN_FOLDER = "runs in a folder that cannot be known without running CI"


def test_matrix_folders_tox_envs_and_unknown_matrices(tmp_path: Path) -> None:
    workflow = """\
on: push
jobs:
  types:
    strategy:
      matrix:
        project: [api, worker]
        python-version: ["3.11", "3.12"]
        include:
          - project: tools/cli
    defaults:
      run:
        working-directory: ${{ matrix.project }}
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - run: mypy .
  tox:
    strategy:
      matrix:
        toxenv: [lint, py311]
        include:
          - toxenv: py312
    steps:
      - run: tox -e ${{ matrix.toxenv }}
  dynamic:
    strategy:
      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
    steps:
      - run: pytest
        working-directory: ${{ matrix.dir }}
"""
    files = {
        CI: workflow,
        "tox.ini": "[testenv]\ncommands = pytest\n[testenv:lint]\ncommands = ruff check .\n",
    }
    plan = plan_of(tmp_path, files)
    assert [(c.folder, c.check, c.python_versions) for c in plan.checks] == [
        ("api", "mypy", ("3.11", "3.12")),
        ("worker", "mypy", ("3.11", "3.12")),
        ("tools/cli", "mypy", ("3.11", "3.12")),
        (".", "ruff-check", ()),
        (".", "pytest", ("3.11",)),
        (".", "pytest", ("3.12",)),
    ]
    assert notes(plan) == [(at(files, CI, "- run: pytest"), "pytest", UNKNOWN_FOLDER)]


def test_environment_ci_sets_static_values_only(tmp_path: Path) -> None:
    workflow = """\
on: push
env:
  FORCE_COLOR: "1"
  TOKEN: ${{ secrets.TOKEN }}
jobs:
  test:
    env:
      APP_ENV: ci
      LEVEL: 3
    steps:
      - run: echo "EXTRA=yes" >> "$GITHUB_ENV"
      - run: |
          export MODE=strict
          LOCAL=only-the-shell
          SEED=7 pytest -p no:randomly
        env:
          FORCE_COLOR: "0"
          WHEN: ${{ github.sha }}
"""
    plan = plan_of(tmp_path, {CI: workflow})
    [check] = plan.checks
    assert dict(check.env) == {
        "FORCE_COLOR": "0",
        "APP_ENV": "ci",
        "LEVEL": "3",
        "EXTRA": "yes",
        "MODE": "strict",
        "SEED": "7",
    }
    assert check.origin.where() == f"{CI}:15"


def test_pins_from_every_source_each_check_with_the_version_it_runs(tmp_path: Path) -> None:
    uv_lock = (
        'version = 1\n\n[[package]]\nname = "mypy"\nversion = "1.14.1"\n\n'
        '[[package]]\nname = "ruff"\nversion = "0.9.2"\nsource = { registry = "x" }\n'
    )
    poetry_lock = '[[package]]\nname = "mypy"\nversion = "1.7.0"\ndescription = ""\n'
    workflow = """\
on: push
jobs:
  requirements:
    steps:
      - run: pip install -r requirements/ci.txt
      - run: ruff check . && mypy .
  uv:
    defaults:
      run:
        working-directory: svc
    steps:
      - run: uv sync --locked
      - run: uv run ruff check .
  poetry:
    steps:
      - run: cd p && poetry install && poetry run mypy .
  inline:
    steps:
      - run: python -m pip install "ruff==0.4.4" 'mypy==1.8.0'
      - run: ruff format --check . ; mypy src
  extras:
    steps:
      - run: pip install -e '.[lint]'
      - run: ruff check src
  action:
    steps:
      - uses: astral-sh/ruff-action@v3
        with:
          version: 0.5.1
          args: format --check
  uvx:
    steps:
      - run: uvx ruff@0.7.0 check
"""
    files = {
        CI: workflow,
        "requirements/ci.txt": "-r common.txt\nruff==0.3.5\n",
        "requirements/common.txt": "# shared\nmypy==1.6.1 ; python_version >= '3.8'\n",
        "svc/uv.lock": uv_lock,
        "p/poetry.lock": poetry_lock,
        "pyproject.toml": (
            '[project]\nname = "x"\n[project.optional-dependencies]\nlint = ["ruff==0.2.2"]\n'
        ),
    }
    plan = plan_of(tmp_path, files)
    assert [(c.job, c.check) for c in plan.checks] == [
        ("requirements", "ruff-check"),
        ("requirements", "mypy"),
        ("uv", "ruff-check"),
        ("poetry", "mypy"),
        ("inline", "ruff-format"),
        ("inline", "mypy"),
        ("extras", "ruff-check"),
        ("action", "ruff-format"),
        ("uvx", "ruff-check"),
    ]
    assert pins_of(plan.checks) == [
        ("ruff", "0.3.5", "requirements/ci.txt:2"),
        ("mypy", "1.6.1", "requirements/common.txt:2"),
        ("ruff", "0.9.2", "svc/uv.lock:9"),
        ("mypy", "1.7.0", "p/poetry.lock:3"),
        ("ruff", "0.4.4", f"{CI}:19"),
        ("mypy", "1.8.0", f"{CI}:19"),
        ("ruff", "0.2.2", "pyproject.toml:4"),
        ("ruff", "0.5.1", f"{CI}:27"),
        ("ruff", "0.7.0", f"{CI}:33"),
    ]
    assert plan.checks[7].argv == ("--check", ".")
    assert {"requirements/common.txt", "svc/uv.lock", "p/poetry.lock"} <= set(plan.files)


def test_triggers(tmp_path: Path) -> None:
    files = {
        ".github/workflows/a.yml": (
            "on:\n  push:\n    branches: [main]\n    paths: ['api/**', '!api/docs/**']\n"
            "  pull_request:\njobs:\n  t:\n    steps:\n      - run: pytest api\n"
        ),
        ".github/workflows/b.yml": (
            "on:\n  push:\n    paths-ignore: ['**.md']\n"
            "jobs:\n  t:\n    uses: ./.github/workflows/c.yml\n"
        ),
        ".github/workflows/c.yml": (
            "on: workflow_call\njobs:\n  t:\n    steps:\n      - run: mypy .\n"
        ),
        ".github/workflows/d.yml": (
            "on:\n  schedule:\n    - cron: '0 2 * * *'\n"
            "jobs:\n  t:\n    steps:\n      - run: pytest\n"
        ),
    }
    plan = plan_of(tmp_path, files)
    assert [(t.workflow, t.events, t.paths, t.paths_ignore) for t in plan.triggers] == [
        (".github/workflows/a.yml", ("push", "pull_request"), ("api/**", "!api/docs/**"), None),
        (".github/workflows/b.yml", ("push",), None, ("**.md",)),
        (".github/workflows/c.yml", ("workflow_call",), None, None),
        (".github/workflows/d.yml", ("schedule",), None, None),
    ]
    assert [(c.workflow, c.origin.where()) for c in plan.checks] == [
        (".github/workflows/a.yml", ".github/workflows/a.yml:9"),
        (".github/workflows/b.yml", ".github/workflows/b.yml:6 -> .github/workflows/c.yml:5"),
        (".github/workflows/d.yml", ".github/workflows/d.yml:7"),
    ]


def test_advisory_forms(tmp_path: Path) -> None:
    workflow = """\
on: push
jobs:
  optional:
    continue-on-error: true
    steps:
      - run: pytest
  main:
    steps:
      - run: mypy .
        continue-on-error: true
      - run: |
          ruff check . || true
          pytest || exit 1
          ruff check . | tee ruff.log
          ruff format --check . && mypy src
          pytest tests/unit
      - run: pytest | tee out.log
        shell: bash
      - run: |
          set +e
          mypy docs
          pytest tests/fast
"""
    gitlab = (
        "lint:\n  allow_failure: true\n  script: [ruff check .]\n"
        "types:\n  when: manual\n  script: [mypy .]\n"
        "test:\n  script:\n    - pytest | tee log\n"
    )
    plan = plan_of(tmp_path, {CI: workflow, ".gitlab-ci.yml": gitlab})
    assert [(c.origin.where(), c.check, c.advisory) for c in plan.checks] == [
        (f"{CI}:6", "pytest", True),  # the job may fail
        (f"{CI}:9", "mypy", True),  # the step may fail
        (f"{CI}:12", "ruff-check", True),  # || true
        (f"{CI}:13", "pytest", False),  # || exit 1 still fails
        (f"{CI}:14", "ruff-check", True),  # bash -e without pipefail: tee's status
        (f"{CI}:15", "ruff-format", True),  # before && and not last: set -e ignores it
        (f"{CI}:15", "mypy", False),
        (f"{CI}:16", "pytest", False),
        (f"{CI}:17", "pytest", False),  # shell: bash adds pipefail
        (f"{CI}:21", "mypy", True),  # set +e: only the last status counts
        (f"{CI}:22", "pytest", False),
        (".gitlab-ci.yml:3", "ruff-check", True),
        (".gitlab-ci.yml:6", "mypy", True),
        (".gitlab-ci.yml:9", "pytest", False),  # GitLab runs bash with pipefail
    ]


def test_what_is_not_mirrored(tmp_path: Path) -> None:
    workflow = """\
on: push
jobs:
  changes:
    steps:
      - uses: dorny/paths-filter@v3
        id: filter
  backend:
    if: needs.changes.outputs.backend == 'true'
    steps:
      - run: pytest
      - run: mypy $PACKAGES
        env:
          PACKAGES: ${{ vars.PACKAGES }}
      - run: python tools/type_gate.py
      - run: python tools/release.py
      - run: scripts/lint-all
      - run: mypy src
        if: github.event_name == 'push'
      - run: just typecheck
  docs:
    if: github.ref == 'refs/heads/main'
    steps:
      - run: mkdocs build
      - run: tools/broken.sh
"""
    files = {CI: workflow, "tools/broken.sh": "#!/bin/sh\nif [ -n x ]; then\n  mypy .\n"}
    plan = plan_of(tmp_path, files)
    assert [(c.origin.where(), c.check) for c in plan.checks] == [
        (f"{CI}:10", "pytest"),
        (f"{CI}:17", "mypy"),
    ]
    assert notes(plan) == [
        (
            f"{CI}:5",
            "uses: dorny/paths-filter@v3",
            "a path filter the guardrail does not evaluate: every project is checked",
        ),
        (f"{CI}:11", "mypy $PACKAGES", "uses a value only CI knows (a variable, $(...) or ${{ }})"),
        (f"{CI}:14", "python tools/type_gate.py", "a Python script: not read"),
        (f"{CI}:16", "scripts/lint-all", "a script that is not in the repository"),
        (
            f"{CI}:18",
            "if: github.event_name == 'push'",
            "a step condition the guardrail does not evaluate: the step counts as run",
        ),
        (f"{CI}:19", "just typecheck", "just tasks are not read"),
        (
            f"{CI}:8",
            "if: needs.changes.outputs.backend == 'true'",
            "a job condition the guardrail does not evaluate: every project is checked",
        ),
        (
            f"{CI}:24 -> tools/broken.sh:3",
            "#!/bin/sh",
            "not shell this reader understands (expected 'fi', found 'end of script'): "
            "its commands were not read",
        ),
    ]


# --- the shapes of three real projects' CI, in new words ---

ORBIT_CI = """\
name: CI
on:
  pull_request:
  push:
    branches: [main]
jobs:
  changes:
    runs-on: ubuntu-latest
    steps:
      - uses: dorny/paths-filter@v3
        id: filter
        with:
          filters: |
            backend:
              - 'backend/**'
  backend:
    needs: changes
    if: needs.changes.outputs.backend == 'true'
    strategy:
      matrix:
        python-version: ['3.11', '3.12']
    defaults:
      run:
        working-directory: backend
    steps:
      - uses: astral-sh/setup-uv@v5
      - run: uv sync --locked --extra dev
      - name: Lint
        run: uv run ruff check .
      - name: Format
        run: uv run ruff format --check .
      - name: Types
        run: uv run mypy orbit_api
      - name: Tests
        run: >-
          uv run pytest -q --cov=orbit_api --cov-branch
          --cov-config=.coveragerc --cov-report=term
      - name: Gates
        run: uv run python tools/cov_gate.py
"""

ORBIT_PRE_COMMIT = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.14.0
    hooks:
      - id: ruff
        args: [--fix, --exit-non-zero-on-fix]
        files: ^backend/
      - id: ruff-format
        files: ^backend/
  - repo: https://github.com/pre-commit/mirrors-mypy
    rev: v1.13.0
    hooks:
      - id: mypy
        files: ^backend/orbit_api/
        args: [--config-file=backend/pyproject.toml, backend/orbit_api]
        additional_dependencies: [pydantic>=2]
        pass_filenames: false
ci:
  autofix_prs: true
"""

LOCK = (
    'version = 1\n\n[[package]]\nname = "mypy"\nversion = "{mypy}"\n\n'
    '[[package]]\nname = "ruff"\nversion = "{ruff}"\n'
)


def test_tunix_rt_shape(tmp_path: Path) -> None:
    """A backend/ project whose CI runs ``mypy <package>`` there, a pytest-cov threshold from
    .coveragerc, versions from uv.lock, and pre-commit.ci with pinned hooks."""
    files = {
        CI: ORBIT_CI,
        ".pre-commit-config.yaml": ORBIT_PRE_COMMIT,
        "backend/.coveragerc": (
            "[run]\nbranch = True\n\n[report]\nfail_under = 70\nshow_missing = True\n"
        ),
        "backend/uv.lock": LOCK.format(mypy="1.19.1", ruff="0.14.10"),
        "backend/pyproject.toml": '[project]\nname = "orbit-api"\n',
    }
    plan = plan_of(tmp_path, files)
    config = ".pre-commit-config.yaml"
    ci_key = at(files, config, "ci:")
    assert rows(plan.checks) == [
        (at(files, CI, "ruff check"), "backend", "ruff-check", (".",), False),
        (at(files, CI, "ruff format"), "backend", "ruff-format", ("--check", "."), False),
        (at(files, CI, "mypy orbit_api"), "backend", "mypy", ("orbit_api",), False),
        (
            at(files, CI, "uv run pytest"),
            "backend",
            "pytest",
            (
                "-q",
                "--cov=orbit_api",
                "--cov-branch",
                "--cov-config=.coveragerc",
                "--cov-report=term",
            ),
            False,
        ),
        (
            f"{ci_key} -> {config}:5",
            ".",
            "ruff-check",
            ("--force-exclude", "--fix", "--exit-non-zero-on-fix"),
            False,
        ),
        (f"{ci_key} -> {config}:8", ".", "ruff-format", ("--force-exclude",), False),
        (
            f"{ci_key} -> {config}:13",
            ".",
            "mypy",
            ("--config-file=backend/pyproject.toml", "backend/orbit_api"),
            False,
        ),
    ]
    assert plan.checks[0].python_versions == ("3.11", "3.12")
    assert gate_rows(plan.gates) == [
        (
            "pytest-cov",
            "backend",
            70.0,
            f"{at(files, CI, 'uv run pytest')} -> backend/.coveragerc:5",
            False,
        )
    ]
    assert pins_of(plan.checks) == [
        ("ruff", "0.14.10", "backend/uv.lock:9"),
        ("ruff", "0.14.10", "backend/uv.lock:9"),
        ("mypy", "1.19.1", "backend/uv.lock:5"),
        None,
        ("ruff", "0.14.0", f"{config}:3"),
        ("ruff", "0.14.0", f"{config}:3"),
        ("mypy", "1.13.0", f"{config}:11"),
    ]
    assert [(n.origin.where(), n.text) for n in plan.not_mirrored] == [
        (at(files, CI, "dorny/paths-filter"), "uses: dorny/paths-filter@v3"),
        (at(files, CI, "cov_gate.py"), "uv run python tools/cov_gate.py"),
        (at(files, CI, "if: needs"), "if: needs.changes.outputs.backend == 'true'"),
    ]


HTTP_CI = """\
name: Test Suite
on:
  push:
    branches: ["master"]
  pull_request:
jobs:
  tests:
    strategy:
      matrix:
        python-version: ["3.9", "3.13"]
    steps:
      - uses: actions/setup-python@v6
        with:
          python-version: "${{ matrix.python-version }}"
      - name: "Install dependencies"
        run: "scripts/install"
      - name: "Run linting checks"
        run: "scripts/check"
      - name: "Run tests"
        run: "scripts/test"
      - name: "Enforce coverage"
        run: "scripts/coverage"
"""

HTTP_SCRIPTS = {
    "scripts/install": """\
#!/bin/sh -e

[ "$1" = "-p" ] && PYTHON=$2 || PYTHON="python3"
REQUIREMENTS="requirements.txt"

if [ -z "$GITHUB_ACTIONS" ]; then
    "$PYTHON" -m venv venv
    PIP="venv/bin/pip"
else
    PIP="pip"
fi

"$PIP" install -r "$REQUIREMENTS"
""",
    "scripts/check": """\
#!/bin/sh -e

export PREFIX=""
if [ -d 'venv' ] ; then
    export PREFIX="venv/bin/"
fi
export SOURCE_FILES="webclient tests"

set -x

./scripts/version-match
${PREFIX}ruff format $SOURCE_FILES --diff
${PREFIX}mypy $SOURCE_FILES
${PREFIX}ruff check $SOURCE_FILES
""",
    "scripts/version-match": """\
#!/bin/sh -e
A=$(grep -o '[0-9.]*' CHANGELOG.md | head -1)
B=$(grep -o '[0-9.]*' webclient/__version__.py | head -1)
if [ "$A" != "$B" ]; then
    echo "versions differ"
    exit 1
fi
""",
    "scripts/test": """\
#!/bin/sh

export PREFIX=""
if [ -d 'venv' ] ; then
    export PREFIX="venv/bin/"
fi

set -ex

if [ -z $GITHUB_ACTIONS ]; then
    scripts/check
fi

${PREFIX}coverage run -m pytest "$@"

if [ -z $GITHUB_ACTIONS ]; then
    scripts/coverage
fi
""",
    "scripts/coverage": """\
#!/bin/sh -e

export PREFIX=""
if [ -d 'venv' ] ; then
    export PREFIX="venv/bin/"
fi

set -x

${PREFIX}coverage report --show-missing --skip-covered --fail-under=100
""",
}


def test_httpx_shape(tmp_path: Path) -> None:
    """Scripts with a PREFIX for a local venv and SOURCE_FILES, ``mypy webclient tests``, ruff
    format on two folders, a separate 100% coverage step, versions from requirements.txt."""
    files = {
        CI: HTTP_CI,
        **HTTP_SCRIPTS,
        "requirements.txt": (
            "-e .[http2]\n\n# Tests & Linting\ncoverage[toml]==7.10.6\nmypy==1.17.1\n"
            "pytest==8.4.1\nruff==0.12.11\n"
        ),
        "pyproject.toml": (
            '[project]\nname = "webclient"\n\n[tool.coverage.run]\nomit = ["venv/*"]\n'
        ),
    }
    plan = plan_of(tmp_path, files)
    check = f"{CI}:18 -> scripts/check"
    assert rows(plan.checks) == [
        (f"{check}:12", ".", "ruff-format", ("webclient", "tests", "--diff"), False),
        (f"{check}:13", ".", "mypy", ("webclient", "tests"), False),
        (f"{check}:14", ".", "ruff-check", ("webclient", "tests"), False),
        (f"{CI}:20 -> scripts/test:14", ".", "pytest", (), False),
    ]
    assert plan.checks[3].launcher == "coverage run"
    assert plan.checks[0].python_versions == ("3.9", "3.13")
    assert gate_rows(plan.gates) == [
        ("coverage", ".", 100.0, f"{CI}:22 -> scripts/coverage:10", False)
    ]
    assert plan.gates[0].argv == ("report", "--show-missing", "--skip-covered", "--fail-under=100")
    assert pins_of(plan.checks) == [
        ("ruff", "0.12.11", "requirements.txt:7"),
        ("mypy", "1.17.1", "requirements.txt:5"),
        ("ruff", "0.12.11", "requirements.txt:7"),
        None,
    ]
    assert notes(plan) == []


SETTINGS_CI = """\
name: CI
on:
  push:
    branches: [main]
  pull_request: {}
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: astral-sh/setup-uv@v7
        with:
          python-version: '3.13'
      - run: |
          uv sync --group linting --all-extras
          uv pip install pip
      - uses: pre-commit/action@v3.0.1
        with:
          extra_args: --all-files
        env:
          PRE_COMMIT_COLOR: always
  test:
    strategy:
      matrix:
        python: ['3.10', '3.14']
    env:
      PYTHON: ${{ matrix.python }}
    steps:
      - run: uv sync --group testing --all-extras
      - name: test
        run: make test
        env:
          COVERAGE_FILE: coverage/.coverage.${{ runner.os }}-py${{ matrix.python }}
  coverage:
    needs: [test]
    steps:
      - run: uv run coverage combine coverage
      - run: uv run coverage html --show-contexts --title "coverage for ${{ github.sha }}"
      - run: uv run coverage report --fail-under 98
"""

SETTINGS_MAKEFILE = """\
.DEFAULT_GOAL := all
sources = settings_kit tests

.PHONY: lint
lint:
\tuv run ruff check $(sources)
\tuv run ruff format --check $(sources)

.PHONY: mypy
mypy:
\tuv run mypy settings_kit

.PHONY: test
test:
\tuv run coverage run -m pytest --durations=10

.PHONY: all
all: lint mypy test
"""

SETTINGS_PRE_COMMIT = """\
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.3.0
    hooks:
      - id: check-yaml
  - repo: local
    hooks:
      - id: lint
        name: Lint
        entry: make lint
        types: [python]
        language: system
        pass_filenames: false
      - id: mypy
        name: Mypy
        entry: make mypy
        types: [python]
        language: system
        pass_filenames: false
"""


def test_pydantic_settings_shape(tmp_path: Path) -> None:
    """pre-commit/action running local hooks that run make targets: ``ruff format --check`` on
    two folders, mypy on the package; a coverage report step in its own job; uv.lock versions."""
    files = {
        CI: SETTINGS_CI,
        "Makefile": SETTINGS_MAKEFILE,
        ".pre-commit-config.yaml": SETTINGS_PRE_COMMIT,
        "uv.lock": LOCK.format(mypy="1.18.2", ruff="0.16.3"),
        "pyproject.toml": (
            '[project]\nname = "settings-kit"\n\n[tool.coverage.run]\nbranch = true\n'
        ),
    }
    plan = plan_of(tmp_path, files)
    hook = f"{CI}:16 -> .pre-commit-config.yaml"
    assert rows(plan.checks) == [
        (f"{hook}:8 -> Makefile:6", ".", "ruff-check", ("settings_kit", "tests"), False),
        (
            f"{hook}:8 -> Makefile:7",
            ".",
            "ruff-format",
            ("--check", "settings_kit", "tests"),
            False,
        ),
        (f"{hook}:14 -> Makefile:11", ".", "mypy", ("settings_kit",), False),
        (f"{CI}:30 -> Makefile:15", ".", "pytest", ("--durations=10",), False),
    ]
    assert [c.via_pre_commit.hook_id if c.via_pre_commit else None for c in plan.checks] == [
        "lint",
        "lint",
        "mypy",
        None,
    ]
    assert plan.checks[3].python_versions == ("3.10", "3.14")
    assert dict(plan.checks[0].env) == {"PRE_COMMIT_COLOR": "always"}
    assert gate_rows(plan.gates) == [
        ("coverage", ".", 98.0, at(files, CI, "--fail-under 98"), False)
    ]
    assert (plan.gates[0].argv, plan.gates[0].combined) == (("report", "--fail-under", "98"), True)
    assert pins_of(plan.checks) == [
        ("ruff", "0.16.3", "uv.lock:9"),
        ("ruff", "0.16.3", "uv.lock:9"),
        ("mypy", "1.18.2", "uv.lock:5"),
        None,
    ]
    assert notes(plan) == []


def test_other_ci_systems_are_named_not_read(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {".travis.yml": "script: mypy .\n", ".circleci/config.yml": "version: 2.1\n"},
    )
    assert plan.checks == () and plan.files == ()
    assert notes(plan) == [
        (".travis.yml:1", ".travis.yml", "a CI system whose definitions are not read"),
        (
            ".circleci/config.yml:1",
            ".circleci/config.yml",
            "a CI system whose definitions are not read",
        ),
    ]
