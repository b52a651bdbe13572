"""A tool's command line split into options and positional targets: the one way the guardrail
reads one, whether CI wrote it (doctor, the CI plan) or a project configured it (a check's args).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Option:
    """One option as written (``tokens``) and normalised (``name``, ``value``)."""

    name: str
    value: str | None
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SplitArgs:
    options: tuple[Option, ...]
    positionals: tuple[str, ...]


RUFF_VALUES = frozenset(
    {
        "--select",
        "--extend-select",
        "--ignore",
        "--extend-ignore",
        "--fixable",
        "--unfixable",
        "--extend-fixable",
        "--config",
        "--target-version",
        "--line-length",
        "--per-file-ignores",
        "--extend-per-file-ignores",
        "--exclude",
        "--extend-exclude",
        "--extension",
        "--output-format",
        "--format",
        "--cache-dir",
        "--stdin-filename",
        "--output-file",
        "-o",
        "--range",
        "--color",
    }
)
"""The options of ``ruff check`` and ``ruff format`` that take a value."""

RUFF_OUTPUT = frozenset(
    {
        "--output-format",
        "--format",
        "--output-file",
        "-o",
        "-q",
        "--quiet",
        "-s",
        "--silent",
        "-v",
        "--verbose",
        "--show-fixes",
        "--no-show-fixes",
        "--show-source",
        "--no-show-source",
        "--statistics",
    }
)
"""The options that change only how ruff prints what it finds."""


def split(
    argv: Sequence[str], takes_value: Collection[str], *, optional_value: Collection[str] = ()
) -> SplitArgs:
    """Options (``--opt=v``, ``--opt v``, ``-kexpr``, ``-qx``) apart from positional targets.

    ``takes_value``: the options followed by a value; of those, ``optional_value`` take none
    when the next word is an option (pytest-cov's ``--cov -q``).
    """
    options: list[Option] = []
    positionals: list[str] = []
    rest = list(argv)
    while rest:
        token = rest.pop(0)
        if token == "--":
            positionals.extend(rest)
            break
        if not token.startswith("-") or token == "-":
            positionals.append(token)
            continue
        if token.startswith("--"):
            name, eq, value = token.partition("=")
            absent = name in optional_value and bool(rest) and rest[0].startswith("-")
            if eq:
                options.append(Option(name, value, (token,)))
            elif name in takes_value and rest and not absent:
                value = rest.pop(0)
                options.append(Option(name, value, (token, value)))
            else:
                options.append(Option(name, None, (token,)))
            continue
        short = token[:2]
        if short in takes_value:
            if len(token) > 2:
                options.append(Option(short, token[2:], (token,)))
            elif rest:
                value = rest.pop(0)
                options.append(Option(short, value, (token, value)))
            else:
                options.append(Option(short, None, (token,)))
            continue
        for letter in token[1:]:
            options.append(Option(f"-{letter}", None, (f"-{letter}",)))
    return SplitArgs(tuple(options), tuple(positionals))
