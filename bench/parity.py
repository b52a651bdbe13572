"""The parity harness: does the guardrail give CI's verdict on real repositories' commits?

For each commit of a corpus it replays CI's own commands (the *oracle*: a manifest per repository
that copies them verbatim from the CI files, with file and line) on a fresh clone, in a fresh
environment, and beside them runs the guardrail under test twice on another fresh clone:
``guardrail run``, and a real ``git push`` through pre-commit's pre-push hook to a local bare
remote that already has the commit's parent. It compares, per check (ruff-check, ruff-format,
mypy, pytest with CI's coverage gate), the verdict and, for a failing check, the locations:
file:line of every mypy and ruff check finding, the files ruff format would change, and for
pytest the failing node ids with the deepest frame inside the project.

This file never imports the guardrail (``hooks``): the oracle shares no code with what it judges.
The guardrail is an executable given by path, so the harness can judge any build of it.

Set-up (once): a venv with the harness's own tools, uv and pre-commit::

    python3 -m venv /tmp/parity-venv
    /tmp/parity-venv/bin/pip install -r bench/parity_data/requirements.txt
    python3 -m venv /tmp/guardrail-venv && /tmp/guardrail-venv/bin/pip install /work/main

Use::

    PY=/tmp/parity-venv/bin/python
    $PY bench/parity.py entries tunix-rt                  # which CI entry each corpus commit uses
    $PY bench/parity.py oracle tunix-rt --commits bb2237d  # CI's verdict only (cached)
    $PY bench/parity.py run --guardrail /tmp/guardrail-venv/bin/guardrail \\
        --guardrail-commit $(git -C /work/main rev-parse --short HEAD) --label main
    $PY bench/parity.py run ... --no-settings --label main-nosettings
    $PY bench/parity.py run ... --mypy-pythons 3.8,3.9     # also CI's mypy in those matrix legs
    $PY bench/parity.py recompare --label main --repo httpx --pythons 3.11  # rows rebuilt, no rerun
    $PY bench/parity.py report                            # bench/PARITY.md from the results

Results go to ``bench/parity_data/results/<label>.json``; the oracle's verdicts are cached in
``bench/parity_data/oracle-cache/`` keyed by repository, commit and manifest entry, so a rerun
only reruns the guardrail. Scratch clones live under ``$PARITY_WORK`` (default
``/tmp/parity-work``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "parity_data"
MANIFESTS = DATA / "manifests"
CORPUS = Path(os.environ.get("PARITY_CORPUS", DATA / "corpus.toml"))
DIAGNOSES = DATA / "diagnoses.toml"
CACHE = DATA / "oracle-cache"
RESULTS = DATA / "results"
PLUGIN_DIR = DATA / "plugin"
PARITY_MD = BENCH / "PARITY.md"
NOTES = DATA / "notes.md"

CHECKS = ("ruff-check", "ruff-format", "mypy", "pytest")
STEP_KINDS = (*CHECKS, "coverage", "install", "setup")
# Bump when the oracle's replay or parsing changes: it invalidates the cache.
ORACLE_VERSION = 3
PYENV = Path("/root/.pyenv/versions")
STEP_TIMEOUT = 1800
GUARDRAIL_TIMEOUT = 2400
TAIL = 60


class ParityError(Exception):
    """A problem with the harness's input (manifest, corpus, arguments): shown as one line."""


# --------------------------------------------------------------------------------------------
# Running commands


@dataclass
class Proc:
    argv: list[str]
    cwd: str
    exit: int
    output: str
    seconds: float

    def tail(self, n: int = TAIL) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-n:])


def run(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = STEP_TIMEOUT,
    check: bool = False,
    stdin: str | None = None,
) -> Proc:
    """Run ``argv`` with stdout and stderr together, as a CI log shows them."""
    start = time.monotonic()
    try:
        done = subprocess.run(
            list(argv),
            cwd=cwd,
            env=env,
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            start_new_session=True,
            check=False,
        )
        proc = Proc(list(argv), str(cwd), done.returncode, done.stdout, time.monotonic() - start)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
        proc = Proc(list(argv), str(cwd), 124, out + "\n[parity: timed out]", timeout)
    if check and proc.exit != 0:
        raise ParityError(f"{shlex.join(argv)} (in {cwd}) exited {proc.exit}:\n{proc.tail(20)}")
    return proc


def git(repo: Path, *args: str, check: bool = True) -> str:
    return run(["git", "-C", str(repo), *args], repo, check=check).output.strip()


# --------------------------------------------------------------------------------------------
# Manifests: CI's commands, verbatim, with file and line


@dataclass(frozen=True)
class Step:
    kind: str  # one of STEP_KINDS
    ci: str  # the command exactly as the CI file writes it
    file: str
    line: int  # its line at the entry's first commit
    run: str  # what the replay runs: ``ci`` unless the manifest explains the difference
    env: dict[str, str]
    why: str  # why ``run`` differs from ``ci``, when it does
    counts: bool  # False: replayed for information only, it cannot give CI's verdict here


@dataclass(frozen=True)
class Job:
    name: str
    python: tuple[str, ...]  # the matrix
    interpreter: str  # "setup-python" (a venv outside the checkout on PATH) or "uv-project"
    workdir: str
    env: dict[str, str]
    steps: tuple[Step, ...]
    match: tuple[tuple[str, str], ...]  # (file, text) lines that must be in the commit's CI
    artifacts: str  # a folder (relative to workdir) each leg hands to later jobs
    inputs: str  # where this job receives the earlier legs' artifacts


@dataclass(frozen=True)
class UserEnv:
    """The project environment a developer has on the guardrail side."""

    python: str
    workdir: str
    venv: str  # relative to the repository root; "" when the install command makes it
    install: str


@dataclass(frozen=True)
class Settings:
    """What a user writes after ``guardrail init --from-ci`` (until CI's plan is derived)."""

    hook_args: tuple[str, ...]
    pyproject: dict[str, dict[str, Any]]  # file -> {"mypy.targets": [...]} under [tool.guardrail]
    source: str


@dataclass(frozen=True)
class Entry:
    id: str
    first: str
    note: str
    jobs: tuple[Job, ...]
    user: UserEnv
    settings: Settings
    raw: dict[str, Any]

    def key(self, pythons: Sequence[str], extra: dict[str, Any]) -> str:
        blob = json.dumps(
            {"entry": self.raw, "pythons": list(pythons), "v": ORACLE_VERSION, **extra},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Manifest:
    name: str  # short name: tunix-rt
    repo: str  # owner/name
    mirror: Path
    entries: tuple[Entry, ...]
    pytest_deselect: str  # a -m expression both sides add (tests that need the network)
    deselect_why: str
    path: Path
    # The coverage gate counts although the deselection lowers the total: both sides replay it
    # with the same tests deselected (a table outside the entries, so cached replays stay valid).
    coverage_counts: bool = False


def _need(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ParityError(f"{where}: missing key {key!r}")
    return table[key]


def _str_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ParityError(f"{where}: must be a table of strings")
    return dict(value)


def load_manifest(name: str) -> Manifest:
    path = MANIFESTS / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in MANIFESTS.glob("*.toml")))
        raise ParityError(f"no manifest {path}; known: {known}")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ParityError(f"{path}: not valid TOML ({exc})") from exc
    entries = []
    resolved: dict[str, dict[str, Any]] = {}
    for i, given in enumerate(_need(data, "entry", str(path))):
        where = f"{path.name} entry #{i + 1}"
        raw = given
        if "extends" in given:
            if given["extends"] not in resolved:
                raise ParityError(f"{where}: extends {given['extends']!r}, not an earlier entry")
            raw = _extend(resolved[given["extends"]], given)
        resolved[_need(raw, "id", where)] = raw
        default_file = raw.get("file", "")
        jobs = []
        for j in _need(raw, "job", where):
            jwhere = f"{where} job {j.get('name', '?')}"
            steps = []
            for s in _need(j, "step", jwhere):
                kind = _need(s, "check", jwhere)
                if kind not in STEP_KINDS:
                    raise ParityError(f"{jwhere}: check {kind!r} is not one of {STEP_KINDS}")
                ci = _need(s, "ci", jwhere)
                steps.append(
                    Step(
                        kind=kind,
                        ci=ci,
                        file=s.get("file", default_file),
                        line=int(_need(s, "line", jwhere)),
                        run=s.get("run", ci),
                        env=_str_map(s.get("env", {}), f"{jwhere} step env"),
                        why=s.get("why", ""),
                        counts=bool(s.get("counts", True)),
                    )
                )
            interpreter = j.get("interpreter", "setup-python")
            if interpreter not in ("setup-python", "uv-project"):
                raise ParityError(f"{jwhere}: interpreter must be setup-python or uv-project")
            jobs.append(
                Job(
                    name=_need(j, "name", jwhere),
                    python=tuple(_need(j, "python", jwhere)),
                    interpreter=interpreter,
                    workdir=j.get("workdir", "."),
                    env=_str_map(j.get("env", {}), f"{jwhere} env"),
                    steps=tuple(steps),
                    match=tuple(
                        (m.get("file", default_file), _need(m, "text", jwhere))
                        for m in j.get("match", [])
                    ),
                    artifacts=j.get("artifacts", ""),
                    inputs=j.get("inputs", ""),
                )
            )
        user = _need(raw, "user", where)
        settings = raw.get("settings", {})
        entries.append(
            Entry(
                id=_need(raw, "id", where),
                first=_need(raw, "first", where),
                note=raw.get("note", ""),
                jobs=tuple(jobs),
                user=UserEnv(
                    python=_need(user, "python", f"{where} user"),
                    workdir=user.get("workdir", "."),
                    venv=user.get("venv", ""),
                    install=_need(user, "install", f"{where} user"),
                ),
                settings=Settings(
                    hook_args=tuple(settings.get("hook_args", [])),
                    pyproject=dict(settings.get("pyproject", {})),
                    source=settings.get("source", ""),
                ),
                raw=raw,
            )
        )
    mirror = Path(os.environ.get(f"PARITY_MIRROR_{name.upper().replace('-', '_')}", ""))
    if not str(mirror) or str(mirror) == ".":
        mirror = Path(_need(data, "mirror", str(path)))
    deselect = data.get("pytest_deselect", {})
    return Manifest(
        name=name,
        repo=_need(data, "repo", str(path)),
        mirror=mirror,
        entries=tuple(entries),
        pytest_deselect=deselect.get("marker_expression", ""),
        deselect_why=deselect.get("why", ""),
        path=path,
        coverage_counts=bool(deselect.get("coverage_counts", False)),
    )


