"""Check a push: every distinct pushed commit in its snapshot, one after another."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hooks import git
from hooks.ci import read_ci
from hooks.config import ProjectConfig
from hooks.engine.gate import RunOptions, RunOutcome, run_tree
from hooks.engine.triggers import push_trigger
from hooks.findings import CheckResult
from hooks.projects import Project
from hooks.push import background, submodules, versionfile
from hooks.push.refs import Push, Target, Trigger, describe, targets
from hooks.push.snapshot import repo_env_removed, snapshot


def working_tree_note(repo: Path, sha: str) -> str | None:
    """What in the working tree was not checked, when it differs from the pushed commit.

    ``--no-optional-locks`` keeps ``git status`` from refreshing (rewriting) the user's index.
    One ``git status`` says both what HEAD is (its ``--branch`` headers) and what is uncommitted.
    """
    status = git.output(
        repo,
        "--no-optional-locks",
        "status",
        "--porcelain=v2",
        "--branch",
        "--no-ahead-behind",
        "-z",
        "--no-renames",
        "-uall",
    )
    entries = [e for e in (status or "").split("\0") if e]
    headers = dict(e[2:].partition(" ")[::2] for e in entries if e.startswith("# "))
    head = headers.get("branch.oid", "(initial)")
    if head != "(initial)" and head != sha:
        branch = headers.get("branch.head", "(detached)")
        name = head[:7] if branch == "(detached)" else branch
        return f"the working tree ({name}) is not the pushed commit and was not checked"
    dirty = sum(1 for e in entries if not e.startswith("# "))
    if dirty:
        noun = "change" if dirty == 1 else "changes"
        verb = "was" if dirty == 1 else "were"
        return f"{dirty} uncommitted {noun} in the working tree {verb} not checked"
    return None


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """The checks of one pushed commit (no results: the push touched none of its projects)."""

    target: Target
    description: str
    outcome: RunOutcome
    unchecked: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code


def check_push(
    repo: Path,
    push: Push,
    options: RunOptions,
    *,
    notes: Sequence[str] = (),
    on_done: Callable[[CheckResult], None] | None = None,
    prepare: Callable[[Path], None] | None = None,
    trigger: Trigger | None = None,
    notify: Callable[[str], None] | None = None,
) -> list[TargetOutcome]:
    """Check every distinct pushed commit in its snapshot, one after another.

    ``repo`` is the user's working tree: where git runs and where the project interpreters live;
    nothing in it is written. ``prepare`` sees each snapshot before its checks run (the
    organisation's enforced settings are checked against the pushed config there). ``trigger``
    says whether CI's own push trigger runs for a project (see :meth:`Target.skip_reason`).

    A background verification (:mod:`hooks.push.background`) never delays the push: one of a
    pushed commit's content is joined (``notify`` is told how long it has been verifying), and
    one of other content is cancelled for the time of the push. Without ``notify`` none is joined.
    """
    done: list[TargetOutcome] = []
    found = targets(repo, push)
    trees = {t.sha: t.tree or _tree_of(repo, t.sha) for t in found}
    with background.outranking(repo, set(trees.values())) as since:
        for target in found:
            description = describe(target, push.remote)
            note = working_tree_note(repo, target.sha)
            join = None
            if notify is not None:
                join = functools.partial(
                    background.join, repo, trees[target.sha], notify, since=since
                )
            outcome, skipped = check_target(
                repo,
                target,
                options,
                target_line=f"checked {description}" + (f"; {note}" if note else ""),
                notes=notes,
                on_done=on_done,
                prepare=prepare,
                trigger=trigger,
                join=join,
                tree=trees[target.sha],
            )
            reasons = tuple(dict.fromkeys(skipped.values()))
            done.append(TargetOutcome(target, description, outcome, tuple(skipped), reasons))
    return done


def check_target(
    repo: Path,
    target: Target,
    options: RunOptions,
    *,
    target_line: str,
    notes: Sequence[str] = (),
    on_done: Callable[[CheckResult], None] | None = None,
    prepare: Callable[[Path], None] | None = None,
    trigger: Trigger | None = None,
    join: Callable[[], bool] | None = None,
    tree: str | None = None,
) -> tuple[RunOutcome, dict[str, str]]:
    """Check one commit in a snapshot, as a push of it does (the background verification of a
    new commit calls this too, so that its verdict's key is the push's): the outcome, and the
    projects left out with why. ``tree`` is the commit's tree id, when the caller has it.
    Without ``trigger``, CI's own push trigger is read from the snapshot when the paths the push
    changes are known."""
    skipped: dict[str, str] = {}
    with snapshot(repo, target.sha) as root, repo_env_removed():
        snapshot_notes = submodules.check_out(repo, root, target.sha)
        if prepare is not None:
            prepare(root)
        ci_trigger = trigger
        if ci_trigger is None and target.changed is not None:
            ci_trigger = push_trigger(root, read_ci(root))
        select = _selector(target, ci_trigger, skipped)
        if tree is None:
            tree = target.tree or _tree_of(repo, target.sha)
        outcome = run_tree(
            root,
            options,
            target=target_line,
            notes=[*notes, *snapshot_notes],
            tree=tree,
            select=select,
            env_root=repo,
            on_done=on_done,
            before_run=generate_version_files,
            throwaway=True,
            join=join,
        )
    if skipped and outcome.results:
        why = [f"{rel} ({reason})" for rel, reason in skipped.items()]
        info = replace(outcome.info, notes=(*outcome.info.notes, f"not checked: {'; '.join(why)}"))
        outcome = RunOutcome(info, outcome.results)
    return outcome, skipped


def _tree_of(repo: Path, sha: str) -> str:
    return git.check_output(repo, "rev-parse", f"{sha}^{{tree}}").strip()


def generate_version_files(projects: Sequence[Project]) -> None:
    """What CI's install step generates in the checked tree: the version file of each project and
    of each editable install inside the repository."""
    folders = [f for p in projects for f in (p.path, *p.editable_sources())]
    for folder in dict.fromkeys(folders):
        versionfile.write(folder)


def _selector(
    target: Target, trigger: Trigger | None, skipped: dict[str, str]
) -> Callable[[str, ProjectConfig], bool]:
    """The project filter of one pushed commit; it records in ``skipped`` why it left one out."""

    def select(rel: str, config: ProjectConfig) -> bool:
        reason = target.skip_reason(rel, config, trigger)
        if reason is not None:
            skipped[rel] = reason
        return reason is None

    return select


def exit_code(outcomes: Sequence[TargetOutcome]) -> int:
    codes = {o.exit_code for o in outcomes}
    return 2 if 2 in codes else 1 if 1 in codes else 0
