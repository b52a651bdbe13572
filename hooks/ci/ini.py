"""INI files (tox.ini, setup.cfg) read with the line of every value line, which configparser
does not keep. Keys are lower-cased as configparser does; a value continues on indented lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*(?:[#;].*)?$")
_KEY = re.compile(r"^(?P<key>[^=:\s][^=:]*?)\s*[=:]\s?(?P<value>.*)$")


@dataclass(slots=True)
class Value:
    """A value's lines as written (leading whitespace stripped), each with its line number."""

    lines: list[tuple[str, int]] = field(default_factory=list)
    line: int = 0

    @property
    def text(self) -> str:
        return "\n".join(text for text, _ in self.lines).strip()


@dataclass(slots=True)
class Ini:
    sections: dict[str, dict[str, Value]] = field(default_factory=dict)

    def get(self, section: str, key: str) -> Value | None:
        return self.sections.get(section, {}).get(key.lower())


def parse(text: str, first_line: int = 1) -> Ini:
    ini = Ini()
    section: dict[str, Value] | None = None
    current: Value | None = None
    for offset, raw in enumerate(text.splitlines()):
        number = first_line + offset
        stripped = raw.strip()
        if current is not None and raw[:1] in (" ", "\t") and stripped:
            if not stripped.startswith(("#", ";")):
                current.lines.append((stripped, number))
            continue
        if not stripped or stripped.startswith(("#", ";")):
            if not stripped and current is not None:
                current.lines.append(("", number))
            continue
        match = _SECTION.match(stripped)
        if match is not None:
            name = match["name"].strip()
            section = ini.sections.setdefault(name, {})
            current = None
            continue
        key = _KEY.match(stripped)
        if key is None or section is None:
            current = None
            continue
        current = Value([(key["value"].strip(), number)] if key["value"].strip() else [], number)
        section[key["key"].strip().lower()] = current
    for values in ini.sections.values():
        for value in values.values():
            while value.lines and not value.lines[-1][0]:
                value.lines.pop()
    return ini
