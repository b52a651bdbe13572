"""CI's pinned ruff and mypy are the ones that run: a real older ruff from the package index,
whose formatting differs from the bundled one's, decides the verdict.

ruff 0.9 joined implicitly concatenated strings that fit on one line (its 2025 style); ruff
0.8.6 leaves ``"hello " "world"`` as it is. So a file CI's pinned ruff 0.8.6 accepts is one the
bundled ruff would reformat, and the verdict shows which ruff ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hooks import toolcache
from hooks.checks import ruff_format
from hooks.checks.base import CiPin, CiStep, Invocation
from hooks.cli import build_parser
from hooks.commands import run as run_command
from hooks.engine.cache import Verdicts
from hooks.engine.gate import project_info, ran_tools
from hooks.engine.plan import Planned
from hooks.engine.run import execute_one
from hooks.findings import CheckResult, RunInfo, Status
from hooks.layers import HookArgs
from hooks.projects import Project, Tool, load_projects
from hooks.report.terminal import render
from tests.fixtures import make_repo, venv_python

OLD_RUFF = "0.8.6"
PIN_LINE = ".pre-commit-config.yaml:3"
PRE_COMMIT = f"""repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v{OLD_RUFF}
    hooks:
      - id: ruff-format
"""
CONCATENATED = 'MESSAGE = "hello " "world"\n'


@pytest.fixture(scope="session")
def old_ruff() -> Tool:
    """ruff 0.8.6, installed once per session into the session's tool cache (the same folder the
    checks install into: ``XDG_CACHE_HOME`` is the session's, see tests/conftest.py)."""
    tool = toolcache.pinned("ruff", OLD_RUFF, origin=PIN_LINE, announce=lambda _: None)
    assert isinstance(tool, Tool), tool
    return tool


def _repo(tmp_path: Path, venv: Path, guardrail: str = "") -> Path:
    files = {
        "pyproject.toml": f'[project]\nname = "demo"\nversion = "0"\n{guardrail}',
        ".pre-commit-config.yaml": PRE_COMMIT,
        "demo/__init__.py": CONCATENATED,
    }
    return make_repo(tmp_path / "repo", files, venv=venv)


def _pinned(version: str = OLD_RUFF) -> CiStep:
    return CiStep(argv=(), origin=PIN_LINE, pin=CiPin(version, PIN_LINE))


def _project(root: Path, hook: HookArgs | None = None) -> Project:
    (project,) = load_projects(root, hook.layers if hook is not None else ())
    return project


def _hook(*argv: str) -> HookArgs:
    return run_command.hook_args(build_parser().parse_args(["run", *argv]))


def _by_hand(tool: Tool, root: Path) -> int:
    """The oracle: CI's command, run by hand with the ruff CI pins."""
    return subprocess.run(
        [*tool.argv, "format", "--check", "."], cwd=root, capture_output=True, check=False
    ).returncode


def _pinned_run(tmp_path: Path, venv: Path, check: str, source: str) -> tuple[Path, CheckResult]:
    root = _repo(tmp_path, venv)
    (root / "demo" / "__init__.py").write_text(source, encoding="utf-8")
    return root, execute_one(Planned(_project(root), check, ci=_pinned()))


@pytest.mark.slow
def test_the_ruff_ci_pins_runs_and_decides_the_verdict(
    tmp_path: Path, project_venv: Path, old_ruff: Tool
) -> None:
    root = _repo(tmp_path, project_venv)
    project = _project(root)

    pinned = execute_one(Planned(project, "ruff-format", ci=_pinned()))
    unpinned = execute_one(Planned(project, "ruff-format"))

    assert _by_hand(old_ruff, root) == 0
    assert pinned.status is Status.PASSED, pinned
    assert (pinned.tool_version, pinned.tool_source) == (OLD_RUFF, f"pinned by {PIN_LINE}")
    assert pinned.command[0] == old_ruff.argv[0]
    # Without the pin, the project env's newer ruff runs and joins the strings.
    assert unpinned.status is Status.FAILED
    assert unpinned.tool_version != OLD_RUFF
    assert [(f.path, f.code) for f in unpinned.findings] == [("demo/__init__.py", "unformatted")]


@pytest.mark.slow
def test_a_file_the_pinned_ruff_would_reformat_fails(
    tmp_path: Path, project_venv: Path, old_ruff: Tool
) -> None:
    root, result = _pinned_run(tmp_path, project_venv, "ruff-format", "x = [1,2]\n")

    assert _by_hand(old_ruff, root) == 1
    assert result.status is Status.FAILED
    assert result.tool_version == OLD_RUFF
    assert [f.path for f in result.findings] == ["demo/__init__.py"]


@pytest.mark.slow
def test_ruff_check_runs_the_pinned_ruff_too(
    tmp_path: Path, project_venv: Path, old_ruff: Tool
) -> None:
    _, result = _pinned_run(tmp_path, project_venv, "ruff-check", "import os\n")

    assert result.status is Status.FAILED
    assert (result.tool_version, result.command[0]) == (OLD_RUFF, old_ruff.argv[0])
    assert [(f.path, f.line, f.code) for f in result.findings] == [("demo/__init__.py", 1, "F401")]


