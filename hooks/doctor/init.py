"""``guardrail init --from-ci``: write the settings that make the push hook run what CI runs.

The edits come from doctor's comparisons (:class:`hooks.doctor.compare.SettingsChange`). They
are applied with tomlkit and a round-trip YAML loader so that everything else in the files,
comments included, stays as it was; a second run finds nothing to change.

The hook entry names a ``repo:``/``rev:`` that exists: one the config already uses (whose
manifest has a hook running the whole chain), or the commit pip recorded for the installed
push-guardrail (``direct_url.json`` of a ``git+...@commit`` install). Without either, init
prints the entry for a person to complete; it never writes a tag that may not exist.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hooks.config import CHECKS, parse_table
from hooks.doctor import manifests
from hooks.doctor.plumbing import (
    PRE_COMMIT_CONFIG,
    PUSH_STAGES,
    Lookup,
    guardrail_hooks,
    hook_config_file,
    load_precommit_config,
    own_manifest_hook,
    runs_whole_chain,
)
from hooks.errors import GuardrailError

if TYPE_CHECKING:
    from hooks.doctor.compare import Compared, SettingsChange

HOOK_REPO = "https://github.com/push-guardrail/push-guardrail"
DIST = "push-guardrail"
HOOK_STAGES = ("pre-push", "manual")
INSTALL_TYPES = ("pre-commit", "pre-push")
NEW_INSTALL_TYPES = ("pre-push",)
UNKNOWN_REV = "<a tag or full commit id of push-guardrail>"


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


@dataclass(frozen=True, slots=True)
class HookSource:
    """Where the hook entry init writes comes from: ``configured`` when the config already
    lists ``repo`` at ``rev``."""

    repo: str
    rev: str
    hook_id: str = "guardrail"
    configured: bool = False


def installed_commit() -> HookSource | None:
    """The repository and commit pip recorded for the installed push-guardrail (PEP 610's
    ``direct_url.json``, written for a ``git+URL@commit`` install); None for a wheel, an sdist
    or a local folder, which record no commit."""
    import json
    from importlib import metadata

    try:
        text = metadata.distribution(DIST).read_text("direct_url.json")
        data = json.loads(text) if text else None
    except (metadata.PackageNotFoundError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("vcs_info"), dict):
        return None
    commit, url = data["vcs_info"].get("commit_id"), data.get("url")
    if not (isinstance(commit, str) and commit and isinstance(url, str) and url):
        return None
    local = manifests.local_path(url)
    return HookSource(str(local) if local else url, commit)


def configured_source(
    config: Mapping[str, Any], lookup: Lookup = manifests.find
) -> HookSource | None:
    """A hook repo the config already lists whose manifest has a hook running the whole chain
    (this repository's own ids when the manifest cannot be read here)."""
    for repo in config.get("repos") or []:
        if not isinstance(repo, Mapping) or repo.get("repo") in ("local", "meta", None):
            continue
        url, rev = str(repo["repo"]), str(repo.get("rev", ""))
        defined = lookup(url, rev)
        if defined is None:
            ids = {str(h.get("id")) for h in repo.get("hooks") or [] if isinstance(h, Mapping)}
            if any(own_manifest_hook(i) for i in ids):
                return HookSource(url, rev, "guardrail", configured=True)
            continue
        for hook_id, hook in defined.items():
            entry = str(hook.get("entry") or "")
            args = [str(a) for a in hook.get("args") or []]
            if runs_whole_chain(entry, args):
                return HookSource(url, rev, hook_id, configured=True)
    return None


def hook_entry(source: HookSource | None, *, stages: bool = True) -> str:
    """The ``.pre-commit-config.yaml`` entry that runs the guardrail at push (``rev:`` left for
    a person to fill in when there is no ``source``).

    Beside other (commit-time) hooks it keeps to ``stages: [pre-push, manual]``; alone in a new
    config it lists no stages, so that ``pre-commit run --all-files`` runs it too, and only the
    pre-push hook type is installed (``NEW_INSTALL_TYPES``) to keep it off commits."""
    lines = [
        f"  - repo: {source.repo if source else HOOK_REPO}\n",
        f"    rev: {source.rev if source else UNKNOWN_REV}\n",
        "    hooks:\n",
        f"      - id: {source.hook_id if source else 'guardrail'}\n",
    ]
    if stages:
        lines.append(f"        stages: [{', '.join(HOOK_STAGES)}]\n")
    return "".join(lines)


def new_precommit_config(source: HookSource) -> str:
    return (
        "# Written by guardrail init --from-ci: the guardrail runs at push and in pre-commit run.\n"
        f"default_install_hook_types: [{', '.join(NEW_INSTALL_TYPES)}]\n"
        "repos:\n" + hook_entry(source, stages=False)
    )


def _paste(why: str, *, stages: bool = True) -> str:
    return f"add under repos: in {PRE_COMMIT_CONFIG} ({why}):\n" + hook_entry(None, stages=stages)


NO_SOURCE = (
    "no hook repo in the config runs the guardrail, and this push-guardrail records no commit "
    "(installed from a wheel or a folder, not from a git URL): set rev: to a tag or full "
    "commit id that exists"
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


def edit_precommit(
    text: str | None,
    lookup: Lookup = manifests.find,
    installed: HookSource | None = None,
) -> tuple[str | None, list[str], str | None]:
    """The new ``.pre-commit-config.yaml`` text, a summary, and an entry to print instead when
    the file cannot be edited without reformatting it or no existing ``rev:`` is known.
    ``installed`` is the installed build's recorded commit (:func:`installed_commit`)."""
    if text is None:
        if installed is None:
            return None, [], _paste(NO_SOURCE, stages=False)
        return (
            new_precommit_config(installed),
            [f"{PRE_COMMIT_CONFIG}: created with the guardrail hook at {installed.rev}"],
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
    hooks = guardrail_hooks(data, lookup)
    if any(h.at_push and set(h.checks) == set(CHECKS) for h in hooks):
        return text, [], None
    faithful = _dump(yaml, yaml.load(text)) == text
    summary: list[str] = []
    full = [h for h in hooks if set(h.checks) == set(CHECKS)]
    source = None if full else configured_source(data, lookup) or installed
    if full:
        target = full[0]
        for hook in _hooks_of(data, target.repo, target.rev):
            if hook.get("id") != target.hook_id:
                continue
            stages = hook.get("stages")
            if stages is None:
                inherited = [str(s) for s in data.get("default_stages") or []]
                stages = CommentedSeq(inherited)
                stages.fa.set_flow_style()
                hook["stages"] = stages
            if isinstance(stages, list) and not set(stages) & PUSH_STAGES:
                stages.append("pre-push")
                summary.append(
                    f"{PRE_COMMIT_CONFIG}: hook {target.hook_id} now also runs at pre-push"
                )
    elif source is None:
        return text, [], _paste(NO_SOURCE)
    else:
        repos = data.get("repos")
        if not isinstance(repos, CommentedSeq):
            raise GuardrailError(f"{PRE_COMMIT_CONFIG}: repos: must be a list")
        hook = CommentedMap()
        hook["id"] = source.hook_id
        stages = CommentedSeq(HOOK_STAGES)
        stages.fa.set_flow_style()
        hook["stages"] = stages
        owner = next(iter(_repo_entries(data, source.repo, source.rev)), None)
        if source.configured and owner is not None:
            owner["hooks"].append(hook)
            summary.append(
                f"{PRE_COMMIT_CONFIG}: added hook {source.hook_id} of {source.repo} at pre-push"
            )
        else:
            entry = CommentedMap()
            entry["repo"] = source.repo
            entry["rev"] = source.rev
            entry["hooks"] = CommentedSeq([hook])
            repos.append(entry)
            summary.append(
                f"{PRE_COMMIT_CONFIG}: added the guardrail hook at pre-push ({source.rev}, "
                "the installed build's commit)"
            )
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
        return text, [], snippet + hook_entry(source)
    return _dump(yaml, data), summary, None


def _repo_entries(data: Mapping[str, Any], repo: str, rev: str) -> list[Any]:
    return [
        r
        for r in data.get("repos") or []
        if isinstance(r, Mapping)
        and str(r.get("repo", "")) == repo
        and (repo == "local" or str(r.get("rev", "")) == rev)
        and isinstance(r.get("hooks"), list)
    ]


def _hooks_of(data: Mapping[str, Any], repo: str, rev: str) -> list[Any]:
    return [h for r in _repo_entries(data, repo, rev) for h in r["hooks"] if isinstance(h, Mapping)]


def _prek_snippet(file: str, config: Mapping[str, Any] | None) -> list[str]:
    """prek reads ``file`` (prek.toml first) and init does not edit it: the entry to add, when
    no hook there runs the whole chain at push."""
    hooks = guardrail_hooks(config or {})
    if any(h.at_push and set(h.checks) == set(CHECKS) for h in hooks):
        return []
    source = configured_source(config or {}) or installed_commit()
    if not file.endswith(".toml"):
        why = "prek reads it, and init edits only .pre-commit-config.yaml"
        entry = hook_entry(source)
    else:
        why = "init does not edit TOML hook configs"
        hook_id = source.hook_id if source else "guardrail"
        entry = (
            "[[repos]]\n"
            f'repo = "{source.repo if source else HOOK_REPO}"\n'
            f'rev = "{source.rev if source else UNKNOWN_REV}"\n'
            f'hooks = [{{ id = "{hook_id}", stages = ["pre-push", "manual"] }}]\n'
        )
    if source is None:
        why = NO_SOURCE
    return [f"add to {file} ({why}):\n{entry}"]


def explicit_changes(compared: Compared) -> list[SettingsChange]:
    """The plan the push hook derives from CI, written down: for each check CI runs, the
    arguments it takes from CI as ``[tool.guardrail.<check>] args`` and mypy's targets as
    ``[tool.guardrail.mypy] targets``. The plan from CI already gives these values, so writing
    them changes nothing while CI stays as it is; they then outrank CI when CI changes."""
    from hooks.doctor.compare import SettingsChange

    if not compared.actuals:
        return []
    changes: list[SettingsChange] = []
    actual = compared.actuals[0]
    for (rel, check), source in actual.derived.sources.items():
        decided = actual.derived.decisions.get((rel, check))
        if decided is None or decided.ci is None or decided.skip is not None:
            continue
        if source.used_options and not source.options_from:
            changes.append(SettingsChange(rel, f"{check}.args", source.used_options))
        if check == "mypy" and source.used_targets and not source.targets_from:
            changes.append(SettingsChange(rel, "mypy.targets", source.used_targets))
    return changes


def plan_edits(
    root: Path, *, explicit: bool = False
) -> tuple[list[FileEdit], list[str], list[str]]:
    """The file edits init would make, the steps left to do by hand, and text to print.
    ``explicit``: also write down the plan derived from CI (:func:`explicit_changes`)."""
    from hooks.doctor.compare import HOOK_STEP, compare_all

    compared = compare_all(root)
    grouped: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    manual: list[str] = []
    if explicit:
        for change in explicit_changes(compared):
            grouped.setdefault(change.project, []).append((change.key, change.values))
    for comparison in compared.comparisons:
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
    config_file = hook_config_file(root)
    if config_file != PRE_COMMIT_CONFIG:
        printed = _prek_snippet(config_file, load_precommit_config(root, config_file))
        return edits, list(dict.fromkeys(manual)), printed
    config_path = root / PRE_COMMIT_CONFIG
    before_config = config_path.read_text(encoding="utf-8") if config_path.is_file() else None
    after_config, summary, snippet = edit_precommit(before_config, installed=installed_commit())
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
    explicit: bool = False,
) -> str:
    changed = [e for e in edits if e.changed]
    lines: list[str] = []
    if not changed:
        lines.append("guardrail init: nothing to change; the settings already cover what CI runs.")
        if not explicit:
            lines.append(
                "The push hook takes its plan from CI; `guardrail init --from-ci --explicit` "
                "writes it down in [tool.guardrail] for those who want it explicit."
            )
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
