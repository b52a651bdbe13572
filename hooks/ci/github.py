"""GitHub Actions workflows (``.github/workflows/*.yml``) read job by job, step by step.

A step's ``run:`` is walked as the shell CI starts for it (``bash -e``; ``shell: bash`` adds
``pipefail``), in its ``working-directory``, with the workflow, job and step ``env:`` whose values
are static. ``${{ matrix.X }}`` in a script or folder is expanded once per matrix value,
``${{ env.X }}``, ``${{ inputs.X }}`` and ``${{ github.workspace }}`` are substituted, any other
expression is a value only CI knows. Steps that use pre-commit/action or ruff-action run those;
local composite actions and local reusable workflows are read too. ``continue-on-error`` makes a
job's or step's commands advisory. Job and step ``if:`` conditions and dorny/paths-filter are
named as not mirrored: the guardrail checks every project.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hooks.ci import yamlfile
from hooks.ci.context import Call, Frame, Job, Walker
from hooks.ci.interp import WORKSPACE, join_dir, run_script
from hooks.ci.model import GuardrailRun, Origin, ToolPin, Trigger

WORKFLOW_DIR = ".github/workflows"
PLATFORM = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": WORKSPACE}
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_PYTHON_KEYS = ("python-version", "python_version", "python-versions", "python", "py")
_MAX_COMBOS = 64
_SHELLS = {"bash": (True, True), "sh": (True, False), "": (True, False)}


def workflow_files(walker: Walker) -> list[str]:
    folder = walker.root / WORKFLOW_DIR
    if not folder.is_dir():
        return []
    return [
        f"{WORKFLOW_DIR}/{path.name}"
        for path in sorted(folder.iterdir())
        if path.suffix in (".yml", ".yaml") and path.is_file()
    ]


def _events(on: object) -> tuple[str, ...]:
    if isinstance(on, str):
        return (on,)
    if isinstance(on, list):
        return tuple(str(e) for e in on)
    if isinstance(on, Mapping):
        return tuple(str(e) for e in on)
    return ()


def _paths(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str):
        return (value,)
    return None


def trigger(rel: str, data: Mapping[str, Any]) -> Trigger:
    on = data.get("on", data.get(True))  # type: ignore[call-overload]
    push = on.get("push") if isinstance(on, Mapping) else None
    return Trigger(
        rel,
        _events(on),
        _paths(yamlfile.get(push, "paths")),
        _paths(yamlfile.get(push, "paths-ignore")),
    )


def read_workflows(walker: Walker) -> list[Trigger]:
    triggers: list[Trigger] = []
    for rel in workflow_files(walker):
        walker.read(rel)
        data = yamlfile.load(walker.root / rel, rel)
        if not isinstance(data, Mapping):
            continue
        found = trigger(rel, data)
        triggers.append(found)
        if found.events and set(found.events) <= {"workflow_call"}:
            continue  # runs only when another workflow calls it; read there
        _Workflow(walker, rel, data, rel, Frame(Origin(())), {}).read()
    return triggers


@dataclass(slots=True)
class _Scope:
    """Values ``${{ }}`` expressions can take in one place."""

    matrix: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str | None] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    unknown: dict[str, None] = field(default_factory=dict)

    def value(self, expression: str) -> str | None:
        expression = expression.strip()
        for prefix, table in (
            ("matrix.", self.matrix),
            ("env.", self.env),
            ("inputs.", self.inputs),
        ):
            if expression.startswith(prefix) and expression[len(prefix) :] in table:
                return table[expression[len(prefix) :]]
        if expression == "github.workspace":
            return WORKSPACE
        return None

    def substitute(self, text: str) -> str:
        """``text`` with known expressions replaced; others become a shell variable that only CI
        could know (a parameter expansion of a name the walker leaves unknown)."""

        def one(match: re.Match[str]) -> str:
            value = self.value(match[1])
            if value is not None:
                return value
            name = f"__ci_expression_{len(self.unknown)}"
            self.unknown[name] = None
            return "${" + name + "}"

        return _EXPRESSION.sub(one, text)

    def plain(self, text: str) -> str | None:
        """``text`` with every expression known, else None."""
        out = _EXPRESSION.sub(lambda m: self.value(m[1]) or "\x00", text)
        return None if "\x00" in out else out


def _static_env(values: object, scope: _Scope) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    if isinstance(values, Mapping):
        for name, value in values.items():
            text = "true" if value is True else "false" if value is False else str(value)
            out[str(name)] = scope.plain(text)
    return out


def _matrix_values(matrix: Mapping[str, Any], key: str) -> list[str] | None:
    values = matrix.get(key)
    found = list(values) if isinstance(values, list) else []
    included = matrix.get("include")
    for extra in included if isinstance(included, list) else ():
        if isinstance(extra, Mapping) and key in extra:
            found.append(extra[key])
    if not found or not all(isinstance(v, str | int | float) for v in found):
        return None
    return list(dict.fromkeys(str(v) for v in found))


def _referenced(node: object, keys: set[str]) -> None:
    if isinstance(node, str):
        keys.update(m for m in re.findall(r"matrix\.([A-Za-z0-9_-]+)", node))
    elif isinstance(node, Mapping):
        for value in node.values():
            _referenced(value, keys)
    elif isinstance(node, list):
        for item in node:
            _referenced(item, keys)


def python_versions(job: Mapping[str, Any]) -> tuple[str, ...]:
    matrix = yamlfile.get(job, "strategy", "matrix")
    if isinstance(matrix, Mapping):
        for key in _PYTHON_KEYS:
            found = _matrix_values(matrix, key)
            if found:
                return tuple(found)
    steps = job.get("steps")
    for step in steps if isinstance(steps, list) else ():
        uses = yamlfile.get(step, "uses")
        if isinstance(uses, str) and uses.startswith(
            ("actions/setup-python", "astral-sh/setup-uv")
        ):
            version = yamlfile.get(step, "with", "python-version")
            if isinstance(version, str | int | float) and "${{" not in str(version):
                return (str(version),)
    return ()


def _combos(job: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    """One value per matrix key that the job's scripts and folders use, for each combination."""
    matrix = yamlfile.get(job, "strategy", "matrix")
    keys: set[str] = set()
    _referenced(yamlfile.get(job, "defaults"), keys)
    steps = job.get("steps")
    for step in steps if isinstance(steps, list) else ():
        if isinstance(step, Mapping):
            for name in ("run", "working-directory"):
                _referenced(step.get(name), keys)
            uses = str(step.get("uses") or "")
            if uses.startswith(("./", "pre-commit/action")) or "/ruff-action" in uses:
                _referenced(step.get("with"), keys)
    if not isinstance(matrix, Mapping) or not keys:
        yield {}
        return
    columns: list[tuple[str, list[str]]] = []
    for key in sorted(keys):
        values = _matrix_values(matrix, key)
        if values is not None:
            columns.append((key, values))
    combos = list(itertools.islice(itertools.product(*(v for _, v in columns)), _MAX_COMBOS))
    for combo in combos or [()]:
        yield {key: value for (key, _), value in zip(columns, combo, strict=True)}


