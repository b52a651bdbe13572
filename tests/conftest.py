from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hooks.cli import main
from tests.fixtures import make_project_venv, make_repo, motivating_files


def pytest_configure(config: pytest.Config) -> None:
    """The children the tests start see Ctrl-C as a terminal's foreground job does.

    A suite started where SIGINT is ignored (a background job of a shell without job control,
    ``nohup``) passes that on through exec to every child: the guardrail, git and the hooks
    would then never see the SIGINT the Ctrl-C tests send. Handlers are reset on exec, so
    Python's own handler here leaves the children with the default disposition."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.posix_only("why")``: skipped, with the reason, where there is no POSIX."""
    marker = item.get_closest_marker("posix_only")
    if marker is not None and os.name != "posix":
        pytest.skip(f"POSIX only: {marker.args[0] if marker.args else 'no reason given'}")


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for a project's own .venv, shared by the whole session."""
    return make_project_venv(tmp_path_factory.mktemp("venv") / "venv")


@pytest.fixture
def motivating_repo(tmp_path: Path, project_venv: Path) -> Path:
    return make_repo(tmp_path / "tunix-rt", motivating_files(), venv=project_venv)


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Push snapshots and interpreter probes go to a session folder, not the developer's
    ``~/.cache`` (a snapshot of every test repository would pile up there)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see neither the developer's git identity quirks nor an escape hatch."""
    for name in ("GUARDRAIL", "GUARDRAIL_SKIP", "SKIP", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith(("PRE_COMMIT_", "PREK_")):
            monkeypatch.delenv(name, raising=False)


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out=\n{self.out}\nerr=\n{self.err})"


@pytest.fixture
def guardrail(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[object]:
    """Call ``guardrail`` in-process in a folder: ``guardrail(cwd, "run", "--only", "mypy")``."""

    def call(cwd: Path, *argv: str) -> Run:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    yield call


GUARDRAIL_EXE = str(Path(sys.executable).parent / "guardrail")

from tests.precommit_fixtures import hook_repo, host, pre_commit_home, prek_home  # noqa: E402, F401
