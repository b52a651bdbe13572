"""The plumbing that silently turns the guardrail off: hook config, installed hook, mypy config,
tool versions. Each check comes back as a :class:`PlumbingCheck`; nothing here prints."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any

from hooks import proc
from hooks.ci.args import SPECS, split
from hooks.config import CHECKS, read_toml
from hooks.doctor import manifests
from hooks.errors import GuardrailError
from hooks.findings import Outcome, Status
from hooks.githook import MARKER, hook_path
from hooks.pins import Pin, project_pins, satisfies
from hooks.projects import Project, mypy_tool, ruff_tool

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
PREK_CONFIGS = ("prek.toml", PRE_COMMIT_CONFIG, ".pre-commit-config.yml")  # prek's own order
PUSH_STAGES = frozenset({"pre-push", "push"})
ALL_STAGES = frozenset({"pre-commit", "pre-push", "manual", "commit", "push"})
MANIFEST_STAGES = frozenset({"pre-commit", "pre-push", "manual"})
GUARDRAIL_COMMANDS = frozenset({"run", "pre-push"})

Lookup = Callable[[str, str], Mapping[str, Mapping[str, Any]] | None]


@dataclass(frozen=True, slots=True)
class PlumbingCheck:
    """One plumbing fact. ``ok`` False is a problem (doctor exits 1); ``note`` only informs;
    ``warning`` is a fault that does not turn the guardrail off (shown with its fix)."""

    name: str
    ok: bool
    message: str
    fix: str = ""
    note: bool = False
    warning: bool = False


@dataclass(frozen=True, slots=True)
class GuardrailHook:
    """A hook that runs the guardrail, with the stages and checks it runs."""

    hook_id: str
    line: int
    stages: frozenset[str]
    checks: frozenset[str]
    repo: str = "local"
    rev: str = ""
    args: tuple[str, ...] = ()

    @property
    def at_push(self) -> bool:
        return bool(self.stages & PUSH_STAGES)

    @property
    def shown(self) -> str:
        return f"{self.hook_id} (line {self.line})" if self.line else self.hook_id


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


def _words(entry: str) -> list[str]:
    try:
        return shlex.split(entry)
    except ValueError:
        return entry.split()


def _runs_guardrail(entry: str) -> bool:
    """``guardrail [run|pre-push] ...`` (by any path, ``guardrail.exe`` too) or ``python -m hooks
    [run|pre-push] ...``: the gate, not ``guardrail doctor`` or ``guardrail fix``."""
    words = _words(entry)
    if not words:
        return False
    program = PureWindowsPath(words[0]).name.lower().removesuffix(".exe")
    if program == "guardrail":
        rest = words[1:]
    elif program.startswith("python") and words[1:3] == ["-m", "hooks"]:
        rest = words[3:]
    else:
        return False
    return not rest or rest[0].startswith("-") or rest[0] in GUARDRAIL_COMMANDS


def runs_whole_chain(entry: str, args: Sequence[str] = ()) -> bool:
    """Whether a hook with this entry and args runs the guardrail with all four checks."""
    if not _runs_guardrail(entry):
        return False
    return _option_checks([*_words(entry), *args], frozenset(CHECKS)) == frozenset(CHECKS)


def own_manifest_hook(hook_id: str) -> dict[str, Any] | None:
    """What this repository's own manifest defines for ``hook_id``: ``guardrail`` runs the
    chain, ``guardrail-<check>`` one check, ``guardrail-background`` (post-commit) starts the
    background verification and checks nothing itself (tests/test_release.py keeps the two in
    step)."""
    if hook_id == "guardrail-background":
        return {"id": hook_id, "entry": "guardrail-background", "stages": ["post-commit"]}
    if hook_id == "guardrail":
        entry = "guardrail run"
    elif hook_id.startswith("guardrail-") and hook_id.removeprefix("guardrail-") in CHECKS:
        entry = f"guardrail run --only {hook_id.removeprefix('guardrail-')}"
    else:
        return None
    return {"id": hook_id, "entry": entry, "stages": sorted(MANIFEST_STAGES)}


def _stages(value: object) -> frozenset[str] | None:
    return frozenset(str(s) for s in value) if isinstance(value, list) and value else None


def guardrail_hooks(
    config: Mapping[str, Any], lookup: Lookup = manifests.find
) -> list[GuardrailHook]:
    """Every hook that runs the guardrail: a local hook by its entry; a hook of another repo by
    the entry its manifest gives it (``lookup``), or, when the manifest cannot be read, by this
    repository's own ids (``guardrail``, ``guardrail-<check>``). Stages resolve as pre-commit
    resolves them: the config's, else the manifest's, else ``default_stages``, else all."""
    found: list[GuardrailHook] = []
    default_stages = _stages(config.get("default_stages")) or ALL_STAGES
    for repo in config.get("repos") or []:
        if not isinstance(repo, Mapping):
            continue
        url, rev = str(repo.get("repo", "")), str(repo.get("rev", ""))
        if url == "meta":
            continue
        defined = None if url == "local" else lookup(url, rev)
        for hook in repo.get("hooks") or []:
            if not isinstance(hook, Mapping):
                continue
            hook_id = str(hook.get("id", ""))
            if url == "local":
                base: Mapping[str, Any] | None = {}
            elif defined is not None:
                base = defined.get(hook_id)
            else:
                base = own_manifest_hook(hook_id)
            if base is None:
                continue
            merged = {**base, **hook}
            entry = str(merged.get("entry") or "")
            if not _runs_guardrail(entry):
                continue
            stages = _stages(merged.get("stages")) or default_stages
            args = [str(a) for a in merged.get("args") or []]
            checks = _option_checks([*_words(entry), *args], frozenset(CHECKS))
            line = hook.lc.line + 1 if hasattr(hook, "lc") else 0
            words = (*_words(entry)[1:], *args)
            found.append(GuardrailHook(hook_id, line, stages, checks, url, rev, words))
    return found


def unread_manifests(config: Mapping[str, Any], lookup: Lookup = manifests.find) -> list[str]:
    """The hook repos (``repo@rev``) whose manifest cannot be read here, so whether their hooks
    run the guardrail is judged by id alone."""
    unread = []
    for repo in config.get("repos") or []:
        if not isinstance(repo, Mapping):
            continue
        url, rev = str(repo.get("repo", "")), str(repo.get("rev", ""))
        if url not in ("local", "meta") and lookup(url, rev) is None:
            unread.append(f"{url}@{rev}")
    return unread


def hook_host(text: str) -> str | None:
    """Who wrote a git hook script: ``guardrail install``, prek, pre-commit, or None."""
    if MARKER in text:
        return "guardrail install"
    if "File generated by prek" in text or re.search(r"\bprek\b.*hook-impl", text):
        return "prek"
    if "pre-commit" in text or "pre_commit" in text:
        return "pre-commit"
    return None


def installed_host(root: Path) -> str | None:
    """The host of this clone's pre-push hook, None when there is none or it is someone else's."""
    path = hook_path(root)
    try:
        return hook_host(path.read_text(encoding="utf-8", errors="replace")) if path else None
    except OSError:
        return None


def hook_config_file(root: Path, host: str | None = None) -> str:
    """The config the hook host reads: prek reads ``prek.toml`` first, pre-commit only
    ``.pre-commit-config.yaml``. With no host installed, prek's when only prek has one."""
    host = installed_host(root) if host is None else host
    if host != "pre-commit":
        for name in PREK_CONFIGS:
            if (root / name).is_file():
                if host == "prek" or name == "prek.toml":
                    return name
                break
    return PRE_COMMIT_CONFIG


