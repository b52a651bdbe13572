"""Running git. Two ways, named for what the caller wants when git fails:

- :func:`check_output` for a step the caller cannot do without (the push check): a failure is a
  :class:`GuardrailError` that names the command and what git said;
- :func:`output` for a question whose failure is itself the answer (not a repository, no such
  ref, no such config): a failure is ``None``.

And the few questions several subsystems ask of the repository.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from hooks import proc
from hooks.errors import GuardrailError


def check_output(
    root: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    stdin: bytes | None = None,
) -> str:
    """git's stdout; git missing, timing out or failing is an error."""
    res = proc.run(["git", *args], cwd=root, env=env, stdin=stdin, timeout=timeout)
    if res.missing:
        raise GuardrailError("git is not installed or not on PATH; the push cannot be checked")
    if res.returncode != 0:
        detail = (res.stderr or res.stdout).strip().splitlines()
        raise GuardrailError(
            f"git {' '.join(args)} failed in {root}: {detail[-1] if detail else res.returncode}"
        )
    return res.stdout


def output(
    root: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float | None = 60,
) -> str | None:
    """git's stdout, or None when git is missing, timed out or exited non-zero."""
    res = proc.run(["git", *args], cwd=root, env=env, stdin=stdin, timeout=timeout)
    if res.missing or res.timed_out or res.returncode != 0:
        return None
    return res.stdout


def repo_root(start: Path) -> Path:
    """The top of the git work tree holding ``start``; ``start`` itself outside git.

    A bare repository or a git dir has no work tree to check: that is an error, not a pass.
    One ``git rev-parse`` answers both, and the repository's common dir too (remembered for
    :func:`common_dir`): in a bare repository or a git dir ``--show-toplevel`` fails after the
    first two answers are printed.
    """
    res = proc.run(
        [
            "git",
            "rev-parse",
            "--is-bare-repository",
            "--is-inside-git-dir",
            "--show-toplevel",
            "--git-common-dir",
        ],
        cwd=start,
        timeout=60,
    )
    answers = res.stdout.splitlines() if not (res.missing or res.timed_out) else []
    if "true" in answers[:2]:
        raise GuardrailError(
            f"{start} is a bare git repository or inside a git dir: there is no work tree to "
            "check. Run guardrail in a clone or a worktree of the repository."
        )
    if res.returncode != 0 or len(answers) != 4 or not answers[2].strip():
        return start.resolve()
    top = Path(answers[2].strip())
    common = (start / answers[3].strip()).resolve()
    _common_dirs[start] = _common_dirs[top] = common
    return top


_common_dirs: dict[Path, Path] = {}
"""Common dirs already asked for, by the folder asked about: a folder inside a repository stays
inside it for the life of a command (only found ones are kept)."""


def common_dir(root: Path) -> Path | None:
    """The repository's git common dir (shared by its worktrees), resolved; None outside git."""
    known = _common_dirs.get(root)
    if known is not None:
        return known
    out = output(root, "rev-parse", "--git-common-dir")
    if not out or not out.strip():
        return None
    found = _common_dirs[root] = (root / out.strip()).resolve()
    return found


def remember_common_dir(root: Path, common: Path) -> None:
    """``root`` is a worktree of the repository whose common dir is ``common`` (a push snapshot
    just checked out): :func:`common_dir` need not ask git."""
    _common_dirs[root] = common


def resolve(root: Path, names: Sequence[str]) -> list[str | None]:
    """The object id each of ``names`` (``abc123^{tree}``, ``HEAD``...) names, None where it names
    none: one ``git cat-file --batch-check`` for them all, instead of a ``rev-parse`` each."""
    if not names:
        return []
    text = "".join(f"{name}\n" for name in names).encode()
    out = check_output(root, "cat-file", "--batch-check=%(objectname) %(objecttype)", stdin=text)
    lines = out.splitlines()
    if len(lines) != len(names):
        raise GuardrailError(
            f"git cat-file --batch-check in {root} answered {len(lines)} lines for "
            f"{len(names)} names; the push cannot be checked"
        )
    found: list[str | None] = []
    for line in lines:
        sha, _, kind = line.partition(" ")
        found.append(sha if kind and kind not in ("missing", "ambiguous") else None)
    return found
