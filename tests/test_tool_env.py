"""The tools' environment is scrubbed as on CI, and the verdict cache keys exactly that.

A variable the tests read (``APP_MODE``), ``PYTHONWARNINGS=error`` and
``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` once reached pytest but not the cache key, so a green verdict
recorded without them was replayed while a fresh run with them failed. Now they reach the tools
only through ``pass_env``, and then they are part of the key. A ruff config ``extend``ed from
outside the repository is part of the key too.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from hooks.toolenv import tool_env
from tests.fixtures import make_repo

CACHED = "cached; --no-cache to rerun"

SETTINGS = """\
import os


def mode() -> str:
    return os.environ.get("APP_MODE", "prod")
"""

TESTS = """\
import warnings

from pkg.settings import mode


def test_mode() -> None:
    assert mode() == "prod"


def test_uses_something_deprecated() -> None:
    warnings.warn("old API", DeprecationWarning, stacklevel=1)


def test_uses_a_fixture_of_an_installed_plugin(worker_id: str) -> None:
    assert worker_id == "master"  # pytest-xdist's, loaded through its entry point
"""

PYPROJECT = '[project]\nname = "pkg"\nversion = "0"\n'


def _env_repo(tmp_path: Path, venv: Path, extra: str = "") -> Path:
    return make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": PYPROJECT + extra,
            "pkg/__init__.py": "",
            "pkg/settings.py": SETTINGS,
            "tests/test_settings.py": TESTS,
        },
        venv=venv,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "value"),
    [("APP_MODE", "dev"), ("PYTHONWARNINGS", "error"), ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")],
)
def test_a_cached_verdict_is_the_verdict_a_fresh_run_gives(
    tmp_path: Path,
    project_venv: Path,
    guardrail: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
) -> None:
    """Set after a green run, the variable reaches neither the tools nor the key: the cached
    verdict and a fresh one agree, and both are CI's (CI does not set it)."""
    repo = _env_repo(tmp_path, project_venv)
    assert guardrail(repo, "run", "--only", "pytest").code == 0
    monkeypatch.setenv(name, value)
    cached = guardrail(repo, "run", "--only", "pytest")
    fresh = guardrail(repo, "run", "--only", "pytest", "--no-cache")
    assert CACHED in cached.out, cached
    assert (cached.code, fresh.code) == (0, 0), (cached, fresh)