def _extend(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on top: tables merge, jobs merge by name, the rest replaces
    (a job's ``step`` list is replaced whole)."""
    out = dict(base)
    for key, value in over.items():
        if key == "extends":
            continue
        if key == "job":
            jobs = {j["name"]: j for j in base.get("job", [])}
            for job in value:
                jobs[job["name"]] = _extend(jobs.get(job["name"], {}), job)
            out["job"] = list(jobs.values())
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _extend(base[key], value)
        else:
            out[key] = value
    return out


def _normal(line: str) -> str:
    """A CI file's line reduced to its command: YAML ``- run:``, quotes and tabs removed."""
    text = line.strip()
    for prefix in ("- run:", "run:"):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
                text = text[1:-1]
            break
    return text.strip()


@dataclass
class Selection:
    entry: Entry
    lines: dict[str, int]  # "file:ci text" (and "file:ci text:line") -> its line at this commit

    def cite(self, step: Step) -> str:
        """``file:line`` of the step at this commit: of its occurrences, the nearest to the
        manifest's line (``make test`` is there twice, with and without PyYAML)."""
        prefix = f"{step.file}:{step.ci}:"
        found = [n for k, n in self.lines.items() if k.startswith(prefix)]
        line = min(found, key=lambda n: abs(n - step.line)) if found else step.line
        return f"{step.file}:{line}"


def select_entry(manifest: Manifest, repo: Path, sha: str) -> Selection:
    """The manifest entry whose every command is, verbatim, in this commit's CI files."""
    files: dict[str, list[str] | None] = {}

    def lines_of(name: str) -> list[str] | None:
        if name not in files:
            shown = run(["git", "-C", str(repo), "show", f"{sha}:{name}"], repo)
            files[name] = shown.output.splitlines() if shown.exit == 0 else None
        return files[name]

    misses = []
    for entry in reversed(manifest.entries):
        found: dict[str, int] = {}
        missing = []
        wanted = [(s.file, s.ci) for j in entry.jobs for s in j.steps]
        wanted += [m for j in entry.jobs for m in j.match]
        for name, text in wanted:
            content = lines_of(name)
            where = [i + 1 for i, ln in enumerate(content or []) if _normal(ln) == text]
            if where:
                found[f"{name}:{text}"] = where[0]
                found.update({f"{name}:{text}:{n}": n for n in where})
            else:
                missing.append(f"{name}: {text}")
        if not missing:
            return Selection(entry, found)
        misses.append(f"{entry.id}: {missing[0]}")
    raise ParityError(
        f"{manifest.name} {sha[:10]}: no manifest entry matches its CI files "
        f"({'; '.join(misses)}); add an entry to {manifest.path}"
    )


# --------------------------------------------------------------------------------------------
# Locations, parsed from CI's own output as a person reads the log


_RUFF_OLD = re.compile(
    r"^(?P<path>[^\s:][^:\n]*?):(?P<line>\d+):(?P<col>\d+): (?:[A-Z]+[0-9]+\b|SyntaxError|E999)",
    re.MULTILINE,
)
_RUFF_ARROW = re.compile(r"^\s*-->\s*(?P<path>[^:\n]+?):(?P<line>\d+):(?P<col>\d+)", re.MULTILINE)
_RUFF_FORMAT = re.compile(r"^Would reformat: (?P<path>.+?)\s*$", re.MULTILINE)
_DIFF_HEADER = re.compile(r"^--- (?P<a>\S[^\n]*)\n\+\+\+ (?P<b>\S[^\n]*)$", re.MULTILINE)
_FORMAT_ERROR = re.compile(r"^error: Failed to (?:parse|format) (?P<path>[^:\n]+?):", re.MULTILINE)
_MYPY = re.compile(
    r"^(?P<path>[^:\n]+?):(?P<line>\d+)(?::\d+)?(?::\d+:\d+)?: error: ", re.MULTILINE
)
_COVERAGE_FAIL = re.compile(r"(?:Coverage failure|FAIL Required test coverage|\[FAIL\]).*$", re.M)


def _repo_rel(path: str, cwd: str, root: Path) -> str:
    p = Path(path.strip())
    full = (root / cwd / p) if not p.is_absolute() else p
    try:
        return Path(os.path.normpath(full)).relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


def parse_ruff_check(output: str, cwd: str, root: Path) -> list[str]:
    found = {
        f"{_repo_rel(m['path'], cwd, root)}:{m['line']}"
        for pattern in (_RUFF_OLD, _RUFF_ARROW)
        for m in pattern.finditer(output)
    }
    return sorted(found)


def parse_ruff_format(output: str, cwd: str, root: Path) -> list[str]:
    paths = {m["path"] for m in _RUFF_FORMAT.finditer(output)}
    paths |= {m["b"].split("\t")[0] for m in _DIFF_HEADER.finditer(output)}
    paths |= {m["path"] for m in _FORMAT_ERROR.finditer(output)}
    return sorted({_repo_rel(p, cwd, root) for p in paths})


def parse_mypy(output: str, cwd: str, root: Path) -> list[str]:
    found = {f"{_repo_rel(m['path'], cwd, root)}:{m['line']}" for m in _MYPY.finditer(output)}
    return sorted(found)


def read_observer(path: Path) -> tuple[list[str], int | None]:
    """The observer plugin's failures as ``nodeid @ file:line``, and pytest's exit status."""
    if not path.is_file():
        return [], None
    failures, status = set(), None
    for raw in path.read_text().splitlines():
        record = json.loads(raw)
        if record["kind"] == "session":
            status = record["exitstatus"]
            continue
        frame = record.get("frame")
        where = f"{frame[0]}:{frame[1]}" if frame else "?"
        failures.add(f"{record['nodeid']} @ {where}")
    return sorted(failures), status


# --------------------------------------------------------------------------------------------
# Interpreters and environments


def interpreters() -> dict[str, Path]:
    """``"3.12" -> /root/.pyenv/versions/3.12.1/bin/python`` for every Python on the machine."""
    found: dict[str, tuple[tuple[int, ...], Path]] = {}
    if PYENV.is_dir():
        for version in PYENV.iterdir():
            m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version.name)
            exe = version / "bin" / "python"
            if m and exe.is_file():
                key = f"{m[1]}.{m[2]}"
                nums = tuple(int(x) for x in m.groups())
                if key not in found or nums > found[key][0]:
                    found[key] = (nums, exe)
    return {k: v[1] for k, v in sorted(found.items())}


def tool(name: str) -> Path:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    if not found:
        raise ParityError(
            f"{name} not found beside {sys.executable} or on PATH; see bench/PARITY.md"
        )
    return Path(found)


@dataclass
class Work:
    """Scratch folders under $PARITY_WORK; fixed paths per repository, so coverage data and
    absolute paths are the same in every leg, as on CI's runners."""

    root: Path

    def for_repo(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def bin_dir(self, version: str, python: Path) -> Path:
        """A folder with just ``python``/``python3``/``pythonX.Y`` and uv: never the pyenv bin
        folder itself, which holds globally installed tools (ruff, pytest) CI does not have."""
        path = self.root / "bin" / version
        path.mkdir(parents=True, exist_ok=True)
        for name in ("python", "python3", f"python{version}"):
            link = path / name
            if not link.is_symlink():
                link.symlink_to(python)
        uv = path / "uv"
        if not uv.is_symlink():
            uv.symlink_to(tool("uv"))
        return path


def base_env(work: Work, home: Path, bin_dir: Path) -> dict[str, str]:
    tmp = work.root / "tmp"
    tmp.mkdir(exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "TMPDIR": str(tmp),
        "UV_CACHE_DIR": str(work.root / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **machine_network_env(),
    }


def machine_network_env() -> dict[str, str]:
    """This machine's way to reach the package index (its CA bundle, a proxy): what a CI
    runner has in its system trust store, so it is passed to both sides."""
    keep = re.compile(
        r"SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|PIP_CERT|"
        r"(HTTPS?|NO|ALL)_PROXY",
        re.IGNORECASE,
    )
    return {k: v for k, v in os.environ.items() if keep.fullmatch(k)}


@contextlib.contextmanager
def machine_pythons_untouched() -> Iterator[None]:
    """Fail loudly if a step installed into one of the machine's interpreters (pyenv's
    site-packages), which every replay must leave alone."""

    def snapshot() -> dict[Path, set[str]]:
        return {
            sp: set(os.listdir(sp))
            for sp in PYENV.glob("*/lib/python*/site-packages")
            if sp.is_dir()
        }

    before = snapshot()
    yield
    after = snapshot()
    changed = {
        str(sp): sorted(after[sp] ^ before.get(sp, set()))[:8]
        for sp in after
        if after[sp] != before.get(sp, set())
    }
    if changed:
        raise ParityError(f"a replay step changed the machine's Python: {changed}; undo it")


def fresh_clone(mirror: Path, dest: Path, sha: str) -> None:
    """A clone of ``sha`` sharing the mirror's objects; no remotes, as a CI checkout."""
    if dest.exists():
        shutil.rmtree(dest)
    run(
        ["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(dest)],
        dest.parent,
        check=True,
    )
    git(dest, "remote", "remove", "origin")
    git(dest, "-c", "advice.detachedHead=false", "checkout", "-q", "-B", "main", sha)


def commit_info(mirror: Path, sha: str) -> tuple[str, str, str, str]:
    """(full sha, committer date ISO, first parent, subject)."""
    out = git(mirror, "show", "-s", "--format=%H%n%cI%n%P%n%s", sha)
    full, date, parents, subject = [*out.splitlines(), "", "", ""][:4]
    return full, date, (parents.split() or [""])[0], subject


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


# --------------------------------------------------------------------------------------------
# The oracle: CI's commands on a fresh clone


@dataclass
class StepResult:
    job: str
    python: str
    kind: str
    ci: str
    cite: str  # file:line at this commit
    run: str
    exit: int
    seconds: float
    locations: list[str]
    tail: str
    ci_would_stop: bool = False  # an earlier step of this leg failed: CI would not get here
    counts: bool = True  # False: shown, but not part of CI's verdict (cannot be replayed here)


@dataclass
class OracleResult:
    repo: str
    sha: str
    entry: str
    key: str
    date: str
    pythons: list[str]
    steps: list[StepResult]
    versions: dict[str, dict[str, str]]  # leg -> tool -> version
    seconds: float
    note: str = ""

    def verdicts(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        installs_failed = [s for s in self.steps if s.kind == "install" and s.exit != 0]
        for check in CHECKS:
            kinds = ("pytest", "coverage") if check == "pytest" else (check,)
            steps = [s for s in self.steps if s.kind in kinds and s.counts]
            # A CI job stops at its failing test step: the coverage gate after it never runs
            # there (the replay runs it to give every check a verdict, and drops it here).
            tests_failed = {(s.job, s.python) for s in steps if s.kind == "pytest" and s.exit}
            steps = [
                s for s in steps if s.kind != "coverage" or (s.job, s.python) not in tests_failed
            ]
            if not steps:
                out[check] = {"verdict": "absent", "locations": [], "legs": {}}
                continue
            failing = [s for s in steps if s.exit != 0]
            legs: dict[str, str] = {}
            for s in steps:
                leg = f"{s.job}/py{s.python}"
                legs[leg] = "fail" if s.exit != 0 or legs.get(leg) == "fail" else "pass"
            locations = sorted({loc for s in failing for loc in _step_locations(s)})
            verdict = "fail" if failing else "pass"
            if installs_failed and failing:
                verdict = "error"
            out[check] = {"verdict": verdict, "locations": locations, "legs": legs}
        return out


_PYTEST_COV_FAILED = re.compile(
    r"Required test coverage of [\d.]+% not reached|Coverage failure: total of [\d.]+ is less"
)


def _step_locations(step: StepResult) -> list[str]:
    """A failed step's locations; a pytest step that pytest-cov failed (``fail_under``) also
    names the coverage gate, read from the end of its output as a developer reads it."""
    if step.kind == "pytest" and _PYTEST_COV_FAILED.search(step.tail):
        return [*step.locations, "coverage gate"]
    return step.locations


def _versions(env: dict[str, str], cwd: Path, interpreter: str) -> dict[str, str]:
    out = {}
    for name, argv in {
        "python": ["python", "--version"],
        "ruff": ["ruff", "--version"],
        "mypy": ["mypy", "--version"],
        "pytest": ["python", "-m", "pytest", "--version"],
        "coverage": ["python", "-m", "coverage", "--version"],
    }.items():
        full = ["uv", "run", "--no-sync", *argv] if interpreter == "uv-project" else argv
        proc = run(full, cwd, env, timeout=120)
        text = proc.output.strip().splitlines()
        line = next((ln for ln in text if re.search(r"\d+\.\d+", ln)), "")
        m = re.search(r"(\d+\.\d+(?:\.\d+)?\w*)", line)
        out[name] = m[1] if proc.exit == 0 and m else "?"
    return out


@dataclass
class Leg:
    """One matrix leg of one job: a fresh clone at a fixed path, CI's env, its Python."""

    manifest: Manifest
    sel: Selection
    job: Job
    version: str
    python: Path
    base: Path  # $PARITY_WORK/<repo>/oracle
    values: dict[str, str]
    kinds: Sequence[str] = ()  # only these step kinds (besides install and setup): a quick scan

    @property
    def src(self) -> Path:
        return self.base / "src"

    def env(self, work: Work) -> dict[str, str]:
        env = base_env(work, self.base / "home", work.bin_dir(self.version, self.python))
        env |= {"CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux"}
        if self.job.interpreter == "uv-project":
            # A version request, as setup-uv sets it: uv finds the interpreter on PATH, and its
            # `uv pip` commands then act on the project's .venv, never on that interpreter.
            env["UV_PYTHON"] = self.version
        else:
            # setup-python's interpreter: a venv outside the checkout, first on PATH
            venv = self.base / "python"
            if venv.exists():
                shutil.rmtree(venv)
            run(["uv", "venv", "-q", "-p", str(self.python), str(venv)], self.base, env, check=True)
            env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
            env |= {"VIRTUAL_ENV": str(venv), "UV_PYTHON": str(venv / "bin" / "python")}
        return env | {k: fill(v, self.values) for k, v in self.job.env.items()}

    def step_env(self, env: dict[str, str], step: Step, observer: Path) -> dict[str, str]:
        out = env | {k: fill(v, self.values) for k, v in step.env.items()}
        if step.kind != "pytest":
            return out
        addopts = "-p parity_pytest_observer"
        if self.manifest.pytest_deselect:
            addopts += " -m " + shlex.quote(self.manifest.pytest_deselect)
        return out | {
            "PYTHONPATH": str(PLUGIN_DIR),
            "PYTEST_ADDOPTS": addopts,
            "PARITY_PYTEST_OUT": str(observer),
            "PARITY_REPO_ROOT": str(self.src),
        }

    def run(self, work: Work, sha: str, artifacts: Path, log: Log) -> list[StepResult]:
        log(f"  oracle {self.job.name} py{self.version}")
        fresh_clone(self.manifest.mirror, self.src, sha)
        env = self.env(work)
        cwd = self.src / self.job.workdir
        if self.job.inputs and artifacts.is_dir():
            shutil.copytree(artifacts, cwd / self.job.inputs, dirs_exist_ok=True)
        results: list[StepResult] = []
        failed_before = install_failed = False
        observer = self.base / "observer.jsonl"
        for step in self.job.steps:
            if self.kinds and step.kind not in (*self.kinds, "install", "setup"):
                continue
            observer.unlink(missing_ok=True)
            command = fill(step.run, self.values)
            if install_failed:
                proc = Proc([], str(cwd), 125, "[parity: not run, the install step failed]", 0)
            else:
                argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command]
                with machine_pythons_untouched():
                    proc = run(argv, cwd, self.step_env(env, step, observer))
            line = self.sel.cite(step)
            results.append(
                StepResult(
                    job=self.job.name,
                    python=self.version,
                    kind=step.kind,
                    ci=step.ci,
                    cite=line,
                    run=command,
                    exit=proc.exit,
                    seconds=round(proc.seconds, 2),
                    locations=oracle_locations(
                        step.kind, proc.output, self.job.workdir, self.src, observer
                    ),
                    tail=proc.tail(),
                    ci_would_stop=failed_before,
                    counts=step.counts,
                )
            )
            if proc.exit != 0:
                failed_before = True
                install_failed = install_failed or step.kind == "install"
            log(f"    {step.kind:<11} exit {proc.exit:<3} {proc.seconds:6.1f}s  {command}")
        if self.job.artifacts and (cwd / self.job.artifacts).is_dir():
            shutil.copytree(cwd / self.job.artifacts, artifacts, dirs_exist_ok=True)
        self.versions = {} if install_failed else _versions(env, cwd, self.job.interpreter)
        return results

    versions: dict[str, str] = field(default_factory=dict)


def run_oracle(
    manifest: Manifest,
    work: Work,
    sha: str,
    pythons: Sequence[str],
    log: Log,
    jobs: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> OracleResult:
    """CI's commands at ``sha``: each job, each matrix Python found here, in CI's step order.

    Every step runs even after an earlier one failed (each check gets a verdict), but it is
    marked ``ci_would_stop``; writes of earlier steps (ruff's ``fix = true``) stay in the
    checkout, as on CI.
    """
    full, date, _, _ = commit_info(manifest.mirror, sha)
    sel = select_entry(manifest, manifest.mirror, full)
    found = interpreters()
    base = work.for_repo(manifest.name) / "oracle"
    base.mkdir(exist_ok=True)
    artifacts = base / "artifacts"
    if artifacts.exists():
        shutil.rmtree(artifacts)
    results: list[StepResult] = []
    versions: dict[str, dict[str, str]] = {}
    start = time.monotonic()
    for job in [j for j in sel.entry.jobs if not jobs or j.name in jobs]:
        for version in [p for p in job.python if p in pythons and p in found]:
            values = {
                "date": date,
                "version": version,
                "os": "Linux",
                "python": str(found[version]),
            }
            leg = Leg(manifest, sel, job, version, found[version], base, values, kinds)
            results += leg.run(work, full, artifacts, log)
            versions[f"{job.name}/py{version}"] = leg.versions
    return OracleResult(
        repo=manifest.name,
        sha=full,
        entry=sel.entry.id,
        key="",
        date=date,
        pythons=[p for p in pythons if p in found],
        steps=results,
        versions=versions,
        seconds=round(time.monotonic() - start, 1),
    )


def oracle_locations(kind: str, output: str, workdir: str, root: Path, observer: Path) -> list[str]:
    if kind == "ruff-check":
        return parse_ruff_check(output, workdir, root)
    if kind == "ruff-format":
        return parse_ruff_format(output, workdir, root)
    if kind == "mypy":
        return parse_mypy(output, workdir, root)
    if kind == "pytest":
        return read_observer(observer)[0]
    if kind == "coverage":
        return ["coverage gate"]
    return []


def cache_path(manifest: Manifest, sha: str, key: str) -> Path:
    return CACHE / manifest.name / f"{sha[:12]}-{key}.json"


def oracle_cached(
    manifest: Manifest,
    work: Work,
    sha: str,
    pythons: Sequence[str],
    runs: int,
    log: Log,
    jobs: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> list[OracleResult]:
    """The oracle's results for ``sha`` (at least ``runs`` of them), from the cache if there."""
    full = commit_info(manifest.mirror, sha)[0]
    entry = select_entry(manifest, manifest.mirror, full).entry
    extra: dict[str, Any] = {"deselect": manifest.pytest_deselect}
    if jobs:
        extra["jobs"] = sorted(jobs)
    if kinds:
        extra["kinds"] = sorted(kinds)
    key = entry.key(pythons, extra)
    path = cache_path(manifest, full, key)
    stored: list[dict[str, Any]] = json.loads(path.read_text())["runs"] if path.is_file() else []
    results = [_oracle_from(d) for d in stored]
    for step in (s for r in results for s in r.steps):
        step.counts = step.counts or (step.kind == "coverage" and manifest.coverage_counts)
    while len(results) < runs:
        log(f"{manifest.name} {full[:10]}: oracle run {len(results) + 1} ({entry.id})")
        result = run_oracle(manifest, work, full, pythons, log, jobs, kinds)
        result.key = key
        for step in result.steps:
            step.counts = step.counts or (step.kind == "coverage" and manifest.coverage_counts)
        results.append(result)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "repo": manifest.name,
            "sha": full,
            "entry": entry.id,
            "key": key,
            "runs": [asdict(r) for r in results],
        }
        path.write_text(json.dumps(doc, indent=1) + "\n")
    return results


def _oracle_from(d: dict[str, Any]) -> OracleResult:
    steps = [StepResult(**s) for s in d["steps"]]
    return OracleResult(**{**d, "steps": steps})


# --------------------------------------------------------------------------------------------
# The guardrail side: `guardrail run` and a real push through pre-commit


@dataclass
class GuardrailResult:
    route: str  # run | push
    exit: int
    seconds: float
    checks: dict[str, dict[str, Any]]  # check -> {"status", "locations", "message"}
    tools: dict[str, str]
    tail: str
    tree_changed: list[str] = field(default_factory=list)
    pushed: bool | None = None


_SUMMARY = re.compile(
    r"^\s+(?:ok|FAIL|ERROR|skip|--|\S+)\s+(?P<check>ruff-check|ruff-format|mypy|pytest)"
    r"(?:\s+\(\S+\))?\s+(?P<status>passed|failed|error|skipped|not run)\b",
    re.MULTILINE,
)


def guardrail_checks(
    report: Path, output: str, workdir: str
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per check: the status and locations the guardrail reported (its JSON, else its summary)."""
    checks: dict[str, dict[str, Any]] = {}
    tools: dict[str, str] = {}
    if report.is_file():
        try:
            doc = json.loads(report.read_text())
        except json.JSONDecodeError:
            doc = {}
        for project in doc.get("projects", []):
            tools |= {
                t["name"]: f"{t['version']} ({t['source']})" for t in project.get("tools", [])
            }
            if project.get("python_version"):
                tools["python"] = str(project["python_version"])
        for c in doc.get("checks", []):
            name = c["name"]
            prior = checks.get(name)
            entry = {
                "status": c["status"],
                "locations": _guardrail_locations(name, c),
                "message": c.get("message") or "",
                "project": c.get("project", "."),
            }
            if prior is None or STATUS_RANK.get(c["status"], 0) > STATUS_RANK.get(
                prior["status"], 0
            ):
                checks[name] = entry
        if checks:
            return checks, tools
    for m in _SUMMARY.finditer(output):
        checks[m["check"]] = {"status": m["status"], "locations": [], "message": "(from summary)"}
    return checks, tools


STATUS_RANK = {"not run": 0, "skipped": 1, "passed": 2, "failed": 3, "error": 4}


def _guardrail_locations(check: str, c: dict[str, Any]) -> list[str]:
    out = set()
    project = c.get("project") or "."
    for f in c.get("findings", []):
        if f.get("blocking") is False:
            continue
        if check == "ruff-format":
            out.add(str(f["path"]))
        elif check == "pytest":
            test_id = f.get("test_id")
            if not test_id:
                code = str(f.get("code") or "")
                if "cov" in code.lower() or "coverage" in str(f.get("message", "")).lower():
                    out.add("coverage gate")
                else:
                    out.add(f"{f.get('path')}:{f.get('line')} {code}")
                continue
            if project != "." and not test_id.startswith(project + "/"):
                test_id = f"{project}/{test_id}"
            where = f"{f['path']}:{f['line']}" if f.get("path") and f.get("line") else "?"
            out.add(f"{test_id} @ {where}")
        else:
            out.add(f"{f.get('path')}:{f.get('line')}")
    return sorted(out)


def _append_settings(path: Path, table: dict[str, Any]) -> None:
    """``[tool.guardrail]`` keys appended to a pyproject.toml (dotted keys: ``mypy.targets``)."""
    sections: dict[str, list[str]] = {}
    for dotted, value in table.items():
        section, _, key = dotted.rpartition(".")
        header = "tool.guardrail" + (f".{section}" if section else "")
        sections.setdefault(header, []).append(f"{key} = {json.dumps(value)}")
    text = path.read_text() if path.is_file() else ""
    if "[tool.guardrail" in text:
        raise ParityError(f"{path}: already has [tool.guardrail]; the harness will not merge")
    blocks = "".join(f"\n[{h}]\n" + "\n".join(lines) + "\n" for h, lines in sections.items())
    path.write_text(text.rstrip("\n") + "\n" + blocks)


def _commit_with_settings(clone: Path, base: str, settings: Settings) -> str:
    """``base`` plus the settings, as a new commit whose parent is ``base``."""
    git(clone, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", base)
    for rel, table in settings.pyproject.items():
        _append_settings(clone / rel, table)
    git(clone, "add", "-A", *settings.pyproject)
    git(
        clone,
        "-c",
        "user.name=parity",
        "-c",
        "user.email=parity@localhost",
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "guardrail settings (parity harness)",
    )
    return git(clone, "rev-parse", "HEAD")


def _graft(clone: Path, commit: str, parent: str) -> str:
    """A commit with ``commit``'s tree and message, re-parented on ``parent``."""
    tree = git(clone, "rev-parse", f"{commit}^{{tree}}")
    env = os.environ | {
        "GIT_AUTHOR_NAME": "parity",
        "GIT_AUTHOR_EMAIL": "parity@localhost",
        "GIT_COMMITTER_NAME": "parity",
        "GIT_COMMITTER_EMAIL": "parity@localhost",
    }
    proc = run(
        [
            "git",
            "-C",
            str(clone),
            "commit-tree",
            tree,
            "-p",
            parent,
            "-m",
            "corpus commit with guardrail settings (parity harness)",
        ],
        clone,
        env,
        check=True,
    )
    return proc.output.strip()


def prepare_guardrail_clone(
    manifest: Manifest, entry: Entry, work: Work, sha: str, use_settings: bool, log: Log
) -> tuple[Path, Path, str, str, str, dict[str, str]]:
    """A fresh clone at the commit to push (with the settings when asked), its project env as a
    developer makes it, and a bare remote at its parent. Returns (clone, remote, tip, parent of
    tip on the remote, python version, user env)."""
    full, date, parent, _ = commit_info(manifest.mirror, sha)
    base = work.for_repo(manifest.name) / "guardrail"
    base.mkdir(exist_ok=True)
    clone, remote = base / "src", base / "remote.git"
    fresh_clone(manifest.mirror, clone, full)
    tip, remote_tip = full, parent
    has_settings = bool(entry.settings.pyproject)
    if use_settings and has_settings:
        parent_with = _commit_with_settings(clone, parent, entry.settings)
        commit_with = _commit_with_settings(clone, full, entry.settings)
        tip, remote_tip = _graft(clone, commit_with, parent_with), parent_with
        git(clone, "-c", "advice.detachedHead=false", "checkout", "-q", "-B", "main", tip)
    if remote.exists():
        shutil.rmtree(remote)
    run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], base, check=True)
    (remote / "objects" / "info" / "alternates").write_text(
        f"{(manifest.mirror / 'objects').resolve()}\n"
    )
    if remote_tip == parent:
        git(remote, "update-ref", "refs/heads/main", parent)
    else:
        git(clone, "push", "-q", "--no-verify", str(remote), f"{remote_tip}:refs/heads/main")
    git(clone, "remote", "add", "origin", str(remote))
    git(clone, "fetch", "-q", "origin")
    git(clone, "branch", "-q", "--set-upstream-to=origin/main", "main")
    found = interpreters()
    version = entry.user.python
    bindir = work.bin_dir(version, found[version])
    env = base_env(work, base / "home", bindir)
    env["UV_PYTHON"] = version
    values = {"date": date, "version": version, "os": "Linux", "python": str(found[version])}
    cwd = clone / entry.user.workdir
    if entry.user.venv:
        venv = clone / entry.user.venv
        run(["uv", "venv", "-q", "-p", str(found[version]), str(venv)], cwd, env, check=True)
        # uv pip installs into UV_PYTHON's environment: the venv's, never the machine's Python
        env |= {"VIRTUAL_ENV": str(venv), "UV_PYTHON": str(venv / "bin" / "python")}
    log(f"  guardrail side: project env ({entry.user.install})")
    with machine_pythons_untouched():
        proc = run(
            [
                "bash",
                "--noprofile",
                "--norc",
                "-eo",
                "pipefail",
                "-c",
                fill(entry.user.install, values),
            ],
            cwd,
            env,
        )
    if proc.exit != 0:
        raise ParityError(f"the user's install failed at {sha[:10]}:\n{proc.tail(20)}")
    return clone, remote, tip, remote_tip, version, env


def _status(clone: Path) -> list[str]:
    return git(clone, "status", "--porcelain", "--untracked-files=all").splitlines()


def guardrail_env(work: Work, home: Path, deselect: str = "") -> dict[str, str]:
    """What a developer's shell gives the guardrail: no CI variables, no active venv; and the
    tests the machine cannot run deselected as on CI's side, with ``PYTEST_ADDOPTS`` (which the
    guardrail passes to pytest only when told to: ``--pass-env``)."""
    env = base_env(work, home, work.root / "bin" / "user")
    (work.root / "bin" / "user").mkdir(parents=True, exist_ok=True)
    env |= {"TERM": "dumb", "NO_COLOR": "1"}
    for key in ("UV_PYTHON_DOWNLOADS", "UV_NO_PROGRESS"):
        env.pop(key, None)
    if deselect:
        env["PYTEST_ADDOPTS"] = "-m " + shlex.quote(deselect)
    return env


def run_guardrail_routes(
    manifest: Manifest,
    entry: Entry,
    work: Work,
    sha: str,
    guardrail: Path,
    use_settings: bool,
    log: Log,
) -> tuple[GuardrailResult, GuardrailResult]:
    clone, remote, tip, remote_tip, _, _ = prepare_guardrail_clone(
        manifest, entry, work, sha, use_settings, log
    )
    base = clone.parent
    args = list(entry.settings.hook_args) if use_settings else []
    if manifest.pytest_deselect:
        # Not --pytest-arg: a hook arg, which CI's own pytest arguments outrank.
        args.append("--pass-env=PYTEST_ADDOPTS")
    workdir = entry.user.workdir

    # guardrail run, in the clone, as a developer types it
    report = base / "run.json"
    report.unlink(missing_ok=True)
    env = guardrail_env(work, base / "home-run", manifest.pytest_deselect)
    env["XDG_CACHE_HOME"] = str(base / "xdg-run")
    shutil.rmtree(base / "xdg-run", ignore_errors=True)
    before = _status(clone)
    argv = [str(guardrail), "run", f"--report=json={report}", *args]
    log(f"  guardrail run {shlex.join(args)}")
    proc = run(argv, clone, env, timeout=GUARDRAIL_TIMEOUT)
    after = _status(clone)
    checks, tools = guardrail_checks(report, proc.output, workdir)
    changed = sorted(set(after) ^ set(before))
    ran = GuardrailResult(
        "run", proc.exit, round(proc.seconds, 1), checks, tools, proc.tail(80), changed
    )
    if changed:
        git(clone, "checkout", "-q", "--", ".")
        git(clone, "clean", "-qfd", "-e", entry.user.venv or ".venv")

    # git push through pre-commit's pre-push hook, the config outside the clone
    report = base / "push.json"
    report.unlink(missing_ok=True)
    config = base / "pre-commit-config.yaml"
    entry_cmd = shlex.join([str(guardrail), "run", f"--report=json={report}", *args])
    config.write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: guardrail\n"
        "        name: guardrail\n"
        f"        entry: {json.dumps(entry_cmd)}\n"
        "        language: system\n"
        "        pass_filenames: false\n"
        "        always_run: true\n"
        "        require_serial: true\n"
        "        verbose: true\n"
        "        stages: [pre-push]\n"
    )
    env = guardrail_env(work, base / "home-push", manifest.pytest_deselect)
    env["XDG_CACHE_HOME"] = str(base / "xdg-push")
    shutil.rmtree(base / "xdg-push", ignore_errors=True)
    run(
        [str(tool("pre-commit")), "install", "--hook-type", "pre-push", "-c", str(config)],
        clone,
        env,
        check=True,
    )
    log("  git push (pre-commit pre-push hook)")
    proc = run(["git", "push", "origin", "main"], clone, env, timeout=GUARDRAIL_TIMEOUT)
    landed = git(remote, "rev-parse", "refs/heads/main")
    checks, tools = guardrail_checks(report, proc.output, workdir)
    pushed = GuardrailResult(
        "push",
        proc.exit,
        round(proc.seconds, 1),
        checks,
        tools,
        proc.tail(80),
        pushed=landed == tip,
    )
    if landed not in (tip, remote_tip):
        raise ParityError(f"remote main is {landed}, neither the tip nor its parent")
    return ran, pushed


# --------------------------------------------------------------------------------------------
# Comparison


def compare_check(ci: dict[str, Any], g: dict[str, Any] | None) -> tuple[str, str]:
    """("match" | "false block" | "false green" | "locations", reason) for one check."""
    verdict = ci["verdict"]
    status = g["status"] if g else "not checked"
    blocks = status in ("failed", "error")
    if verdict == "absent":
        return (
            ("false block", f"CI does not run it; guardrail {status}") if blocks else ("match", "")
        )
    if verdict == "pass":
        if blocks:
            return "false block", f"CI passes; guardrail {status}: {g['message'] if g else ''}"
        return "match", ""
    if not blocks:
        return "false green", f"CI fails; guardrail {status}"
    if verdict == "error":
        return "match", "CI's install failed; the guardrail blocks"
    ci_locs = set(ci["locations"])
    g_locs = set(g["locations"]) if g else set()
    # A test that failed with no frame of the project in its traceback (pytest's unraisable
    # exception warning at teardown) is "@ ?" on CI's side: its node id alone is compared.
    unframed = {loc.removesuffix(" @ ?") for loc in ci_locs if loc.endswith(" @ ?")}
    g_locs = {
        loc.partition(" @ ")[0] if loc.partition(" @ ")[0] in unframed else loc for loc in g_locs
    }
    ci_locs = {loc.removesuffix(" @ ?") if loc.endswith(" @ ?") else loc for loc in ci_locs}
    if status == "error" and not g_locs:
        return "locations", f"guardrail error instead of findings: {g['message'] if g else ''}"
    if ci_locs != g_locs:
        only_ci = sorted(ci_locs - g_locs)
        only_g = sorted(g_locs - ci_locs)
        return "locations", f"only CI: {only_ci[:6]}; only guardrail: {only_g[:6]}"
    return "match", ""


def compare(oracle: OracleResult, route: GuardrailResult) -> dict[str, dict[str, str]]:
    verdicts = oracle.verdicts()
    return {
        check: dict(
            zip(
                ("result", "reason"),
                compare_check(verdicts[check], route.checks.get(check)),
                strict=True,
            )
        )
        for check in CHECKS
    }


# --------------------------------------------------------------------------------------------
# Corpus, results, report


@dataclass(frozen=True)
class CorpusCommit:
    repo: str
    sha: str
    role: str  # fail | fix | pass
    why: str
    pair: str  # the fix of a fail commit, the fail commit of a fix
    cannot_agree: str


def load_corpus(path: Path = CORPUS) -> list[CorpusCommit]:
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text())
    out = []
    for i, c in enumerate(data.get("commit", [])):
        where = f"{path.name} commit #{i + 1}"
        role = c.get("role", "pass")
        if role not in ("fail", "fix", "pass"):
            raise ParityError(f"{where}: role must be fail, fix or pass")
        out.append(
            CorpusCommit(
                repo=_need(c, "repo", where),
                sha=_need(c, "sha", where),
                role=role,
                why=c.get("why", ""),
                pair=c.get("pair", ""),
                cannot_agree=c.get("cannot_agree", ""),
            )
        )
    return out


class Log:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


def results_path(label: str) -> Path:
    return RESULTS / f"{label}.json"


def load_results(label: str) -> dict[str, Any]:
    path = results_path(label)
    if path.is_file():
        return dict(json.loads(path.read_text()))
    return {"label": label, "rows": {}}


def save_results(doc: dict[str, Any], keys: Sequence[str]) -> None:
    """Write this run's rows ``keys`` into the label's file under a lock, keeping the rows other
    runs of the same label (another repository, in parallel) wrote meanwhile."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = results_path(doc["label"])
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = load_results(doc["label"])
        rows = current.get("rows", {}) | {k: doc["rows"][k] for k in keys if k in doc["rows"]}
        merged = current | {k: v for k, v in doc.items() if k != "rows"} | {"rows": rows}
        for key, pick in (("started", min), ("finished", max)):
            stamps = [t for t in (current.get(key), doc.get(key)) if t]
            if stamps:
                merged[key] = pick(stamps)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
        tmp.replace(path)
    doc["rows"] = rows


def cmd_entries(args: argparse.Namespace) -> int:
    manifest = load_manifest(args.repo)
    shas = args.commits or [c.sha for c in load_corpus() if c.repo == args.repo]
    for sha in shas:
        full, date, _, subject = commit_info(manifest.mirror, sha)
        try:
            entry = select_entry(manifest, manifest.mirror, full).entry.id
        except ParityError as exc:
            entry = f"NONE ({exc})"
        print(f"{full[:10]} {date[:10]} {entry:<22} {subject[:60]}")
    return 0


def _pythons(args: argparse.Namespace) -> list[str]:
    found = interpreters()
    if args.pythons:
        wanted = [p.strip() for p in args.pythons.split(",") if p.strip()]
        missing = [p for p in wanted if p not in found]
        if missing:
            raise ParityError(f"--pythons: {missing} not found under {PYENV}")
        return wanted
    return list(found)


LEG_KINDS = {"mypy_pythons": ("mypy",), "lint_pythons": ("ruff-check", "ruff-format", "mypy")}
"""``--mypy-pythons`` replays only CI's mypy step in more legs; ``--lint-pythons`` its ruff and
mypy steps (a lint job that runs on a Python the main replay leaves out)."""


def _extra_legs(args: argparse.Namespace) -> list[tuple[list[str], tuple[str, ...]]]:
    out = []
    for option, kinds in LEG_KINDS.items():
        wanted = [p.strip() for p in (getattr(args, option) or "").split(",") if p.strip()]
        missing = [p for p in wanted if p not in interpreters()]
        if missing:
            raise ParityError(f"--{option.replace('_', '-')}: {missing} not found under {PYENV}")
        if wanted:
            out.append((wanted, kinds))
    return out


def with_legs(
    manifest: Manifest,
    work: Work,
    sha: str,
    oracles: list[OracleResult],
    legs: Sequence[tuple[list[str], tuple[str, ...]]],
    log: Log,
) -> list[OracleResult]:
    """CI's steps of some checks replayed in more matrix legs: each leg installs as CI's does and
    runs only those steps, a cheaper replay than the whole leg. Its steps join every run's."""
    for pythons, kinds in legs:
        oracles = _with_leg(manifest, work, sha, oracles, pythons, kinds, log)
    return oracles


def _with_leg(
    manifest: Manifest,
    work: Work,
    sha: str,
    oracles: list[OracleResult],
    pythons: Sequence[str],
    kinds: tuple[str, ...],
    log: Log,
) -> list[OracleResult]:
    (extra,) = oracle_cached(manifest, work, sha, pythons, 1, log, kinds=kinds)
    seen = {(t.job, t.python) for o in oracles for t in o.steps}
    legs = [s for s in extra.steps if (s.job, s.python) not in seen]
    return [
        replace(o, steps=[*o.steps, *legs], pythons=[*o.pythons, *extra.pythons]) for o in oracles
    ]


def cmd_oracle(args: argparse.Namespace) -> int:
    manifest = load_manifest(args.repo)
    work = Work(Path(args.work))
    pythons = _pythons(args)
    shas = args.commits or [c.sha for c in load_corpus() if c.repo == args.repo]
    log = Log(args.quiet)
    for sha in shas:
        try:
            results = oracle_cached(
                manifest, work, sha, pythons, args.repeat, log, args.jobs, args.checks
            )
        except ParityError as exc:
            print(f"{sha[:10]} ERROR {exc}")
            continue
        for r in results:
            v = r.verdicts()
            cells = " ".join(f"{c}={v[c]['verdict']}" for c in CHECKS)
            print(f"{r.sha[:10]} {r.entry:<22} {cells}  ({r.seconds:.0f}s)")
            for c in CHECKS:
                if v[c]["verdict"] not in ("pass", "absent"):
                    print(f"    {c}: {v[c]['locations'][:8]} legs={v[c]['legs']}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    guardrail = Path(args.guardrail).resolve()
    if not os.access(guardrail, os.X_OK):
        raise ParityError(f"--guardrail {guardrail}: not an executable")
    work = Work(Path(args.work))
    pythons = _pythons(args)
    corpus = load_corpus()
    if args.repo:
        corpus = [c for c in corpus if c.repo in args.repo]
    if args.commits:
        corpus = [c for c in corpus if any(c.sha.startswith(s) for s in args.commits)]
    if not corpus:
        raise ParityError("no corpus commit selected")
    doc = load_results(args.label)
    version = run([str(guardrail), "--version"], Path.cwd()).output.strip()
    doc["guardrail"] = {"path": str(guardrail), "version": version, "commit": args.guardrail_commit}
    doc["settings"] = not args.no_settings
    doc["pythons"] = pythons
    doc["started"] = doc.get("started") or datetime.now(UTC).isoformat(timespec="seconds")
    log = Log(args.quiet)
    manifests: dict[str, Manifest] = {}
    for c in corpus:
        manifest = manifests.setdefault(c.repo, load_manifest(c.repo))
        full = commit_info(manifest.mirror, c.sha)[0]
        row_key = f"{c.repo}@{full[:12]}"
        if row_key in doc["rows"] and not args.force:
            continue
        start = time.monotonic()
        try:
            oracles = oracle_cached(manifest, work, full, pythons, args.repeat, log)
            oracles = with_legs(manifest, work, full, oracles, _extra_legs(args), log)
            oracle_seconds = statistics.median(o.seconds for o in oracles)
            entry = select_entry(manifest, manifest.mirror, full).entry
            routes = []
            g_start = time.monotonic()
            for i in range(args.repeat):
                log(f"{c.repo} {full[:10]}: guardrail run {i + 1}/{args.repeat}")
                with machine_pythons_untouched():
                    routes.append(
                        run_guardrail_routes(
                            manifest, entry, work, full, guardrail, not args.no_settings, log
                        )
                    )
            g_seconds = (time.monotonic() - g_start) / args.repeat
        except ParityError as exc:
            doc["rows"][row_key] = {"repo": c.repo, "sha": full, "error": str(exc)}
            save_results(doc, [row_key])
            log(f"{row_key}: ERROR {exc}")
            continue
        row = build_row(c, full, oracles, routes, entry)
        row["seconds"] = {
            "oracle": oracle_seconds,
            "guardrail": round(g_seconds, 1),
            "wall": round(time.monotonic() - start, 1),
        }
        doc["rows"][row_key] = row
        doc["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        save_results(doc, [row_key])
        log(f"{row_key}: {row['status']} {row['summary']}")
    return 0


def cmd_recompare(args: argparse.Namespace) -> int:
    """Rebuild stored rows from the cached replays and the guardrail results kept in the rows:
    after a change to how CI's side is read, compared or excused. Nothing of the guardrail runs;
    only replays not yet cached do (``--mypy-pythons`` legs)."""
    work = Work(Path(args.work))
    pythons = _pythons(args)
    doc = load_results(args.label)
    by_sha = {(c.repo, c.sha): c for c in load_corpus()}
    done = []
    for key, row in doc["rows"].items():
        if "error" in row or (args.repo and row["repo"] not in args.repo):
            continue
        commit = next(
            c
            for (repo, sha), c in by_sha.items()
            if repo == row["repo"] and row["sha"].startswith(sha)
        )
        manifest = load_manifest(row["repo"])
        oracles = oracle_cached(manifest, work, row["sha"], pythons, row["oracle_runs"], Log(True))
        oracles = with_legs(manifest, work, row["sha"], oracles, _extra_legs(args), Log(args.quiet))
        entry = select_entry(manifest, manifest.mirror, row["sha"]).entry
        routes = [(GuardrailResult(**row["run"]), GuardrailResult(**row["push"]))]
        doc["rows"][key] = build_row(commit, row["sha"], oracles, routes, entry) | {
            "seconds": row["seconds"]
        }
        done.append(key)
    save_results(doc, done)
    print(f"{len(done)} rows rebuilt")
    return 0


def build_row(
    c: CorpusCommit,
    full: str,
    oracles: list[OracleResult],
    routes: list[tuple[GuardrailResult, GuardrailResult]],
    entry: Entry,
) -> dict[str, Any]:
    oracle = oracles[0]
    verdicts = oracle.verdicts()
    ran, pushed = routes[0]
    cmp_run, cmp_push = compare(oracle, ran), compare(oracle, pushed)
    flaky = []
    for o in oracles[1:]:
        for check, v in o.verdicts().items():
            if (v["verdict"], v["locations"]) != (
                verdicts[check]["verdict"],
                verdicts[check]["locations"],
            ):
                flaky.append(f"CI {check}")
    for r, p in routes[1:]:
        for first, other, name in ((ran, r, "run"), (pushed, p, "push")):
            for check in CHECKS:
                a, b = first.checks.get(check, {}), other.checks.get(check, {})
                if (a.get("status"), a.get("locations")) != (b.get("status"), b.get("locations")):
                    flaky.append(f"guardrail {name} {check}")
    mismatches = [
        f"{route} {check}: {cmp[check]['result']}"
        for route, cmp in (("run", cmp_run), ("push", cmp_push))
        for check in CHECKS
        if cmp[check]["result"] != "match"
    ]
    # `cannot_agree = "pytest: why"` covers that check only: a mismatch of another still counts.
    named, colon, _ = c.cannot_agree.partition(":")
    covered = (named,) if colon and named in CHECKS else CHECKS
    if (
        c.cannot_agree
        and mismatches
        and all(m.split()[1].rstrip(":") in covered for m in mismatches)
    ):
        status = "cannot agree"
    elif flaky:
        status = "flaky"
    else:
        status = "match" if not mismatches else "mismatch"
    ci_fails = any(v["verdict"] in ("fail", "error") for v in verdicts.values())
    return {
        "repo": c.repo,
        "sha": full,
        "role": c.role,
        "why": c.why,
        "pair": c.pair,
        "cannot_agree": c.cannot_agree,
        "entry": entry.id,
        "date": oracle.date,
        "ci": verdicts,
        "ci_overall": "fail" if ci_fails else "pass",
        "ci_steps": [asdict(s) | {"tail": s.tail[-2000:]} for s in oracle.steps],
        "ci_versions": oracle.versions,
        "oracle_runs": len(oracles),
        "run": asdict(ran),
        "push": asdict(pushed),
        "compare": {"run": cmp_run, "push": cmp_push},
        "flaky": sorted(set(flaky)),
        "status": status,
        "summary": "; ".join(mismatches) if mismatches else "all checks agree",
    }


# -- report ----------------------------------------------------------------------------------

CELL = {"pass": "pass", "fail": "**FAIL**", "error": "**ERR**", "absent": "n/a"}
G_CELL = {
    "passed": "pass",
    "failed": "**FAIL**",
    "error": "**ERR**",
    "skipped": "skip",
    "not run": "not run",
    "not checked": "none",
}


def _g_cells(route: dict[str, Any]) -> str:
    return " / ".join(
        G_CELL.get(route["checks"].get(c, {}).get("status", "not checked"), "?") for c in CHECKS
    )


def _ci_cells(row: dict[str, Any]) -> str:
    return " / ".join(CELL[row["ci"][c]["verdict"]] for c in CHECKS)


def _replayed(rows: list[dict[str, Any]]) -> str:
    """Per repository, the Pythons of the legs whose steps the rows hold (a leg replaying only
    some checks is named with them)."""
    out = []
    for repo in sorted({r["repo"] for r in rows}):
        legs: dict[str, set[str]] = {}
        for r in rows:
            if r["repo"] == repo:
                for step in r["ci_steps"]:
                    if step["kind"] not in ("install", "setup"):
                        legs.setdefault(step["python"], set()).add(step["kind"])
        full = set(CHECKS)
        shown = [
            v if full <= kinds or "pytest" in kinds else f"{v} ({', '.join(sorted(kinds))})"
            for v, kinds in sorted(
                legs.items(), key=lambda item: [int(x) for x in item[0].split(".")]
            )
        ]
        out.append(f"{repo} {', '.join(shown)}")
    return "; ".join(out)


def render(docs: list[dict[str, Any]]) -> str:
    main, *others = docs
    corpus = {f"{c.repo}@{c.sha[:12]}": c for c in load_corpus()}
    rows = [r for r in main["rows"].values() if "error" not in r]
    errors = [r for r in main["rows"].values() if "error" in r]
    g = main["guardrail"]
    lines = [
        "# Parity: the guardrail's verdict against CI's, commit by commit",
        "",
        "Written by `bench/parity.py report` from `bench/parity_data/results/*.json`; "
        "the diagnoses come from `bench/parity_data/diagnoses.toml`. How the harness works, "
        "and how to rerun it: the docstring of `bench/parity.py`.",
        "",
        f"- Guardrail under test: `{g['version']}`, commit `{g['commit']}` ({g['path']}).",
        f"- Run `{main['label']}`: settings {'ON' if main['settings'] else 'OFF'}; "
        f"{main.get('started', '?')} to {main.get('finished', '?')}; "
        f"matrix Pythons replayed: {_replayed(rows)}.",
    ]
    for other in others:
        lines.append(
            f"- Run `{other['label']}`: settings {'ON' if other['settings'] else 'OFF'}"
            " (summarised below)."
        )
    lines += _summary(main, rows, errors)
    for other in others:
        orow = [r for r in other["rows"].values() if "error" not in r]
        lines += [
            "",
            f"### Run `{other['label']}` (settings {'ON' if other['settings'] else 'OFF'})",
        ]
        lines += _counts(orow)
        changed = []
        for key, r in other["rows"].items():
            base = main["rows"].get(key)
            if base and "error" not in r and "error" not in base and base["status"] != r["status"]:
                changed.append(
                    f"- `{key}`: {base['status']} with {main['label']}, "
                    f"{r['status']} here: {r['summary']}"
                )
        lines += ["", "Rows whose status differs from the main run:", "", *(changed or ["- none"])]
    if NOTES.is_file():
        lines += ["", NOTES.read_text().strip()]
    lines += _settings_section(rows, main["settings"])
    lines += [
        "",
        "## Tool versions, commit by commit",
        "",
        "CI: the versions in the first replayed leg of each job (the install resolves them "
        "from the lock, the pins, or PyPI as of the commit's date). Guardrail: what its "
        "summary names for `guardrail run`.",
        "",
        "| repo | commit | CI ruff | CI mypy | CI pytest | guardrail ruff | guardrail mypy "
        "| guardrail pytest |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["repo"], r["date"])):
        ci = _first_versions(r["ci_versions"])
        gt = r["run"]["tools"]
        lines.append(
            f"| {r['repo']} | `{r['sha'][:10]}` | {ci.get('ruff', '?')} | {ci.get('mypy', '?')} "
            f"| {ci.get('pytest', '?')} | {gt.get('ruff', '?')} | {gt.get('mypy', '?')} "
            f"| {gt.get('pytest', '?')} |"
        )
    lines += [
        "",
        "## Rows",
        "",
        "Checks in order ruff-check / ruff-format / mypy / pytest (with CI's coverage "
        "gate). `n/a`: CI does not run it; `none`: the guardrail checked no project.",
        "",
        "| repo | commit | role | CI | guardrail run | guardrail push | status | reason |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["repo"], r["date"])):
        reason = r["summary"] if r["status"] != "match" else ""
        if r["status"] == "cannot agree":
            reason = r["cannot_agree"]
        elif r["flaky"]:
            reason = f"flaky over {r['oracle_runs']} runs: {', '.join(r['flaky'])}; " + reason
        role = r["role"] + (f" (pair `{r['pair'][:7]}`)" if r.get("pair") else "")
        landed = {None: "", True: " (landed)", False: " (blocked)"}[r["push"]["pushed"]]
        lines.append(
            f"| {r['repo']} | `{r['sha'][:10]}` | {role} | {_ci_cells(r)} | {_g_cells(r['run'])} "
            f"| {_g_cells(r['push'])}{landed} | {r['status']} | {_md(reason)} |"
        )
    lines += ["", "## Why each commit is in the corpus", ""]
    for r in sorted(rows, key=lambda r: (r["repo"], r["date"])):
        ckey = f"{r['repo']}@{r['sha'][:12]}"
        why = corpus[ckey].why if ckey in corpus else r["why"]
        lines.append(f"- {r['repo']} `{r['sha'][:10]}` ({r['date'][:10]}, {r['role']}): {why}")
    lines += _mismatch_section(rows)
    if errors:
        lines += ["", "## Rows the harness could not replay", ""]
        lines += [f"- {r['repo']} `{r['sha'][:10]}`: {_md(r['error'][:300])}" for r in errors]
    return "\n".join(lines) + "\n"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _first_versions(legs: dict[str, dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for versions in legs.values():
        for name, version in versions.items():
            if version != "?":
                out.setdefault(name, version)
    return out


def _settings_section(rows: list[dict[str, Any]], on: bool) -> list[str]:
    """The per-repository settings a user would write after ``guardrail init --from-ci``."""
    out = [
        "",
        "## Settings given to the guardrail (until CI's plan is derived, issue 12)",
        "",
        f"This run: settings **{'ON' if on else 'OFF'}** (`--no-settings` turns them off). "
        "Hook args go on the `guardrail run` command line and into the pre-push hook's `entry`; "
        "`[tool.guardrail]` keys are appended to the project's pyproject.toml in a commit on "
        "top of the corpus commit *and* of its parent (the bare remote gets the parent's), so "
        "the pushed diff is the corpus commit's own diff and no tool but the guardrail reads "
        "the change.",
        "",
        "| repo | manifest entry | hook args | [tool.guardrail] | source |",
        "|---|---|---|---|---|",
    ]
    seen = set()
    for r in sorted(rows, key=lambda r: (r["repo"], r["date"])):
        if (r["repo"], r["entry"]) in seen:
            continue
        seen.add((r["repo"], r["entry"]))
        entry = next(e for e in load_manifest(r["repo"]).entries if e.id == r["entry"])
        st = entry.settings
        args = " ".join(f"`{a}`" for a in st.hook_args) or "none"
        keys = "; ".join(
            f"{f}: " + ", ".join(f"`{k} = {json.dumps(v)}`" for k, v in t.items())
            for f, t in st.pyproject.items()
        )
        out.append(f"| {r['repo']} | {entry.id} | {args} | {keys or 'none'} | {st.source} |")
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _counts(rows: list[dict[str, Any]]) -> list[str]:
    by: dict[str, int] = {}
    for r in rows:
        by[r["status"]] = by.get(r["status"], 0) + 1
    checks = {"run": {}, "push": {}}  # type: dict[str, dict[str, int]]
    for r in rows:
        for route in ("run", "push"):
            for c in CHECKS:
                res = r["compare"][route][c]["result"]
                checks[route][res] = checks[route].get(res, 0) + 1
    total = len(rows)
    agree = by.get("match", 0)
    return [
        "",
        f"- Rows: {total}; all four checks agree on both routes: {agree} "
        f"({100 * agree / total if total else 0:.0f}%). By status: "
        + ", ".join(f"{k} {v}" for k, v in sorted(by.items()))
        + ".",
        "- Per check verdicts, `guardrail run`: "
        + ", ".join(f"{k} {v}" for k, v in sorted(checks["run"].items()))
        + "; `git push`: "
        + ", ".join(f"{k} {v}" for k, v in sorted(checks["push"].items()))
        + ".",
    ]


def _summary(doc: dict[str, Any], rows: list[dict[str, Any]], errors: list[Any]) -> list[str]:
    fails = [r for r in rows if r["ci_overall"] == "fail"]
    fixes = [r for r in rows if r["role"] == "fix"]
    times = [r["seconds"]["oracle"] + r["seconds"]["guardrail"] for r in rows if "seconds" in r]
    o_times = [r["seconds"]["oracle"] for r in rows if "seconds" in r]
    g_times = [r["seconds"]["guardrail"] for r in rows if "seconds" in r]
    out = ["", "## Summary", ""]
    out += [
        f"- Corpus: {len(rows) + len(errors)} commits in "
        f"{len({r['repo'] for r in rows})} repositories; CI's replay fails on {len(fails)}; "
        f"{len(fixes)} are the commits that fixed a failure.",
        f"- Median time per commit: {_median(times):.0f}s for a full replay (CI's commands in "
        f"every replayed leg, {_median(o_times):.0f}s, as measured when the oracle ran; plus "
        f"the guardrail's side, {_median(g_times):.0f}s: its project env, `guardrail run` and "
        "the push), on this machine's 2 shared cores, with other work beside it. A rerun "
        "with the oracle cached costs the guardrail's side only.",
    ]
    out += _counts(rows)
    return out


@dataclass(frozen=True)
class Cause:
    """A known cause of mismatches, from diagnoses.toml: who it applies to, what it is, and the
    tiny repository that would show it in a test. Every criterion given must hold."""

    name: str
    diagnosis: str
    repro: str
    criteria: dict[str, Any]

    def matches(self, facts: dict[str, str]) -> bool:
        for key, want in self.criteria.items():
            have = facts.get(key, "")
            if key in ("message", "reason", "tail", "ci_locations", "g_locations"):
                if not re.search(str(want), have, re.IGNORECASE | re.DOTALL):
                    return False
            elif key == "keys":
                if facts["key"] not in want:
                    return False
            elif have not in (want if isinstance(want, list) else [want]):
                return False
        return True


def load_causes() -> list[Cause]:
    if not DIAGNOSES.is_file():
        return []
    try:
        data = tomllib.loads(DIAGNOSES.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ParityError(f"{DIAGNOSES}: not valid TOML ({exc})") from exc
    out = []
    for c in data.get("cause", []):
        meta = {"name", "diagnosis", "repro"}
        criteria = {k: v for k, v in c.items() if k not in meta}
        out.append(Cause(c["name"], c.get("diagnosis", ""), c.get("repro", ""), criteria))
    return out


def mismatch_facts(r: dict[str, Any], route: str, check: str) -> dict[str, str]:
    g = r[route]["checks"].get(check, {})
    return {
        "key": f"{r['repo']}@{r['sha'][:10]}:{check}",
        "repo": r["repo"],
        "check": check,
        "route": route,
        "result": r["compare"][route][check]["result"],
        "reason": r["compare"][route][check]["reason"],
        "ci": r["ci"][check]["verdict"],
        "status": g.get("status", "not checked"),
        "message": g.get("message", ""),
        "tail": r[route]["tail"],
        "ci_locations": "\n".join(r["ci"][check]["locations"]),
        "g_locations": "\n".join(g.get("locations", [])),
    }


def classify(r: dict[str, Any], route: str, check: str, causes: list[Cause]) -> str:
    facts = mismatch_facts(r, route, check)
    return next((c.name for c in causes if c.matches(facts)), "undiagnosed")


def _mismatch_section(rows: list[dict[str, Any]]) -> list[str]:
    causes = load_causes()
    groups: dict[str, list[str]] = {}
    for r in rows:
        for route in ("run", "push"):
            for c in CHECKS:
                cmp = r["compare"][route][c]
                if cmp["result"] == "match":
                    continue
                ci = r["ci"][c]
                g = r[route]["checks"].get(c, {})
                message = _md(g.get("message", ""))[:160]
                groups.setdefault(classify(r, route, c, causes), []).append(
                    f"- `{r['repo']} {r['sha'][:10]}` {c} ({route}): {cmp['result']}. "
                    f"CI {ci['verdict']} {_locs(ci['locations'])}; guardrail "
                    f"{g.get('status', 'not checked')} {_locs(g.get('locations', []))}"
                    f"{'. ' + message if message else ''}"
                )
    out = ["", "## Mismatches by cause", ""]
    if not groups:
        return [*out, "None."]
    info = {c.name: c for c in causes}
    for name, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        out += [f"### {name} ({len(items)})", ""]
        if name in info and info[name].diagnosis:
            out += [f"Diagnosis: {info[name].diagnosis}", ""]
        if name in info and info[name].repro:
            out += [f"Minimal reproduction: {info[name].repro}", ""]
        out += [*items, ""]
    return out


def _locs(locations: list[str], n: int = 4) -> str:
    if not locations:
        return "[]"
    shown = ", ".join(f"`{loc}`" for loc in locations[:n])
    return f"[{shown}{f', +{len(locations) - n} more' if len(locations) > n else ''}]"


def cmd_report(args: argparse.Namespace) -> int:
    labels = args.labels or sorted(p.stem for p in RESULTS.glob("*.json"))
    if not labels:
        raise ParityError(f"no results in {RESULTS}; run `bench/parity.py run` first")
    docs = [load_results(label) for label in labels]
    PARITY_MD.write_text(render(docs))
    print(f"wrote {PARITY_MD}")
    return 0


def cmd_mismatches(args: argparse.Namespace) -> int:
    doc = load_results(args.label)
    causes = load_causes()
    for key, r in sorted(doc["rows"].items()):
        if "error" in r:
            print(f"{key} ERROR {r['error'][:200]}")
            continue
        for route in ("run", "push"):
            for c in CHECKS:
                cmp = r["compare"][route][c]
                if cmp["result"] != "match":
                    cause = classify(r, route, c, causes)
                    print(
                        f"{key} {route:<4} {c:<11} {cmp['result']:<11} [{cause[:40]}] "
                        f"{cmp['reason'][:200]}"
                    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parity.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default=os.environ.get("PARITY_WORK", "/tmp/parity-work"))
    parser.add_argument("--quiet", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("entries", help="which manifest entry each commit selects")
    p.add_argument("repo")
    p.add_argument("--commits", nargs="*")
    p = sub.add_parser("oracle", help="CI's verdicts only (fills the cache)")
    p.add_argument("repo")
    p.add_argument("--commits", nargs="*")
    p.add_argument("--pythons", default="", help="matrix Pythons to replay, e.g. 3.11,3.12")
    p.add_argument("--repeat", type=int, default=1, help="oracle runs per commit (flakiness)")
    p.add_argument("--jobs", nargs="*", default=[], help="only these CI jobs (a quick scan)")
    p.add_argument(
        "--checks",
        nargs="*",
        default=[],
        choices=[*CHECKS, "coverage"],
        help="only these checks' steps (a quick scan)",
    )
    p = sub.add_parser("run", help="the oracle and the guardrail on the corpus")
    p.add_argument("--guardrail", required=True, help="path of the guardrail executable")
    p.add_argument("--guardrail-commit", default="?", help="the commit it was installed from")
    p.add_argument("--label", required=True, help="results go to results/<label>.json")
    p.add_argument(
        "--no-settings",
        action="store_true",
        help="no per-repository [tool.guardrail] settings or hook args",
    )
    p.add_argument("--repo", nargs="*", help="only these repositories")
    p.add_argument("--commits", nargs="*", help="only these commits (prefixes)")
    p.add_argument("--pythons", default="")
    p.add_argument("--repeat", type=int, default=1, help="runs per commit (3 shows flakiness)")
    p.add_argument("--force", action="store_true", help="redo rows already in the results")
    p.add_argument(
        "--mypy-pythons", default="", help="more matrix legs in which only CI's mypy is replayed"
    )
    p.add_argument(
        "--lint-pythons", default="", help="more matrix legs in which CI's ruff and mypy replay"
    )
    p = sub.add_parser("recompare", help="rebuild stored rows from cached results, running nothing")
    p.add_argument("--label", required=True)
    p.add_argument("--repo", nargs="*", help="only these repositories")
    p.add_argument("--pythons", default="", help="as given to the run that made the rows")
    p.add_argument(
        "--mypy-pythons", default="", help="more matrix legs in which only CI's mypy is replayed"
    )
    p.add_argument(
        "--lint-pythons", default="", help="more matrix legs in which CI's ruff and mypy replay"
    )
    p = sub.add_parser("report", help="write bench/PARITY.md")
    p.add_argument("labels", nargs="*", help="result labels; the first is the main run")
    p = sub.add_parser("mismatches", help="list the mismatches of a run")
    p.add_argument("label")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        "entries": cmd_entries,
        "oracle": cmd_oracle,
        "run": cmd_run,
        "recompare": cmd_recompare,
        "report": cmd_report,
        "mismatches": cmd_mismatches,
    }
    try:
        return commands[args.command](args)
    except ParityError as exc:
        print(f"parity: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
