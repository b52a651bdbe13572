"""CI's pinned ruff and mypy: installed once from the package index, reused, never half-built,
and a loud note when a version cannot be installed. Real pip, real older ruff and mypy."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from hooks import proc, toolcache
from hooks.projects import Tool, probed
from hooks.toolcache import MypyPlugins, NotInstalled
from tests.fixtures import venv_python

ROOT = Path(__file__).resolve().parent.parent
RUFF = "0.12.11"  # what encode/httpx pins in .pre-commit-config.yaml
MYPY = "1.13.0"
PYDANTIC = "2.11.7"
ANNOUNCED = f"installing ruff {RUFF} for CI parity (once)..."


@pytest.fixture(scope="session")
def tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tool environments shared by the session's tests, and by xdist's workers (whose runs
    share the lock that keeps them from building one environment twice)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "tool-cache"
    folder.mkdir(exist_ok=True)
    return folder


def _pinned_ruff(cache: Path, said: list[str] | None = None) -> Tool:
    tool = toolcache.pinned(
        "ruff",
        RUFF,
        origin=".pre-commit-config.yaml:5",
        cache=cache,
        announce=None if said is None else said.append,
    )
    assert isinstance(tool, Tool), tool
    return tool


def _version(tool: Tool) -> str:
    res = proc.run([*tool.argv, "--version"], timeout=60)
    assert res.returncode == 0, res
    return res.stdout.strip()


@pytest.mark.slow
def test_a_pinned_ruff_is_installed_once_and_reused(tool_cache: Path) -> None:
    first = _pinned_ruff(tool_cache)
    assert first.name == "ruff" and first.version == RUFF
    assert first.source == "pinned by .pre-commit-config.yaml:5"
    assert _version(first) == f"ruff {RUFF}"
    env = toolcache.env_folder("ruff", RUFF, (), tool_cache)
    assert Path(first.argv[0]).is_relative_to(env)
    marker = env / toolcache.MARKER
    before = marker.stat()

    said: list[str] = []
    again = _pinned_ruff(tool_cache, said)
    assert again == first
    assert said == [], "a finished environment is reused without pip"
    after = marker.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.slow
def test_two_runs_at_once_build_the_environment_once(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from hooks import toolcache\n"
        f"tool = toolcache.pinned('ruff', {RUFF!r}, origin='ci.yml:9', cache=Path(sys.argv[1]))\n"
        "print(tool.argv[0])\n"
    )
    cache = tmp_path / "tools"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(cache)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(err for _, err in outputs) == ["", ANNOUNCED + "\n"]
    (exe,) = {out.strip() for out, _ in outputs}
    assert _version(Tool("ruff", (exe,), RUFF, "")) == f"ruff {RUFF}"
    assert [p.name for p in cache.iterdir()] == [toolcache.env_folder("ruff", RUFF).name]


@pytest.mark.slow
def test_a_half_built_environment_is_built_again(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "tools"
    env = toolcache.env_folder("ruff", RUFF, (), cache)
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "ruff").write_text("left by a run that was killed\n")
    capfd.readouterr()

    tool = _pinned_ruff(cache)
    out, err = capfd.readouterr()
    assert (out, err) == ("", ANNOUNCED + "\n"), "one line on stderr, nothing of pip's"
    assert _version(tool) == f"ruff {RUFF}"

    Path(tool.argv[0]).unlink()  # a marker whose program is gone is no finished environment
    said: list[str] = []
    again = _pinned_ruff(cache, said)
    assert said == [ANNOUNCED]
    assert _version(again) == f"ruff {RUFF}"

    marker = env / toolcache.MARKER
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "version": "0.1.0"}))
    said.clear()
    _pinned_ruff(cache, said)
    assert said == [ANNOUNCED], "a marker for another request does not count"


@pytest.mark.slow
def test_a_version_that_does_not_exist_is_a_note_naming_both_versions(tmp_path: Path) -> None:
    said: list[str] = []
    cache = tmp_path / "tools"
    result = toolcache.pinned(
        "ruff", "0.0.0", origin="requirements-dev.txt:4", cache=cache, announce=said.append
    )
    assert result == NotInstalled(
        "ruff", "0.0.0", "requirements-dev.txt:4", "No matching distribution found for ruff==0.0.0"
    )
    assert said == ["installing ruff 0.0.0 for CI parity (once)..."]
    assert list(cache.iterdir()) == [], "nothing half-built is left"
    fallback = Tool("ruff", ("ruff",), "0.17.6", "project env")
    assert result.note(fallback) == (
        "ruff 0.0.0 pinned by requirements-dev.txt:4 could not be installed (No matching "
        "distribution found for ruff==0.0.0): ran ruff 0.17.6 from the project env instead"
    )
    assert result.note(Tool("ruff", ("ruff",), "0.17.6", "bundled")).endswith(
        ": ran ruff 0.17.6 bundled with the guardrail instead"
    )
    assert result.note(None).endswith(": there is no other ruff to run")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.slow
def test_an_unreachable_index_is_named_as_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{_closed_port()}/simple")
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    result = toolcache.pinned(
        "mypy", "1.10.1", origin="uv.lock", cache=tmp_path / "tools", announce=lambda _: None
    )
    assert isinstance(result, NotInstalled)
    assert result.reason == "the package index could not be reached: Connection refused"
    assert result.note(Tool("mypy", ("mypy",), "1.19.1", "project env")) == (
        "mypy 1.10.1 pinned by uv.lock could not be installed (the package index could not be "
        "reached: Connection refused): ran mypy 1.19.1 from the project env instead"
    )


def test_what_is_not_a_version_or_a_requirement_never_reaches_pip(tmp_path: Path) -> None:
    cache = tmp_path / "tools"
    bad_version = toolcache.pinned("ruff", "../../etc", origin="ci.yml:3", cache=cache)
    assert bad_version == NotInstalled(
        "ruff", "../../etc", "ci.yml:3", "'../../etc' is not a version pip can install"
    )
    option = toolcache.pinned(
        "mypy", "1.13.0", origin="ci.yml:3", extras=["--index-url=http://x"], cache=cache
    )
    assert isinstance(option, NotInstalled)
    assert option.reason == "'--index-url=http://x' is an option, not a requirement"
    assert not cache.exists()
    with pytest.raises(ValueError, match="no pinned installs of 'black'"):
        toolcache.pinned("black", "24.1.0", origin="ci.yml:3", cache=cache)


def test_the_environment_is_keyed_by_the_sorted_extras() -> None:
    one = toolcache.env_folder("mypy", MYPY, ["pydantic==2.11.7", " types-requests "])
    two = toolcache.env_folder("mypy", MYPY, ["types-requests", "pydantic==2.11.7"])
    assert one == two
    assert one.parent == toolcache.folder()
    assert one.name.startswith(f"mypy-{MYPY}-") and len(one.name) == len(f"mypy-{MYPY}-") + 10
    assert toolcache.env_folder("mypy", MYPY, ["pydantic==2.11.6"]) != one
    assert toolcache.env_folder("mypy", MYPY) != one


# What pip printed on this machine, cut to the lines that matter.
PIP_OFFLINE = """\
Looking in indexes: http://127.0.0.1:9/simple
WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after \
connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPConnection object \
at 0x7f05668b3cd0>: Failed to establish a new connection: [Errno 111] Connection refused')': \
/simple/ruff/
ERROR: Could not find a version that satisfies the requirement ruff==0.12.10 (from versions: none)
ERROR: No matching distribution found for ruff==0.12.10
"""
PIP_NO_DNS = """\
WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after \
connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object \
at 0x7f2>: Failed to establish a new connection: [Errno -3] Temporary failure in name \
resolution')': /simple/mypy/
ERROR: No matching distribution found for mypy==1.13.0
"""
PIP_NO_SUCH_VERSION = """\
Looking in indexes: https://pypi.org/simple
ERROR: Could not find a version that satisfies the requirement ruff==0.0.0 (from versions: \
0.0.13, 0.0.14, 0.0.15)
ERROR: No matching distribution found for ruff==0.0.0
"""


def test_pips_reason_is_one_line() -> None:
    assert toolcache.pip_reason(PIP_OFFLINE) == (
        "the package index could not be reached: Connection refused"
    )
    assert toolcache.pip_reason(PIP_NO_DNS) == (
        "the package index could not be reached: Temporary failure in name resolution"
    )
    assert toolcache.pip_reason(PIP_NO_SUCH_VERSION) == (
        "No matching distribution found for ruff==0.0.0"
    )
    assert toolcache.pip_reason("Collecting x\n  error: subprocess-exited-with-error\n") == (
        "error: subprocess-exited-with-error"
    )
    assert toolcache.pip_reason("ERROR: " + "x" * 300).endswith("x...")
    assert len(toolcache.pip_reason("ERROR: " + "x" * 300)) == 200


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


UV_LOCK = """\
version = 1
[[package]]
name = "pydantic"
version = "2.11.7"
[[package]]
name = "SQLAlchemy"
version = "2.0.36"
"""


def test_plugins_in_mypy_ini_are_pinned_to_the_locked_versions(tmp_path: Path) -> None:
    ini = "[mypy]\nstrict = True\nplugins = pydantic.mypy, sqlalchemy.ext.mypy.plugin\n"
    root = _write(tmp_path, {"mypy.ini": ini, "uv.lock": UV_LOCK})
    assert toolcache.mypy_plugins(root, root) == MypyPlugins(
        "mypy.ini",
        ("pydantic.mypy", "sqlalchemy.ext.mypy.plugin"),
        ("pydantic==2.11.7", "sqlalchemy==2.0.36"),
    )


def test_plugins_in_pyproject_and_setup_cfg_and_requirement_pins(tmp_path: Path) -> None:
    pyproject = '[tool.mypy]\nplugins = ["pydantic.mypy:plugin", "tools/local_plugin.py"]\n'
    toml = _write(
        tmp_path / "toml",
        {"pyproject.toml": pyproject, "requirements/dev.txt": "pydantic==2.10.0\n"},
    )
    assert toolcache.mypy_plugins(toml, toml) == MypyPlugins(
        "pyproject.toml", ("pydantic.mypy",), ("pydantic==2.10.0",)
    )
    cfg = "[mypy]\nplugins =\n    pydantic.mypy\n    ./plugin.py\n"
    setup = _write(tmp_path / "cfg", {"setup.cfg": cfg, "poetry.lock": UV_LOCK})
    assert toolcache.mypy_plugins(setup, setup) == MypyPlugins(
        "setup.cfg", ("pydantic.mypy",), ("pydantic==2.11.7",)
    )
    assert toolcache.mypy_plugins(tmp_path, tmp_path) == MypyPlugins(None)


def test_the_config_is_the_one_mypy_reads(tmp_path: Path) -> None:
    """Found from the project's folder up to the root, or named by CI's ``--config-file``."""
    root = _write(
        tmp_path,
        {
            "mypy.ini": "[mypy]\nplugins = pydantic.mypy\n",
            "backend/pyproject.toml": "[project]\nname = 'backend'\n",
            "backend/uv.lock": UV_LOCK,
            "backend/ci/mypy-ci.cfg": "[mypy]\nplugins = sqlalchemy.ext.mypy.plugin\n",
        },
    )
    backend = root / "backend"
    assert toolcache.mypy_plugins(backend, root).requirements == ("pydantic==2.11.7",)
    from_ci = toolcache.mypy_plugins(backend, root, config_file="ci/mypy-ci.cfg")
    assert from_ci.config == "backend/ci/mypy-ci.cfg"
    assert from_ci.requirements == ("sqlalchemy==2.0.36",)


def test_an_installed_plugin_package_is_found_by_its_files(
    tmp_path: Path, project_venv: Path
) -> None:
    """``xdist`` comes in pytest-xdist: the installed files name the distribution, and the
    project's pinned version beats the installed one."""
    interpreter = probed(str(venv_python(project_venv)), ".venv")
    assert interpreter is not None
    root = _write(tmp_path, {"mypy.ini": "[mypy]\nplugins = xdist.plugin, no_such_plugin.main\n"})
    found = toolcache.mypy_plugins(root, root, interpreter)
    assert found.requirements == (f"pytest-xdist=={metadata.version('pytest-xdist')}",)
    assert found.unresolved == (
        ("no_such_plugin.main", "comes from no distribution installed or locked"),
    )
    assert found.notes() == (
        "mypy plugin no_such_plugin.main (named in mypy.ini) comes from no distribution "
        "installed or locked: the pinned mypy may not load it",
    )
    _write(root, {"requirements.txt": "pytest-xdist==3.5.0\n"})
    assert toolcache.mypy_plugins(root, root, interpreter).requirements == ("pytest-xdist==3.5.0",)