@pytest.mark.slow
def test_pass_env_reaches_the_tests_and_keys_the_cache(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _env_repo(tmp_path, project_venv, '\n[tool.guardrail]\npass_env = ["APP_*"]\n')
    monkeypatch.delenv("APP_MODE", raising=False)
    assert guardrail(repo, "run", "--only", "pytest").code == 0
    monkeypatch.setenv("APP_MODE", "dev")
    run = guardrail(repo, "run", "--only", "pytest")
    assert run.code == 1, run
    assert CACHED not in run.out
    assert "tests/test_settings.py:7: test-failed tests/test_settings.py::test_mode" in run.out
    monkeypatch.delenv("APP_MODE")
    assert CACHED in guardrail(repo, "run", "--only", "pytest").out


@pytest.mark.slow
def test_pass_env_as_a_hook_arg(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _env_repo(tmp_path, project_venv)
    monkeypatch.setenv("APP_MODE", "dev")
    assert guardrail(repo, "run", "--only", "pytest", "--no-cache").code == 0
    run = guardrail(repo, "run", "--only", "pytest", "--no-cache", "--pass-env", "APP_MODE")
    assert run.code == 1, run
    assert "hook args (organisation defaults" in run.out and "--pass-env APP_MODE" in run.out


RECORDS_ENV = """\
import json
import os
from pathlib import Path


def test_records_its_environment() -> None:
    Path(os.environ["ENV_RECORD"]).write_text(json.dumps(dict(os.environ)))
"""


@pytest.mark.slow
def test_git_and_pre_commit_variables_reach_neither_the_tools_nor_the_key(
    tmp_path: Path, project_venv: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They differ between a commit hook, a push and a shell; a verdict must not."""
    record = tmp_path / "env.json"
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": PYPROJECT + '\n[tool.guardrail]\npass_env = ["ENV_RECORD"]\n',
            "tests/test_env.py": RECORDS_ENV,
        },
        venv=project_venv,
    )
    monkeypatch.setenv("ENV_RECORD", str(record))
    monkeypatch.setenv("SOMETHING_ELSE", "from the developer's shell")
    assert guardrail(repo, "run", "--only", "pytest").code == 0
    seen = json.loads(record.read_text())
    assert seen["ENV_RECORD"] == str(record)
    assert "SOMETHING_ELSE" not in seen
    assert not [k for k in seen if k.startswith(("GIT_", "PRE_COMMIT_", "PREK_"))], seen
    record.unlink()
    for name, value in {
        "GIT_AUTHOR_DATE": "@1 +0000",
        "GIT_EXEC_PATH": "/usr/lib/git-core",
        "PRE_COMMIT_FROM_REF": "a" * 40,
        "PREK_HOME": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", f"/usr/lib/git-core{os.pathsep}{os.environ['PATH']}")
    run = guardrail(repo, "run", "--only", "pytest")
    assert CACHED in run.out, run
    assert not record.exists()


@pytest.mark.parametrize("name", ["GIT_DIR", "PRE_COMMIT_HOME", "PREK_*", "git_dir", "A B"])
def test_pass_env_refuses_what_may_never_reach_the_tools(
    tmp_path: Path, guardrail: Any, name: str
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {"pyproject.toml": PYPROJECT + f'[tool.guardrail]\npass_env = ["{name}"]\n'},
    )
    run = guardrail(repo, "run")
    assert run.code == 2, run
    assert "tool.guardrail.pass_env" in run.err and repr(name) in run.err, run
    flag = guardrail(repo, "run", "--pass-env", name)
    assert flag.code == 2 and "--pass-env" in flag.err, flag


def test_tool_env_is_the_allowlist_plus_pass_env_plus_ci_env() -> None:
    environ = {
        "PATH": os.pathsep.join(["/usr/lib/git-core", "/usr/bin", "/bin"]),
        "GIT_EXEC_PATH": "/usr/lib/git-core",
        "HOME": "/home/dev",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "APP_MODE": "dev",
        "APP_DEBUG": "1",
        "PYTHONWARNINGS": "error",
        "PYTEST_ADDOPTS": "-x",
        "GIT_INDEX_FILE": ".git/index",
        "PRE_COMMIT": "1",
        "PRE_COMMIT_FROM_REF": "x",
        "PREK_ALLOW_NO_CONFIG": "1",
    }
    env = tool_env(["APP_*", "GIT_*", "PRE_*"], {"CI_VAR": "1", "GIT_DIR": "/x"}, environ=environ)
    assert env == {
        "PATH": os.pathsep.join(["/usr/bin", "/bin"]),
        "HOME": "/home/dev",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "APP_MODE": "dev",
        "APP_DEBUG": "1",
        "CI_VAR": "1",
    }


def test_tool_env_drops_the_guardrails_own_environment_unless_it_is_the_projects() -> None:
    own_bin = str(Path(sys.prefix) / "bin")
    environ = {"PATH": os.pathsep.join([own_bin, "/usr/bin"]), "VIRTUAL_ENV": sys.prefix}
    assert tool_env(environ=environ, interpreter_prefix="/elsewhere/venv") == {"PATH": "/usr/bin"}
    assert tool_env(environ=environ, interpreter_prefix=sys.prefix) == environ


LINT_E_F = '[lint]\nselect = ["E", "F"]\n'
UNTYPED = "def f(x):\n    return x\n"


@pytest.mark.slow
def test_a_ruff_extend_chain_outside_the_repository_keys_the_cache(
    tmp_path: Path, project_venv: Path, guardrail: Any
) -> None:
    """pyproject.toml -> ../org-lint/ruff.toml -> ../base/ruff.toml (in the user's folders)."""
    org = tmp_path / "org-lint"
    base = tmp_path / "base"
    org.mkdir()
    base.mkdir()
    (org / "ruff.toml").write_text('extend = "../base/ruff.toml"\n')
    (base / "ruff.toml").write_text(LINT_E_F)
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": PYPROJECT + '[tool.ruff]\nextend = "../org-lint/ruff.toml"\n',
            "pkg/__init__.py": "",
            "pkg/mod.py": UNTYPED,
        },
        venv=project_venv,
    )
    assert guardrail(repo, "run", "--only", "ruff-check").code == 0
    assert CACHED in guardrail(repo, "run", "--only", "ruff-check").out
    (base / "ruff.toml").write_text('[lint]\nselect = ["E", "F", "ANN"]\n')
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert CACHED not in run.out, run
    assert run.code == 1 and "pkg/mod.py:1:5: ANN201" in run.out, run
