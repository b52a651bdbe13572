"""The refs of the running ``git push``, read from its command line.

pre-commit (and prek) hand a pre-push hook only the first ref git lists on the hook's stdin, and
read that stdin themselves, so ``git push origin main feature`` under them would check ``main``
alone. The guardrail finds the ``git push`` process it runs under (an ancestor, through psutil on
Linux, macOS and Windows), reads its refspecs and resolves them the way git does for the common
forms: branch and tag names, ``src:dst``, ``HEAD``, ``--all``/``--branches`` and ``--tags``. What
it cannot resolve (wildcards, negative refspecs, ``--mirror``, a push with no refspec under
``push.default = matching``), or a command line it cannot read, is said in a note: those refs
were not checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from hooks import git

ZERO = "0" * 40
VALUE_OPTIONS = frozenset({"-o", "--push-option", "--repo", "--receive-pack", "--exec"})
GLOBAL_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})


@dataclass(frozen=True, slots=True)
class PushCommand:
    """What a ``git push`` command line asks for: its refspecs and the options that pick refs."""

    refspecs: tuple[str, ...]
    all_branches: bool = False
    tags: bool = False
    mirror: bool = False


class AncestryUnreadable(Exception):
    """The processes this one runs under could not be read, so whether a ``git push`` started
    it, and with which refs, cannot be told."""


def _ancestors(pid: int) -> Iterator[list[str]]:
    """The command lines of ``pid`` and the processes above it, nearest first. A process this
    user may not read is skipped: the user's own ``git push`` is never one of them."""
    import psutil

    try:
        process = psutil.Process(pid)
        chain = [process, *process.parents()]
    except (psutil.Error, OSError) as exc:
        raise AncestryUnreadable(str(exc) or type(exc).__name__) from exc
    for ancestor in chain:
        try:
            yield ancestor.cmdline()
        except psutil.AccessDenied:
            continue
        except (psutil.Error, OSError) as exc:
            raise AncestryUnreadable(str(exc) or type(exc).__name__) from exc


def _is_git(program: str) -> bool:
    """``git``, ``/usr/bin/git`` or ``C:\\Program Files\\Git\\cmd\\git.exe``."""
    return PureWindowsPath(program).name.lower() in ("git", "git.exe")


def running_push_argv(pid: int | None = None) -> list[str] | None:
    """The argv of the nearest ancestor ``git ... push ...`` process, or None when no ancestor
    is one (``pre-commit run --hook-stage pre-push`` by hand). Raises
    :class:`AncestryUnreadable` when the ancestors cannot be read."""
    for argv in _ancestors(os.getpid() if pid is None else pid):
        if argv and _is_git(argv[0]) and _push_index(argv) is not None:
            return argv
    return None


def _push_index(argv: Sequence[str]) -> int | None:
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "push":
            return i
        if not word.startswith("-"):
            return None
        i += 2 if word in GLOBAL_VALUE_OPTIONS else 1
    return None


def parse(argv: Sequence[str]) -> PushCommand | None:
    """The refspecs and ref-picking options of a ``git push`` argv; None when not a push."""
    start = _push_index(argv)
    if start is None:
        return None
    positional: list[str] = []
    flags: set[str] = set()
    words = list(argv[start + 1 :])
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            positional.extend(words[i + 1 :])
            break
        if word.startswith("-") and word != "-":
            flags.add(word.split("=", 1)[0])
            i += 2 if word in VALUE_OPTIONS else 1
            continue
        positional.append(word)
        i += 1
    return PushCommand(
        refspecs=tuple(positional[1:]),
        all_branches=bool(flags & {"--all", "--branches"}),
        tags="--tags" in flags,
        mirror="--mirror" in flags,
    )


def _rev(repo: Path, name: str) -> str | None:
    out = git.output(repo, "rev-parse", "--verify", "-q", name)
    return out.strip() if out else None


def _full_name(repo: Path, name: str) -> str | None:
    out = git.output(repo, "rev-parse", "--symbolic-full-name", name)
    full = out.strip() if out else ""
    return full or None


def _refs(repo: Path, prefix: str) -> list[str]:
    out = git.output(repo, "for-each-ref", "--format=%(refname)", prefix) or ""
    return [line for line in out.splitlines() if line]


def _tracking(repo: Path, remote: str, remote_ref: str) -> str:
    if remote_ref.startswith("refs/heads/"):
        sha = _rev(repo, f"refs/remotes/{remote}/{remote_ref.removeprefix('refs/heads/')}")
        if sha:
            return sha
    return ZERO


def resolve(
    repo: Path, remote: str, command: PushCommand
) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """``(local ref, local sha, remote ref, remote sha)`` for each ref the command pushes, and
    the refspecs that could not be resolved. The remote sha comes from the remote-tracking
    branch (all zeros when there is none: then the push is compared with what the remote's
    branches have, as for a new branch)."""
    specs: list[tuple[str, str]] = []
    unresolved: list[str] = []
    if command.mirror:
        unresolved.append("--mirror")
    if command.all_branches:
        specs += [(ref, ref) for ref in _refs(repo, "refs/heads/")]
    if command.tags:
        specs += [(ref, ref) for ref in _refs(repo, "refs/tags/")]
    for spec in command.refspecs:
        spec = spec.removeprefix("+")
        src, colon, dst = spec.partition(":")
        if not src:
            continue  # ":dst" deletes a remote ref; nothing is sent to check
        if "*" in spec or spec.startswith("^"):
            unresolved.append(spec)
            continue
        full = _full_name(repo, src)
        if not colon:
            dst = full if full and full.startswith(("refs/heads/", "refs/tags/")) else ""
        elif not dst.startswith("refs/"):
            kind = "refs/tags/" if full and full.startswith("refs/tags/") else "refs/heads/"
            dst = kind + dst
        if not dst:
            unresolved.append(spec)
            continue
        specs.append((full or src, dst))
    refs = []
    for local, remote_ref in specs:
        sha = _rev(repo, local)
        if sha is None:
            unresolved.append(local)
            continue
        refs.append((local, sha, remote_ref, _tracking(repo, remote, remote_ref)))
    return refs, unresolved


def default_push_is_single(repo: Path, remote: str) -> bool:
    """Whether a ``git push <remote>`` with no refspec sends one branch (the current one)."""
    configured = git.output(repo, "config", "--get-all", f"remote.{remote}.push")
    if configured and configured.strip():
        return False
    mode = (git.output(repo, "config", "push.default") or "simple").strip()
    return mode != "matching"
