"""``guardrail doctor``: the push hook's plan against CI, both ways, and the plumbing around it.

The plan the push hook runs comes from CI (:func:`hooks.engine.derive.derive`), weighed with
the hook's own args (each guardrail hook at pre-push, parsed as ``guardrail run`` parses them)
and each project's ``[tool.guardrail]``. doctor derives it twice: once from CI alone (what CI
blocks on) and once as the hook runs it, and compares the two per (project, check):

- no less than CI: a CI command whose check the hook does not run, does not block on, or runs
  with arguments or targets that leave out CI's is a GAP (exit 1), naming the setting that
  causes it;
- no more than CI: a check the hook blocks on that CI never runs, or runs with more arguments
  or wider targets, is a WARN ("blocks on more than CI"); the exit code stays 0 for it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hooks.ci import CiCheck, CiPlan, CoverageGate, read_ci
from hooks.ci.args import verdict_args
from hooks.config import Layer, load_project_layer
from hooks.doctor.plumbing import (
    PlumbingCheck,
    guardrail_hooks,
    hook_config_file,
    installed_hook_check,
    installed_host,
    load_precommit_config,
    mypy_config_check,
    precommit_check,
    version_checks,
)
from hooks.engine.derive import Derived, FromCi, OrgSettings, derive, project_folders
from hooks.engine.plan import Planned, plan
from hooks.layers import HookArgs, parse_hook_words
from hooks.pins import Pin
from hooks.projects import Project, load_projects
from hooks.toolconfig import config_file, mypy_config_targets

HOOK_STEP = "run the whole chain at pre-push (the hook id guardrail, or your organisation's)"
MORE = "blocks on more than CI"

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """A ``[tool.guardrail]`` edit in ``project``'s pyproject.toml. ``key`` is ``checks``,
    ``<check>.targets`` or ``<check>.args``; ``values`` are added to what is there."""

    project: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One CI command against the push hook. ``covered`` is None when it could not be compared.
    ``warnings``: where the hook runs it but blocks on more than CI does."""

    command: CiCheck
    covered: bool | None
    project: str | None
    reasons: tuple[str, ...] = ()
    guardrail: str = ""
    changes: tuple[SettingsChange, ...] = ()
    manual: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MoreThanCi:
    """A check the push hook blocks on in ``project`` that CI never runs there, and why."""

    project: str
    check: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DoctorReport:
    root: str
    ci_files: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    plumbing: tuple[PlumbingCheck, ...]
    notes: tuple[str, ...] = ()
    not_mirrored: int = 0
    by_construction: tuple[str, ...] = ()
    more: tuple[MoreThanCi, ...] = ()

    @property
    def gaps(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.covered is False)

    @property
    def warnings(self) -> int:
        """How many times the push hook blocks on more than CI."""
        return len(self.more) + sum(len(c.warnings) for c in self.comparisons)

    @property
    def problems(self) -> tuple[PlumbingCheck, ...]:
        return tuple(p for p in self.plumbing if not p.ok and not p.note)

    @property
    def exit_code(self) -> int:
        return 1 if self.gaps or self.problems else 0


@dataclass(frozen=True, slots=True)
class HookRun:
    """One guardrail hook at pre-push as the push runs it: its args parsed."""

    shown: str
    hook: HookArgs = field(default_factory=HookArgs)
    only: tuple[str, ...] = ()

    @property
    def org(self) -> OrgSettings:
        """The hook args as the plan from CI weighs them (as ``RunOptions.org`` does)."""
        merged: Layer = {}
        for layer in self.hook.layers:
            merged.update(layer)
        return OrgSettings(merged, self.hook.enforced, self.hook.required)


@dataclass(frozen=True, slots=True)
class Actual:
    """What one hook runs: its projects, the derived plan and the planned pairs."""

    run: HookRun
    projects: Mapping[str, Project]
    derived: Derived
    planned: Mapping[Pair, Planned]


@dataclass(frozen=True, slots=True)
class Compared:
    """Everything doctor compared: CI's plan, CI's own decisions, what each hook runs."""

    plan: CiPlan
    projects: tuple[Project, ...]
    ci: Derived
    actuals: tuple[Actual, ...]
    comparisons: tuple[Comparison, ...]
    more: tuple[MoreThanCi, ...]


def hook_runs(root: Path) -> tuple[HookRun, ...]:
    """Every guardrail hook that runs at pre-push, with its args parsed; one without args when
    the pre-push hook is ``guardrail install``'s or no hook config lists one (the plumbing
    checks report a missing hook)."""
    plain = HookRun("the pre-push hook")
    if installed_host(root) == "guardrail install":
        return (plain,)
    config = load_precommit_config(root)
    if config is None:
        return (plain,)
    file = hook_config_file(root)
    runs = []
    for hook in guardrail_hooks(config):
        if not hook.at_push:
            continue
        where = f"{file}:{hook.line}" if hook.line else file
        parsed, only = parse_hook_words(hook.args, f"{where} hook {hook.hook_id}")
        runs.append(HookRun(f"the hook {hook.hook_id} ({where})", parsed, only))
    return tuple(runs) or (plain,)


