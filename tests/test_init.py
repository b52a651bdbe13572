"""The pure halves of init and the plumbing checks: TOML and YAML edits, hook detection,
config discovery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hooks.config import CHECKS
from hooks.doctor.init import HookSource, apply_changes, edit_precommit, new_precommit_config
from hooks.doctor.plumbing import guardrail_hooks, precommit_check, push_checks
from hooks.errors import GuardrailError
from hooks.toolconfig import (
    config_file,
    coverage_threshold,
    mypy_config_targets,
    mypy_names_targets,
)
from tests.fixtures import write_files

PYPROJECT = """\
[project]
name = "app"  # the distribution

# Lint settings shared with the editor.
[tool.ruff]
line-length = 100

[tool.guardrail]
checks = ["ruff-check"]  # fast only

[tool.guardrail.pytest]
args = ["-q"]
"""


def test_apply_changes_adds_and_keeps_everything_else() -> None:
    changes = [
        ("checks", ("mypy",)),
        ("mypy.targets", ("app",)),
        ("pytest.args", ("-m", "not slow")),
        ("pytest.args", ("-m", "not slow")),
    ]
    after, summary = apply_changes(PYPROJECT, changes, "pyproject.toml")
    assert after == (
        PYPROJECT.replace('checks = ["ruff-check"]', 'checks = ["ruff-check", "mypy"]').replace(
            'args = ["-q"]', 'args = ["-q", "-m", "not slow"]'
        )
        + '\n[tool.guardrail.mypy]\ntargets = ["app"]\n'
    )
    assert summary == [
        "pyproject.toml: [tool.guardrail] checks += ['mypy']",
        "pyproject.toml: [tool.guardrail.mypy] targets = ['app']",
        "pyproject.toml: [tool.guardrail.pytest] args += ['-m', 'not slow']",
    ]
    again, more = apply_changes(after, changes, "pyproject.toml")
    assert again == after and more == []


def test_apply_changes_to_a_file_without_tool_tables() -> None:
    after, _ = apply_changes('[project]\nname = "x"\n', [("checks", ("mypy",))], "p.toml")
    assert after == '[project]\nname = "x"\n\n[tool.guardrail]\nchecks = ["mypy"]\n'


def test_apply_changes_refuses_bad_input() -> None:
    with pytest.raises(GuardrailError, match=r"p\.toml: not valid TOML"):
        apply_changes("[project\n", [("checks", ("mypy",))], "p.toml")
    with pytest.raises(GuardrailError, match=r"\[tool\.guardrail\] checks must be a list"):
        apply_changes('[tool.guardrail]\nchecks = "mypy"\n', [("checks", ("mypy",))], "p.toml")


COMMIT = "0123456789abcdef0123456789abcdef01234567"
INSTALLED = HookSource("https://example.invalid/push-guardrail", COMMIT)


def unread(repo: str, rev: str) -> None:
    """A manifest lookup that finds nothing, as on a machine that never fetched the repos."""
    return None


def test_new_precommit_config_is_recognised_by_the_plumbing_check() -> None:
    config = YAML(typ="rt").load(new_precommit_config(INSTALLED))
    check = precommit_check(config, lookup=unread)
    assert check.ok and check.message == "guardrail (line 7) runs at pre-push"
    assert push_checks(config, unread) == {"ruff-check", "ruff-format", "mypy", "pytest"}


def test_a_file_that_would_be_reformatted_gets_the_entry_printed() -> None:
    text = "repos:\n-   repo: local\n    hooks:\n    -   id: x\n        entry: x\n"
    after, summary, snippet = edit_precommit(text, unread, INSTALLED)
    assert after == text and summary == []
    assert snippet is not None and "      - id: guardrail\n" in snippet
    assert f"    rev: {COMMIT}\n" in snippet


def test_without_a_known_rev_the_entry_is_printed_for_a_person_to_complete() -> None:
    """No hook repo configured and no commit recorded: nothing is written, never a guessed tag."""
    text = "repos:\n  - repo: local\n    hooks:\n      - id: x\n        entry: x\n"
    after, summary, snippet = edit_precommit(text, unread, None)
    assert after == text and summary == []
    assert snippet is not None and "rev: <a tag or full commit id of push-guardrail>" in snippet
    assert "records no commit" in snippet
    assert edit_precommit(None, unread, None)[:2] == (None, [])


def _hooks(text: str, lookup: Any = unread) -> list[tuple[str, int, list[str], list[str], bool]]:
    found = guardrail_hooks(YAML(typ="rt").load(text), lookup)
    return [(h.hook_id, h.line, sorted(h.stages), sorted(h.checks), h.at_push) for h in found]


def test_guardrail_hooks_by_id_entry_stages_and_options() -> None:
    text = """\
