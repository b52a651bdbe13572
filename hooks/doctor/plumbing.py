"""The plumbing that silently turns the guardrail off: hook config, installed hook, mypy config,
tool versions. Each check comes back as a :class:`PlumbingCheck`; nothing here prints."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hooks import proc
from hooks.ci.args import SPECS, split
from hooks.config import CHECKS
from hooks.errors import GuardrailError
from hooks.findings import Outcome, Status
from hooks.githook import MARKER, hook_path
from hooks.pins import Pin, project_pins, satisfies
from hooks.projects import Project, mypy_tool, ruff_tool

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
PUSH_STAGES = frozenset({"pre-push", "push"})
ALL_STAGES = frozenset({"pre-commit", "pre-push", "manual", "commit", "push"})
MANIFEST_STAGES = frozenset({"pre-commit", "pre-push", "manual"})


@dataclass(frozen=True, slots=True)
class PlumbingCheck:
    """One plumbing fact. ``ok`` False is a problem (doctor exits 1); ``note`` only informs."""

    name: str
    ok: bool
    message: str
    fix: str = ""
    note: bool = False


@dataclass(frozen=True, slots=True)
class GuardrailHook:
    """A guardrail hook in ``.pre-commit-config.yaml``, with the stages and checks it runs."""

    hook_id: str
    line: int
    stages: frozenset[str]
    checks: frozenset[str]

    @property
    def at_push(self) -> bool:
        return bool(self.stages & PUSH_STAGES)


def _option_checks(words: Sequence[str], start: frozenset[str]) -> frozenset[str]:
    """Apply ``--only``/``--skip`` found in a hook's entry and args."""
    only: set[str] = set()
    skip: set[str] = set()
    target: set[str] | None = None
    for word in words:
        name, eq, value = word.partition("=")
        if name in ("--only", "--skip"):
            target = only if name == "--only" else skip
            if eq:
                target.update(v for v in value.split(",") if v)
            continue
        if target is not None and not word.startswith("-"):
            target.update(v for v in word.split(",") if v)
        else:
            target = None
    chosen = (start & only) if only else start
    return frozenset(chosen - skip)


def _runs_guardrail(entry: str) -> bool:
    """``guardrail ...``, ``/path/to/guardrail ...`` or ``python -m hooks ...``."""
    try:
        words = shlex.split(entry)
    except ValueError:
        words = entry.split()
    if not words:
        return False
    if os.path.basename(words[0]) == "guardrail":
        return True
    return os.path.basename(words[0]).startswith("python") and words[1:3] == ["-m", "hooks"]


def guardrail_hooks(config: Mapping[str, Any]) -> list[GuardrailHook]:
    """Guardrail hooks: id ``guardrail``/``guardrail-*`` from any repo, or a local hook whose
    entry runs guardrail."""
    found: list[GuardrailHook] = []
    default_stages = config.get("default_stages")
    for repo in config.get("repos") or []:
        if not isinstance(repo, Mapping):
            continue
        local = repo.get("repo") == "local"
        for hook in repo.get("hooks") or []:
            if not isinstance(hook, Mapping):
                continue
            hook_id = str(hook.get("id", ""))
            entry = str(hook.get("entry") or "")
            by_id = hook_id == "guardrail" or hook_id.startswith("guardrail-")
            by_entry = local and _runs_guardrail(entry)
            if not (by_id or by_entry):
                continue
            stages_value = hook.get("stages") or default_stages
            if isinstance(stages_value, list):
                stages = frozenset(str(s) for s in stages_value)
            else:
                stages = ALL_STAGES if local else MANIFEST_STAGES
            start = frozenset(CHECKS)
            suffix = hook_id.removeprefix("guardrail-")
            if not local and suffix in CHECKS:
                start = frozenset({suffix})
            args = [str(a) for a in hook.get("args") or []]
            words = [*(shlex.split(entry) if entry else []), *args]
            line = hook.lc.line + 1 if hasattr(hook, "lc") else 0
            found.append(GuardrailHook(hook_id, line, stages, _option_checks(words, start)))
    return found


