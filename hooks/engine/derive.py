"""The plan from CI: each check of each project as CI runs it, whether it blocks, and why.

When :func:`hooks.ci.read_ci` finds at least one of the four checks in the repository's CI, the
plan comes from CI (:func:`derive`); otherwise the guardrail's defaults apply, unchanged.

Precedence, lowest first: the guardrail's defaults, the organisation's hook args, CI, the
project's own ``[tool.guardrail]``, the organisation's enforced settings (``--enforce``,
``--require``). A check CI does not run still runs with the defaults, shown as ``not in CI`` and
not blocking, unless the project's own ``checks`` or ``--require`` names it, CI runs the
guardrail itself, or CI runs something the guardrail cannot read that may run it (fail
closed). A CI step that cannot fail its job never blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hooks import git
from hooks.checks.base import CiGate, CiPin, CiStep
from hooks.ci import CiCheck, CiPlan, CoverageGate, NotMirrored, PreCommitHook
from hooks.ci.args import rebase, rebased_tokens, verdict_args
from hooks.ci.context import UNKNOWN
from hooks.config import CHECKS, Layer, load_project_layer
from hooks.engine.plan import Decision
from hooks.projects import Project

PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
NOT_IN_CI = "not in CI"
SHOWN_NOT_MIRRORED = 8


@dataclass(frozen=True, slots=True)
class OrgSettings:
    """The organisation's hook args: its layer, the keys it enforces, the checks it requires."""

    layer: Layer = field(default_factory=dict)
    enforced: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FromCi:
    """How one ``(project, check)`` step came from CI, for doctor: the CI commands given to the
    pair and those whose arguments it mirrors (the others run with different ones), CI's own
    options and targets (rebased to the project), the ones the step uses, and the setting that
    replaced CI's (empty: CI's own were used)."""

    commands: tuple[CiCheck, ...]
    mirrored: tuple[CiCheck, ...]
    options: tuple[str, ...]
    targets: tuple[str, ...]
    used_options: tuple[str, ...]
    used_targets: tuple[str, ...]
    options_from: str = ""
    targets_from: str = ""


@dataclass(frozen=True, slots=True)
class Derived:
    """The decisions by ``(project, check)``, and the summary's notes on how they were made.

    ``sources``: how each pair CI runs came from CI; ``homeless``: the CI commands no project
    holds, which are not mirrored."""

    decisions: Mapping[tuple[str, str], Decision] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    sources: Mapping[tuple[str, str], FromCi] = field(default_factory=dict)
    homeless: tuple[CiCheck, ...] = ()


@dataclass(frozen=True, slots=True)
class _Command:
    """One CI command of one check, as it must run in its project's folder."""

    ci: CiCheck
    options: tuple[str, ...]
    targets: tuple[str, ...]
    files: tuple[str, ...] | None = None


def project_folders(root: Path, plan: CiPlan) -> tuple[str, ...]:
    """The folders CI runs a check in that hold a project file (``pyproject.toml``,
    ``setup.cfg`` or ``setup.py``): projects, whether discovery found them or not."""
    found: dict[str, None] = {}
    for check in plan.checks:
        folder = root / check.folder if check.folder != "." else root
        if any((folder / name).is_file() for name in PROJECT_FILES):
            found.setdefault(check.folder, None)
    return tuple(found)


def owner(rel: str, projects: Iterable[str]) -> str | None:
    """The deepest project folder holding the repo-relative path ``rel``."""
    best: str | None = None
    for p in projects:
        inside = p == "." or rel == p or rel.startswith(p.rstrip("/") + "/")
        if inside and (best is None or best == "." or len(p) > len(best)):
            best = p
    return best


def pre_commit_files(root: Path, hook: PreCommitHook) -> tuple[str, ...] | None:
    """The files ``pre-commit run --all-files`` passes the hook: git's tracked files that match
    every ``files`` regex and no ``exclude`` one, and whose identify tags meet ``types`` (all),
    ``types_or`` (any) and ``exclude_types`` (none). None when git cannot list them."""
    from identify import identify  # a third-party module: imported only when needed

    listed = git.output(root, "ls-files", "-z")
    if listed is None:
        return None
    try:
        include = [re.compile(p) for p in hook.files]
        exclude = [re.compile(p) for p in hook.exclude]
    except re.error:
        return None
    kept = []
    for rel in listed.split("\0"):
        if not rel or not all(p.search(rel) for p in include):
            continue
        if any(p.search(rel) for p in exclude):
            continue
        try:
            tags = identify.tags_from_path(str(root / rel))
        except ValueError:
            continue
        types = set(hook.types or ("file",))
        if not types <= tags or (hook.types_or and not tags & set(hook.types_or)):
            continue
        if tags & set(hook.exclude_types):
            continue
        kept.append(rel)
    return tuple(kept)