@dataclass(slots=True)
class _Workflow:
    walker: Walker
    rel: str
    data: Mapping[str, Any]
    workflow: str
    frame: Frame
    inputs: Mapping[str, str]

    def read(self) -> None:
        jobs = self.data.get("jobs")
        for name, job in jobs.items() if isinstance(jobs, Mapping) else ():
            if isinstance(job, Mapping):
                self._job(str(name), job)

    def _job(self, name: str, job: Mapping[str, Any]) -> None:
        walker = self.walker
        before = walker.count()
        coe = job.get("continue-on-error")
        if isinstance(job.get("uses"), str):
            self._reusable(name, job)
        else:
            for combo in _combos(job):
                self._steps_of_job(name, job, combo, advisory=coe is True)
        produced = walker.count() > before
        if produced and "if" in job:
            walker.note(
                self.frame.origin.then(f"{self.rel}:{yamlfile.key_line(job, 'if')}"),
                f"if: {str(job['if']).strip()}",
                "a job condition the guardrail does not evaluate: every project is checked",
                hides_checks=False,
            )
        if produced and coe is not None and not isinstance(coe, bool):
            walker.note(
                self.frame.origin.then(f"{self.rel}:{yamlfile.key_line(job, 'continue-on-error')}"),
                f"continue-on-error: {coe}",
                "whether the job may fail depends on an expression: its commands count as blocking",
                hides_checks=False,
            )

    def _steps_of_job(
        self, name: str, job: Mapping[str, Any], combo: Mapping[str, str], *, advisory: bool
    ) -> None:
        scope = _Scope(matrix=combo, inputs=self.inputs)
        env = {**_static_env(self.data.get("env"), scope)}
        env.update(_static_env(job.get("env"), _Scope(combo, env, self.inputs)))
        versions = python_versions(job)
        for key in _PYTHON_KEYS:
            if key in combo:
                versions = (combo[key],)
        state = Job(self.workflow, name, versions, PLATFORM, env)
        folder = yamlfile.get(job, "defaults", "run", "working-directory") or yamlfile.get(
            self.data, "defaults", "run", "working-directory"
        )
        shell_name = yamlfile.get(job, "defaults", "run", "shell") or yamlfile.get(
            self.data, "defaults", "run", "shell"
        )
        frame = replace(self.frame, advisory=self.frame.advisory or advisory)
        steps = job.get("steps")
        _Steps(self.walker, self.rel, frame, state, combo, self.inputs).read(
            steps if isinstance(steps, list) else [],
            folder=str(folder) if folder is not None else ".",
            shell=str(shell_name or ""),
        )

    def _reusable(self, name: str, job: Mapping[str, Any]) -> None:
        uses = str(job["uses"])
        origin = self.frame.origin.then(f"{self.rel}:{yamlfile.key_line(job, 'uses')}")
        if not uses.startswith("./"):
            self.walker.note(
                origin, f"uses: {uses}", "a reusable workflow of another repository: not read"
            )
            return
        rel = join_dir(".", uses.split("@")[0])
        inner = self.frame.enter(
            f"workflow:{rel}", origin, advisory=job.get("continue-on-error") is True
        )
        text = self.walker.read(rel) if rel is not None else None
        if rel is None or text is None or inner is None:
            self.walker.note(origin, f"uses: {uses}", "the reusable workflow cannot be found")
            return
        data = yamlfile.load(self.walker.root / rel, rel)
        if not isinstance(data, Mapping):
            return
        inputs = _inputs(
            yamlfile.get(data, "on", "workflow_call", "inputs"),
            job.get("with"),
            _Scope(inputs=self.inputs),
        )
        _Workflow(self.walker, rel, data, self.workflow, inner, inputs).read()