def load_precommit_config(root: Path) -> Any:
    """The parsed ``.pre-commit-config.yaml`` (round-trip, with lines), or None when absent."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = root / PRE_COMMIT_CONFIG
    if not path.is_file():
        return None
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (YAMLError, OSError, UnicodeDecodeError) as exc:
        raise GuardrailError(
            f"{PRE_COMMIT_CONFIG}: cannot be read as YAML ({exc}); fix it: pre-commit cannot "
            "run any hook from it either"
        ) from exc
    return data if isinstance(data, Mapping) else {}


def precommit_check(config: Mapping[str, Any] | None) -> PlumbingCheck:
    name = PRE_COMMIT_CONFIG
    if config is None:
        return PlumbingCheck(
            name,
            False,
            f"no {PRE_COMMIT_CONFIG}: pre-commit will not run the guardrail",
            fix="guardrail init --from-ci adds it",
        )
    hooks = guardrail_hooks(config)
    if not hooks:
        return PlumbingCheck(
            name,
            False,
            "lists no guardrail hook (id guardrail or guardrail-*, or a local hook running "
            "guardrail)",
            fix="guardrail init --from-ci adds it",
        )
    at_push = [h for h in hooks if h.at_push]
    if not at_push:
        listed = ", ".join(
            f"{h.hook_id} (line {h.line}: {', '.join(sorted(h.stages))})" for h in hooks
        )
        return PlumbingCheck(
            name,
            False,
            f"no guardrail hook runs at push: {listed}",
            fix="add pre-push to the hook's stages",
        )
    ids = ", ".join(f"{h.hook_id} (line {h.line})" for h in at_push)
    if not any("pre-commit" in h.stages or "commit" in h.stages for h in at_push):
        return PlumbingCheck(
            name,
            True,
            f"{ids} runs at pre-push; not in the pre-commit stage, so a plain "
            "`pre-commit run --all-files` skips it (use --hook-stage manual, or list no stages "
            "and install only the pre-push hook type)",
        )
    return PlumbingCheck(name, True, f"{ids} runs at pre-push")


def push_checks(config: Mapping[str, Any] | None) -> frozenset[str] | None:
    """The checks the pre-commit pre-push hooks run; None when no guardrail hook is listed."""
    if config is None:
        return None
    hooks = [h for h in guardrail_hooks(config) if h.at_push]
    if not hooks:
        return None
    return frozenset().union(*(h.checks for h in hooks))


def installed_hook_check(root: Path, config: Mapping[str, Any] | None) -> PlumbingCheck:
    name = "pre-push hook"
    path = hook_path(root)
    if path is None:
        return PlumbingCheck(name, False, f"{root} is not a git repository: no hook can run")
    shown = os.path.relpath(path, root)
    install = "pre-commit install --hook-type pre-push (or guardrail install)"
    if not path.is_file():
        return PlumbingCheck(name, False, f"not installed in this clone ({shown})", fix=install)
    if not os.access(path, os.X_OK):
        return PlumbingCheck(
            name, False, f"{shown} is not executable: git skips it", fix=f"chmod +x {shown}"
        )
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return PlumbingCheck(name, False, f"{shown} cannot be read: {exc.strerror}")
    if MARKER in text:
        return PlumbingCheck(name, True, f"{shown} installed by guardrail install")
    if "pre-commit" in text:
        if push_checks(config) is None:
            return PlumbingCheck(
                name,
                False,
                f"{shown} runs pre-commit, but no guardrail hook in {PRE_COMMIT_CONFIG} runs at "
                "pre-push",
                fix="guardrail init --from-ci",
            )
        return PlumbingCheck(name, True, f"{shown} runs pre-commit at pre-push")
    if "guardrail" in text:
        return PlumbingCheck(name, True, f"{shown} runs guardrail")
    return PlumbingCheck(
        name, False, f"{shown} exists but runs neither pre-commit nor guardrail", fix=install
    )


def mypy_config_check(project: Project) -> PlumbingCheck:
    """mypy only warns about a broken config and carries on with it ignored: run the project's
    mypy on an empty program and judge its output with the mypy check's own parser."""
    from hooks.checks import mypy as mypy_check
    from hooks.checks.base import ToolOutput, context_for

    name = f"mypy config ({project.rel})"
    planned = mypy_check.plan(project)
    if isinstance(planned, Outcome):
        return PlumbingCheck(name, False, planned.message)
    tool = mypy_tool(project)
    if tool is None:
        return PlumbingCheck(name, False, "mypy is not installed, so its config cannot be read")
    version = tool.version
    spec = SPECS["mypy"]
    options = [
        token
        for option in split(project.config.check("mypy").args, spec).options
        if option.name not in spec.targets
        for token in option.tokens
    ]
    res = proc.run(
        [
            *tool.argv,
            "--python-executable",
            project.interpreter.python,
            *options,
            "--cache-dir",
            os.devnull,
            "-c",
            "pass",
        ],
        cwd=project.path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )
    if res.missing or res.timed_out:
        return PlumbingCheck(name, False, f"mypy {version} could not be started")
    outcome = mypy_check.parse(
        ToolOutput(res.returncode, res.stdout, res.stderr), context_for(project, "mypy")
    )
    if outcome.status is not Status.PASSED:
        return PlumbingCheck(name, False, outcome.message, fix="fix what mypy names")
    return PlumbingCheck(name, True, f"mypy {version} reads its config without warnings")


