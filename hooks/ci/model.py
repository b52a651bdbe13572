"""What CI runs, as plain records: the plan :func:`hooks.ci.read_ci` reads from the CI files.

Every record says where it came from (:class:`Origin`): the CI file's line and each file it went
through on the way (a script, a Makefile target, a tox env, a pre-commit hook), outermost first.
The records are frozen and hashable, so the engine can deduplicate and cache them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

CHECK_TOOL = {"ruff-check": "ruff", "ruff-format": "ruff", "mypy": "mypy", "pytest": "pytest"}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a command came from: ``("ci.yml:46", "scripts/check:12", "Makefile:20")``."""

    chain: tuple[str, ...]

    def where(self) -> str:
        return " -> ".join(self.chain)

    def then(self, hop: str) -> Origin:
        return Origin((*self.chain, hop))

    @property
    def file(self) -> str:
        """The CI file the chain starts in."""
        return self.chain[0].rpartition(":")[0] if self.chain else ""

    @property
    def line(self) -> int:
        """The line of the CI file the chain starts at."""
        tail = self.chain[0].rpartition(":")[2] if self.chain else ""
        return int(tail) if tail.isdigit() else 0


class Env(Mapping[str, str]):
    """A read-only, hashable mapping of environment variables."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: tuple[tuple[str, str], ...] = tuple(sorted((items or {}).items()))

    def __getitem__(self, key: str) -> str:
        for name, value in self._items:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"Env({dict(self._items)!r})"


@dataclass(frozen=True, slots=True)
class ToolPin:
    """ruff or mypy at an exact ``version`` that CI installs; ``origin`` is ``file:line``
    (``.pre-commit-config.yaml:5``, ``requirements.txt:22``, ``backend/uv.lock:812``).
    ``extra`` are packages installed beside it (a mypy hook's ``additional_dependencies``)."""

    tool: str
    version: str
    origin: str
    extra: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PreCommitHook:
    """How pre-commit runs a hook: on which files, in which environment.

    A file is passed when it matches every regex in ``files`` and none in ``exclude`` (the
    config's top-level patterns and the hook's own), and its identify tags meet ``types`` (all),
    ``types_or`` (any) and ``exclude_types`` (none). pre-commit fails a hook that modifies files.
    """

    repo: str
    rev: str
    hook_id: str
    files: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    types_or: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    pass_filenames: bool = True
    language: str = ""
    additional_dependencies: tuple[str, ...] = ()
    config: str = ".pre-commit-config.yaml"


@dataclass(frozen=True, slots=True)
class CiCheck:
    """One command CI runs that is one of the four checks.

    ``argv`` are the tool's arguments after its command words (after ``ruff check``, ``mypy``,
    ``pytest``), variables expanded and ``{posargs}`` resolved, exactly as CI passes them; for a
    pre-commit hook with ``pass_filenames``, the file names pre-commit appends are not in it.
    ``folder`` is repo-relative (``.`` is the root). ``advisory`` commands cannot fail CI
    (``continue-on-error``, ``|| true``, ``allow_failure``, make's ``-``, a command whose exit
    status the shell drops). ``pin`` is the version CI runs it with, when CI pins one.
    """

    check: str
    folder: str
    argv: tuple[str, ...]
    launcher: str
    env: Env
    origin: Origin
    advisory: bool
    python_versions: tuple[str, ...]
    workflow: str
    job: str
    text: str
    via_pre_commit: PreCommitHook | None = None
    pin: ToolPin | None = None

    @property
    def tool(self) -> str:
        """``ruff``, ``mypy`` or ``pytest``: the program behind the check."""
        return CHECK_TOOL[self.check]


@dataclass(frozen=True, slots=True)
class CoverageGate:
    """A coverage threshold CI applies to the tests' results.

    ``kind`` is ``pytest-cov`` (pytest itself fails under the threshold: ``--cov-fail-under`` or
    coverage's ``fail_under`` with ``--cov``), ``coverage`` (a separate ``coverage report``,
    ``html``, ``xml``, ``json`` or ``lcov`` command, whose ``argv`` starts with that command) or
    ``script`` (a Python script of the repository run after the tests, ``python <argv>`` in
    ``folder``, that reads a coverage report the pytest step writes: ``reports`` are that step's
    ``--cov-report`` tokens it reads, written relative to the pytest step's folder).
    ``threshold`` is None when the value cannot be read (``fail_under = ${VAR}``) or lives in a
    script. ``origin`` ends at the line that sets the threshold (a script's: CI's step);
    ``config`` is the coverage config file the command reads, if any. ``combined``: the job ran
    ``coverage combine`` before it, so the total CI compares is that of data from several runs
    (other matrix jobs, other Pythons).
    """

    kind: str
    folder: str
    argv: tuple[str, ...]
    threshold: float | None
    origin: Origin
    advisory: bool
    workflow: str
    job: str
    config: str | None = None
    combined: bool = False
    reports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Trigger:
    """When one GitHub workflow runs: its ``on`` events and the path filters of ``on.push``
    (None: no filter)."""

    workflow: str
    events: tuple[str, ...]
    paths: tuple[str, ...] | None
    paths_ignore: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class NotMirrored:
    """Something CI runs or decides that the guardrail does not read, and why.

    ``hides_checks``: whether it may run one of the four checks the guardrail did not see (an
    unread script, tox env or action): the plan then fails closed on the checks CI runs
    nowhere else. False for a filter or a conservative reading (a job ``if:``, both branches of
    a conditional read), which never hides a check run. The reader that notes it decides."""

    origin: Origin
    text: str
    why: str
    hides_checks: bool = True


@dataclass(frozen=True, slots=True)
class GuardrailRun:
    """CI runs the guardrail itself (the push-guardrail action, or ``guardrail run``): its
    checks are the push hook's by construction. ``args`` are the arguments it is given after
    ``guardrail run``; ``folder`` is where it runs (repo-relative)."""

    origin: Origin
    folder: str
    args: tuple[str, ...]
    advisory: bool
    workflow: str
    job: str
    text: str


@dataclass(frozen=True, slots=True)
class CiPlan:
    """Everything read from a repository's CI definitions."""

    files: tuple[str, ...] = ()
    checks: tuple[CiCheck, ...] = ()
    gates: tuple[CoverageGate, ...] = ()
    pins: tuple[ToolPin, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    not_mirrored: tuple[NotMirrored, ...] = ()
    guardrail_runs: tuple[GuardrailRun, ...] = ()
