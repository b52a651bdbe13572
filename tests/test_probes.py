"""Remembered interpreter probes: reused while the folders they came from are unchanged."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

from hooks import probes
from hooks.projects import find_interpreter, probe
from tests.fixtures import make_project_venv, venv_python


@pytest.fixture
def venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return make_project_venv(tmp_path / "project" / ".venv")


def _site(venv: Path) -> Path:
    return venv / "lib" / f"python{sysconfig.get_python_version()}" / "site-packages"


def _entry(python: str) -> Path:
    (entry,) = probes.folder().glob("*.json")
    assert json.loads(entry.read_text())["python"] == python
    return entry


def _plant(entry: Path, dist: str) -> None:
    """Edit the remembered answer only, so a later result shows whether it was reused."""
    data = json.loads(entry.read_text())
    data["info"]["dists"][dist] = "9.9"
    entry.write_text(json.dumps(data))


def test_a_probe_is_reused_only_while_the_fingerprint_holds(venv: Path) -> None:
    project = venv.parent
    python = str(venv_python(venv).absolute())
    first = find_interpreter(project, project, None)
    assert first.python == python
    entry = _entry(python)
    assert json.loads(entry.read_text())["fingerprint"] is None, "the first probe only learns"

    find_interpreter(project, project, None)
    assert json.loads(entry.read_text())["fingerprint"] is not None
    _plant(entry, "planted")
    assert find_interpreter(project, project, None).has("planted"), "a valid answer is reused"

    info = _site(venv) / "tinydep-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n")
    fresh = find_interpreter(project, project, None)
    assert fresh.dists.get("tinydep") == "1.0"
    assert not fresh.has("planted"), "installing a distribution must invalidate the answer"


def test_an_edited_pth_file_invalidates(venv: Path) -> None:
    project = venv.parent
    python = str(venv_python(venv).absolute())
    for _ in range(2):
        find_interpreter(project, project, None)
    entry = _entry(python)
    _plant(entry, "planted")
    pth = _site(venv) / "_guardrail_tests.pth"
    pth.write_text(pth.read_text() + "\n")
    assert not find_interpreter(project, project, None).has("planted")


def test_probe_reports_its_import_path() -> None:
    import sys

    info = probe(sys.executable)
    assert info is not None
    assert isinstance(info["paths"], list) and info["paths"]


def test_probe_sees_the_user_site_packages_outside_a_venv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pip install --user pytest` is visible to `python3 -m pytest`, so the probe must see it."""
    import sys

    from hooks.projects import probe

    base_python = Path(sys.base_prefix) / "bin" / "python3"
    if not base_python.exists():
        pytest.skip(f"no interpreter outside a venv at {base_python}")
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    dist = tmp_path / ".local" / "lib" / version / "site-packages" / "userdist-1.2.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: userdist\nVersion: 1.2\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYTHONNOUSERSITE", raising=False)
    info = probe(str(base_python))
    assert info is not None
    dists = info["dists"]
    assert isinstance(dists, dict) and dists.get("userdist") == "1.2"


def test_a_relative_xdg_cache_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative, it would put the probes in whatever folder the guardrail runs in (the user's
    repository); the XDG spec says to ignore it, and the push snapshots always did."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-cache")
    home_cache = (tmp_path / "home" / ".cache" / "push-guardrail").resolve()
    assert probes.folder() == home_cache / "interpreters"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "abs"))
    assert probes.folder() == (tmp_path / "abs" / "push-guardrail" / "interpreters").resolve()
