"""Release hygiene: the manifest, the CLI, the README, the changelog and the example agree."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from hooks import __version__
from hooks.cli import build_parser, main
from hooks.config import CHECKS
from hooks.doctor.plumbing import own_manifest_hook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "org-hook-repo"
PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")


def manifest(path: Path) -> list[dict[str, Any]]:
    hooks = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and hooks
    return hooks


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else None]


def test_manifest_hook_ids_are_the_readme_hook_table() -> None:
    ids = [h["id"] for h in manifest(ROOT / ".pre-commit-hooks.yaml")]
    table = _section(readme(), "## Use it with pre-commit")
    documented = re.findall(r"^\| `([a-z-]+)` \|", table, flags=re.MULTILINE)
    assert documented == ids


def test_doctor_knows_the_manifest_it_falls_back_on() -> None:
    """Where no manifest can be read, doctor judges this repository's hook ids by what it
    believes the manifest defines: the two agree."""
    for hook in manifest(ROOT / ".pre-commit-hooks.yaml"):
        expected = {"id": hook["id"], "entry": hook["entry"], "stages": sorted(hook["stages"])}
        assert own_manifest_hook(hook["id"]) == expected


def test_per_check_hooks_are_the_cli_check_names() -> None:
    only: dict[str, str] = {}
    for hook in manifest(ROOT / ".pre-commit-hooks.yaml"):
        argv = shlex.split(hook["entry"])
        if hook["id"] == "guardrail-background":  # post-commit: starts a background check
            assert argv == ["guardrail-background"] and hook["stages"] == ["post-commit"], hook
            continue
        assert argv[:2] == ["guardrail", "run"], hook
        args = build_parser().parse_args(argv[1:] + hook.get("args", []))
        checks = [c for group in args.only for c in group]
        if checks:
            (check,) = checks
            only[hook["id"]] = check
    assert sorted(only.values()) == sorted(CHECKS)
    assert all(hook_id == f"guardrail-{check}" for hook_id, check in only.items()), only


def test_readme_names_every_check() -> None:
    text = readme()
    for check in CHECKS:
        assert f"`{check}`" in text, check
    line = next(ln for ln in text.splitlines() if ln.startswith("`<check>` is one of"))
    assert re.findall(r"`([a-z-]+)`", line) == list(CHECKS)


def test_version_is_one_and_the_same_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"guardrail {__version__}\n"
    assert metadata.version("push-guardrail") == __version__
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "hooks/__init__.py"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(__version__)}\b", changelog, flags=re.MULTILINE)
    assert f"rev: v{__version__}" in readme()


def test_guardrail_version_as_installed() -> None:
    exe = Path(sys.executable).parent / "guardrail"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"guardrail {__version__}"


@pytest.mark.parametrize("repo", [ROOT, EXAMPLE], ids=["this-repo", "org-example"])
def test_manifests_pass_pre_commits_own_validation(repo: Path) -> None:
    argv = [PRE_COMMIT, "validate-manifest", str(repo / ".pre-commit-hooks.yaml")]
    res = subprocess.run(argv, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_example_org_repo_agrees_with_this_release() -> None:
    pyproject = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    deps = pyproject["project"]["dependencies"]
    assert f"push-guardrail=={__version__}" in deps
    pins = {d.split("==")[0]: d.split("==")[1] for d in deps if "==" in d}
    assert {"ruff", "mypy"} <= pins.keys()
    example_readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    for tool in ("ruff", "mypy"):
        assert f"{tool}=={pins[tool]}" in example_readme
    hooks = manifest(EXAMPLE / ".pre-commit-hooks.yaml")
    assert f"id: {hooks[0]['id']}" in example_readme
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        argv = shlex.split(hook["entry"])
        assert argv[:2] == ["guardrail", "run"], hook
        args = build_parser().parse_args(argv[1:] + hook.get("args", []))
        assert args.tools == "bundled" and args.require == ["mypy"]
