"""Which command-line arguments of ruff, mypy and pytest can change a check's verdict.

CI and the guardrail are compared on targets and on verdict-changing options only: ``-q``,
``--output-format`` or ``-n auto`` change how a tool reports or how fast it runs, not whether it
fails. Anything not known to be cosmetic counts as verdict-changing, so an unknown option is
reported rather than silently ignored.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from hooks import toolargs
from hooks.toolargs import RUFF_OUTPUT, RUFF_VALUES, Option, SplitArgs


@dataclass(frozen=True, slots=True)
class ArgSpec:
    takes_value: frozenset[str]
    cosmetic: frozenset[str]
    paths: frozenset[str] = frozenset()
    targets: frozenset[str] = frozenset()


_RUFF_COSMETIC = RUFF_OUTPUT | frozenset(
    {
        "--cache-dir",
        "--no-cache",
        "--force-exclude",
        "--no-force-exclude",
        "-n",
        "--watch",
        "-w",
    }
)
# What `ruff check` does with fixes (--fix, --no-fix, --diff, --unsafe-fixes, --unfixable,
# --exit-zero, --exit-non-zero-on-fix, ...) changes its verdict, and what the later checks see:
# none of it is cosmetic. `ruff format --check` and `--diff` fail on the same files.
_RUFF_FORMAT_COSMETIC = _RUFF_COSMETIC | frozenset({"--check", "--diff"})
_MYPY_REPORTS = frozenset(
    {
        "--junit-xml",
        "--txt-report",
        "--html-report",
        "--xml-report",
        "--linecount-report",
        "--linecoverage-report",
        "--lineprecision-report",
        "--any-exprs-report",
        "--cobertura-xml-report",
        "--memory-xml-report",
        "--xslt-html-report",
        "--xslt-txt-report",
    }
)
_MYPY_VALUES = _MYPY_REPORTS | frozenset(
    {
        "--config-file",
        "--python-version",
        "--platform",
        "--python-executable",
        "-p",
        "--package",
        "-m",
        "--module",
        "--cache-dir",
        "--enable-error-code",
        "--disable-error-code",
        "--always-true",
        "--always-false",
        "--exclude",
        "--follow-imports",
        "--custom-typeshed-dir",
        "--custom-typing-module",
        "--shadow-file",
        "-O",
        "--output",
        "--package-root",
        "--enable-incomplete-feature",
    }
)
_MYPY_COSMETIC = _MYPY_REPORTS | frozenset(
    {
        "--pretty",
        "--no-pretty",
        "--show-error-codes",
        "--hide-error-codes",
        "--show-column-numbers",
        "--hide-column-numbers",
        "--show-error-context",
        "--hide-error-context",
        "--show-error-end",
        "--show-absolute-path",
        "--show-traceback",
        "--tb",
        "--show-error-code-links",
        "--no-error-summary",
        "--error-summary",
        "--color-output",
        "--no-color-output",
        "--cache-dir",
        "--incremental",
        "--no-incremental",
        "--sqlite-cache",
        "--cache-fine-grained",
        "--skip-cache-mtime-checks",
        "--install-types",
        "--non-interactive",
        "-v",
        "--verbose",
        "-O",
        "--output",
        "--python-executable",
    }
)
_PYTEST_VALUES = frozenset(
    {
        "-k",
        "-m",
        "-c",
        "--config-file",
        "--rootdir",
        "-p",
        "-W",
        "--pythonwarnings",
        "-o",
        "--override-ini",
        "--ignore",
        "--ignore-glob",
        "--deselect",
        "--confcutdir",
        "--basetemp",
        "--tb",
        "-r",
        "--durations",
        "--durations-min",
        "--junitxml",
        "--junit-xml",
        "--junit-prefix",
        "--cov",
        "--cov-report",
        "--cov-config",
        "--cov-fail-under",
        "-n",
        "--numprocesses",
        "--dist",
        "--maxprocesses",
        "--maxfail",
        "--color",
        "--log-level",
        "--log-cli-level",
        "--log-file",
        "--import-mode",
        "--capture",
        "--timeout",
        "--reruns",
        "--html",
        "--benchmark-json",
    }
)
_PYTEST_COSMETIC = frozenset(
    {
        "-q",
        "--quiet",
        "-v",
        "--verbose",
        "-s",
        "--capture",
        "--tb",
        "-r",
        "-l",
        "--showlocals",
        "--durations",
        "--durations-min",
        "--junitxml",
        "--junit-xml",
        "--junit-prefix",
        "--color",
        "--code-highlight",
        "-n",
        "--numprocesses",
        "--dist",
        "--maxprocesses",
        "--maxfail",
        "-x",
        "--exitfirst",
        "--log-level",
        "--log-cli-level",
        "--log-file",
        "--cov-report",
        "--no-header",
        "--no-summary",
        "--html",
        "--self-contained-html",
        "--benchmark-json",
        "--benchmark-disable",
        "--lf",
        "--last-failed",
        "--ff",
        "--failed-first",
        "--nf",
        "--sw",
        "--stepwise",
        "--cache-clear",
        "--reruns",
        "--basetemp",
        "-p",
    }
)
OPTIONAL_VALUES = frozenset({"--cov"})
"""``--cov`` takes an optional value: ``--cov -q`` has none."""
COVERAGE_OPTIONS = frozenset({"--cov", "--cov-branch", "--cov-config", "--no-cov"})
"""pytest-cov options that change the verdict only when a coverage threshold is set."""

SPECS: dict[str, ArgSpec] = {
    "ruff-check": ArgSpec(RUFF_VALUES, _RUFF_COSMETIC, paths=frozenset({"--config"})),
    "ruff-format": ArgSpec(RUFF_VALUES, _RUFF_FORMAT_COSMETIC, paths=frozenset({"--config"})),
    "mypy": ArgSpec(
        _MYPY_VALUES,
        _MYPY_COSMETIC,
        paths=frozenset({"--config-file"}),
        targets=frozenset({"-p", "--package", "-m", "--module"}),
    ),
    "pytest": ArgSpec(
        _PYTEST_VALUES,
        _PYTEST_COSMETIC,
        paths=frozenset({"-c", "--config-file", "--rootdir", "--ignore", "--cov-config"}),
    ),
}


def split(argv: Sequence[str], spec: ArgSpec) -> SplitArgs:
    """Options (``--opt=v``, ``--opt v``, ``-kexpr``, ``-qx``) apart from positional targets."""
    return toolargs.split(argv, spec.takes_value, optional_value=OPTIONAL_VALUES)


def rebase(value: str, from_dir: str, to_dir: str) -> str:
    """A path written relative to ``from_dir`` as seen from ``to_dir`` (both repo-relative)."""
    if value.startswith("/"):
        return value
    absolute = posixpath.normpath(posixpath.join(from_dir, value))
    return posixpath.relpath(absolute, to_dir)


_REPORT_FILES = {"json": "coverage.json", "xml": "coverage.xml", "lcov": "coverage.lcov"}


def cov_reports(argv: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """pytest-cov's ``--cov-report`` values that write a file, each with the file it writes
    (relative to pytest's folder): ``json:out.json`` writes ``out.json``, a bare ``json``
    writes coverage's default ``coverage.json``."""
    found = []
    for option in split(argv, SPECS["pytest"]).options:
        if option.name != "--cov-report" or option.value is None:
            continue
        kind, _, path = option.value.partition(":")
        if kind in _REPORT_FILES:
            found.append((option.value, path or _REPORT_FILES[kind]))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The options of one command that matter to the verdict, paths made repo-relative."""

    options: tuple[Option, ...]
    positionals: tuple[str, ...]
    package_targets: tuple[str, ...]


def verdict_args(tool: str, argv: Sequence[str], cwd: str, *, coverage_gate: bool) -> Verdict:
    """Split ``argv`` (run in repo-relative ``cwd``) into what can change ``tool``'s verdict.

    ``coverage_gate`` says whether a coverage threshold is configured, which makes ``--cov``
    verdict-changing for pytest.
    """
    spec = SPECS[tool]
    parts = split(argv, spec)
    gate = coverage_gate or any(o.name == "--cov-fail-under" for o in parts.options)
    kept: list[Option] = []
    packages: list[str] = []
    for opt in parts.options:
        if opt.name in spec.targets and opt.value is not None:
            packages.append(f"{opt.name.lstrip('-')[0]}:{opt.value}")
            continue
        if opt.name in spec.cosmetic:
            continue
        if tool == "pytest" and opt.name in COVERAGE_OPTIONS and not gate:
            continue
        if opt.name == "--cov-fail-under" and opt.value is not None:
            opt = Option(opt.name, _number(opt.value), opt.tokens)
        if opt.name in spec.paths and opt.value is not None and "=" not in opt.value:
            opt = Option(opt.name, rebase(opt.value, cwd, "."), opt.tokens)
        kept.append(opt)
    positionals = tuple(
        posixpath.normpath(posixpath.join(cwd, p)) if not p.startswith("/") else p
        for p in parts.positionals
    )
    return Verdict(tuple(kept), positionals, tuple(packages))


def _number(value: str) -> str:
    try:
        return f"{float(value):g}"
    except ValueError:
        return value


def rebased_tokens(option: Option, tool: str, from_dir: str, to_dir: str) -> tuple[str, ...]:
    """The option's tokens as they must be written for a tool run in ``to_dir``."""
    spec = SPECS[tool]
    if option.name not in spec.paths or option.value is None or "=" in option.value:
        return option.tokens
    if len(option.tokens) == 2:
        return (option.tokens[0], rebase(option.tokens[1], from_dir, to_dir))
    token = option.tokens[0]
    if token.startswith("--"):
        return (f"{option.name}={rebase(token.partition('=')[2], from_dir, to_dir)}",)
    return (f"{option.name}{rebase(token[2:], from_dir, to_dir)}",)
