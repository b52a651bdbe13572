"""Benchmark: the push's wait with background verification on commit.

On a generated project whose full check takes a few seconds (``bench/run.py``'s typed project,
plus one test that takes 2 s, as an integration test would), each repetition makes a new commit
(new content, so no verdict is cached) and times ``git push`` to a bare remote:

(a) no background verification (the commit is made without the post-commit hook);
(b) the push after the background run of the commit finished;
(c) the push halfway through the background run (at half its median duration);
(d) the push right after an amend that supersedes a running verification.

Then the cost the post-commit hook adds to ``git commit``: through ``guardrail install``, and
through pre-commit and prek (``guardrail-background`` at the post-commit stage), each beside the
same host running a no-op post-commit hook (the host's own share). With ``--hosts``, the four push
figures are measured through pre-commit too (its pre-push and post-commit stages).

Medians of ``--reps`` repetitions, the variants interleaved. Results are appended to
``bench/RESULTS.md`` as a new section.

    .venv/bin/python bench/background.py --reps 5 --hosts
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from run import Samples, _load, build  # noqa: E402

from hooks.push import background as bg  # noqa: E402
from tests.fixtures import GIT_ENV, git  # noqa: E402
from tests.precommit_fixtures import copy_checkout, pre_commit_env  # noqa: E402

BIN = Path(sys.executable).parent
GUARDRAIL = str(BIN / "guardrail")
HOSTS = {"pre-commit": (str(BIN / "pre-commit"),), "prek": (str(BIN / "prek"),)}
SLOW_TEST = """\
import time


def test_integration() -> None:
    time.sleep(2.0)