default_stages: [pre-commit]
repos:
  - repo: https://example.invalid/org/hooks
    rev: v1
    hooks:
      - id: guardrail-mypy
        stages: [push]
      - id: guardrail
        args: [--skip, pytest]
  - repo: local
    hooks:
      - id: gate
        name: gate
        entry: guardrail run --only ruff-check,ruff-format
        language: system
        stages: [pre-push]
      - id: other
        name: other
        entry: echo guardrail
        language: system
"""
    # default_stages holds back only a hook that neither the config nor its manifest gives
    # stages (pre-commit's rule): the guardrail manifest's own hooks list theirs.
    manifest = ["manual", "pre-commit", "pre-push"]
    assert _hooks(text) == [
        ("guardrail-mypy", 6, ["push"], ["mypy"], True),
        ("guardrail", 8, manifest, ["mypy", "ruff-check", "ruff-format"], True),
        ("gate", 12, ["pre-push"], ["ruff-check", "ruff-format"], True),
    ]
    assert push_checks(YAML(typ="rt").load(text), unread) == {"mypy", "ruff-check", "ruff-format"}


ORG_MANIFEST = {
    "acme-guardrail": {
        "id": "acme-guardrail",
        "entry": "guardrail run --tools bundled --enforce tools --require mypy",
        "args": ["--mypy-arg=--warn-unreachable"],
        "stages": ["pre-commit", "pre-push", "manual"],
    },
    "acme-guardrail-mypy": {"id": "acme-guardrail-mypy", "entry": "guardrail run --only mypy"},
    "acme-lint": {"id": "acme-lint", "entry": "ruff check", "stages": ["pre-push"]},
    "guardrail": {"id": "guardrail", "entry": "guardrail doctor"},
}


def org(repo: str, rev: str) -> dict[str, Any] | None:
    return ORG_MANIFEST if repo == "https://git.example.invalid/acme/hooks" else None


def test_a_hook_counts_by_what_its_manifest_runs_not_by_its_id() -> None:
    text = """\
default_stages: [pre-commit]
repos:
  - repo: https://git.example.invalid/acme/hooks
    rev: v1.0.0
    hooks:
      - id: acme-guardrail
      - id: acme-guardrail-mypy
      - id: acme-lint
      - id: guardrail
  - repo: local
    hooks:
      - id: doctor
        entry: guardrail doctor
        language: system
      - id: windows-gate
        entry: C:/tools/guardrail.exe pre-push
        language: system
        stages: [pre-push]
"""
    assert _hooks(text, org) == [
        ("acme-guardrail", 6, ["manual", "pre-commit", "pre-push"], sorted(CHECKS), True),
        ("acme-guardrail-mypy", 7, ["pre-commit"], ["mypy"], False),
        ("windows-gate", 15, ["pre-push"], sorted(CHECKS), True),
    ]
    assert _hooks(text) == [  # manifest unread: the guardrail's own ids, as its manifest has them
        ("guardrail", 9, ["manual", "pre-commit", "pre-push"], sorted(CHECKS), True),
        ("windows-gate", 15, ["pre-push"], sorted(CHECKS), True),
    ]
    check = precommit_check(YAML(typ="rt").load("repos: []\n"), lookup=org)
    assert not check.ok and "lists no hook that runs the guardrail" in check.message


def test_init_adds_the_whole_chain_from_a_repo_already_configured() -> None:
    text = (
        "repos:\n"
        "  - repo: https://git.example.invalid/acme/hooks\n"
        "    rev: v1.0.0\n"
        "    hooks:\n"
        "      - id: acme-lint\n"
    )
    after, summary, snippet = edit_precommit(text, org, INSTALLED)
    assert snippet is None
    assert after == (
        "default_install_hook_types: [pre-commit, pre-push]\n"
        + text
        + "      - id: acme-guardrail\n        stages: [pre-push, manual]\n"
    )
    assert summary[0] == (
        ".pre-commit-config.yaml: added hook acme-guardrail of "
        "https://git.example.invalid/acme/hooks at pre-push"
    )
    assert edit_precommit(after, org, INSTALLED) == (after, [], None)


def test_hook_stages_default_to_the_manifest_or_every_stage() -> None:
    text = """\
