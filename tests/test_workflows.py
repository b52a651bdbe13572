"""`.github/workflows/ci.yml` and `action.yml`, checked by actionlint and shellcheck.

actionlint reads workflows; a workflow that ``uses: ./`` makes it read action.yml's metadata
too (its inputs and outputs), so the tests lint one that uses every input and output.
action.yml's own scripts are not linted by actionlint: shellcheck reads them directly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_runner import load_action

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".github" / "workflows" / "ci.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN))
    assert found, f"{name} is not installed in {BIN}: pip install -e '.[test]'"
    return found


def uses_the_action(with_: dict[str, str], echo: str) -> str:
    """A workflow that runs the action with ``with_`` and echoes ``echo``."""
    lines = [
        "name: guardrail",
        "on: [push, pull_request]",
        "permissions:",
        "  contents: read",
        "  security-events: write",
        "jobs:",
        "  guardrail:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - uses: actions/checkout@v5",
        "      - uses: actions/setup-python@v6",
        "        with:",
        '          python-version: "3.12"',
        "      - id: guardrail",
        "        uses: ./",
        "        with:",
        *(f"          {name}: {value}" for name, value in with_.items()),
        "      - if: always()",
        f'        run: echo "{echo}"',
    ]
    return "\n".join(lines) + "\n"


def every_input_and_output() -> str:
    action = load_action()
    with_ = {name: str(spec.get("default") or "x") for name, spec in action["inputs"].items()}
    echo = " ".join(f"${{{{ steps.guardrail.outputs.{name} }}}}" for name in action["outputs"])
    return uses_the_action(with_, echo)


def actionlint(tmp_path: Path, workflows: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """actionlint in a copy of this repository's action.yml and ci.yml, plus ``workflows``."""
    shutil.copy2(ROOT / "action.yml", tmp_path / "action.yml")
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    shutil.copy2(CI, folder / "ci.yml")
    for name, text in workflows.items():
        (folder / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [tool("actionlint"), "-no-color"], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_ci_and_the_action_pass_actionlint(tmp_path: Path) -> None:
    tool("shellcheck")  # actionlint runs it on each `run:` script when it is on PATH
    res = actionlint(tmp_path, {"guardrail.yml": every_input_and_output()})
    assert res.returncode == 0 and not res.stdout + res.stderr, res.stdout + res.stderr


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (uses_the_action({"no-such-input": "1"}, "x"), 'input "no-such-input" is not defined'),
        (
            uses_the_action({}, "${{ steps.guardrail.outputs.no-such-output }}"),
            'property "no-such-output" is not defined',
        ),
    ],
    ids=["unknown-input", "unknown-output"],
)
def test_actionlint_reads_the_actions_metadata(
    tmp_path: Path, workflow: str, expected: str
) -> None:
    res = actionlint(tmp_path, {"guardrail.yml": workflow})
    assert res.returncode == 1, res.stdout + res.stderr
    assert expected in res.stdout, res.stdout
    assert res.stdout.startswith(".github/workflows/guardrail.yml:"), res.stdout


def test_the_actions_scripts_pass_shellcheck(tmp_path: Path) -> None:
    steps = [s for s in load_action()["runs"]["steps"] if "run" in s]
    assert steps and all(s["shell"] == "bash" for s in steps)
    scripts = []
    for i, step in enumerate(steps):
        scripts.append(tmp_path / f"step-{i}.sh")
        scripts[-1].write_text(step["run"], encoding="utf-8")
    res = subprocess.run(
        [tool("shellcheck"), "--shell=bash", *map(str, scripts)], capture_output=True, text=True
    )
    assert res.returncode == 0 and not res.stdout + res.stderr, res.stdout + res.stderr


def ci() -> dict[str, Any]:
    workflow = yaml.safe_load(CI.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    return workflow


def test_the_test_job_runs_the_readme_command_on_three_oses_and_pythons() -> None:
    command = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")
    job = ci()["jobs"]["test"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False
    assert job["strategy"]["matrix"] == {
        "os": ["ubuntu-latest", "macos-latest", "windows-latest"],
        "python-version": ["3.11", "3.12", "3.13"],
    }
    runs = {s["if"]: (s["shell"], s["run"]) for s in job["steps"] if "run" in s}
    windows = command.replace("python3", "python").replace(".venv/bin/", ".venv\\Scripts\\")
    assert runs == {
        "runner.os != 'Windows'": ("bash", command),
        "runner.os == 'Windows'": ("pwsh", windows),
    }


def test_the_checks_job_runs_the_four_checks_as_steps() -> None:
    steps = ci()["jobs"]["checks"]["steps"]
    assert [s["run"] for s in steps if "run" in s] == [
        "python -m pip install -e '.[test]'",
        "ruff check .",
        "ruff format --check .",
        "mypy hooks",
        "python -m pytest",
    ]


DOCS = ROOT / "docs" / "github-action.md"
REMOTE_USE = "push-guardrail/push-guardrail@<commit>"


def test_the_docs_example_passes_actionlint(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    (example,) = re.findall(r"^```yaml\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    assert example.count(REMOTE_USE) == 1, example
    res = actionlint(tmp_path, {"example.yml": example.replace(REMOTE_USE, "./")})
    assert res.returncode == 0 and not res.stdout + res.stderr, res.stdout + res.stderr


def test_the_docs_tables_are_the_actions_inputs_and_outputs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    action = load_action()

    def table(heading: str) -> list[list[str]]:
        section = text[text.index(f"## {heading}\n") :].split("\n## ")[0]
        rows = re.findall(r"^\| `([a-z-]+)` \| (.*) \|$", section, flags=re.MULTILINE)
        return [[name, *cells.split(" | ")] for name, cells in rows]

    inputs = {name: default for name, default, _ in table("Inputs")}
    assert inputs == {
        name: f"`{spec['default']}`" if spec["default"] else '`""`'
        for name, spec in action["inputs"].items()
    }
    assert [name for name, _ in table("Outputs")] == list(action["outputs"])