def _inputs(declared: object, given: object, scope: _Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(declared, Mapping):
        for name, spec in declared.items():
            default = spec.get("default") if isinstance(spec, Mapping) else None
            if isinstance(default, str | int | float | bool):
                out[str(name)] = str(default).lower() if isinstance(default, bool) else str(default)
    if isinstance(given, Mapping):
        for name, value in given.items():
            text = scope.plain(str(value).lower() if isinstance(value, bool) else str(value))
            if text is not None:
                out[str(name)] = text
            else:
                out.pop(str(name), None)
    return out


@dataclass(slots=True)
class _Steps:
    walker: Walker
    rel: str
    frame: Frame
    job: Job
    combo: Mapping[str, str]
    inputs: Mapping[str, str]

    def read(self, steps: Sequence[Any], *, folder: str, shell: str) -> None:
        for step in steps:
            if isinstance(step, Mapping):
                before = self.walker.count()
                self._step(step, folder=folder, shell=shell)
                if "if" in step and self.walker.count() > before:
                    self.walker.note(
                        self.frame.origin.then(f"{self.rel}:{yamlfile.key_line(step, 'if')}"),
                        f"if: {str(step['if']).strip()}",
                        "a step condition the guardrail does not evaluate: the step counts as run",
                        hides_checks=False,
                    )

    def _step(self, step: Mapping[str, Any], *, folder: str, shell: str) -> None:
        scope = _Scope(self.combo, self.job.env, self.inputs)
        env = {**self.job.env, **_static_env(step.get("env"), scope)}
        scope = _Scope(self.combo, env, self.inputs)
        frame = self.frame
        if step.get("continue-on-error") is True:
            frame = replace(frame, advisory=True)
        where = step.get("working-directory") or folder
        cwd = join_dir(".", scope.substitute(str(where)))
        if cwd is not None and "${__ci_expression" in cwd:
            cwd = None
        uses = step.get("uses")
        if isinstance(uses, str):
            self._uses(step, uses, scope, env, cwd, frame)
            return
        run = step.get("run")
        if not isinstance(run, str):
            return
        shell_name = (
            str(step.get("shell") or shell).split()[0] if (step.get("shell") or shell) else ""
        )
        if shell_name not in _SHELLS:
            if re.search(r"\b(ruff|mypy|pytest|tox|nox|pre-commit|make)\b", run):
                self.walker.note(
                    frame.origin.then(f"{self.rel}:{yamlfile.key_line(step, 'run')}"),
                    run.strip().splitlines()[0],
                    f"a {shell_name} script: only sh and bash scripts are read",
                )
            return
        errexit, pipefail = _SHELLS[shell_name]
        text, first = yamlfile.script(step, "run")
        text = scope.substitute(text)
        run_script(
            self.walker,
            frame,
            self.job,
            file=self.rel,
            text=text,
            first_line=first,
            cwd=cwd,
            env=env,
            errexit=errexit,
            pipefail=pipefail,
            variables=dict(scope.unknown),
        )

    def _uses(
        self,
        step: Mapping[str, Any],
        uses: str,
        scope: _Scope,
        env: Mapping[str, str | None],
        cwd: str | None,
        frame: Frame,
    ) -> None:
        origin = frame.origin.then(f"{self.rel}:{yamlfile.key_line(step, 'uses')}")
        action = uses.split("@")[0].lower()
        given = step.get("with") if isinstance(step.get("with"), Mapping) else {}
        assert isinstance(given, Mapping)

        def arg(name: str, default: str) -> str | None:
            value = given.get(name)
            return default if value is None else scope.plain(str(value))

        if action == "pre-commit/action":
            extra = arg("extra_args", "--all-files")
            if extra is None:
                self.walker.note(origin, f"uses: {uses}", "extra_args only CI knows")
                return
            argv = ("pre-commit", "run", "--show-diff-on-failure", *shlex.split(extra))
            self.walker.command(
                Call(argv, env, ".", origin, frame.advisory, f"uses: {uses}"), frame, self.job
            )
        elif action.endswith("/ruff-action"):
            args, src, version = arg("args", "check"), arg("src", "."), arg("version", "")
            if args is None or src is None:
                self.walker.note(origin, f"uses: {uses}", "args or src only CI knows")
                return
            pins = frame.pins
            if version and version != "latest" and re.fullmatch(r"v?\d[\w.]*", version):
                pin = ToolPin("ruff", version.lstrip("v"), origin.chain[-1])
                self.walker.pin(pin)
                pins = (pin,)
            argv = ("ruff", *shlex.split(args), *shlex.split(src))
            action_frame = replace(frame, pins=pins, isolated=True)
            self.walker.command(
                Call(argv, env, cwd or ".", origin, frame.advisory, f"uses: {uses}"),
                action_frame,
                self.job,
            )
        elif action.endswith("/push-guardrail"):
            args, folder = arg("args", ""), arg("working-directory", ".")
            if args is None or folder is None:
                self.walker.note(origin, f"uses: {uses}", "args or working-directory only CI knows")
                return
            where = join_dir(cwd or ".", folder)
            if where is None:
                self.walker.note(origin, f"uses: {uses}", "runs in a folder outside the repository")
                return
            run = GuardrailRun(
                origin,
                where,
                tuple(args.split()),
                frame.advisory,
                self.job.workflow,
                self.job.name,
                f"uses: {uses}",
            )
            self.walker.guardrail(run)
        elif action.startswith("dorny/paths-filter"):
            self.walker.note(
                origin,
                f"uses: {uses}",
                "a path filter the guardrail does not evaluate: every project is checked",
                hides_checks=False,
            )
        elif uses.startswith("./"):
            self._composite(uses, given, scope, origin, frame)

    def _composite(
        self, uses: str, given: Mapping[str, Any], scope: _Scope, origin: Origin, frame: Frame
    ) -> None:
        folder = join_dir(".", uses)
        found = None
        for name in ("action.yml", "action.yaml"):
            rel = f"{folder}/{name}" if folder is not None else None
            if rel is not None and (self.walker.root / rel).is_file():
                found = rel
        inner = frame.enter(f"action:{found}", origin, advisory=False)
        if found is None or inner is None:
            self.walker.note(origin, f"uses: {uses}", "the local action cannot be found")
            return
        self.walker.read(found)
        data = yamlfile.load(self.walker.root / found, found)
        runs = yamlfile.get(data, "runs")
        if yamlfile.get(runs, "using") != "composite":
            self.walker.note(origin, f"uses: {uses}", "a JavaScript or Docker action: not read")
            return
        inputs = _inputs(yamlfile.get(data, "inputs"), given, scope)
        steps = yamlfile.get(runs, "steps")
        _Steps(self.walker, found, inner, self.job, self.combo, inputs).read(
            steps if isinstance(steps, list) else [], folder=".", shell=""
        )