repos:
  - repo: https://example.invalid/push-guardrail
    rev: v1
    hooks:
      - id: guardrail
  - repo: local
    hooks:
      - id: mine
        entry: guardrail
        language: system
"""
    assert [(h[0], h[4]) for h in _hooks(text)] == [("guardrail", True), ("mine", True)]


def test_config_discovery_walks_up_to_the_root(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = x\n",
            "backend/pyproject.toml": "[tool.mypy]\nstrict = true\n[tool.pytest.ini_options]\n",
            "backend/pkg/__init__.py": "",
            "web/mypy.ini": "[mypy]\nfiles = a.py, b\n",
            "web/.coveragerc": "[report]\nfail_under = 90\n",
        },
    )
    assert config_file("mypy", tmp_path, "backend/pkg") == "backend/pyproject.toml"
    assert config_file("mypy", tmp_path, ".") is None
    assert config_file("mypy", tmp_path, "web") == "web/mypy.ini"
    assert config_file("pytest", tmp_path, "web") is None
    assert mypy_config_targets(tmp_path / "web") == ("a.py", "b")
    assert mypy_config_targets(tmp_path / "backend") is None
    assert coverage_threshold(tmp_path / "web") and not coverage_threshold(tmp_path / "backend")


def test_mypy_config_is_found_in_mypys_own_order(tmp_path: Path) -> None:
    """With both pyproject.toml and setup.cfg configuring it, mypy reads pyproject.toml."""
    write_files(
        tmp_path,
        {
            "setup.cfg": "[mypy]\nfiles = bad.py\n",
            "pyproject.toml": '[tool.mypy]\nfiles = ["good.py"]\n',
            "bad.py": "x: int = 'no'\n",
            "good.py": "x: int = 1\n",
        },
    )
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", os.devnull],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr  # it checked good.py
    assert config_file("mypy", tmp_path, ".") == "pyproject.toml"
    assert mypy_config_targets(tmp_path) == ("good.py",)
    assert mypy_names_targets(tmp_path)


def test_a_guardrail_hook_held_back_by_its_stages_gets_pre_push() -> None:
    text = (
        "repos:\n"
        "  - repo: https://example.invalid/push-guardrail\n"
        "    rev: v1\n"
        "    hooks:\n"
        "      - id: guardrail\n"
        "        stages: [pre-commit]\n"
    )
    after, summary, snippet = edit_precommit(text, unread, None)
    assert snippet is None
    assert after == (
        "default_install_hook_types: [pre-commit, pre-push]\n"
        + text.replace("[pre-commit]", "[pre-commit, pre-push]")
    )
    assert summary[0] == ".pre-commit-config.yaml: hook guardrail now also runs at pre-push"
    assert edit_precommit(after, unread, None) == (after, [], None)


def test_default_stages_do_not_hold_back_a_hook_whose_manifest_sets_stages() -> None:
    text = (
        "default_install_hook_types: [pre-push]\n"
        "default_stages: [pre-commit]\n"
        "repos:\n"
        "  - repo: https://example.invalid/push-guardrail\n"
        "    rev: v1\n"
        "    hooks:\n"
        "      - id: guardrail\n"
    )
    assert edit_precommit(text, unread, None) == (text, [], None)
