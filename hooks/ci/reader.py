"""Read a repository's CI definitions into a :class:`~hooks.ci.model.CiPlan`; never run them.

The CI files (GitHub workflows, GitLab CI, pre-commit.ci) hand every command to
:meth:`Reader.command`, which records the checks, coverage gates and installs it finds and
follows the commands that run more commands: shell scripts, ``make``, ``tox``, ``nox`` and
``pre-commit run``. Each hop is added to the command's origin.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from dataclasses import replace
from pathlib import Path

from hooks.ci import coverage, github, gitlab, pinfiles, precommit
from hooks.ci.args import SPECS, cov_reports, split
from hooks.ci.commands import (
    CHECKY,
    COVERAGE_REPORTS,
    Unwrapped,
    classify,
    lock_sync,
    pip_install,
    requirement_installs,
    unwrap,
)
from hooks.ci.context import UNKNOWN, Call, Frame, Job
from hooks.ci.interp import join_dir, run_script
from hooks.ci.makefile import run_make
from hooks.ci.model import (
    CHECK_TOOL,
    CiCheck,
    CiPlan,
    CoverageGate,
    Env,
    GuardrailRun,
    NotMirrored,
    Origin,
    ToolPin,
)
from hooks.ci.nox import run_nox
from hooks.ci.tox import run_tox
from hooks.toolconfig import config_file, section

GENERATED = frozenset(
    {
        "venv",
        ".venv",
        "env",
        ".tox",
        ".nox",
        "node_modules",
        "dist",
        "build",
        "site",
        "htmlcov",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".coverage",
    }
)
"""Folders a fresh checkout does not have, whatever the working tree holds."""
_MENTIONS_CHECK = re.compile(
    r"\b(ruff|mypy|pytest|py\.test|tox|nox|pre-commit|prek|make|coverage)\b"
)
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})


class Reader:
    """The plan being built; the :class:`~hooks.ci.context.Walker` of every CI reader."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, None] = {}
        self.checks: list[CiCheck] = []
        self.gates: list[CoverageGate] = []
        self.pins: dict[ToolPin, None] = {}
        self.notes: dict[NotMirrored, None] = {}
        self.guardrail_runs: dict[GuardrailRun, None] = {}
        self._ignored = self._gitignore()

    # --- the Walker protocol ---

    def read(self, rel: str) -> str | None:
        path = self.root / rel
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        self.files.setdefault(posixpath.normpath(rel), None)
        return text

    def in_checkout(self, rel: str) -> bool:
        parts = posixpath.normpath(rel).split("/")
        if any(p in GENERATED or p.endswith(".egg-info") for p in parts):
            return False
        for pattern in self._ignored:
            if "/" in pattern:
                if fnmatch.fnmatchcase(rel, pattern) or rel.startswith(pattern + "/"):
                    return False
            elif any(fnmatch.fnmatchcase(p, pattern) for p in parts):
                return False
        return (self.root / rel).exists()

    def note(self, origin: Origin, text: str, why: str, *, hides_checks: bool = True) -> None:
        self.notes.setdefault(NotMirrored(origin, text, why, hides_checks), None)

    def pin(self, pin: ToolPin) -> None:
        self.pins.setdefault(pin, None)

    def guardrail(self, run: GuardrailRun) -> None:
        self.guardrail_runs.setdefault(run, None)

    def count(self) -> int:
        return len(self.checks) + len(self.gates) + len(self.guardrail_runs)

    def command(self, call: Call, frame: Frame, job: Job) -> bool | None:
        if call.cwd is None:
            if _MENTIONS_CHECK.search(call.text):
                self.note(
                    call.origin,
                    call.text,
                    "runs in a folder that cannot be known without running CI",
                )
            return None
        self._installs(call, frame, job)
        unwrapped = unwrap(call.argv)
        argv = unwrapped.argv
        if not argv:
            return None
        cwd = call.cwd if unwrapped.directory is None else join_dir(call.cwd, unwrapped.directory)
        env = {**call.env, **dict(unwrapped.env)}
        call = Call(argv, env, cwd, call.origin, call.advisory, call.text)
        if cwd is None:
            self.note(call.origin, call.text, "runs in a folder outside the repository")
            return None
        if any(UNKNOWN in word for word in argv) and not self._partly_known(call, frame):
            return None
        found = classify(argv, in_pre_commit=frame.via is not None)
        if found is not None:
            self._check(found[0], found[1], call, frame, job, unwrapped)
            return None
        name = posixpath.basename(argv[0])
        if name == "guardrail" and argv[1:2] == ("run",):
            advisory = call.advisory or frame.advisory
            run = GuardrailRun(
                call.origin, cwd, argv[2:], advisory, job.workflow, job.name, call.text
            )
            self.guardrail(run)
        elif name == "coverage" and argv[1:2] == ("combine",):
            job.combined = True
        elif name == "coverage" and argv[1:2] and argv[1] in COVERAGE_REPORTS:
            self._coverage_command(call, job)
        elif name in ("make", "gmake"):
            run_make(self, call, frame, job)
        elif name == "tox":
            run_tox(self, call, frame, job)
        elif name == "nox":
            run_nox(self, call, frame, job)
        elif name in ("pre-commit", "prek") and argv[1:2] == ("run",):
            precommit.run_pre_commit(self, call, frame, job)
        elif name in _SHELLS:
            self._shell(call, frame, job)
        elif "/" in argv[0] or argv[0].endswith(".sh"):
            self._script(call, frame, job, argv[0], argv[1:], errexit=False)
        elif re.fullmatch(r"python[\d.]*", name) and argv[1:2] and argv[1].endswith(".py"):
            if not self._script_gate(call, job):
                self._unread(call, argv[1], "a Python script: not read")
        elif name in ("just", "task", "invoke", "inv", "poe"):
            targets = [a for a in argv[1:] if not a.startswith("-")]
            if targets and CHECKY.search(targets[0]):
                self.note(call.origin, call.text, f"{name} tasks are not read")
        return None

    def _partly_known(self, call: Call, frame: Frame) -> bool:
        """Whether a command with words only CI knows can still be read: a coverage report
        whose threshold is known can; a check or a runner of checks is noted instead."""
        name = posixpath.basename(call.argv[0])
        if name == "coverage" and UNKNOWN not in " ".join(call.argv[:2]):
            return True
        runs_checks = classify(
            call.argv, in_pre_commit=frame.via is not None
        ) is not None or name in (
            "make",
            "gmake",
            "tox",
            "nox",
            "pre-commit",
            "prek",
            *_SHELLS,
        )
        if runs_checks or (UNKNOWN in call.argv[0] and _MENTIONS_CHECK.search(call.text)):
            self.note(
                call.origin, call.text, "uses a value only CI knows (a variable, $(...) or ${{ }})"
            )
        return False

    # --- checks and gates ---

    def _check(
        self,
        check: str,
        args: tuple[str, ...],
        call: Call,
        frame: Frame,
        job: Job,
        unwrapped: Unwrapped,
    ) -> None:
        assert call.cwd is not None
        tool = CHECK_TOOL[check]
        versions = (
            frame.python_versions if frame.python_versions is not None else job.python_versions
        )
        env = Env(
            {
                k: v
                for k, v in call.env.items()
                if v is not None and k not in job.platform and not k.startswith("__ci_")
            }
        )
        found = CiCheck(
            check=check,
            folder=call.cwd,
            argv=args,
            launcher=unwrapped.launcher,
            env=env,
            origin=call.origin,
            advisory=call.advisory,
            python_versions=versions,
            workflow=job.workflow,
            job=job.name,
            text=call.text,
            via_pre_commit=frame.via,
            pin=self._pin_for(tool, call, frame, job, unwrapped),
        )
        self.checks.append(found)
        if check == "pytest":
            self._pytest_gate(found, call, job)

    def _pin_for(
        self, tool: str, call: Call, frame: Frame, job: Job, unwrapped: Unwrapped
    ) -> ToolPin | None:
        if tool == "pytest":
            return None
        for spec in unwrapped.with_pins:
            pin = pinfiles.requirement_tool_pin(spec, call.origin.chain[-1])
            if pin is not None and pin.tool == tool:
                self.pin(pin)
                return pin
        if frame.isolated:
            return next((p for p in frame.pins if p.tool == tool), None)
        for launcher, lock in (
            ("uv run", "uv.lock"),
            ("poetry run", "poetry.lock"),
            ("pdm run", "pdm.lock"),
        ):
            if launcher in unwrapped.launcher and call.cwd is not None:
                rel = pinfiles.find_lock(self.root, call.cwd, lock)
                if rel is not None and self.read(rel) is not None:
                    for pin in pinfiles.lock_pins(self.root, rel):
                        self.pin(pin)
                        if pin.tool == tool:
                            return pin
        return job.pins.get(tool) or next((p for p in frame.pins if p.tool == tool), None)

    def _pytest_gate(self, check: CiCheck, call: Call, job: Job) -> None:
        spec = SPECS["pytest"]
        config = config_file("pytest", self.root, check.folder)
        addopts: list[str] = []
        if config is not None:
            settings = section("pytest", self.root / config)
            value = (settings or {}).get("addopts", "")
            if isinstance(settings, dict) and config.endswith("pyproject.toml"):
                value = (settings.get("ini_options") or {}).get("addopts", "")
            try:
                addopts = shlex.split(" ".join(value) if isinstance(value, list) else str(value))
            except ValueError:
                addopts = []
        options = {o.name: o for o in split([*addopts, *check.argv], spec).options}
        from_cli = {o.name for o in split(check.argv, spec).options}
        if "--no-cov" in options or not any(name.startswith("--cov") for name in options):
            return
        cov_tokens = tuple(
            t
            for o in split(check.argv, spec).options
            if o.name.startswith("--cov")
            for t in o.tokens
        )
        under = options.get("--cov-fail-under")
        if under is not None and under.value is not None:
            origin = check.origin
            if "--cov-fail-under" not in from_cli and config is not None:
                origin = origin.then(f"{config}:{self._line_of(config, 'cov-fail-under')}")
            self._gate(
                "pytest-cov", check, cov_tokens, coverage.number(under.value), origin, None, job
            )
            return
        if "--cov" not in options and "--cov-config" not in options:
            return
        rcfile = options["--cov-config"].value if "--cov-config" in options else None
        threshold = coverage.fail_under(self.root, check.folder, rcfile)
        if threshold is not None:
            self.read(threshold.file)
            origin = check.origin.then(threshold.where)
            self._gate(
                "pytest-cov", check, cov_tokens, threshold.value, origin, threshold.file, job
            )

    def _line_of(self, rel: str, needle: str) -> int:
        text = self.read(rel) or ""
        return next((n for n, line in enumerate(text.splitlines(), 1) if needle in line), 0)

    def _gate(
        self,
        kind: str,
        check: CiCheck,
        argv: tuple[str, ...],
        threshold: float | None,
        origin: Origin,
        config: str | None,
        job: Job,
    ) -> None:
        self.gates.append(
            CoverageGate(
                kind,
                check.folder,
                argv,
                threshold,
                origin,
                check.advisory,
                job.workflow,
                job.name,
                config,
            )
        )

    def _coverage_command(self, call: Call, job: Job) -> None:
        assert call.cwd is not None
        args = call.argv[1:]
        rcfile = call.env.get("COVERAGE_RCFILE")
        value: str | None = None
        words = list(args)
        for i, word in enumerate(words):
            name, eq, rest = word.partition("=")
            if name == "--fail-under":
                value = rest if eq else (words[i + 1] if i + 1 < len(words) else None)
            elif name == "--rcfile":
                rcfile = rest if eq else (words[i + 1] if i + 1 < len(words) else None)
        if UNKNOWN in f"{value} {rcfile}":
            self.note(call.origin, call.text, "a coverage threshold or config only CI knows")
            return
        found = coverage.config_file(self.root, call.cwd, rcfile)
        config = found[0] if found else None
        if config is not None:
            self.read(config)
        if value is not None:
            threshold, origin = coverage.number(value), call.origin
        else:
            configured = coverage.fail_under(self.root, call.cwd, rcfile)
            if configured is None:
                return
            threshold, origin = configured.value, call.origin.then(configured.where)
        self.gates.append(
            CoverageGate(
                "coverage",
                call.cwd,
                tuple(args),
                threshold,
                origin,
                call.advisory,
                job.workflow,
                job.name,
                config,
                combined=job.combined,
            )
        )

    def _script_gate(self, call: Call, job: Job) -> bool:
        """``python tools/coverage_gate.py`` after the job's pytest step, reading a coverage
        report that step writes (its file name is in the script's text): a gate CI applies to
        the tests' results, run as part of the pytest check. Any other script is not read."""
        assert call.cwd is not None
        rel = join_dir(call.cwd, call.argv[1])
        text = self.read(rel) if rel is not None and self.in_checkout(rel) else None
        if text is None:
            return False
        for check in reversed(self.checks):
            if check.check != "pytest" or (check.workflow, check.job) != (job.workflow, job.name):
                continue
            read = tuple(
                value
                for value, written in cov_reports(check.argv)
                if posixpath.basename(written) in text
            )
            if not read:
                continue
            self.gates.append(
                CoverageGate(
                    "script",
                    call.cwd,
                    call.argv[1:],
                    None,
                    call.origin,
                    call.advisory,
                    job.workflow,
                    job.name,
                    reports=read,
                )
            )
            return True
        return False

    # --- installs ---

    def _installs(self, call: Call, frame: Frame, job: Job) -> None:
        assert call.cwd is not None
        found: list[ToolPin] = []
        here = call.origin.chain[-1]
        for requirement in requirement_installs(call.argv):
            pin = pinfiles.requirement_tool_pin(requirement, here)
            if pin is not None:
                found.append(pin)
        install = pip_install(call.argv)
        if install is not None:
            for name in install.requirement_files:
                rel = join_dir(call.cwd, name)
                if rel is not None:
                    found.extend(pinfiles.requirements_pins(self.read, rel))
            for path, extras in install.local_extras:
                folder = join_dir(call.cwd, path)
                if folder is not None:
                    found.extend(pinfiles.extras_pins(self.root, folder, extras))
        unwrapped_sync = lock_sync(unwrap(call.argv).argv) or lock_sync(call.argv)
        if unwrapped_sync is not None:
            lock, directory = unwrapped_sync
            folder = join_dir(call.cwd, directory) if directory else call.cwd
            rel = pinfiles.find_lock(self.root, folder, lock) if folder is not None else None
            if rel is not None and self.read(rel) is not None:
                found.extend(pinfiles.lock_pins(self.root, rel))
        for pin in found:
            self.pin(pin)
            if not frame.isolated:
                job.pins[pin.tool] = pin

    # --- scripts ---

    def _shell(self, call: Call, frame: Frame, job: Job) -> None:
        """``bash -c "..."``, ``sh -e script.sh args``."""
        words = list(call.argv[1:])
        errexit = pipefail = False
        while words and words[0].startswith(("-", "+")) and words[0] not in ("-c",):
            flag = words.pop(0)
            if flag in ("-o", "+o") and words:
                option = words.pop(0)
                pipefail = pipefail or option == "pipefail"
                errexit = errexit or option == "errexit"
                continue
            errexit = errexit or ("e" in flag[1:] and flag[0] == "-")
            if "c" in flag[1:]:
                words.insert(0, "-c")
        if words[:1] == ["-c"]:
            inner = frame.enter(f"{call.origin.where()} -c", call.origin, advisory=call.advisory)
            if len(words) < 2 or inner is None:
                return
            file, _, line = call.origin.chain[-1].rpartition(":")
            run_script(
                self,
                replace(inner, origin=Origin(call.origin.chain[:-1])),
                job,
                file=file,
                text=words[1],
                first_line=int(line) if line.isdigit() else 0,
                cwd=call.cwd,
                env=call.env,
                errexit=errexit,
                pipefail=pipefail,
                positional=words[3:],
            )
            return
        if words:
            self._script(
                call,
                frame,
                job,
                words[0],
                words[1:],
                errexit=errexit,
                pipefail=pipefail,
                shell=True,
            )

    def _script(
        self,
        call: Call,
        frame: Frame,
        job: Job,
        path: str,
        args: tuple[str, ...] | list[str],
        *,
        errexit: bool,
        pipefail: bool = False,
        shell: bool = False,
    ) -> None:
        assert call.cwd is not None
        rel = join_dir(call.cwd, path)
        text = self.read(rel) if rel is not None and self.in_checkout(rel) else None
        if rel is None or text is None:
            self._unread(call, path, "a script that is not in the repository")
            return
        first = text.splitlines()[0] if text else ""
        if not shell and first.startswith("#!"):
            words = first[2:].split()
            interpreter = posixpath.basename(words[0]) if words else ""
            flags = words[1:]
            if interpreter == "env" and flags:
                interpreter, flags = posixpath.basename(flags[0]), flags[1:]
            if interpreter not in _SHELLS:
                self._unread(call, path, f"a {interpreter or 'non-shell'} script: not read")
                return
            errexit = any(f.startswith("-") and "e" in f for f in flags)
        inner = frame.enter(rel, call.origin, advisory=call.advisory)
        if inner is None:
            return
        run_script(
            self,
            inner,
            job,
            file=rel,
            text=text,
            first_line=1,
            cwd=call.cwd,
            env=call.env,
            errexit=errexit,
            pipefail=pipefail,
            positional=list(args),
        )

    def _unread(self, call: Call, path: str, why: str) -> None:
        if CHECKY.search(posixpath.basename(path)):
            self.note(call.origin, call.text, why)

    # --- .gitignore ---

    def _gitignore(self) -> list[str]:
        try:
            lines = (self.root / ".gitignore").read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        patterns = []
        for line in lines:
            line = line.strip()
            if line and not line.startswith(("#", "!")):
                patterns.append(line.strip("/"))
        return patterns


