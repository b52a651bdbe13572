"""``guardrail doctor``: what CI checks that the push hook does not, and the plumbing around it.

Each ruff/mypy/pytest command found in CI (:func:`hooks.ci.read_ci`) is compared with what
``guardrail run`` would run (the projects from :mod:`hooks.projects`, each check's ``plan``): the
tool, the files it checks, the folder it starts in (which config it reads) and the options that
change the verdict. A difference comes with the ``[tool.guardrail]`` change that closes it,
which ``guardrail init --from-ci`` applies.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hooks import git
from hooks.checks.base import Invocation
from hooks.checks.registry import all_checks
from hooks.ci import CiCheck, CiPlan, read_ci
from hooks.ci.args import Verdict, rebased_tokens, verdict_args
from hooks.config import Layer
from hooks.doctor.plumbing import (
    PRE_COMMIT_CONFIG,
    PlumbingCheck,
    hook_config_file,
    installed_hook_check,
    installed_host,
    load_precommit_config,
    mypy_config_check,
    precommit_check,
    push_checks,
    version_checks,
)
from hooks.findings import plural
from hooks.pins import Pin
from hooks.projects import Project, load_projects
from hooks.toolconfig import config_file, coverage_threshold, mypy_config_targets

PY_SUFFIXES = (".py", ".pyi")
HOOK_STEP = "run the whole chain at pre-push (the hook id guardrail, or your organisation's)"


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """A ``[tool.guardrail]`` edit in ``project``'s pyproject.toml. ``key`` is ``checks``,
    ``<check>.targets`` or ``<check>.args``; ``values`` are added to what is there."""

    project: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One CI command against the push hook. ``covered`` is None when it could not be compared."""

    command: CiCheck
    covered: bool | None
    project: str | None
    reasons: tuple[str, ...] = ()
    guardrail: str = ""
    changes: tuple[SettingsChange, ...] = ()
    manual: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DoctorReport:
    root: str
    ci_files: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    plumbing: tuple[PlumbingCheck, ...]
    notes: tuple[str, ...] = ()
    not_mirrored: int = 0
    by_construction: tuple[str, ...] = ()

    @property
    def gaps(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.covered is False)

    @property
    def problems(self) -> tuple[PlumbingCheck, ...]:
        return tuple(p for p in self.plumbing if not p.ok and not p.note)

    @property
    def exit_code(self) -> int:
        return 1 if self.gaps or self.problems else 0


@dataclass(frozen=True, slots=True)
class Context:
    """What the guardrail would do in this repository, shared by every comparison.

    ``plans`` and ``paths`` cache per (project, check) what the comparisons ask again and again.
    """

    root: Path
    projects: tuple[Project, ...]
    files: tuple[str, ...]
    hook_checks: frozenset[str] | None = None
    hook_config: str = PRE_COMMIT_CONFIG
    plans: dict[tuple[str, str], str] = field(default_factory=dict)
    paths: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def python_files(root: Path) -> tuple[str, ...]:
    """Tracked and untracked-but-not-ignored Python files, repo-relative."""
    out = git.output(
        root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py", "*.pyi"
    )
    if out is not None:
        return tuple(sorted({p for p in out.split("\0") if p.endswith(PY_SUFFIXES)}))
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in ("venv", "env")]
        rel = os.path.relpath(dirpath, root)
        found.extend(
            posixpath.normpath(posixpath.join(rel.replace(os.sep, "/"), f))
            for f in filenames
            if f.endswith(PY_SUFFIXES)
        )
    return tuple(sorted(found))


def under(path: str, folder: str) -> bool:
    return folder == "." or path == folder or path.startswith(folder.rstrip("/") + "/")


def owner(projects: Iterable[Project], path: str) -> Project | None:
    """The deepest project holding ``path`` (repo-relative)."""
    holding = [p for p in projects if under(path, p.rel)]
    return max(holding, key=lambda p: 0 if p.rel == "." else p.rel.count("/") + 1, default=None)


def _package_path(root: Path, cwd: str, target: str) -> str:
    """``p:pkg.sub`` / ``m:mod`` as a folder or file, relative to the repository root."""
    name = target.split(":", 1)[1].replace(".", "/")
    for base in (cwd, posixpath.join(cwd, "src")):
        for candidate in (name, f"{name}.py"):
            rel = posixpath.normpath(posixpath.join(base, candidate))
            if (root / rel).exists():
                return rel
    return posixpath.normpath(posixpath.join(cwd, name))


def guardrail_paths(ctx: Context, project: Project, tool: str) -> tuple[str, ...]:
    """The repo-relative paths the guardrail's ``tool`` checks for ``project``."""
    if tool != "mypy":
        return (project.rel,)
    key = (project.rel, tool)
    if key not in ctx.paths:
        from hooks.checks.mypy import targets

        chosen = targets(project) or mypy_config_targets(project.path) or (".",)
        args = project.config.check("mypy").args
        split = verdict_args("mypy", args, project.rel, coverage_gate=False)
        paths = [posixpath.normpath(posixpath.join(project.rel, t)) for t in chosen]
        paths += [_package_path(project.repo_root, project.rel, t) for t in split.package_targets]
        ctx.paths[key] = tuple(paths)
    return ctx.paths[key]


