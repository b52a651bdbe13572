"""CI's Python matrix: mypy once per version (``--python-version``) unless its config sets
``python_version``; pytest under each matrix interpreter found here, a loud non-blocking line for
each one that is not; ``[tool.guardrail] python_versions`` limits it. Real mypy, real pytest,
a real second interpreter (pyenv's 3.12 in a ``.venv-3.12`` with pytest from the index)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hooks.checks import pytest as pytest_check
from hooks.checks.base import CiStep, Invocation
from hooks.engine.plan import Planned
from hooks.engine.run import execute_one
from hooks.errors import GuardrailError
from hooks.findings import CheckResult, Status
from hooks.projects import Project, load_projects
from tests.fixtures import make_repo, venv_python

PYENV_312 = Path.home() / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3.12"
GITIGNORE = ".venv\n.venv-3.12\n__pycache__/\n.mypy_cache/\n.pytest_cache/\n"
# typing.Self is new in 3.11: mypy checking for 3.10 does not know it.
SELF = "from typing import Self\n\n\nclass Node:\n    def me(self) -> Self:\n        return self\n"
# itertools.batched is new in 3.12: the test fails under 3.11 only.
BATCHED = "import itertools\n\n\ndef pairs(items):\n    return list(itertools.batched(items, 2))\n"
BATCHED_TEST = (
    "from demo import pairs\n\n\ndef test_pairs():\n    assert pairs([1, 2, 3]) == [(1, 2), (3,)]\n"
)
SIMPLE_TEST = "def test_ok():\n    assert True\n"


@pytest.fixture(scope="session")
def venv_312(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python 3.12 virtualenv with pytest, as a project keeps one per matrix version."""
    if not PYENV_312.is_file():
        pytest.skip(f"needs pyenv's Python 3.12 at {PYENV_312}")
    where = tmp_path_factory.mktemp("py312") / "venv"
    subprocess.run([str(PYENV_312), "-m", "venv", str(where)], check=True, capture_output=True)
    subprocess.run(
        [str(venv_python(where)), "-m", "pip", "install", "-q", "pytest"],
        check=True,
        capture_output=True,
    )
    return where


def _repo(
    tmp_path: Path,
    venv: Path,
    files: dict[str, str],
    *,
    guardrail: str = "",
    v312: Path | None = None,
) -> Path:
    pyproject = f'[project]\nname = "demo"\nversion = "0"\n{guardrail}'
    root = make_repo(
        tmp_path / "repo",
        {"pyproject.toml": pyproject, ".gitignore": GITIGNORE, **files},
        venv=venv,
    )
    if v312 is not None:
        (root / ".venv-3.12").symlink_to(v312, target_is_directory=True)
    return root


def _project(root: Path) -> Project:
    (project,) = load_projects(root)
    return project


def _run(root: Path, check: str, *versions: str) -> CheckResult:
    # CI's command: `mypy demo`, `pytest`.
    argv = ("demo",) if check == "mypy" else ()
    ci = CiStep(argv=argv, origin=".github/workflows/ci.yml:9", python_versions=versions)
    return execute_one(Planned(_project(root), check, ci=ci))


def _mypy_by_hand(root: Path, version: str) -> int:
    argv = ["mypy", "--no-incremental", "--python-version", version, "demo"]
    python = str(venv_python(root / ".venv"))
    return subprocess.run(
        [python, "-m", *argv], cwd=root, capture_output=True, check=False
    ).returncode


@pytest.mark.slow
def test_mypy_runs_once_per_version_and_names_the_one_that_fails(
    tmp_path: Path, project_venv: Path
) -> None:
    root = _repo(tmp_path, project_venv, {"demo/__init__.py": SELF})

    result = _run(root, "mypy", "3.10", "3.11")

    assert (_mypy_by_hand(root, "3.10"), _mypy_by_hand(root, "3.11")) == (1, 0)
    assert result.status is Status.FAILED, result
    (finding,) = result.findings
    assert (finding.path, finding.line, finding.code) == ("demo/__init__.py", 1, "attr-defined")
    assert finding.message.endswith("(under Python 3.10)")
    assert "Python 3.10: " in result.counts


