"""Running git. Two ways, named for what the caller wants when git fails:

- :func:`check_output` for a step the caller cannot do without (the push check): a failure is a
  :class:`GuardrailError` that names the command and what git said;
- :func:`output` for a question whose failure is itself the answer (not a repository, no such
  ref, no such config): a failure is ``None``.

And the few questions several subsystems ask of the repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hooks import proc
from hooks.errors import GuardrailError


def check_output(
    root: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> str:
    """git's stdout; git missing, timing out or failing is an error."""
    res = proc.run(["git", *args], cwd=root, env=env, timeout=timeout)
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
    """
    answer = output(start, "rev-parse", "--is-bare-repository", "--is-inside-git-dir")
    if answer is not None and "true" in answer.split():
        raise GuardrailError(
            f"{start} is a bare git repository or inside a git dir: there is no work tree to "
            "check. Run guardrail in a clone or a worktree of the repository."
        )
    top = output(start, "rev-parse", "--show-toplevel")
    if top is None or not top.strip():
        return start.resolve()
    return Path(top.strip())


def common_dir(root: Path) -> Path | None:
    """The repository's git common dir (shared by its worktrees), resolved; None outside git."""
    out = output(root, "rev-parse", "--git-common-dir")
    return (root / out.strip()).resolve() if out and out.strip() else None