def covered_by(ctx: Context, tool: str, path: str) -> bool:
    return any(
        tool in p.config.checks and any(under(path, g) for g in guardrail_paths(ctx, p, tool))
        for p in ctx.projects
    )


def describe_plan(ctx: Context, project: Project, tool: str) -> str:
    """What the guardrail runs for ``tool`` in ``project``, short enough to read."""
    key = (project.rel, tool)
    if key in ctx.plans:
        return ctx.plans[key]
    if tool not in project.config.checks:
        text = f"nothing ({tool} is not in [tool.guardrail] checks of {project.rel})"
    else:
        planned = all_checks()[tool].plan(project, None)
        if isinstance(planned, Invocation):
            text = f"{_short_argv(planned.argv, ctx.root)}  (in {project.rel})"
        else:
            text = f"nothing: {tool} cannot run ({planned.message})"
    ctx.plans[key] = text
    return text


def _short_argv(argv: Sequence[str], root: Path) -> str:
    words = list(argv)
    words[0] = posixpath.basename(words[0])
    out: list[str] = []
    for word in words:
        if os.path.isabs(word):
            rel = os.path.relpath(word, root)
            word = rel if not rel.startswith("..") else word
        out.append(word)
    return " ".join(out)


def ci_targets(
    ctx: Context, cmd: CiCheck, positionals: Sequence[str], packages: Sequence[str]
) -> tuple[str, ...]:
    if positionals or packages:
        return (*positionals, *(_package_path(ctx.root, cmd.folder, p) for p in packages))
    if cmd.check == "mypy":
        folder = ctx.root / cmd.folder if cmd.folder != "." else ctx.root
        configured = mypy_config_targets(folder)
        return tuple(posixpath.normpath(posixpath.join(cmd.folder, t)) for t in configured or ())
    return (cmd.folder,)


@dataclass(slots=True)
class _Gaps:
    """What one comparison found, filled in step by step."""

    involved: list[Project]
    reasons: list[str] = field(default_factory=list)
    changes: list[SettingsChange] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)

    def involve(self, project: Project | None) -> None:
        if project is not None and project not in self.involved:
            self.involved.append(project)

    def not_in_checks(self, project: Project, tool: str) -> None:
        self.reasons.append(
            f"the guardrail does not run {tool} for {project.rel} "
            f"([tool.guardrail] checks = {', '.join(project.config.checks) or 'none'})"
        )
        self.changes.append(SettingsChange(project.rel, "checks", (tool,)))


def compare(cmd: CiCheck, ctx: Context) -> Comparison:
    """How the push hook covers one CI command, and what would make it cover it."""
    if cmd.advisory:
        return Comparison(
            cmd,
            None,
            None,
            ("CI lets this command fail (continue-on-error / allow_failure): it never blocks CI",),
        )
    home = owner(ctx.projects, cmd.folder)
    gate = coverage_threshold(ctx.root / cmd.folder) or (
        home is not None and coverage_threshold(home.path)
    )
    wanted = verdict_args(cmd.check, cmd.argv, cmd.folder, coverage_gate=gate)
    gaps = _Gaps([home] if home is not None else [])
    if cmd.check == "pytest" and home is None:
        holders = (owner(ctx.projects, target) for target in wanted.positionals)
        gaps.involve(next((h for h in holders if h is not None), None))
    if cmd.check == "pytest" and gaps.involved:
        if "pytest" not in gaps.involved[0].config.checks:
            gaps.not_in_checks(gaps.involved[0], "pytest")
    else:
        _compare_files(cmd, ctx, wanted, home, gaps)
    for project in gaps.involved:
        _compare_options(cmd, project, wanted, gate, gaps, named=len(gaps.involved) > 1)
        _compare_config(cmd, ctx, project, wanted, gaps)
    if ctx.hook_checks is not None and cmd.check not in ctx.hook_checks:
        gaps.reasons.append(
            f"the pre-push hooks in {ctx.hook_config} run only "
            f"{', '.join(sorted(ctx.hook_checks)) or 'nothing'}"
        )
        gaps.manual.append(HOOK_STEP)
    shown = gaps.involved[0] if gaps.involved else None
    return Comparison(
        cmd,
        not gaps.reasons,
        shown.rel if shown else None,
        tuple(gaps.reasons),
        describe_plan(ctx, shown, cmd.check) if shown else "nothing",
        tuple(gaps.changes),
        tuple(dict.fromkeys(gaps.manual)),
    )