@pytest.mark.slow
def test_mypy_checks_one_version_when_its_config_sets_python_version(
    tmp_path: Path, project_venv: Path
) -> None:
    config = '\n[tool.mypy]\npython_version = "3.11"\n'
    root = _repo(tmp_path, project_venv, {"demo/__init__.py": SELF}, guardrail=config)

    result = _run(root, "mypy", "3.10", "3.11")

    assert result.status is Status.PASSED, result
    assert "--python-version" not in result.command
    assert "sets python_version, so mypy checks one version" in result.message


@pytest.mark.slow
def test_a_version_mypy_cannot_check_is_named_and_does_not_block(
    tmp_path: Path, project_venv: Path
) -> None:
    root = _repo(tmp_path, project_venv, {"demo/__init__.py": "X = 1\n"})

    result = _run(root, "mypy", "3.2", "pypy3.10", "3.11.4")

    assert result.status is Status.PASSED, result
    assert "warning: not checked under 3.2: this mypy says" in result.message
    assert "mypy not run for 'pypy3.10' of CI's matrix: not a CPython version" in result.message
    assert result.command[-3:] == ("--python-version", "3.2", "demo")


@pytest.mark.slow
def test_pytest_runs_under_each_matrix_interpreter(
    tmp_path: Path, project_venv: Path, venv_312: Path
) -> None:
    files = {"demo/__init__.py": BATCHED, "tests/test_demo.py": BATCHED_TEST}
    root = _repo(tmp_path, project_venv, files, v312=venv_312)
    by_hand = {
        venv: subprocess.run(
            [str(venv_python(root / venv)), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=root,
            capture_output=True,
            check=False,
        ).returncode
        for venv in (".venv", ".venv-3.12")
    }

    result = _run(root, "pytest", "3.11", "3.12")

    assert by_hand == {".venv": 1, ".venv-3.12": 0}
    assert result.status is Status.FAILED, result
    (finding,) = result.findings
    assert finding.code == "test-failed"
    assert finding.message.endswith("(under Python 3.11)")
    assert result.counts == "Python 3.11: 1 failed; Python 3.12: 1 passed"


@pytest.mark.slow
def test_a_matrix_version_not_found_is_a_loud_line_that_does_not_block(
    tmp_path: Path, project_venv: Path
) -> None:
    root = _repo(tmp_path, project_venv, {"tests/test_ok.py": SIMPLE_TEST, "demo/__init__.py": ""})
    ci = CiStep(argv=(), origin="ci.yml:9", python_versions=("3.11", "3.99"))

    step = pytest_check.plan(_project(root), ci)
    result = _run(root, "pytest", "3.11", "3.99")

    assert result.status is Status.PASSED, result
    assert result.message.splitlines()[0] == "warning: not checked under 3.99: no python3.99 found"
    assert result.counts == "1 passed"
    # Found on a later run, 3.99 must run then: this green is not remembered.
    assert isinstance(step, Invocation) and not step.cacheable


@pytest.mark.slow
@pytest.mark.parametrize(("limit", "status"), [("3.11", Status.FAILED), ("3.12", Status.PASSED)])
def test_python_versions_limits_the_matrix(
    tmp_path: Path, project_venv: Path, venv_312: Path, limit: str, status: Status
) -> None:
    files = {"demo/__init__.py": BATCHED, "tests/test_demo.py": BATCHED_TEST}
    table = f'\n[tool.guardrail]\npython_versions = ["{limit}"]\n'
    root = _repo(tmp_path, project_venv, files, guardrail=table, v312=venv_312)

    result = _run(root, "pytest", "3.11", "3.12")

    assert result.status is status, result
    assert "under Python" not in "".join(f.message for f in result.findings)


def test_python_versions_is_validated(tmp_path: Path, project_venv: Path) -> None:
    table = '\n[tool.guardrail]\npython_versions = ["3"]\n'
    root = _repo(tmp_path, project_venv, {"demo/__init__.py": ""}, guardrail=table)

    with pytest.raises(GuardrailError, match=r"tool\.guardrail\.python_versions must be"):
        load_projects(root)
