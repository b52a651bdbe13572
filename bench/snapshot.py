"""What checking the pushed commit in a snapshot costs over checking the working tree in place.

Generates a repository of ~200 files (one project: a package of small typed modules and their
tests), warms both paths, then alternates, for each rep:

- in place:  ``guardrail run --no-cache`` in the working tree;
- snapshot:  ``guardrail pre-push origin URL`` with git's pre-push line on stdin, as the hook
  ``guardrail install`` writes runs it, pushing commit A or B in turn, so each rep checks a
  different commit out in the reused snapshot worktree;
- prepare:   the snapshot worktree's preparation alone (lock, checkout, clean), in process.

Medians are written to ``bench/SNAPSHOT_RESULTS.md``. Run: ``.venv/bin/python bench/snapshot.py``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hooks import __version__  # noqa: E402
from hooks.push.snapshot import snapshot  # noqa: E402
from tests.fixtures import commit_all, git, make_project_venv, make_repo, write_files  # noqa: E402

GUARDRAIL = str(Path(sys.executable).parent / "guardrail")
PYPROJECT = """\
[project]
name = "bench"
version = "0.1.0"

[tool.ruff.lint]
select = ["E", "F", "I"]

[tool.mypy]
strict = true

[tool.pytest.ini_options]
testpaths = ["tests"]
"""


def files(modules: int, tests: int) -> dict[str, str]:
    out = {"pyproject.toml": PYPROJECT, "bench/__init__.py": "", "tests/__init__.py": ""}
    for i in range(modules):
        out[f"bench/m{i:03d}.py"] = (
            f'"""Module {i}."""\n\n\ndef f{i}(x: int) -> int:\n    return x + {i}\n\n\n'
            f"def g{i}(items: list[int]) -> dict[str, int]:\n"
            f'    return {{"n": len(items), "s": sum(items) + {i}}}\n'
        )
    for t in range(tests):
        out[f"tests/test_t{t:02d}.py"] = (
            f"from bench.m{t:03d} import f{t}, g{t}\n\n\n"
            f"def test_f() -> None:\n    assert f{t}(1) == {t + 1}\n\n\n"
            f'def test_g() -> None:\n    assert g{t}([1, 2])["n"] == 2\n'
        )
    return out


def timed(cmd: list[str], cwd: Path, stdin: str | None = None) -> float:
    start = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}")
    return elapsed


def prepare_time(repo: Path, sha: str) -> float:
    start = time.perf_counter()
    with snapshot(repo, sha):
        elapsed = time.perf_counter() - start
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "SNAPSHOT_RESULTS.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="guardrail-bench-") as tmp:
        base = Path(tmp)
        venv = make_project_venv(base / "venv")
        repo = make_repo(base / "repo", files(modules=178, tests=20), venv=venv)
        n_files = len(git(repo, "ls-files").stdout.splitlines())
        git(base, "init", "-q", "--bare", "remote.git")
        git(repo, "remote", "add", "origin", str(base / "remote.git"))
        git(repo, "push", "-q", "--no-verify", "origin", "main")
        remote_sha = git(repo, "rev-parse", "HEAD").stdout.strip()
        write_files(repo, {"bench/m000.py": files(1, 0)["bench/m000.py"] + "\n\nA = 1\n"})
        sha_a = commit_all(repo, "A")
        write_files(repo, {"bench/m001.py": files(2, 0)["bench/m001.py"] + "\n\nB = 1\n"})
        sha_b = commit_all(repo, "B")

        def line(sha: str) -> str:
            return f"refs/heads/main {sha} refs/heads/main {remote_sha}\n"

        pre_push = [GUARDRAIL, "pre-push", "origin", str(base / "remote.git"), "--no-cache"]
        for sha in (sha_a, sha_b):
            timed(pre_push, repo, line(sha))
            timed([GUARDRAIL, "run", "--no-cache"], repo)
        inplace: list[float] = []
        snap: list[float] = []
        prep: list[float] = []
        for rep in range(args.reps):
            sha = sha_a if rep % 2 else sha_b
            inplace.append(timed([GUARDRAIL, "run", "--no-cache"], repo))
            snap.append(timed(pre_push, repo, line(sha)))
            prep.append(prepare_time(repo, sha_b if rep % 2 else sha_a))

    med_in, med_snap, med_prep = (statistics.median(v) for v in (inplace, snap, prep))
    rows = [
        ("in place (`guardrail run --no-cache`)", inplace, med_in),
        ("snapshot (`guardrail pre-push --no-cache`)", snap, med_snap),
        ("snapshot preparation alone", prep, med_prep),
    ]
    table = ["| path | median | min | max |", "|---|---|---|---|"]
    for name, values, med in rows:
        table.append(f"| {name} | {med:.3f} s | {min(values):.3f} s | {max(values):.3f} s |")
    added = med_snap - med_in
    text = (
        "# Snapshot overhead\n\n"
        f"`bench/snapshot.py`, guardrail {__version__}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {n_files} tracked files, "
        f"{args.reps} reps (alternating, after one warm-up run of each).\n\n"
        + "\n".join(table)
        + f"\n\nAdded by the snapshot, once warm: **{added:+.3f} s** (median snapshot minus median "
        "in place; target <= 1 s). Each snapshot rep checks out a different commit in the reused "
        "worktree; its .mypy_cache, .ruff_cache and .pytest_cache stay warm.\n"
    )
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