def _rebased(
    check: CiCheck, rel: str, gates: Sequence[CoverageGate]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """CI's verdict-changing options and its targets, written for a run in project ``rel``.
    pytest-cov's options count when a gate of the same job reads what they collect."""
    gated = any(
        g.kind in ("pytest-cov", "script") and (g.workflow, g.job) == (check.workflow, check.job)
        for g in gates
    )
    verdict = verdict_args(check.check, check.argv, check.folder, coverage_gate=gated)
    options = tuple(
        token
        for option in verdict.options
        for token in rebased_tokens(option, check.check, check.folder, rel)
    )
    packages = tuple(
        token
        for target in verdict.package_targets
        for token in (f"-{target[0]}", target.partition(":")[2])
    )
    targets = tuple(rebase(p, ".", rel) for p in verdict.positionals)
    return (*options, *packages), targets


def _commands(
    root: Path, plan: CiPlan, rels: Sequence[str], notes: list[str], homeless: list[CiCheck]
) -> dict[tuple[str, str], list[_Command]]:
    """Every CI check command, given to the project that owns it, argv rebased there."""
    by_pair: dict[tuple[str, str], list[_Command]] = {}
    for check in plan.checks:
        hook = check.via_pre_commit
        if hook is not None and hook.pass_filenames:
            files = pre_commit_files(root, hook)
            if files is None:
                notes.append(
                    f"{check.check}: the files pre-commit passes its hook {hook.hook_id} "
                    f"({check.origin.where()}) could not be listed (git ls-files or a regex "
                    "failed): it runs on the whole project"
                )
            owned: dict[str, list[str]] = {}
            for path in files or ():
                home = owner(path, rels)
                if home is not None:
                    owned.setdefault(home, []).append(rebase(path, ".", home))
            for home, paths in owned.items():
                options, _ = _rebased(check, home, plan.gates)
                by_pair.setdefault((home, check.check), []).append(
                    _Command(check, options, tuple(paths), tuple(paths))
                )
            if files is not None:
                continue
        home = owner(check.folder, rels)
        if home is None:
            options, targets = _rebased(check, ".", plan.gates)
            homes = {owner(t, rels) for t in targets} if targets else {None}
            home = homes.pop() if len(homes) == 1 else None
            if home is None:
                notes.append(
                    f"{check.check}: CI runs `{check.text}` ({check.origin.where()}) in "
                    f"{check.folder}, which is in no project: not mirrored"
                )
                homeless.append(check)
                continue
        options, targets = _rebased(check, home, plan.gates)
        by_pair.setdefault((home, check.check), []).append(_Command(check, options, targets))
    return by_pair


def _merge(
    rel: str, check: str, commands: Sequence[_Command], notes: list[str]
) -> tuple[_Command, str]:
    """One command for the pair: identical ones once; ones with the same options, their targets
    united; otherwise the first (one that can fail its job first), the others named in a note."""
    ordered = sorted(commands, key=lambda c: c.ci.advisory)
    first = ordered[0]
    distinct = list(dict.fromkeys((c.options, c.targets) for c in ordered))
    origins = list(dict.fromkeys(c.ci.origin.where() for c in ordered))
    if len(distinct) == 1:
        return first, origins[0]
    same_options = len({options for options, _ in distinct}) == 1
    if same_options and all(targets for _, targets in distinct):
        targets = tuple(dict.fromkeys(t for _, ts in distinct for t in ts))
        files = targets if all(c.files is not None for c in ordered) else None
        return replace(first, targets=targets, files=files), ", ".join(origins)
    others = [c.ci.origin.where() for c in ordered if (c.options, c.targets) != distinct[0]]
    label = check if rel == "." else f"{check} ({rel})"
    notes.append(
        f"{label}: CI runs it more than once with different arguments; the guardrail runs "
        f"{first.ci.origin.where()}; not mirrored separately: {', '.join(dict.fromkeys(others))}"
    )
    return first, origins[0]


def _gates(plan: CiPlan, rel: str, rels: Sequence[str]) -> tuple[CiGate, ...]:
    return tuple(
        CiGate(
            g.kind,
            g.threshold,
            g.origin.chain[-1] if g.origin.chain else "",
            g.argv,
            g.config,
            g.advisory,
            g.combined,
            g.reports,
            rebase(g.folder, ".", rel),
        )
        for g in plan.gates
        if owner(g.folder, rels) == rel
    )


def _step(
    command: _Command, origin: str, argv: tuple[str, ...], gates: tuple[CiGate, ...]
) -> CiStep:
    ci = command.ci
    pin = ci.pin
    return CiStep(
        argv=argv,
        origin=origin,
        env={k: v for k, v in ci.env.items() if UNKNOWN not in v},
        pin=CiPin(pin.version, pin.origin, pin.extra) if pin is not None else None,
        gates=gates if ci.check == "pytest" else (),
        python_versions=ci.python_versions,
        files=command.files,
        via_pre_commit=ci.via_pre_commit is not None,
    )


def _own_layer(project: Project) -> Layer:
    return load_project_layer(project.path, repo_root=project.rel == ".")


def derive(
    root: Path,
    projects: Sequence[Project],
    plan: CiPlan,
    org: OrgSettings = OrgSettings(),
    *,
    own_layer: Callable[[Project], Layer] = _own_layer,
) -> Derived:
    """The decisions for every (project, check) of ``projects`` from CI's ``plan`` read in
    ``root``; none (the guardrail's defaults) when CI runs none of the four checks."""
    if not plan.checks:
        return Derived()
    notes: list[str] = []
    homeless: list[CiCheck] = []
    rels = [p.rel for p in projects]
    commands = _commands(root, plan, rels, notes, homeless)
    sources: dict[tuple[str, str], FromCi] = {}
    unread = [n for n in plan.not_mirrored if n.hides_checks]
    itself = [r for r in plan.guardrail_runs if not r.advisory]
    decisions: dict[tuple[str, str], Decision] = {}
    dropped: dict[str, list[str]] = {}
    failing_closed: dict[str, None] = {}
    for project in projects:
        own = own_layer(project)
        for check in CHECKS:
            found = commands.get((project.rel, check))
            if not found:
                explicit = check in own.get("checks", ()) or check in org.required
                if explicit or itself:
                    decisions[(project.rel, check)] = Decision()
                elif unread:
                    failing_closed.setdefault(check, None)
                    decisions[(project.rel, check)] = Decision()
                else:
                    decisions[(project.rel, check)] = Decision(blocking=False, why=NOT_IN_CI)
                continue
            command, origin = _merge(project.rel, check, found, notes)
            options, targets = command.options, command.targets
            options_from = targets_from = ""
            key = f"{check}.args"
            if key in org.enforced:
                options, options_from = tuple(org.layer[key]), f"--enforce {key}"
            elif key in own:
                options, options_from = tuple(own[key]), f"[tool.guardrail.{check}] args"
            elif key in org.layer:
                dropped.setdefault(check, []).append(origin)
            if check == "mypy" and "mypy.targets" in own:
                targets, targets_from = tuple(own["mypy.targets"]), "[tool.guardrail.mypy] targets"
            sources[(project.rel, check)] = FromCi(
                tuple(c.ci for c in found),
                tuple(
                    c.ci
                    for c in found
                    if (c.options, c.targets) == (command.options, command.targets)
                    or (c.options == command.options and set(c.targets) <= set(command.targets))
                ),
                command.options,
                command.targets,
                options,
                targets,
                options_from,
                targets_from,
            )
            if command.files == ():
                decisions[(project.rel, check)] = Decision(
                    skip=f"pre-commit passes its hook no file here, so CI skips it ({origin})"
                )
                continue
            step = _step(command, origin, (*options, *targets), _gates(plan, project.rel, rels))
            advisory = all(c.ci.advisory for c in found)
            why = f"CI's step cannot fail the job ({origin})" if advisory else ""
            decisions[(project.rel, check)] = Decision(step, not advisory, why)
    for check, origins in dropped.items():
        notes.append(
            f"the hook args' --{check}-arg ({' '.join(org.layer[f'{check}.args'])}) were not "
            f"used: CI runs {check} ({', '.join(dict.fromkeys(origins))}) and CI's arguments "
            f"come first (--enforce {check}.args puts them back)"
        )
    if failing_closed:
        what = "; ".join(f"{n.text} ({n.origin.where()}: {n.why})" for n in unread[:3])
        more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
        for check in failing_closed:
            notes.append(
                f"CI runs what the guardrail cannot read: {what}{more}; it may run {check}, "
                f"so {check} blocks with the guardrail's defaults"
            )
    if itself:
        notes.append(
            f"CI runs the guardrail itself ({itself[0].origin.where()}): the checks CI does not "
            "run otherwise block as the guardrail runs them"
        )
    notes.extend(_not_mirrored_notes(plan.not_mirrored))
    return Derived(decisions, tuple(notes), sources, tuple(homeless))


def _not_mirrored_notes(items: Sequence[NotMirrored]) -> list[str]:
    shown = [f"NOT mirrored: {n.origin.where()}: {n.text}: {n.why}" for n in items]
    if len(shown) > SHOWN_NOT_MIRRORED:
        rest = len(shown) - SHOWN_NOT_MIRRORED
        shown = [*shown[:SHOWN_NOT_MIRRORED], f"NOT mirrored: {rest} more (guardrail doctor)"]
    return shown