def _pyproject(rel: str) -> str:
    return "pyproject.toml" if rel == "." else f"{rel}/pyproject.toml"


def _own(project: Project) -> Layer:
    return load_project_layer(project.path, repo_root=project.rel == ".")


def _actual(root: Path, plan_: CiPlan, run: HookRun) -> Actual:
    projects = load_projects(root, run.hook.layers, extra=project_folders(root, plan_))
    derived = derive(root, projects, plan_, run.org)
    planned = plan(projects, only=run.only, decisions=derived.decisions)
    return Actual(
        run,
        {p.rel: p for p in projects},
        derived,
        {(p.project.rel, p.check): p for p in planned},
    )


def _options(check: str, tokens: Sequence[str], rel: str) -> dict[tuple[str, str | None], str]:
    verdict = verdict_args(check, tokens, rel, coverage_gate=False)
    return {(o.name, o.value): " ".join(o.tokens) for o in verdict.options}


def _under(path: str, folder: str) -> bool:
    path, folder = posixpath.normpath(path), posixpath.normpath(folder)
    return folder == "." or path == folder or path.startswith(folder.rstrip("/") + "/")


def _not_running(
    actual: Actual, planned: Planned, changes: list[SettingsChange]
) -> tuple[str, str]:
    """Why ``planned`` does not run or block in this hook (the setting and the file), and what
    to do by hand about it (empty when a settings change closes it)."""
    run, check, project = actual.run, planned.check, planned.project
    if planned.skip_reason is None:
        return (
            f"{run.shown} runs {check} for {project.rel} but it does not block: {planned.why}",
            "",
        )
    if run.only and check not in run.only:
        return f"{run.shown} runs only {', '.join(run.only)} (--only)", HOOK_STEP
    if check not in project.config.checks:
        own = _own(project)
        if "checks" in own and check not in own["checks"]:
            changes.append(SettingsChange(project.rel, "checks", (check,)))
            listed = ", ".join(own["checks"]) or "none"
            where = _pyproject(project.rel)
            return f"[tool.guardrail] checks in {where} leaves it out ({listed})", ""
        return (
            f"{run.shown} skips it (--skip {check})",
            f"remove --skip {check} from {run.shown}'s args",
        )
    return f"{run.shown} does not run {check} for {project.rel}: {planned.skip_reason}", ""


def _differences(
    check: str, rel: str, ci: FromCi, used: FromCi, project: Project, run: HookRun
) -> tuple[list[str], list[str]]:
    """Where the hook's arguments and targets leave out CI's (gaps) or add to them (more)."""
    gaps: list[str] = []
    more: list[str] = []
    if used.options_from:
        source = used.options_from
        source += f" in {_pyproject(rel)}" if source.startswith("[") else f" in {run.shown}"
        theirs, ours = _options(check, ci.options, rel), _options(check, used.used_options, rel)
        left_out = [text for key, text in theirs.items() if key not in ours]
        added = [text for key, text in ours.items() if key not in theirs]
        if left_out:
            gaps.append(f"{source} replaces CI's arguments and leaves out {' '.join(left_out)}")
        if added:
            more.append(f"{MORE}: {source} adds {' '.join(added)}")
    if used.targets_from:
        source = f"{used.targets_from} in {_pyproject(rel)}"
        theirs_t = ci.targets or mypy_config_targets(project.path) or (".",)
        ours_t = used.used_targets
        missed = [t for t in theirs_t if not any(_under(t, o) for o in ours_t)]
        wider = [o for o in ours_t if not any(_under(o, t) for t in theirs_t)]
        if missed:
            gaps.append(f"{source} ({', '.join(ours_t)}) does not cover CI's {', '.join(missed)}")
        if wider:
            more.append(f"{MORE}: {source} adds {', '.join(wider)}, which CI does not check")
    return gaps, more


PROGRAMS = {"ruff-check": "ruff check", "ruff-format": "ruff format --check"}


def _shown(planned: Planned) -> str:
    """What the push hook runs for a pair, with the CI line it comes from."""
    step = planned.ci
    rel = planned.project.rel
    program = PROGRAMS.get(planned.check, planned.check)
    if step is None:
        return f"{program} with the guardrail's defaults  (in {rel})"
    return f"{program} {' '.join(step.argv)}".rstrip() + f"  (in {rel}, from {step.origin})"