OTHER_CI = (
    ".travis.yml",
    "azure-pipelines.yml",
    ".azure-pipelines.yml",
    ".circleci/config.yml",
    "Jenkinsfile",
    "bitbucket-pipelines.yml",
    "appveyor.yml",
    ".appveyor.yml",
    ".drone.yml",
    ".buildkite/pipeline.yml",
    ".woodpecker.yml",
)
"""CI systems whose definitions are not read: named, so that no one takes silence for parity."""


def read_ci(root: Path) -> CiPlan:
    """Everything the repository's CI runs that the guardrail mirrors, and what it does not."""
    reader = Reader(root)
    triggers = github.read_workflows(reader)
    gitlab.read_gitlab(reader)
    _pre_commit_ci(reader)
    for rel in OTHER_CI:
        if (root / rel).is_file():
            reader.note(Origin((f"{rel}:1",)), rel, "a CI system whose definitions are not read")
    return CiPlan(
        files=tuple(reader.files),
        checks=tuple(reader.checks),
        gates=tuple(reader.gates),
        pins=tuple(reader.pins),
        triggers=tuple(triggers),
        not_mirrored=tuple(reader.notes),
        guardrail_runs=tuple(reader.guardrail_runs),
    )


def _pre_commit_ci(reader: Reader) -> None:
    """pre-commit.ci runs ``pre-commit run --all-files`` when the config has a ``ci:`` key."""
    if not (reader.root / precommit.CONFIG).is_file():
        return
    text = reader.read(precommit.CONFIG) or ""
    if not re.search(r"^ci:", text, re.M):
        return
    config = precommit.load(reader, precommit.CONFIG)
    if config is None or config.ci_line is None:
        return
    origin = Origin((f"{precommit.CONFIG}:{config.ci_line}",))
    job = Job(precommit.CONFIG, "pre-commit.ci", (), {"CI": "true"})
    call = Call(("pre-commit", "run", "--all-files"), {}, ".", origin, False, "pre-commit.ci")
    precommit.run_hooks(
        reader,
        config,
        call,
        Frame(origin),
        job,
        hook_id=None,
        stage="pre-commit",
        skip=config.ci_skip,
    )
