"""Benchmark: the guardrail against the bare tools and against pre-commit, and its cache.

Generates a realistic typed project (modules importing each other, a test suite), then measures,
with medians over several repetitions, interleaved so that a change in machine load hits every
variant alike:

1. guardrail ``--jobs 1 --no-cache`` vs the four bare tool commands in sequence;
2. guardrail default (parallel, ``--no-cache``) vs the bare sequence;
3. a cache hit vs a full run;
4. pre-commit running the same four tools as ``repo: local`` hooks vs guardrail default;
5. all of it at several project sizes.

mypy's cache is cleared before every full run (cold), so each variant does the same work. The
guardrail's own overhead (``--version``, parsing and rendering 50,000 findings) is measured
in-process. Results go to ``bench/RESULTS.md``.

    .venv/bin/python bench/run.py                 # sizes 50,200,800, 3 repetitions
    .venv/bin/python bench/run.py --sizes 200 --reps 5
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fixtures import make_project_venv, make_repo  # noqa: E402

BIN = Path(sys.executable).parent
TARGETS = {"jobs1": 1.05, "parallel": 0.8, "hit": 0.03}

PYPROJECT = """\
[project]
name = "bench-app"
version = "0.1.0"
requires-python = ">=3.11"

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F", "I", "B", "UP"]

[tool.mypy]
strict = true

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

MODULE = '''\
"""Module {i}: stock records, their pricing rules and a score built on modules {deps_text}."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

{imports}


class Priced(Protocol):
    @property
    def price(self) -> int: ...


@dataclass(frozen=True)
class Item{i}:
    name: str
    price: int
    tags: tuple[str, ...] = field(default=())

    def discounted(self, percent: int) -> int:
        return self.price - self.price * percent // 100

    def tagged(self, tag: str) -> Item{i}:
        return Item{i}(self.name, self.price, (*self.tags, tag))


def make_items(count: int) -> list[Item{i}]:
    return [Item{i}(f"item-{{n}}", n * {step}) for n in range(count)]


def total(items: Iterable[Priced]) -> int:
    return sum(item.price for item in items)


def index_by_name(items: Sequence[Item{i}]) -> dict[str, Item{i}]:
    return {{item.name: item for item in items}}


def cheapest(items: Sequence[Item{i}]) -> Item{i} | None:
    return min(items, key=lambda item: item.price, default=None)


def score(count: int) -> int:
    items = make_items(count)
    return total(items) + len(index_by_name(items)) + {i}


def combined(count: int) -> int:
    return score(count){calls}
'''

TESTS = """\
from app import mod_{i}


def test_total_{i}() -> None:
    assert mod_{i}.total(mod_{i}.make_items(3)) == {total}


def test_combined_{i}() -> None:
    items = mod_{i}.make_items(4)
    assert mod_{i}.cheapest(items) == items[0]
    assert mod_{i}.combined(2) >= mod_{i}.score(2)
"""