def _compare_files(
    cmd: CiCheck, ctx: Context, wanted: Verdict, home: Project | None, gaps: _Gaps
) -> None:
    """Every file CI's tool checks must be checked by the guardrail's same tool."""
    tool = cmd.check
    targets = ci_targets(ctx, cmd, wanted.positionals, wanted.package_targets)
    files = [f for f in ctx.files if any(under(f, t) for t in targets)]
    for path in (*targets, *files):
        gaps.involve(owner(ctx.projects, path))
    missed: dict[str | None, list[str]] = {}
    for f in files:
        if not covered_by(ctx, tool, f):
            holder = owner(ctx.projects, f)
            missed.setdefault(holder.rel if holder else None, []).append(f)
    if home is not None and tool not in home.config.checks:
        missed.setdefault(home.rel, [])
    for rel, paths in missed.items():
        project = next((p for p in ctx.projects if p.rel == rel), None)
        if project is None:
            verb = "is" if len(paths) == 1 else "are"
            gaps.reasons.append(f"{_some(paths)} {verb} outside every guardrail project")
            gaps.manual.append(
                "make the folder holding them a project: give it a pyproject.toml or list it "
                "in [tool.guardrail] projects"
            )
        elif tool not in project.config.checks:
            gaps.not_in_checks(project, tool)
        else:
            checked = ", ".join(guardrail_paths(ctx, project, tool))
            gaps.reasons.append(f"{tool} in {rel} checks {checked}; CI also checks {_some(paths)}")
    if tool != "mypy":
        return
    explicit_ci = bool(wanted.positionals or wanted.package_targets)
    for project in gaps.involved:
        if not explicit_ci and project.rel not in missed:
            continue
        new = tuple(
            posixpath.relpath(t, project.rel)
            for t in targets
            if under(t, project.rel) and (ctx.root / t).exists()
        )
        current = project.config.check("mypy").targets
        if new and (current is None or not set(new) <= set(current)):
            gaps.changes.append(SettingsChange(project.rel, "mypy.targets", new))


def _compare_options(
    cmd: CiCheck,
    project: Project,
    wanted: Verdict,
    gate: bool,
    gaps: _Gaps,
    *,
    named: bool,
) -> None:
    """CI's verdict-changing options must be among the guardrail's ``args``."""
    args = project.config.check(cmd.check).args
    present = {
        (o.name, o.value)
        for o in verdict_args(cmd.check, args, project.rel, coverage_gate=gate).options
    }
    suffix = f" for {project.rel}" if named else ""
    for option in wanted.options:
        if (option.name, option.value) in present:
            continue
        gaps.reasons.append(f"CI passes {' '.join(option.tokens)}; the guardrail does not{suffix}")
        tokens = rebased_tokens(option, cmd.check, cmd.folder, project.rel)
        gaps.changes.append(SettingsChange(project.rel, f"{cmd.check}.args", tokens))


def _compare_config(
    cmd: CiCheck, ctx: Context, project: Project, wanted: Verdict, gaps: _Gaps
) -> None:
    """mypy and pytest read the config of the folder they start in."""
    explicit = any(o.name in ("--config-file", "-c") for o in wanted.options)
    if cmd.check not in ("mypy", "pytest") or project.rel == cmd.folder or explicit:
        return
    theirs = config_file(cmd.check, ctx.root, cmd.folder)
    ours = config_file(cmd.check, ctx.root, project.rel)
    if theirs == ours:
        return
    gaps.reasons.append(
        f"CI starts {cmd.check} in {cmd.folder} and it reads {theirs or 'no config'}; the "
        f"guardrail starts it in {project.rel} and it reads {ours or 'no config'}"
    )
    gaps.manual.append(
        f"make CI run {cmd.check} from {project.rel}, or pass the same config file in both"
    )


def _some(paths: Sequence[str], limit: int = 3) -> str:
    """``2 files (a.py, b.py)``: a count and the first few names."""
    shown = ", ".join(paths[:limit])
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return f"{plural(len(paths), 'file')} ({shown}{more})"


def _python_notes(comparisons: Sequence[Comparison], ctx: Context) -> list[str]:
    notes: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for comparison in comparisons:
        cmd = comparison.command
        versions = [v for v in cmd.python_versions if "$" not in v and "{" not in v]
        project = next((p for p in ctx.projects if p.rel == comparison.project), None)
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


def compare_all(
    root: Path, extra_layers: Iterable[Layer] = ()
) -> tuple[CiPlan, Context, tuple[Comparison, ...]]:
    """Every CI command of the repository compared with the push hook. ``extra_layers`` are the
    config layers the hook adds before the projects' own (the organisation's hook args)."""
    plan = read_ci(root)
    config = load_precommit_config(root)
    ctx = Context(
        root=root,
        projects=tuple(load_projects(root, extra_layers)),
        files=python_files(root),
        hook_checks=None if _plain_hook(root) else push_checks(config),
        hook_config=hook_config_file(root),
    )
    return plan, ctx, tuple(compare(cmd, ctx) for cmd in plan.checks)


def diagnose(root: Path, extra_layers: Iterable[Layer] = ()) -> DoctorReport:
    """Read CI, compare it with the push hook, and check the plumbing."""
    plan, ctx, comparisons = compare_all(root, extra_layers)
    projects = ctx.projects
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
    notes += _python_notes(comparisons, ctx)
    return DoctorReport(
        str(root),
        plan.files,
        comparisons,
        tuple(plumbing),
        tuple(notes),
        not_mirrored=len(plan.not_mirrored),
        by_construction=tuple(by_construction),
    )


def _plain_hook(root: Path) -> bool:
    return installed_host(root) == "guardrail install"
