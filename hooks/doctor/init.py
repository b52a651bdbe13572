"""``guardrail init --from-ci``: write the settings that make the push hook run what CI runs.

The edits come from doctor's comparisons (:class:`hooks.doctor.compare.SettingsChange`). They
are applied with tomlkit and a round-trip YAML loader so that everything else in the files,
comments included, stays as it was; a second run finds nothing to change.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hooks import __version__
from hooks.config import CHECKS, parse_table
from hooks.doctor.plumbing import (
    PRE_COMMIT_CONFIG,
    PUSH_STAGES,
    guardrail_hooks,
)
from hooks.errors import GuardrailError

HOOK_REPO = "https://github.com/push-guardrail/push-guardrail"
HOOK_STAGES = ("pre-push", "manual")
INSTALL_TYPES = ("pre-commit", "pre-push")
NEW_INSTALL_TYPES = ("pre-push",)


@dataclass(frozen=True, slots=True)
class FileEdit:
    """A file's text before and after, and what changed in words."""

    path: str
    before: str
    after: str
    summary: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after


def hook_entry(*, stages: bool = True) -> str:
    """The ``.pre-commit-config.yaml`` entry that runs the guardrail at push.

    Beside other (commit-time) hooks it keeps to ``stages: [pre-push, manual]``; alone in a new
    config it lists no stages, so that ``pre-commit run --all-files`` runs it too, and only the
    pre-push hook type is installed (``NEW_INSTALL_TYPES``) to keep it off commits."""
    lines = [
        f"  - repo: {HOOK_REPO}\n",
        f"    rev: v{__version__}\n",
        "    hooks:\n",
        "      - id: guardrail\n",
    ]
    if stages:
        lines.append(f"        stages: [{', '.join(HOOK_STAGES)}]\n")
    return "".join(lines)


def new_precommit_config() -> str:
    return (
        "# Written by guardrail init --from-ci: the guardrail runs at push and in pre-commit run.\n"
        f"default_install_hook_types: [{', '.join(NEW_INSTALL_TYPES)}]\n"
        "repos:\n" + hook_entry(stages=False)
    )


def _tomlkit_array(values: Iterable[str]) -> Any:
    import tomlkit

    array = tomlkit.array()
    array.extend(values)
    return array


def _contains_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def apply_changes(
    text: str, changes: Iterable[tuple[str, tuple[str, ...]]], where: str
) -> tuple[str, list[str]]:
    """``text`` (a pyproject.toml) with each ``(key, values)`` change applied, and a summary.

    Values are added to what is there: names to ``checks``/``projects``/``targets`` when missing,
    option tokens to ``args`` when that exact run of tokens is not there yet.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise GuardrailError(f"{where}: not valid TOML ({exc}); fix it and run again") from exc
    summary: list[str] = []
    for key, values in changes:
        tool = doc.get("tool")
        if tool is None:
            tool = tomlkit.table(is_super_table=True)
            doc["tool"] = tool
        table = tool.get("guardrail")
        if table is None:
            table = tomlkit.table()
            tool["guardrail"] = table
        check, _, sub = key.partition(".")
        if sub:
            if check not in table:
                table[check] = tomlkit.table()
            owner, name, label = table[check], sub, f"[tool.guardrail.{check}] {sub}"
        else:
            owner, name, label = table, key, f"[tool.guardrail] {key}"
        current = owner.get(name)
        if current is None:
            owner[name] = _tomlkit_array(values)
            summary.append(f"{where}: {label} = {list(values)}")
            continue
        if not isinstance(current, list):
            raise GuardrailError(f"{where}: {label} must be a list; fix it and run again")
        if name == "args":
            if not _contains_run([str(v) for v in current], values):
                current.extend(values)
                summary.append(f"{where}: {label} += {list(values)}")
            continue
        missing = [v for v in values if v not in [str(c) for c in current]]
        if missing:
            current.extend(missing)
            summary.append(f"{where}: {label} += {missing}")
    after = doc.as_string()
    if after != text:
        guardrail = tomlkit.parse(after).get("tool", {}).get("guardrail", {})
        parse_table(guardrail.unwrap(), where, root=True)
    return after, summary


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _indent_of(text: str) -> tuple[int, int]:
    """(sequence indent, dash offset) of the ``repos:`` list, as the file writes it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("repos:"):
            for item in lines[i + 1 :]:
                stripped = item.lstrip(" ")
                if stripped.startswith("- "):
                    offset = len(item) - len(stripped)
                    return offset + 2, offset
                if stripped and not stripped.startswith("#"):
                    break
    return 4, 2