def version_checks(project: Project, extra: Sequence[Pin]) -> list[PlumbingCheck]:
    """The ruff and mypy that would run against every version the project pins for CI."""
    pins: list[Pin] = []
    for pin in (*project_pins(project.repo_root, project.rel), *extra):
        if not any((p.tool, p.spec) == (pin.tool, pin.spec) for p in pins):
            pins.append(pin)  # a lock file pins the same version the CI plan found in it
    out: list[PlumbingCheck] = []
    for tool_name, find in (("ruff", ruff_tool), ("mypy", mypy_tool)):
        if tool_name == "ruff" and not ({"ruff-check", "ruff-format"} & set(project.config.checks)):
            continue
        if tool_name == "mypy" and "mypy" not in project.config.checks:
            continue
        tool = find(project)
        name = f"{tool_name} version ({project.rel})"
        relevant = [p for p in pins if p.tool == tool_name]
        if tool is None:
            continue
        if not relevant:
            out.append(
                PlumbingCheck(
                    name,
                    True,
                    f"{tool_name} {tool.version} ({tool.source}); the project pins no version",
                    note=True,
                )
            )
            continue
        verdicts = [(p, satisfies(tool.version, p.spec)) for p in relevant]
        bad = [p for p, fits in verdicts if fits is False]
        unknown = [p for p, fits in verdicts if fits is None]
        if unknown and not bad:
            listed = "; ".join(f"{p.spec} in {p.source}" for p in unknown)
            out.append(
                PlumbingCheck(
                    name,
                    True,
                    f"cannot compare {tool_name} {tool.version} ({tool.source}) with {listed}",
                    note=True,
                )
            )
        elif bad:
            listed = "; ".join(f"{p.spec} in {p.source}" for p in bad)
            out.append(
                PlumbingCheck(
                    name,
                    False,
                    f"the guardrail would run {tool_name} {tool.version} ({tool.source}) but CI "
                    f"pins {listed}",
                    fix=f"install the pinned {tool_name} in the project env (.venv)",
                )
            )
        else:
            listed = "; ".join(f"{p.spec} in {p.source}" for p in relevant)
            out.append(
                PlumbingCheck(
                    name, True, f"{tool_name} {tool.version} ({tool.source}) meets {listed}"
                )
            )
    return out
