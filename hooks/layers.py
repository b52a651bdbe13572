"""The organisation's layer: defaults given as hook ``args:`` on ``guardrail run``.

A team's hook repo (its manifest's ``entry``/``args``) or a consumer's ``.pre-commit-config.yaml``
passes the team's defaults as arguments. They form one layer between the guardrail's defaults
and each project's own ``[tool.guardrail]``, which still wins. What the organisation marks as
enforced (``--require CHECK``, ``--enforce SETTING``) a project cannot undo: trying is an error
that names both sides, never a silent override either way.

``--only`` and ``--jobs`` are not part of the layer: ``--only`` selects what one hook runs (the
per-check hooks are ``guardrail run --only mypy``) and ``--jobs`` is a property of the machine.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from hooks.config import CHECKS, ENFORCED, PROJECT_KEYS, Layer, load_project_layer
from hooks.errors import GuardrailError
from hooks.hookargs import add_organisation_arguments, add_selection_arguments
from hooks.projects import discover

ORIGIN = "the hook args (the organisation's hook repo or .pre-commit-config.yaml)"


@dataclass(frozen=True, slots=True)
class HookArgs:
    """The organisation's layer, what it enforces, and the arguments as they were written."""

    layer: Layer = field(default_factory=dict)
    required: tuple[str, ...] = ()
    enforced: tuple[str, ...] = ()
    written: tuple[str, ...] = ()

    @property
    def layers(self) -> tuple[Layer, ...]:
        if not self.layer:
            return ()
        return ({**self.layer, ENFORCED: self.enforced},) if self.enforced else (self.layer,)

    @property
    def notes(self) -> tuple[str, ...]:
        """A summary line, so a run shows which team defaults applied."""
        if not self.written:
            return ()
        head = "hook args (organisation defaults; [tool.guardrail] overrides them):"
        return (f"{head} {' '.join(self.written)}",)


def _timeout(value: str) -> tuple[str, float]:
    check, eq, seconds = value.partition("=")
    problem = None
    if not eq or check not in CHECKS:
        problem = f"wants CHECK=SECONDS with CHECK one of {', '.join(CHECKS)}"
    else:
        try:
            number = float(seconds)
        except ValueError:
            number = 0.0
        if not number > 0:
            problem = "wants a positive number of seconds"
    if problem:
        raise GuardrailError(f"{ORIGIN}: --timeout {value}: {problem}, e.g. --timeout pytest=900")
    return check, number


def build(
    *,
    skip: Sequence[str] = (),
    fail_fast: bool | None = None,
    check_args: Mapping[str, Sequence[str]] | None = None,
    timeouts: Sequence[str] = (),
    tools: str | None = None,
    pass_env: Sequence[str] = (),
    require: Sequence[str] = (),
    enforce: Sequence[str] = (),
) -> HookArgs:
    """The layer from typed hook args; contradictions among the args themselves are errors."""
    layer: Layer = {}
    written: list[str] = []
    if fail_fast:
        layer["fail_fast"] = True
        written.append("--fail-fast")
    if skip:
        layer["checks"] = tuple(c for c in CHECKS if c not in skip)
        written.extend(f"--skip {c}" for c in CHECKS if c in skip)
    for check, args in (check_args or {}).items():
        if args:
            layer[f"{check}.args"] = tuple(args)
            written.extend(f"--{check}-arg={a}" for a in args)
    for value in timeouts:
        check, seconds = _timeout(value)
        layer[f"{check}.timeout"] = seconds
        written.append(f"--timeout {value}")
    if tools is not None:
        layer["tools"] = tools
        written.append(f"--tools {tools}")
    if pass_env:
        try:
            layer["pass_env"] = PROJECT_KEYS["pass_env"](list(pass_env))
        except TypeError as exc:
            raise GuardrailError(f"{ORIGIN}: --pass-env must be {exc}") from None
        written.extend(f"--pass-env {name}" for name in pass_env)
    for check in dict.fromkeys(require):
        if check in skip:
            raise GuardrailError(f"{ORIGIN}: --skip {check} contradicts --require {check}")
        written.append(f"--require {check}")
    for key in dict.fromkeys(enforce):
        if key not in layer:
            raise GuardrailError(
                f"{ORIGIN}: --enforce {key}: the hook args do not set {key!r}; enforce one of "
                f"the settings they give ({', '.join(layer) or 'none given'})"
            )
        written.append(f"--enforce {key}")
    required = tuple(dict.fromkeys(require))
    return HookArgs(layer, required, tuple(dict.fromkeys(enforce)), tuple(written))


