"""YAML CI files loaded with their lines (ruamel's round-trip loader keeps them)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hooks.errors import GuardrailError


def load(path: Path, rel: str) -> Any:
    """The parsed file; a broken one is an error naming the file and line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GuardrailError(f"{rel}: cannot be read: {exc}") from exc
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{rel}:{mark.line + 1}" if mark is not None else rel
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise GuardrailError(
            f"{where}: not valid YAML ({problem}); fix the file so CI and the guardrail can read it"
        ) from exc


def get(mapping: object, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def key_line(mapping: Any, key: str) -> int:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 0


def item_line(seq: Any, index: int) -> int:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return 0


def node_line(node: Any) -> int:
    try:
        return int(node.lc.line) + 1
    except AttributeError:
        return 0


def script(owner: Any, key: str) -> tuple[str, int]:
    """The shell text of ``owner[key]`` and the line its first line is on: the key's line for a
    one-line value, the next for a ``|`` block; a ``>`` block is one folded line."""
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    value = owner[key]
    line = int(owner.lc.value(key)[0]) + 1
    if isinstance(value, FoldedScalarString):
        return str(value).replace("\n", " "), line + 1
    if isinstance(value, LiteralScalarString):
        return str(value), line + 1
    return str(value), line


def item_script(seq: Any, index: int) -> tuple[str, int]:
    """Like :func:`script` for the item ``index`` of a list."""
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    value = seq[index]
    line = item_line(seq, index)
    if isinstance(value, FoldedScalarString):
        return str(value).replace("\n", " "), line + 1
    if isinstance(value, LiteralScalarString):
        return str(value), line + 1
    return str(value), line