def _config_gap(cmd: CiCheck, root: Path, rel: str, options: Sequence[str]) -> tuple[str, str]:
    """mypy and pytest read the config of the folder they start in: CI's folder, and the
    project's for the push hook. A reason and a step by hand when the two differ."""
    explicit = any(o.partition("=")[0] in ("--config-file", "-c") for o in options)
    if cmd.check not in ("mypy", "pytest") or cmd.folder == rel or explicit:
        return "", ""
    theirs = config_file(cmd.check, root, cmd.folder)
    ours = config_file(cmd.check, root, rel)
    if theirs == ours:
        return "", ""
    return (
        f"CI starts {cmd.check} in {cmd.folder} and it reads {theirs or 'no config'}; the "
        f"guardrail starts it in {rel} and it reads {ours or 'no config'}",
        f"make CI run {cmd.check} from {rel}, or pass the same config file in both",
    )


def compare(cmd: CiCheck, root: Path, ci: Derived, actuals: Sequence[Actual]) -> Comparison:
    """How the push hook covers one CI command, and what would make it cover it."""
    if cmd.advisory:
        return Comparison(
            cmd,
            None,
            None,
            ("CI lets this command fail (continue-on-error / allow_failure): it never blocks CI",),
        )
    if cmd in ci.homeless:
        return Comparison(
            cmd,
            False,
            None,
            (f"CI runs it in {cmd.folder}, which is in no guardrail project",),
            "nothing",
            manual=(
                "make the folder a project: give it a pyproject.toml or list it in "
                "[tool.guardrail] projects",
            ),
        )
    pair = next((k for k, s in ci.sources.items() if cmd in s.commands), None)
    if pair is None:
        return Comparison(
            cmd, None, None, ("pre-commit passes this hook no file of any guardrail project",)
        )
    rel, check = pair
    source = ci.sources[pair]
    decided = ci.decisions[pair]
    if decided.skip is not None:
        return Comparison(cmd, True, rel, (decided.skip,), "nothing: CI skips it too")
    if cmd not in source.mirrored:
        mirrored = ", ".join(c.origin.where() for c in source.mirrored)
        return Comparison(
            cmd,
            False,
            rel,
            (
                f"CI runs {check} for {rel} more than once with different arguments; the "
                f"guardrail mirrors {mirrored}, not this one",
            ),
            "the other command",
        )
    changes: list[SettingsChange] = []
    reasons: list[str] = []
    manual: list[str] = []
    config_reason, config_step = _config_gap(cmd, root, rel, source.options)
    for actual in actuals:
        planned = actual.planned.get(pair)
        if planned is None:
            continue
        if planned.skip_reason is not None or not planned.blocking:
            reason, step = _not_running(actual, planned, changes)
            reasons.append(reason)
            manual.extend([step] if step else [])
            continue
        used = actual.derived.sources.get(pair)
        gaps, more = (
            _differences(check, rel, source, used, actual.projects[rel], actual.run)
            if used is not None
            else ([], [])
        )
        if gaps:
            reasons.extend(gaps)
            continue
        if config_reason:
            return Comparison(
                cmd, False, rel, (config_reason,), _shown(planned), (), (config_step,)
            )
        return Comparison(cmd, True, rel, (), _shown(planned), warnings=tuple(more))
    return Comparison(
        cmd,
        False,
        rel,
        tuple(dict.fromkeys(reasons)) or ("no guardrail hook runs it",),
        "nothing",
        tuple(dict.fromkeys(changes)),
        tuple(dict.fromkeys(manual)),
    )


def more_than_ci(plan_: CiPlan, ci: Derived, actuals: Sequence[Actual]) -> list[MoreThanCi]:
    """The checks a hook blocks on that CI never runs for that project, and what makes them
    block: the project's ``checks``, the hook's ``--require``, or CI running what the guardrail
    cannot read (failing closed). CI running the guardrail itself is parity by construction."""
    if any(not r.advisory for r in plan_.guardrail_runs):
        return []
    found: dict[Pair, list[str]] = {}
    for actual in actuals:
        for pair, planned in actual.planned.items():
            if planned.skip_reason is not None or not planned.blocking:
                continue
            theirs = ci.decisions.get(pair)
            if theirs is None or theirs.ci is not None:
                continue
            rel, check = pair
            own = _own(actual.projects[rel])
            why = found.setdefault(pair, [])
            if check in own.get("checks", ()):
                why.append(f"[tool.guardrail] checks in {_pyproject(rel)} names it")
            if check in actual.run.hook.required:
                why.append(f"{actual.run.shown} requires it (--require {check})")
            if not why:
                why.append("CI runs what the guardrail cannot read, so it fails closed")
    return [
        MoreThanCi(rel, check, tuple(dict.fromkeys(why))) for (rel, check), why in found.items()
    ]