@pytest.mark.slow
def test_the_summary_names_the_pinned_version_and_where_it_is_pinned(
    tmp_path: Path, project_venv: Path, old_ruff: Tool
) -> None:
    project = _project(_repo(tmp_path, project_venv))
    result = execute_one(Planned(project, "ruff-format", ci=_pinned()))
    info = RunInfo("0", "the working tree", projects=(project_info(project),))

    shown = render(RunInfo("0", "t", projects=ran_tools(info.projects, [result])), [result])

    assert f"ruff {OLD_RUFF} (pinned by {PIN_LINE})" in shown
    assert f"ruff {OLD_RUFF}" not in render(info, [result])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("table", "hook", "pinned"),
    [
        ('[tool.guardrail]\ntools = "project"\n', (), True),
        ("", ("--tools", "bundled"), True),
        ("", ("--tools", "bundled", "--enforce", "tools"), False),
        ('[tool.guardrail]\ntools = "bundled"\n', (), False),
    ],
    ids=["project-tools", "org-default-bundled", "org-enforced-bundled", "project-bundled"],
)
def test_who_beats_the_pin(
    tmp_path: Path,
    project_venv: Path,
    old_ruff: Tool,
    table: str,
    hook: tuple[str, ...],
    pinned: bool,
) -> None:
    """CI's pin beats tools = "project" and an organisation's default; tools = "bundled" from
    the project's own [tool.guardrail] or the organisation's --enforce beats the pin."""
    root = _repo(tmp_path, project_venv, table)
    project = _project(root, _hook(*hook))

    result = execute_one(Planned(project, "ruff-format", ci=_pinned()))

    if pinned:
        assert (result.status, result.tool_version) == (Status.PASSED, OLD_RUFF), result
    else:
        assert result.status is Status.FAILED
        assert result.tool_source == "bundled"
        assert f"ruff {OLD_RUFF} pinned by {PIN_LINE} is not used" in result.message


@pytest.mark.slow
def test_a_pin_that_cannot_be_installed_says_so_and_runs_what_is_there(
    tmp_path: Path, project_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline: pip cannot reach the index. A loud note names both versions; the verdict is
    the ruff that ran, and it is not remembered as CI's."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    project = _project(_repo(tmp_path, project_venv))
    ci = _pinned("0.8.5")

    step = ruff_format.plan(project, ci)
    result = execute_one(Planned(project, "ruff-format", ci=ci))

    assert isinstance(step, Invocation) and not step.cacheable
    assert result.status is Status.FAILED
    note = result.message.splitlines()[0]
    assert note.startswith(f"warning: ruff 0.8.5 pinned by {PIN_LINE} could not be installed")
    assert "the package index could not be reached" in note
    assert note.endswith(f"ran ruff {result.tool_version} {_WHERE[result.tool_source]} instead")


_WHERE = {"bundled": "bundled with the guardrail", "project env": "from the project env"}


def test_the_verdict_key_holds_the_pinned_version(tmp_path: Path, project_venv: Path) -> None:
    root = _repo(tmp_path, project_venv)
    project = _project(root)

    def key(ci: CiStep | None) -> str:
        selected = [Planned(project, "ruff-format", ci=ci).key()]
        verdicts = Verdicts.open(
            root, tree=None, version="0", projects=[project], selected=selected
        )
        assert verdicts is not None
        return verdicts.key

    keys = {key(None), key(_pinned("0.8.6")), key(_pinned("0.12.11"))}
    assert len(keys) == 3
    assert key(_pinned("0.8.6")) == key(_pinned("0.8.6"))


MYPY = "1.13.0"
PYDANTIC = "2.11.7"
PYDANTIC_MODEL = (
    'from pydantic import BaseModel\n\n\nclass Model(BaseModel):\n    x: int\n\n\nModel(x="1")\n'
)


@pytest.fixture(scope="session")
def pydantic_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project env with pydantic (whose mypy plugin the project's config names), no mypy."""
    where = tmp_path_factory.mktemp("pydantic") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
    subprocess.run(
        [str(venv_python(where)), "-m", "pip", "install", "-q", f"pydantic=={PYDANTIC}"],
        check=True,
        capture_output=True,
    )
    return where


@pytest.mark.slow
def test_a_pinned_mypy_keeps_the_project_interpreter_and_loads_its_plugins(
    tmp_path: Path, pydantic_venv: Path
) -> None:
    """CI pins mypy 1.13.0; the project's mypy config names pydantic's plugin. The pinned mypy
    gets pydantic (the version the project has) beside it, so the plugin loads and accepts
    ``Model(x="1")``; it still checks against the project's interpreter."""
    files = {
        "pyproject.toml": '[project]\nname = "demo"\nversion = "0"\n',
        "mypy.ini": "[mypy]\nstrict = True\nplugins = pydantic.mypy\n",
        "demo/__init__.py": PYDANTIC_MODEL,
    }
    root = make_repo(tmp_path / "repo", files, venv=pydantic_venv)
    project = _project(root)
    pin = CiPin(MYPY, "requirements-dev.txt:2")

    result = execute_one(Planned(project, "mypy", ci=CiStep(("demo",), "ci.yml:3", pin=pin)))

    assert result.status is Status.PASSED, result
    assert (result.tool_version, result.tool_source) == (MYPY, f"pinned by {pin.origin}")
    python = result.command.index("--python-executable")
    assert result.command[python + 1] == project.interpreter.python
    by_hand = subprocess.run(
        [*result.command[:3], "--python-executable", project.interpreter.python, "demo"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    assert by_hand.returncode == 0, by_hand