def _dump(yaml: Any, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def edit_precommit(text: str | None) -> tuple[str | None, list[str], str | None]:
    """The new ``.pre-commit-config.yaml`` text, a summary, and a snippet to print instead when
    the file cannot be edited without reformatting it."""
    if text is None:
        return (
            new_precommit_config(),
            [f"{PRE_COMMIT_CONFIG}: created with the guardrail hook"],
            None,
        )
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    yaml = _yaml()
    seq_indent, offset = _indent_of(text)
    yaml.indent(mapping=2, sequence=seq_indent, offset=offset)
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise GuardrailError(f"{PRE_COMMIT_CONFIG}: not valid YAML ({exc}); fix it first") from exc
    if not isinstance(data, CommentedMap):
        raise GuardrailError(f"{PRE_COMMIT_CONFIG}: must be a mapping with a repos: list")
    hooks = guardrail_hooks(data)
    if any(h.at_push and set(h.checks) == set(CHECKS) for h in hooks):
        return text, [], None
    faithful = _dump(yaml, yaml.load(text)) == text
    summary: list[str] = []
    full = [h for h in hooks if set(h.checks) == set(CHECKS)]
    if full:
        target = full[0].hook_id
        for repo in data.get("repos") or []:
            for hook in repo.get("hooks") or []:
                if hook.get("id") != target:
                    continue
                stages = hook.get("stages")
                if stages is None:
                    inherited = [str(s) for s in data.get("default_stages") or []]
                    stages = CommentedSeq(inherited)
                    stages.fa.set_flow_style()
                    hook["stages"] = stages
                if isinstance(stages, list) and not set(stages) & PUSH_STAGES:
                    stages.append("pre-push")
                    summary.append(f"{PRE_COMMIT_CONFIG}: hook {target} now also runs at pre-push")
    else:
        repos = data.get("repos")
        if not isinstance(repos, CommentedSeq):
            raise GuardrailError(f"{PRE_COMMIT_CONFIG}: repos: must be a list")
        entry = CommentedMap()
        entry["repo"] = HOOK_REPO
        entry["rev"] = f"v{__version__}"
        hook = CommentedMap()
        hook["id"] = "guardrail"
        stages = CommentedSeq(HOOK_STAGES)
        stages.fa.set_flow_style()
        hook["stages"] = stages
        entry["hooks"] = CommentedSeq([hook])
        repos.append(entry)
        summary.append(f"{PRE_COMMIT_CONFIG}: added the guardrail hook at pre-push")
    types = data.get("default_install_hook_types")
    if types is None:
        flow = CommentedSeq(INSTALL_TYPES)
        flow.fa.set_flow_style()
        data.insert(0, "default_install_hook_types", flow)
        summary.append(f"{PRE_COMMIT_CONFIG}: default_install_hook_types = {list(INSTALL_TYPES)}")
    elif isinstance(types, list) and not set(types) & PUSH_STAGES:
        types.append("pre-push")
        summary.append(f"{PRE_COMMIT_CONFIG}: default_install_hook_types += ['pre-push']")
    if not summary:
        return text, [], None
    if not faithful:
        snippet = "add under repos: in .pre-commit-config.yaml (with pre-push in its stages):\n"
        return text, [], snippet + hook_entry()
    return _dump(yaml, data), summary, None


def plan_edits(root: Path) -> tuple[list[FileEdit], list[str], list[str]]:
    """The file edits init would make, the steps left to do by hand, and text to print."""
    from hooks.doctor.compare import HOOK_STEP, compare_all

    comparisons = compare_all(root)[2]
    grouped: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    manual: list[str] = []
    for comparison in comparisons:
        for change in comparison.changes:
            grouped.setdefault(change.project, []).append((change.key, change.values))
        if comparison.covered is False:
            for step in comparison.manual:
                manual.append(f"{comparison.command.origin.where()}: {step}")
    edits: list[FileEdit] = []
    for rel, changes in grouped.items():
        path = (root / rel if rel != "." else root) / "pyproject.toml"
        shown = "pyproject.toml" if rel == "." else f"{rel}/pyproject.toml"
        before = path.read_text(encoding="utf-8") if path.is_file() else ""
        after, summary = apply_changes(before, changes, shown)
        edits.append(FileEdit(shown, before, after, tuple(summary)))
    config_path = root / PRE_COMMIT_CONFIG
    before_config = config_path.read_text(encoding="utf-8") if config_path.is_file() else None
    after_config, summary, snippet = edit_precommit(before_config)
    printed = [snippet] if snippet else []
    if after_config is not None:
        edits.append(FileEdit(PRE_COMMIT_CONFIG, before_config or "", after_config, tuple(summary)))
        if summary:
            manual = [step for step in manual if not step.endswith(HOOK_STEP)]
    return edits, list(dict.fromkeys(manual)), printed


def _diff(edit: FileEdit) -> str:
    return "".join(
        difflib.unified_diff(
            edit.before.splitlines(keepends=True),
            edit.after.splitlines(keepends=True),
            fromfile=f"a/{edit.path}",
            tofile=f"b/{edit.path}",
        )
    )


def render(
    edits: Sequence[FileEdit],
    manual: Sequence[str],
    printed: Sequence[str],
    *,
    dry_run: bool,
    hook_installed: bool = False,
) -> str:
    changed = [e for e in edits if e.changed]
    lines: list[str] = []
    if not changed:
        lines.append("guardrail init: nothing to change; the settings already cover what CI runs.")
    else:
        verb = "would change" if dry_run else "changed"
        lines.append(f"guardrail init {verb}:")
        for edit in changed:
            lines.extend(f"  {s}" for s in edit.summary)
        if dry_run:
            lines.append("")
            lines.extend(_diff(e).rstrip("\n") for e in changed)
    for text in printed:
        lines += ["", text.rstrip("\n")]
    if manual:
        lines += ["", "Left to do by hand:"]
        lines.extend(f"  - {step}" for step in manual)
    install = "pre-commit install --hook-type pre-push (or guardrail install), then "
    lines += ["", f"Next: {'' if hook_installed else install}guardrail doctor."]
    return "\n".join(lines) + "\n"