PYDANTIC_MODEL = """\
from pydantic import BaseModel


class Model(BaseModel):
    x: int


Model(x="1")
"""


@pytest.mark.slow
def test_a_pinned_mypy_loads_the_plugin_installed_beside_it(
    tmp_path: Path, tool_cache: Path
) -> None:
    """Without pydantic's plugin, mypy reports ``x="1"`` (arg-type); with it, pydantic's
    validating ``__init__`` accepts it."""
    root = _write(
        tmp_path,
        {
            "mypy.ini": "[mypy]\nstrict = True\nplugins = pydantic.mypy\n",
            "uv.lock": UV_LOCK,
            "model.py": PYDANTIC_MODEL,
        },
    )
    plugins = toolcache.mypy_plugins(root, root)
    assert plugins.requirements == (f"pydantic=={PYDANTIC}",)
    said: list[str] = []
    tool = toolcache.pinned(
        "mypy",
        MYPY,
        origin="requirements-dev.txt:2",
        extras=plugins.requirements,
        cache=tool_cache,
        announce=said.append,
    )
    assert isinstance(tool, Tool), tool
    assert said in (
        [],
        [f"installing mypy {MYPY} with pydantic=={PYDANTIC} for CI parity (once)..."],
    )
    assert _version(tool).startswith(f"mypy {MYPY} ")
    res = proc.run([*tool.argv, "model.py"], cwd=root, timeout=300)
    assert (res.returncode, res.stdout.strip()) == (0, "Success: no issues found in 1 source file")