"""
NO_HOOKS = "core.hooksPath=/dev/null"
TARGETS = {"b": 0.1, "c": 0.6, "d": 1.1}


@dataclass
class Route:
    """One way of installing the hooks into a clone of the project."""

    name: str
    root: Path
    env: dict[str, str]
    counter: int = 0
    background: bool = True
    """Whether its post-commit hook queues a background run (not the no-op hook routes)."""

    def change(self) -> None:
        """New content: a new module, so no verdict is cached."""
        self.counter += 1
        path = self.root / "app" / f"bench_{self.counter}.py"
        path.write_text(f"VALUE = {self.counter}\n", encoding="utf-8")

    def commit(self, *, hooks: bool = True, amend: bool = False) -> tuple[str, float]:
        self.change()
        subprocess.run(["git", "add", "-A"], cwd=self.root, env=self.env, check=True)
        flags = () if hooks else ("-c", NO_HOOKS)
        what = ("--amend", "--no-edit") if amend else ("-m", f"bench {self.counter}")
        start = time.perf_counter()
        subprocess.run(
            ["git", *flags, "commit", "-q", *what], cwd=self.root, env=self.env, check=True
        )
        took = time.perf_counter() - start
        return git(self.root, "rev-parse", "HEAD").stdout.strip(), took

    def push(self) -> float:
        start = time.perf_counter()
        res = subprocess.run(
            ["git", "push", "-q", "origin", "HEAD:main"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        took = time.perf_counter() - start
        if res.returncode != 0:
            raise SystemExit(f"{self.name}: push failed\n{res.stdout}{res.stderr}")
        return took

    @property
    def state(self) -> Path:
        found = bg.folder(self.root)
        assert found is not None
        return found

    def wait(self, sha: str, *states: str, timeout: float = 300) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = bg.read_json(bg.status_path(self.state, sha)) or {}
            if data.get("state") in states:
                return data
            time.sleep(0.02)
        raise SystemExit(f"{self.name}: {sha[:7]} never reached {states}")

    def idle(self, timeout: float = 300) -> None:
        """Wait until no background runner holds the lock (nothing queued or running)."""
        if not self.state.is_dir():
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not bg.queued(self.state) and bg.running(self.state) is None:
                from hooks import locks

                lock = locks.acquire(self.state / "runner.lock", blocking=False)
                if lock is not None:
                    lock.release()
                    return
            time.sleep(0.05)
        raise SystemExit(f"{self.name}: the background runner never went idle")


def clone(project_root: Path, where: Path, name: str, env: dict[str, str]) -> Route:
    remote = where / f"{name}-remote.git"
    git(where, "init", "-q", "--bare", str(remote))
    root = where / name
    git(where, "clone", "-q", str(project_root), str(root))
    venv = project_root / ".venv"
    (root / ".venv").symlink_to(venv.resolve(), target_is_directory=True)
    git(root, "remote", "set-url", "origin", str(remote))
    git(root, "push", "-q", "--no-verify", "origin", "HEAD:main")
    return Route(name, root, env)


def background_duration(route: Route) -> float:
    """A full background run, from the commit to its verdict (a warm-up, too)."""
    sha, _ = route.commit()
    route.wait(sha, "running")
    start = time.perf_counter()
    route.wait(sha, "green", "red", "error")
    return time.perf_counter() - start


def one_round(route: Route, samples: Samples, half: float) -> None:
    """(a), (b), (c), (d) once each."""
    route.idle()
    route.commit(hooks=False)
    samples.add("a", route.push())

    sha, _ = route.commit()
    route.wait(sha, "green", "red", "error")
    route.idle()
    samples.add("b", route.push())

    sha, _ = route.commit()
    route.wait(sha, "running")
    time.sleep(half)
    samples.add("c", route.push())
    route.idle()

    sha, _ = route.commit()
    route.wait(sha, "running")
    time.sleep(half)
    route.commit(amend=True)
    samples.add("d", route.push())
    route.idle()


def commit_overhead(route: Route, samples: Samples, name: str, reps: int) -> None:
    """``git commit`` with the post-commit hook, and without any hook."""
    for _ in range(reps):
        route.idle()
        _, took = route.commit(hooks=False)
        samples.add(f"{name}:none", took)
        route.idle()
        sha, took = route.commit()
        samples.add(f"{name}:hook", took)
        if route.background:
            # The hook returns before its detached process has queued the commit: until then
            # the runner looks idle, and the next commit (or the folder's removal) would race it.
            route.wait(sha, "queued", "running", *bg.FINAL)
    route.idle()


def host_config(hook_repo: Path, rev: str, *, noop: bool) -> str:
    if noop:
        return (
            "default_install_hook_types: [pre-push, post-commit]\n"
            "repos:\n  - repo: local\n    hooks:\n"
            "      - id: noop\n        name: noop\n        entry: 'true'\n"
            "        language: system\n        stages: [post-commit]\n"
            "        always_run: true\n        pass_filenames: false\n"
        )
    return (
        "default_install_hook_types: [pre-push, post-commit]\n"
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: guardrail\n        stages: [pre-push]\n"
        "      - id: guardrail-background\n"
    )


def host_route(
    project_root: Path, where: Path, host: str, hook_repo: Path, rev: str, *, noop: bool
) -> Route:
    home = where / f"{host}-home"
    env = pre_commit_env(home, variable="PREK_HOME" if host == "prek" else "PRE_COMMIT_HOME")
    name = f"{host}-noop" if noop else host
    route = clone(project_root, where, name, env)
    route.background = not noop
    (route.root / ".pre-commit-config.yaml").write_text(
        host_config(hook_repo, rev, noop=noop), encoding="utf-8"
    )
    git(route.root, "add", "-A")
    git(route.root, "commit", "-q", "--no-verify", "-m", "hooks")
    res = subprocess.run(
        [*HOSTS[host], "install", "--install-hooks"],
        cwd=route.root,
        env=env,
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        raise SystemExit(f"{host} install failed\n{res.stdout}{res.stderr}")
    return route


def ratio(samples: Samples, name: str) -> float:
    return samples.median(name) / samples.median("a")


def verdict(value: float, target: float) -> str:
    return f"{'meets' if value <= target else 'MISSES'} ≤ {target}"


def render(
    samples: dict[str, Samples],
    overhead: Samples,
    *,
    reps: int,
    minutes: float,
    loads: tuple[str, str],
    modules: int,
    half: float,
) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "",
        "## Background verification on commit (`bench/background.py`)",
        "",
        f"Written by `python bench/background.py --reps {reps}` on {stamp} in {minutes:.1f} min.",
        f"Load average (1, 5, 15 min) {loads[0]} at the start, {loads[1]} at the end; 2 CPUs "
        "shared with other work, so absolute figures are noisy; the variants are interleaved.",
        f"Project: `bench/run.py`'s typed project, {modules} modules and {2 * modules} tests, "
        "plus one 2 s test (an integration test's share of pytest). Each push sends a new "
        "commit (new content); (c) and (d) push at half the background run's median "
        f"duration ({half:.2f} s after it started).",
        "",
        "| route | (a) no background | (b) after it finished | (c) halfway | "
        "(d) after an amend | (b)/(a) | (c)/(a) | (d)/(a) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for route, s in samples.items():
        b, c, d = ratio(s, "b"), ratio(s, "c"), ratio(s, "d")
        lines.append(
            f"| {route} | {s.median('a'):.2f} s | {s.median('b'):.3f} s | {s.median('c'):.2f} s "
            f"| {s.median('d'):.2f} s | {b:.2f} ({verdict(b, TARGETS['b'])}; "
            f"{'meets' if s.median('b') < 0.3 else 'MISSES'} < 0.3 s) "
            f"| {c:.2f} ({verdict(c, TARGETS['c'])}) | {d:.2f} ({verdict(d, TARGETS['d'])}) |"
        )
    lines += [
        "",
        "Commit overhead of the post-commit hook (median `git commit` wall time, and the "
        "difference from the same commit with no hook at all):",
        "",
        "| post-commit hook | commit with it | commit with no hook | added |",
        "|---|---|---|---|",
    ]
    for name in dict.fromkeys(k.split(":")[0] for k in overhead.runs):
        hook, none = overhead.median(f"{name}:hook"), overhead.median(f"{name}:none")
        lines.append(
            f"| {name} | {hook * 1000:.0f} ms | {none * 1000:.0f} ms | "
            f"{(hook - none) * 1000:.0f} ms |"
        )
    lines += ["", "Every sample (seconds, in the order taken):", ""]
    for route, s in samples.items():
        for name, values in s.runs.items():
            lines.append(f"- {route} {name}: {', '.join(f'{v:.3f}' for v in values)}")
    for name, values in overhead.runs.items():
        lines.append(f"- commit {name}: {', '.join(f'{v * 1000:.0f} ms' for v in values)}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--hosts", action="store_true", help="pre-commit and prek too")
    parser.add_argument("--write", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    # As `pip install` does (and bench/run.py): else, with PYTHONDONTWRITEBYTECODE set (as on
    # this machine), every hook of the editable checkout compiles the guardrail's modules anew,
    # about 0.13 s of each cache-hit push.
    compileall.compile_dir(str(REPO / "hooks"), quiet=1)
    began = time.monotonic()
    load_start = _load()
    with tempfile.TemporaryDirectory(prefix="guardrail-bg-bench-") as tmp:
        where = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(where / "xdg")
        project = build(where / "p", args.modules)
        (project.root / "tests" / "test_integration.py").write_text(SLOW_TEST, encoding="utf-8")
        git(project.root, "add", "-A")
        git(project.root, "commit", "-q", "--no-verify", "-m", "a slow test")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
        env.update(GIT_ENV)
        routes = [clone(project.root, where, "install", env)]
        res = subprocess.run([GUARDRAIL, "install"], cwd=routes[0].root, env=env, check=True)
        assert res.returncode == 0
        hook_repo = None
        if args.hosts:
            hook_repo = copy_checkout(where / "hook-repo" / "push-guardrail")
            routes.append(
                host_route(
                    project.root, where, "pre-commit", hook_repo.path, hook_repo.rev, noop=False
                )
            )
        durations = [background_duration(r) for r in routes for _ in range(2)]
        half = statistics.median(durations) / 2
        print(f"background run: {durations} -> pushing at {half:.2f} s", file=sys.stderr)
        samples = {r.name: Samples() for r in routes}
        for rep in range(args.reps):
            for r in routes:
                one_round(r, samples[r.name], half)
            print(f"round {rep + 1}/{args.reps} done", file=sys.stderr)
        overhead = Samples()
        commit_overhead(routes[0], overhead, "guardrail install", args.reps * 2)
        if args.hosts and hook_repo is not None:
            overhead_routes: list[tuple[str, Route]] = [("pre-commit", routes[1])]
            prek = host_route(
                project.root, where, "prek", hook_repo.path, hook_repo.rev, noop=False
            )
            overhead_routes.append(("prek", prek))
            for host in HOSTS:
                noop = host_route(
                    project.root, where, host, hook_repo.path, hook_repo.rev, noop=True
                )
                overhead_routes.append((f"{host}, a no-op hook", noop))
            for name, route in overhead_routes:
                commit_overhead(route, overhead, name, args.reps * 2)
        text = render(
            samples,
            overhead,
            reps=args.reps,
            minutes=(time.monotonic() - began) / 60,
            loads=(load_start, _load()),
            modules=args.modules,
            half=half,
        )
    print(text)
    if args.write:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