def generate(root: Path, modules: int) -> dict[str, str]:
    """A project of ``modules`` typed modules, each importing up to two earlier ones, and two
    tests per module."""
    files = {"pyproject.toml": PYPROJECT, "app/__init__.py": "", "tests/__init__.py": ""}
    for i in range(modules):
        deps = sorted({i - 1, i // 2} - {i}) if i else []
        deps = [d for d in deps if d >= 0]
        imports = f"from app import {', '.join(f'mod_{d}' for d in deps)}" if deps else ""
        calls = "".join(f" + mod_{d}.score(count)" for d in deps)
        step = i % 7 + 1
        files[f"app/mod_{i}.py"] = MODULE.format(
            i=i,
            deps_text=", ".join(map(str, deps)) or "none",
            imports=imports,
            calls=calls,
            step=step,
        )
        files[f"tests/test_mod_{i}.py"] = TESTS.format(i=i, total=step * 3)
    return files


@dataclass
class Project:
    """One generated project, ready to be checked every way."""

    root: Path
    modules: int
    tests: int
    ruff: str = field(default_factory=lambda: str(BIN / "ruff"))

    @property
    def python(self) -> str:
        return str(self.root / ".venv" / "bin" / "python")

    def bare(self) -> list[list[str]]:
        """The four commands CI would run, in the guardrail order."""
        return [
            [self.ruff, "check", "."],
            [self.ruff, "format", "--check", "."],
            [self.python, "-m", "mypy", "app"],
            [self.python, "-m", "pytest", "-q"],
        ]

    def cold(self) -> None:
        shutil.rmtree(self.root / ".mypy_cache", ignore_errors=True)
        shutil.rmtree(self.root / ".pytest_cache", ignore_errors=True)
        shutil.rmtree(self.root / ".ruff_cache", ignore_errors=True)


def build(where: Path, modules: int) -> Project:
    venv = make_project_venv(where / "venv")
    root = where / "project"
    files = generate(root, modules)
    root.mkdir(parents=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    ruff = str(BIN / "ruff")
    subprocess.run([ruff, "check", "--fix", "--no-cache", "-q", "."], cwd=root, check=False)
    subprocess.run([ruff, "format", "--no-cache", "-q", "."], cwd=root, check=True)
    files = {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in root.rglob("*")
        if p.is_file()
    }
    shutil.rmtree(root)
    files[".pre-commit-config.yaml"] = precommit_config(Project(root, modules, 2 * modules))
    make_repo(root, files, venv=venv)
    project = Project(root, modules, 2 * modules)
    for argv in project.bare():
        res = subprocess.run(argv, cwd=root, capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(f"generated project is not green: {argv}\n{res.stdout}{res.stderr}")
    return project


def _precommit_language() -> str:
    out = subprocess.run(
        [str(BIN / "pre-commit"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)\.(\d+)", out)
    version = (int(match[1]), int(match[2])) if match else (0, 0)
    return "unsupported" if version >= (4, 4) else "system"


def precommit_config(project: Project) -> str:
    language = _precommit_language()
    hooks = []
    for hook_id, argv in zip(
        ("ruff-check", "ruff-format", "mypy", "pytest"), project.bare(), strict=True
    ):
        entry = " ".join(argv).replace(str(project.root) + "/", "")
        hooks.append(
            f"      - id: {hook_id}\n"
            f"        name: {hook_id}\n"
            f"        entry: {entry}\n"
            f"        language: {language}\n"
            "        pass_filenames: false\n"
            "        always_run: true\n"
        )
    return "repos:\n  - repo: local\n    hooks:\n" + "".join(hooks)


def timed(argv: Sequence[str], cwd: Path, env: dict[str, str], expect: int = 0) -> float:
    start = time.perf_counter()
    res = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if res.returncode != expect:
        raise SystemExit(f"{' '.join(argv)} exited {res.returncode}\n{res.stdout}{res.stderr}")
    return elapsed


@dataclass
class Samples:
    runs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.runs.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float:
        return statistics.median(self.runs[name])


def measure(project: Project, reps: int, home: Path) -> Samples:
    root = project.root
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("VIRTUAL_ENV", None)
    guardrail = str(BIN / "guardrail")
    samples = Samples()

    def bare() -> float:
        return sum(timed(argv, root, env) for argv in project.bare())

    variants: list[tuple[str, Callable[[], float]]] = [
        ("bare", bare),
        ("jobs1", lambda: timed([guardrail, "run", "--jobs", "1", "--no-cache"], root, env)),
        ("parallel", lambda: timed([guardrail, "run", "--no-cache"], root, env)),
        (
            "precommit",
            lambda: timed([str(BIN / "pre-commit"), "run", "--all-files"], root, env),
        ),
    ]
    timed([str(BIN / "pre-commit"), "run", "--all-files"], root, env)
    for _ in range(reps):
        for name, run in variants:
            project.cold()
            samples.add(name, run())
        samples.add("bare_warm", bare())
        samples.add("jobs1_warm", timed([guardrail, "run", "--jobs", "1", "--no-cache"], root, env))
    timed([guardrail, "run"], root, env)
    for _ in range(reps):
        samples.add("hit", timed([guardrail, "run"], root, env))
    return samples


def overhead(reps: int, work: Path) -> dict[str, float]:
    """Seconds for ``guardrail --version`` and for parsing + rendering 50,000 findings.

    The ruff findings are real: ruff's own output on a project with 50,000 unused imports, in
    whatever format the ruff check asks for. The mypy ones are mypy's ``-O json`` lines.
    """
    from hooks.checks import mypy, ruff_check
    from hooks.checks.base import Invocation, ParseContext, PathMap, ToolOutput, _relative
    from hooks.findings import CheckResult, RunInfo
    from hooks.projects import load_projects
    from hooks.report.terminal import render
    from tests.test_overhead import noisy_files

    version = [
        timed([str(BIN / "guardrail"), "--version"], REPO, dict(os.environ)) for _ in range(reps)
    ]
    big = make_repo(work / "big", noisy_files(), venv=make_project_venv(work / "big-venv"))
    (project,) = load_projects(big)
    inv = ruff_check.plan(project)
    assert isinstance(inv, Invocation)
    res = subprocess.run(list(inv.argv), cwd=inv.cwd, capture_output=True, text=True)
    ruff_out = ToolOutput(res.returncode, res.stdout, res.stderr)
    mypy_out = ToolOutput(
        1,
        "\n".join(
            json.dumps(
                {
                    "file": f"/repo/app/mod_{i % 500}.py",
                    "line": i % 900 + 1,
                    "column": 4,
                    "message": 'Missing type arguments for generic type "dict"',
                    "hint": None,
                    "code": "type-arg",
                    "severity": "error",
                }
            )
            for i in range(50_000)
        ),
        "",
    )
    cases = (
        ("ruff", ruff_check, ruff_out, inv.context),
        ("mypy", mypy, mypy_out, ParseContext(PathMap("/repo", "."), check="mypy")),
    )
    timings: dict[str, list[float]] = {"ruff": [], "mypy": []}
    for _ in range(reps):
        for name, module, out, context in cases:
            _relative.cache_clear()
            start = time.perf_counter()
            outcome = module.parse(out, context)
            result = CheckResult(module.NAME, ".", outcome.status, findings=outcome.findings)
            text = render(RunInfo(version="0", target="t"), [result])
            timings[name].append(time.perf_counter() - start)
            if len(outcome.findings) != 50_000 or "+49980 more" not in text:
                raise SystemExit(f"{name}: 50,000 findings were not all parsed")
    return {
        "version": statistics.median(version),
        "ruff": statistics.median(timings["ruff"]),
        "mypy": statistics.median(timings["mypy"]),
    }


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _versions(project: Project) -> str:
    def out(argv: list[str]) -> str:
        res = subprocess.run(argv, capture_output=True, text=True, cwd=project.root)
        return (res.stdout or res.stderr).strip().splitlines()[0]

    return ", ".join(
        [
            f"Python {platform.python_version()}",
            out([project.ruff, "--version"]),
            out([project.python, "-m", "mypy", "--version"]).split(" (")[0],
            "pytest " + out([project.python, "-m", "pytest", "--version"]).split()[-1],
            out([str(BIN / "pre-commit"), "--version"]),
        ]
    )


def _mark(value: float, target: float | None) -> str:
    if target is None:
        return f"{value:.2f}"
    return f"{value:.2f} ({'meets' if value <= target else 'misses'} ≤ {target:g})"


def render_results(
    rows: list[tuple[Project, Samples]],
    over: dict[str, float],
    *,
    reps: int,
    loads: tuple[str, str],
    versions: str,
    command: str,
    seconds: float,
) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"in {seconds / 60:.1f} min.",
        "",
        f"- Machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()}); "
        f"load average (1, 5, 15 min) {loads[0]} at the start, {loads[1]} at the end.",
        f"- Tools: {versions}.",
        f"- Medians of {reps} repetitions, interleaved. Full runs start with mypy's, pytest's "
        "and ruff's caches removed (cold); *warm* rows keep mypy's cache.",
        "- *bare* = `ruff check .`, `ruff format --check .`, `mypy app`, `pytest -q` one after "
        "another (the four commands CI runs); *pre-commit* = the same four as `repo: local` "
        "hooks, `pre-commit run --all-files`.",
        "",
        "## Seconds (median)",
        "",
        "| modules / tests | bare | guardrail -j1 --no-cache | guardrail --no-cache "
        "(parallel) | pre-commit | cache hit | bare, warm mypy | guardrail -j1, warm mypy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p, s in rows:
        lines.append(
            f"| {p.modules} / {p.tests} | {s.median('bare'):.2f} | {s.median('jobs1'):.2f} | "
            f"{s.median('parallel'):.2f} | {s.median('precommit'):.2f} | "
            f"{s.median('hit'):.3f} | {s.median('bare_warm'):.2f} | "
            f"{s.median('jobs1_warm'):.2f} |"
        )
    lines += [
        "",
        "## Ratios (target in brackets)",
        "",
        "| modules / tests | 1. guardrail -j1 / bare | 2. guardrail parallel / bare | "
        "3. cache hit / full run | 4. pre-commit / guardrail parallel | "
        "warm: guardrail -j1 / bare |",
        "|---|---|---|---|---|---|",
    ]
    for p, s in rows:
        hit = s.median("hit")
        lines.append(
            f"| {p.modules} / {p.tests} | "
            f"{_mark(s.median('jobs1') / s.median('bare'), TARGETS['jobs1'])} | "
            f"{_mark(s.median('parallel') / s.median('bare'), TARGETS['parallel'])} | "
            f"{_mark(hit / s.median('parallel'), TARGETS['hit'])}, "
            f"{hit:.3f} s ({'meets' if hit < 0.3 else 'misses'} < 0.3 s) | "
            f"{_mark(s.median('precommit') / s.median('parallel'), None)} | "
            f"{_mark(s.median('jobs1_warm') / s.median('bare_warm'), None)} |"
        )
    lines += ["", "## Every sample (seconds, in the order taken)", ""]
    for p, s in rows:
        for name, values in s.runs.items():
            shown = ", ".join(f"{v:.2f}" for v in values)
            lines.append(f"- {p.modules} modules, {name}: {shown}")
    lines += [
        "",
        "## The guardrail's own overhead",
        "",
        f"- `guardrail --version`: {over['version'] * 1000:.0f} ms (interpreter start included).",
        *(
            f"- Parsing and rendering 50,000 {tool} findings (500 files): {over[tool]:.2f} s "
            f"({'meets' if over[tool] < 1 else 'misses'} < 1 s)."
            for tool in ("ruff", "mypy")
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="50,200,800", help="module counts, comma-separated (tests: 2 per module)"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions per measurement")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    # As `pip install` does: else, with PYTHONDONTWRITEBYTECODE set (as on some machines), every
    # run of the editable checkout would compile the guardrail's own modules anew.
    compileall.compile_dir(str(REPO / "hooks"), quiet=1)
    started = time.perf_counter()
    load_start = _load()
    work = Path(tempfile.mkdtemp(prefix="guardrail-bench-"))
    rows: list[tuple[Project, Samples]] = []
    try:
        for size in sizes:
            print(f"bench: {size} modules: generating", flush=True)
            project = build(work / f"p{size}", size)
            print(f"bench: {size} modules: measuring ({args.reps} reps)", flush=True)
            samples = measure(project, args.reps, work / "pre-commit-home")
            rows.append((project, samples))
            print(
                f"bench: {size} modules: bare {samples.median('bare'):.2f}s, "
                f"-j1 {samples.median('jobs1'):.2f}s, parallel {samples.median('parallel'):.2f}s, "
                f"pre-commit {samples.median('precommit'):.2f}s, hit {samples.median('hit'):.3f}s",
                flush=True,
            )
        over = overhead(args.reps, work)
        versions = _versions(rows[0][0])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render_results(
        rows,
        over,
        reps=args.reps,
        loads=(load_start, _load()),
        versions=versions,
        command=command.strip(),
        seconds=time.perf_counter() - started,
    )
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