def _flatten(values: Sequence[Sequence[str] | str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend([v] if isinstance(v, str) else v)
    return tuple(out)


def from_namespace(args: argparse.Namespace) -> HookArgs:
    """The organisation's flags, out of argparse at once, typed."""
    return build(
        skip=_flatten(args.skip),
        fail_fast=args.fail_fast,
        check_args={c: [v for check, v in args.check_args if check == c] for c in CHECKS},
        timeouts=list(args.timeout),
        tools=args.tools,
        pass_env=list(args.pass_env),
        require=list(args.require),
        enforce=list(args.enforce),
    )


def only_of(args: argparse.Namespace) -> tuple[str, ...]:
    """The checks ``--only`` selects (none: every check)."""
    return _flatten(args.only)


class _HookArgParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise GuardrailError(message)


def parse_hook_words(words: Sequence[str], where: str) -> tuple[HookArgs, tuple[str, ...]]:
    """A hook's ``guardrail run`` arguments (its entry's words and its ``args:``), parsed as the
    command line parses them: the organisation's layer and the checks ``--only`` selects.
    Arguments that do not change what runs (``--jobs``, report options) are ignored."""
    parser = _HookArgParser(prog="guardrail run", add_help=False)
    add_selection_arguments(parser)
    add_organisation_arguments(parser)
    try:
        args, _ = parser.parse_known_args(list(words))
        return from_namespace(args), only_of(args)
    except GuardrailError as exc:
        raise GuardrailError(f"{where}: the guardrail hook's args: {exc}") from None


def _toml_key(key: str) -> str:
    check, dot, sub = key.partition(".")
    return f"[tool.guardrail.{check}] {sub}" if dot else f"[tool.guardrail] {key}"


def _toml_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_project(hook: HookArgs, project_layer: Layer, where: str) -> None:
    """Raise when a project's own layer undoes what the hook args enforce."""
    checks = project_layer.get("checks")
    if checks is not None:
        dropped = [c for c in hook.required if c not in checks]
        if dropped:
            raise GuardrailError(
                f"{where}: [tool.guardrail] checks = {_toml_value(checks)} drops "
                f"{', '.join(dropped)}, but {ORIGIN} require it "
                f"({' '.join(f'--require {c}' for c in dropped)}). Add it back to checks "
                "(or remove the key), or ask the hook repo's owners to lift the requirement."
            )
    for key in hook.enforced:
        if key in project_layer and project_layer[key] != hook.layer[key]:
            raise GuardrailError(
                f"{where}: {_toml_key(key)} = {_toml_value(project_layer[key])} changes a "
                f"setting that {ORIGIN} enforce (--enforce {key}, value "
                f"{_toml_value(hook.layer[key])}). Remove the key from the project, or ask the "
                "hook repo's owners to lift --enforce."
            )


def enforce(repo_root: Path, hook: HookArgs, rels: Iterable[str] | None = None) -> None:
    """Check every project of the repository (or ``rels``) against what the hook args enforce."""
    if not hook.required and not hook.enforced:
        return
    for rel in discover(repo_root) if rels is None else rels:
        path = repo_root / rel if rel != "." else repo_root
        layer = load_project_layer(path, repo_root=rel == ".")
        check_project(hook, layer, str(path / "pyproject.toml"))