def load_precommit_config(root: Path, file: str | None = None) -> Any:
    """The parsed hook config (round-trip YAML, with lines; or prek.toml), or None when absent.
    ``file`` defaults to the one the installed hook's host reads."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    name = hook_config_file(root) if file is None else file
    path = root / name
    if not path.is_file():
        return None
    if name.endswith(".toml"):
        return read_toml(path)
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (YAMLError, OSError, UnicodeDecodeError) as exc:
        raise GuardrailError(
            f"{name}: cannot be read as YAML ({exc}); fix it: pre-commit cannot run any hook "
            "from it either"
        ) from exc
    return data if isinstance(data, Mapping) else {}


def precommit_check(
    config: Mapping[str, Any] | None,
    name: str = PRE_COMMIT_CONFIG,
    lookup: Lookup = manifests.find,
) -> PlumbingCheck:
    if config is None:
        return PlumbingCheck(
            name,
            False,
            f"no {name}: pre-commit will not run the guardrail",
            fix="guardrail init --from-ci adds it",
        )
    hooks = guardrail_hooks(config, lookup)
    if not hooks:
        unread = unread_manifests(config, lookup)
        why = (
            f"; the manifests of {', '.join(unread)} are not cached here, so only their hook "
            "ids could be judged: `pre-commit install-hooks` (or `prek install "
            "--prepare-hooks`) fetches them"
            if unread
            else ""
        )
        return PlumbingCheck(
            name,
            False,
            "lists no hook that runs the guardrail (an entry `guardrail run` or `guardrail "
            f"pre-push`, in the hook or its repo's manifest){why}",
            fix="guardrail init --from-ci adds it",
        )
    at_push = [h for h in hooks if h.at_push]
    if not at_push:
        listed = ", ".join(f"{h.shown}: {', '.join(sorted(h.stages))}" for h in hooks)
        return PlumbingCheck(
            name,
            False,
            f"no guardrail hook runs at push: {listed}",
            fix="add pre-push to the hook's stages",
        )
    ids = ", ".join(h.shown for h in at_push)
    if not any("pre-commit" in h.stages or "commit" in h.stages for h in at_push):
        return PlumbingCheck(
            name,
            True,
            f"{ids} runs at pre-push; not in the pre-commit stage, so a plain "
            "`pre-commit run --all-files` skips it (use --hook-stage manual, or list no stages "
            "and install only the pre-push hook type)",
        )
    return PlumbingCheck(name, True, f"{ids} runs at pre-push")


def push_checks(
    config: Mapping[str, Any] | None, lookup: Lookup = manifests.find
) -> frozenset[str] | None:
    """The checks the pre-commit pre-push hooks run; None when no guardrail hook is listed."""
    if config is None:
        return None
    hooks = [h for h in guardrail_hooks(config, lookup) if h.at_push]
    if not hooks:
        return None
    return frozenset().union(*(h.checks for h in hooks))


def _legacy_check(root: Path, path: Path, shown: str, host: str) -> PlumbingCheck:
    """pre-commit's and prek's migration mode keeps the hook they replaced as
    ``pre-push.legacy`` and runs it first, on every push.

    When that hook is pre-commit's or prek's own script, it looks for a ``pre-push.legacy``
    beside itself, finds itself, and stops with "installed in migration mode": every push
    fails, after being checked twice. Any other legacy hook that runs the guardrail checks
    every push a second time.
    """
    legacy = path.with_name(path.name + ".legacy")
    name = "pre-push hook"
    try:
        text = legacy.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    legacy_host = hook_host(text)
    if host == "prek":
        fix = f"prek install --force --hook-type pre-push (removes {legacy.name}; prek stays)"
    else:
        fix = f"pre-commit install --overwrite --hook-type pre-push (removes {legacy.name})"
    kept = f"first {legacy.name}, the hook {host}'s migration mode kept"
    if legacy_host in ("pre-commit", "prek"):
        return PlumbingCheck(
            name,
            False,
            f"{shown} runs {host} at pre-push, and {kept}: {legacy_host}'s own script, which "
            f"finds itself as its legacy hook and fails every push, whatever the checks say "
            f'("{legacy_host}\'s script is installed in migration mode")',
            fix=fix,
        )
    if "guardrail" not in text:
        return PlumbingCheck(name, True, f"{shown} runs {host} at pre-push, after {kept}")
    by = "guardrail install's hook" if legacy_host else "a script that runs guardrail"
    return PlumbingCheck(
        name,
        True,
        f"{shown} runs {host} at pre-push, and {kept} ({by}) runs the guardrail again: every "
        "push is checked twice",
        fix=fix,
        warning=True,
    )


def installed_hook_check(root: Path, config: Mapping[str, Any] | None) -> PlumbingCheck:
    name = "pre-push hook"
    path = hook_path(root)
    if path is None:
        return PlumbingCheck(name, False, f"{root} is not a git repository: no hook can run")
    shown = _shown_path(path, root)
    install = "pre-commit install --hook-type pre-push (or prek install, or guardrail install)"
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
    host = hook_host(text)
    if host == "guardrail install":
        found = PlumbingCheck(name, True, f"{shown} installed by guardrail install")
    elif host is not None:
        if push_checks(config) is None:
            return PlumbingCheck(
                name,
                False,
                f"{shown} runs {host}, but no guardrail hook in {hook_config_file(root, host)} "
                "runs at pre-push",
                fix="guardrail init --from-ci",
            )
        found = PlumbingCheck(name, True, f"{shown} runs {host} at pre-push")
    elif "guardrail" in text:
        found = PlumbingCheck(name, True, f"{shown} runs guardrail")
    else:
        return PlumbingCheck(
            name,
            False,
            f"{shown} exists but runs neither pre-commit, prek nor guardrail",
            fix=install,
        )
    if host in ("pre-commit", "prek") and path.with_name(path.name + ".legacy").exists():
        return _legacy_check(root, path, shown, host)
    return found


def _shown_path(path: Path, root: Path) -> str:
    """``path`` relative to the repository (as given when it is on another drive)."""
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return str(path)


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
