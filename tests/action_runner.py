"""Run ``action.yml``'s steps on this machine the way a GitHub runner runs a composite action.

Each ``run:`` step is written to a script file and run as the runner runs ``shell: bash``
(``bash --noprofile --norc -eo pipefail FILE``), in its ``working-directory`` under the
workspace, with the runner's variables (``GITHUB_ACTIONS``, ``GITHUB_STEP_SUMMARY``,
``GITHUB_OUTPUT``, ``GITHUB_WORKSPACE``, ``GITHUB_ACTION_PATH``, ``RUNNER_TEMP``, ``RUNNER_OS``)
and the step's ``env:``. The ``${{ ... }}`` expressions the action uses are substituted from
the inputs (with action.yml's defaults), ``github.action_path`` and earlier steps' outputs; an
expression this runner does not know fails the test rather than becoming an empty string.

A ``uses:`` step cannot run here: the runner evaluates its ``if:`` and records the ``with:`` it
would have been given, so the test can check what would be uploaded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT = re.compile(r"inputs\.([A-Za-z0-9_-]+)")
STEP_OUTPUT = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")
# The one condition the action puts on a step; this runner evaluates exactly that one.
UPLOAD_IF = re.compile(r"\$\{\{ !cancelled\(\) && steps\.([a-z-]+)\.outputs\.([a-z-]+) != '' \}\}")


def load_action(path: Path = ROOT / "action.yml") -> dict[str, Any]:
    action = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(action, dict) and action["runs"]["using"] == "composite", action
    return action


@dataclass
class ActionRun:
    """What a workflow would see: the action's exit code, its log, the job summary, outputs."""

    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]
    uses: dict[str, dict[str, str]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"ActionRun(code={self.code}, outputs={self.outputs}, uses={self.uses}\n"
            f"stdout=\n{self.stdout}\nstderr=\n{self.stderr}\nsummary=\n{self.summary})"
        )


@dataclass
class Runner:
    """One job's runner: ``action_path`` is the action at its ref, ``temp`` is RUNNER_TEMP."""

    action_path: Path
    temp: Path
    action: dict[str, Any] = field(default_factory=load_action)
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    runs: int = 0

    def base_env(self, workspace: Path, summary: Path) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "RUNNER_", "GUARDRAIL", "PRE_COMMIT"))
        }
        env.pop("VIRTUAL_ENV", None)
        # actions/setup-python's place: a Python >= 3.11 first on PATH.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.update(
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(workspace),
            GITHUB_ACTION_PATH=str(self.action_path),
            GITHUB_STEP_SUMMARY=str(summary),
            RUNNER_TEMP=str(self.temp),
            RUNNER_OS="Linux",
        )
        return env

    def inputs(self, given: Mapping[str, str]) -> dict[str, str]:
        declared = self.action["inputs"]
        unknown = set(given) - set(declared)
        assert not unknown, f"action.yml declares no input {sorted(unknown)}"
        return {
            name: str(given.get(name, spec.get("default", ""))) for name, spec in declared.items()
        }

    def evaluate(self, expression: str, inputs: Mapping[str, str]) -> str:
        if expression == "github.action_path":
            return str(self.action_path)
        if m := INPUT.fullmatch(expression):
            return inputs[m.group(1)]
        if m := STEP_OUTPUT.fullmatch(expression):
            return self.step_outputs.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"the test runner does not know the expression {expression!r}")

    def substitute(self, text: str, inputs: Mapping[str, str]) -> str:
        return EXPRESSION.sub(lambda m: self.evaluate(m.group(1), inputs), text)

    def run_step(
        self, step: Mapping[str, Any], workspace: Path, summary: Path, inputs: Mapping[str, str]
    ) -> subprocess.CompletedProcess[str]:
        assert step.get("shell") == "bash", step
        assert "${{" not in step["run"], "expressions go through env:, never into a script"
        self.runs += 1
        script = self.temp / f"step-{self.runs}.sh"
        script.write_text(step["run"], encoding="utf-8")
        output = self.temp / f"output-{self.runs}"
        output.write_text("", encoding="utf-8")
        env = self.base_env(workspace, summary)
        env["GITHUB_OUTPUT"] = str(output)
        env.update({k: self.substitute(str(v), inputs) for k, v in step.get("env", {}).items()})
        cwd = workspace / self.substitute(step.get("working-directory", "."), inputs)
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        self.step_outputs[step["id"]] = parse_output(output.read_text(encoding="utf-8"))
        return result

    def install(self, workspace: Path) -> subprocess.CompletedProcess[str]:
        """The first step, run once per session: it installs push-guardrail from action_path."""
        first = self.action["runs"]["steps"][0]
        assert first["id"] == "install", first
        return self.run_step(first, workspace, self.temp / "install-summary.md", self.inputs({}))

    def run(self, workspace: Path, given: Mapping[str, str] | None = None) -> ActionRun:
        """Every step after the install, as the runner would: after a failed step only a step
        whose ``if:`` asks for it runs."""
        inputs = self.inputs(given or {})
        summary = self.temp / f"summary-{self.runs}.md"
        summary.write_text("", encoding="utf-8")
        code, out, err, uses = 0, [], [], {}
        for step in self.action["runs"]["steps"][1:]:
            if "uses" in step:
                m = UPLOAD_IF.fullmatch(step.get("if", ""))
                assert m, f"the test runner evaluates only the upload's condition: {step}"
                if self.evaluate(f"steps.{m.group(1)}.outputs.{m.group(2)}", inputs):
                    uses[step["uses"]] = {
                        k: self.substitute(str(v), inputs) for k, v in step["with"].items()
                    }
                continue
            assert "if" not in step, f"the test runner has no condition for {step['name']}"
            if code != 0:
                continue
            result = self.run_step(step, workspace, summary, inputs)
            out.append(result.stdout)
            err.append(result.stderr)
            code = result.returncode
        outputs = {
            name: self.substitute(spec["value"], inputs)
            for name, spec in self.action.get("outputs", {}).items()
        }
        return ActionRun(
            code, "".join(out), "".join(err), summary.read_text(encoding="utf-8"), outputs, uses
        )


def parse_output(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT``'s ``name=value`` lines (the action writes no multi-line values)."""
    outputs: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        assert sep and "<<" not in name, f"unexpected GITHUB_OUTPUT line {line!r}"
        outputs[name] = value
    return outputs