def compare_all(root: Path) -> Compared:
    """Every CI command of the repository compared with what the push hook runs."""
    plan_ = read_ci(root)
    projects = tuple(load_projects(root, extra=project_folders(root, plan_)))
    ci = derive(root, projects, plan_, own_layer=lambda _: {})
    actuals = tuple(_actual(root, plan_, run) for run in hook_runs(root))
    comparisons = tuple(compare(cmd, root, ci, actuals) for cmd in plan_.checks)
    more = tuple(more_than_ci(plan_, ci, actuals)) if ci.decisions else ()
    return Compared(plan_, projects, ci, actuals, comparisons, more)


def _python_notes(comparisons: Sequence[Comparison], projects: Iterable[Project]) -> list[str]:
    notes: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for comparison in comparisons:
        cmd = comparison.command
        versions = [v for v in cmd.python_versions if "$" not in v and "{" not in v]
        project = next((p for p in projects if p.rel == comparison.project), None)
        if not versions or project is None:
            continue
        running = ".".join(project.interpreter.version.split(".")[:2])
        key = (cmd.origin.file, cmd.job, project.rel)
        if key in seen or any(running == v or running.startswith(v + ".") for v in versions):
            continue
        seen.add(key)
        notes.append(
            f"{cmd.origin.file} job {cmd.job} runs Python {', '.join(versions)}; the guardrail "
            f"runs {project.rel} with Python {project.interpreter.version} "
            f"({project.interpreter.source})"
        )
    return notes


def diagnose(root: Path) -> DoctorReport:
    """Read CI, compare it with the push hook both ways, and check the plumbing."""
    compared = compare_all(root)
    plan, projects, comparisons = compared.plan, compared.projects, compared.comparisons
    config = load_precommit_config(root)
    plain_hook = _plain_hook(root)
    plumbing: list[PlumbingCheck] = []
    pre_commit = precommit_check(config, hook_config_file(root))
    if plain_hook and not pre_commit.ok:
        pre_commit = PlumbingCheck(
            pre_commit.name, True, "not used: the pre-push hook is guardrail install's", note=True
        )
    plumbing += [pre_commit, installed_hook_check(root, config)]
    pins = [Pin(p.tool, f"=={p.version}", p.origin) for p in plan.pins]
    ci_mypy = {c.project for c in comparisons if c.command.check == "mypy"}
    for project in projects:
        if "mypy" in project.config.checks or project.rel in ci_mypy:
            plumbing.append(mypy_config_check(project))
        plumbing.extend(version_checks(project, pins))
    notes: list[str] = []
    if not plan.files:
        notes.append(
            "no CI definitions found (.github/workflows/*.yml, .gitlab-ci.yml): nothing to compare"
        )
    for item in plan.not_mirrored:
        notes.append(f"{item.origin.where()}: {item.text}: not mirrored: {item.why}")
    notes += [_gate_note(gate) for gate in plan.gates]
    by_construction = []
    for run in plan.guardrail_runs:
        where = f"{run.origin.where()}: {run.text}"
        by_construction.append(where)
        if run.args:
            notes.append(
                f"{where}: CI's guardrail run is given `{' '.join(run.args)}`; the push hook gives "
                "the same verdict only with the same arguments (its hook args)"
            )
        if run.advisory:
            notes.append(f"{where}: CI's step cannot fail the job: its verdict never blocks CI")
    notes += _python_notes(comparisons, projects)
    return DoctorReport(
        str(root),
        plan.files,
        comparisons,
        tuple(plumbing),
        tuple(notes),
        not_mirrored=len(plan.not_mirrored),
        by_construction=tuple(by_construction),
        more=compared.more,
    )


def _gate_note(gate: CoverageGate) -> str:
    where = gate.origin.where()
    if gate.kind == "script":
        script = " ".join(gate.argv)
        return (
            f"{where}: python {script}: CI's coverage gate script; the push hook's pytest check "
            "runs it after the tests"
        )
    threshold = (
        f"{gate.threshold:g}%" if gate.threshold is not None else "a threshold only CI knows"
    )
    how = "pytest-cov" if gate.kind == "pytest-cov" else f"coverage {' '.join(gate.argv[:1])}"
    if gate.combined:
        return (
            f"{where}: coverage {threshold} ({how}) on data combined from several jobs: not checked"
        )
    if gate.advisory:
        return f"{where}: coverage {threshold} ({how}): CI's step cannot fail the job; never blocks"
    return f"{where}: coverage {threshold} ({how}): the push hook's pytest check applies it"


def _plain_hook(root: Path) -> bool:
    return installed_host(root) == "guardrail install"
