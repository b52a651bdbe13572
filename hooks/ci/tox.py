"""``tox -e ENV`` read the way tox runs it.

The config is the first of ``tox.ini``, ``setup.cfg`` (``[tox:tox]``), ``pyproject.toml``
(``[tool.tox]``: ``legacy_tox_ini`` or the native tables) and ``tox.toml`` in the folder tox
starts in (or ``-c``). For each env CI names (``-e``, ``TOXENV``, ``-m`` labels, else
``env_list``; tox-gh-actions' ``[gh-actions]`` map when CI names none): ``commands_pre`` and
``commands`` with ``{posargs}`` (CI's ``-- args`` or the default), ``{env:X:default}``,
``{[section]key}`` and the path substitutions, in ``changedir``, with ``setenv``; factor-
conditional lines (``lint: ruff check``) follow the env's factors, ``[testenv]`` and ``base``
are inherited. ``deps`` (and ``extras``) pin the env's ruff and mypy; a ``-`` command and
``ignore_outcome`` cannot fail CI. Commands run without a shell, as tox runs them.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hooks.ci import ini, pinfiles
from hooks.ci.context import Call, Frame, Job, Walker
from hooks.ci.interp import join_dir
from hooks.ci.model import ToolPin
from hooks.config import read_toml
from hooks.errors import GuardrailError

_POSARGS = "\x00posargs\x00"
_FACTOR_LINE = re.compile(r"^(?P<factors>[\w{}.!,-]+):\s+(?P<rest>.*)$")
_ALIASES = {
    "commands": ("commands",),
    "commands_pre": ("commands_pre",),
    "deps": ("deps",),
    "changedir": ("changedir", "change_dir"),
    "setenv": ("setenv", "set_env"),
    "passenv": ("passenv", "pass_env"),
    "ignore_outcome": ("ignore_outcome",),
    "basepython": ("basepython", "base_python"),
    "extras": ("extras",),
    "base": ("base",),
    "envlist": ("envlist", "env_list"),
    "labels": ("labels",),
}


class _Unknown(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Lines:
    """A setting's lines, each with its line number in the config file."""

    items: tuple[tuple[str, int], ...]


@dataclass(slots=True)
class ToxConfig:
    """One tox configuration: INI sections (``core`` is ``tox`` or ``tox:tox``) or the native
    TOML table."""

    rel: str
    folder: str
    ini: ini.Ini | None = None
    core: str = "tox"
    toml: Mapping[str, Any] | None = None
    toml_lines: list[str] = field(default_factory=list)
    toml_header: str = ""

    # --- settings ---

    def _sections(self, env: str) -> list[str]:
        """The env's section, then what it inherits (``base``, by default ``[testenv]``)."""
        assert self.ini is not None
        order: list[str] = []
        pending = [self._env_section(env)]
        while pending:
            name = pending.pop(0)
            if name in order:
                continue
            order.append(name)
            if name == "testenv":
                continue
            base = self.ini.get(name, "base")
            parents = [b for b in re.split(r"[,\s]+", base.text) if b] if base else []
            pending.extend(p if p.startswith("testenv") else f"testenv:{p}" for p in parents)
            if not parents:
                pending.append("testenv")
        return [name for name in order if name in self.ini.sections]

    def _env_section(self, env: str) -> str:
        assert self.ini is not None
        direct = f"testenv:{env}"
        if direct in self.ini.sections:
            return direct
        for name in self.ini.sections:
            if name.startswith("testenv:") and env in expand_braces(name.removeprefix("testenv:")):
                return name
        return direct

    def setting(self, env: str, key: str) -> Lines | None:
        if self.ini is not None:
            for section in self._sections(env):
                for alias in _ALIASES[key]:
                    value = self.ini.get(section, alias)
                    if value is not None:
                        return Lines(tuple(value.lines))
            return None
        return self._toml_setting(env, key)

    def core_setting(self, key: str) -> Lines | None:
        if self.ini is not None:
            for alias in _ALIASES[key]:
                value = self.ini.get(self.core, alias)
                if value is not None:
                    return Lines(tuple(value.lines))
            return None
        assert self.toml is not None
        for alias in _ALIASES[key]:
            if alias in self.toml:
                return self._toml_lines(self.toml[alias], alias, self.toml_header)
        return None

    def section_value(self, section: str, key: str) -> Lines | None:
        if self.ini is None:
            return None
        value = self.ini.get(section, key)
        return Lines(tuple(value.lines)) if value is not None else None

    def all_envs(self) -> list[str]:
        if self.ini is not None:
            return [
                env
                for name in self.ini.sections
                if name.startswith("testenv:")
                for env in expand_braces(name.removeprefix("testenv:"))
            ]
        assert self.toml is not None
        envs = self.toml.get("env")
        return list(envs) if isinstance(envs, Mapping) else []

    # --- native TOML ---

    def _toml_setting(self, env: str, key: str) -> Lines | None:
        assert self.toml is not None
        tables: list[tuple[str, Mapping[str, Any]]] = []
        envs = self.toml.get("env")
        table = envs.get(env) if isinstance(envs, Mapping) else None
        if isinstance(table, Mapping):
            tables.append((f"env.{env}", table))
        base = self.toml.get("env_run_base")
        if isinstance(base, Mapping):
            tables.append(("env_run_base", base))
        for name, found in tables:
            for alias in _ALIASES[key]:
                if alias in found:
                    return self._toml_lines(found[alias], alias, f"{self.toml_header}{name}")
        return None

    def _toml_lines(self, value: object, key: str, table: str) -> Lines:
        line = _toml_key_line(self.toml_lines, table, key)
        if isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, list):
                    items.append((_toml_command(item), line))
                elif isinstance(item, str):
                    items.append((item, line))
            return Lines(tuple(items))
        if isinstance(value, Mapping):
            return Lines(tuple((f"{k} = {v}", line) for k, v in value.items()))
        return Lines(((str(value).lower() if isinstance(value, bool) else str(value), line),))


def _toml_command(items: Sequence[object]) -> str:
    words: list[str] = []
    for item in items:
        if isinstance(item, str):
            words.append(shlex.quote(item))
        elif isinstance(item, Mapping) and item.get("replace") == "posargs":
            default = item.get("default") or []
            inner = (
                " ".join(shlex.quote(str(d)) for d in default) if isinstance(default, list) else ""
            )
            words.append("{posargs:" + inner + "}" if inner else "{posargs}")
        elif isinstance(item, Mapping) and item.get("replace") == "env":
            words.append(
                "{env:" + str(item.get("name", "")) + ":" + str(item.get("default", "")) + "}"
            )
        else:
            words.append("{unknown}")
    return " ".join(words)


def _toml_key_line(lines: list[str], table: str, key: str) -> int:
    header = f"[{table}]"
    inside = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip().replace(" ", "")
        if stripped.startswith("["):
            inside = stripped == header.replace(" ", "")
        elif inside and re.match(rf"{re.escape(key)}=", stripped):
            return number
    return next((n for n, ln in enumerate(lines, 1) if ln.strip().replace(" ", "") == header), 0)


# --- finding the config ---


def load(walker: Walker, folder: str, explicit: str | None) -> ToxConfig | None:
    candidates = [explicit] if explicit else ["tox.ini", "setup.cfg", "pyproject.toml", "tox.toml"]
    for name in candidates:
        rel = join_dir(folder, name)
        if rel is None or not (walker.root / rel).is_file():
            continue
        base = posixpath.basename(rel)
        config = _load_one(walker, rel, posixpath.dirname(rel) or ".", base)
        if config is not None:
            return config
    return None


def _load_one(walker: Walker, rel: str, folder: str, base: str) -> ToxConfig | None:
    text = walker.read(rel)
    if text is None:
        return None
    if base == "setup.cfg":
        parsed = ini.parse(text)
        return ToxConfig(rel, folder, parsed, "tox:tox") if "tox:tox" in parsed.sections else None
    if base.endswith(".toml"):
        try:
            data = read_toml(walker.root / rel)
        except GuardrailError:
            return None
        table: object = data
        header = ""
        if base == "pyproject.toml":
            table = data.get("tool", {}).get("tox") if isinstance(data.get("tool"), dict) else None
            header = "tool.tox."
        if not isinstance(table, Mapping):
            return None
        legacy = table.get("legacy_tox_ini")
        if isinstance(legacy, str):
            lines = text.splitlines()
            start = next((n for n, ln in enumerate(lines, 1) if "legacy_tox_ini" in ln), 1)
            return ToxConfig(rel, folder, ini.parse(legacy, start + 1))
        return ToxConfig(rel, folder, toml=table, toml_lines=text.splitlines(), toml_header=header)
    return ToxConfig(rel, folder, ini.parse(text))


# --- env names ---


def expand_braces(text: str) -> list[str]:
    """``py{39,310}-lint`` -> ``py39-lint``, ``py310-lint``; ``py3{8-10}`` -> 38, 39, 310."""
    match = re.search(r"\{([^{}]*)\}", text)
    if match is None:
        return [text] if text else []
    options: list[str] = []
    for option in match[1].split(","):
        span = re.fullmatch(r"\s*(\d+)-(\d+)\s*", option)
        if span is not None:
            options.extend(str(n) for n in range(int(span[1]), int(span[2]) + 1))
        else:
            options.append(option.strip())
    out: list[str] = []
    for option in options:
        out.extend(expand_braces(text[: match.start()] + option + text[match.end() :]))
    return out


def _env_list(lines: Lines | None) -> list[str]:
    if lines is None:
        return []
    names: list[str] = []
    for text, _ in lines.items:
        depth, current = 0, list[str]()
        for char in text + ",":
            depth += char == "{"
            depth -= char == "}"
            if char == "," and depth == 0:
                names.extend(expand_braces("".join(current).strip()))
                current = []
            else:
                current.append(char)
    return [n for n in names if n]


def _labels(config: ToxConfig, wanted: Sequence[str]) -> list[str]:
    if config.toml is not None:
        labels = config.toml.get("labels")
        if isinstance(labels, Mapping):
            return [str(e) for name in wanted for e in labels.get(name) or []]
        return []
    return _mapped(config.core_setting("labels"), "=", wanted)


def _gh_actions(config: ToxConfig, versions: Sequence[str]) -> list[str]:
    """tox-gh-actions: ``[gh-actions] python = 3.11: py311, lint`` for the job's Pythons."""
    return _mapped(config.section_value("gh-actions", "python"), ":", versions)


def _mapped(lines: Lines | None, separator: str, wanted: Sequence[str]) -> list[str]:
    """The envs of the ``key <separator> env, env`` lines whose key is wanted."""
    found: list[str] = []
    for text, number in lines.items if lines else ():
        key, sep, envs = text.partition(separator)
        if sep and key.strip() in wanted:
            found += _env_list(Lines(((envs, number),)))
    return found


# --- one env ---


def _factors_match(expression: str, factors: set[str]) -> bool:
    for alternative in expand_braces(expression) if "{" in expression else expression.split(","):
        for option in alternative.split(",") if "," in alternative else [alternative]:
            wanted = [f for f in option.split("-") if f]
            if all((f[1:] not in factors) if f.startswith("!") else (f in factors) for f in wanted):
                return True
    return False


def _for_env(lines: Lines | None, env: str) -> list[tuple[str, int]]:
    """The lines that apply to ``env`` (factor-conditional ones filtered), continuations joined."""
    if lines is None:
        return []
    factors = set(env.split("-"))
    kept: list[tuple[str, int]] = []
    for text, number in lines.items:
        match = _FACTOR_LINE.match(text)
        if match is not None and not match["rest"].startswith("//"):
            if not _factors_match(match["factors"], factors):
                continue
            text = match["rest"]
        if kept and kept[-1][0].endswith("\\"):
            kept[-1] = (kept[-1][0][:-1] + " " + text, kept[-1][1])
        else:
            kept.append((text, number))
    return [(text, number) for text, number in kept if text]


@dataclass(slots=True)
class _Subst:
    config: ToxConfig
    env: str
    cwd: str
    environ: Mapping[str, str | None]
    setenv: dict[str, str] = field(default_factory=dict)
    posargs: tuple[str, ...] | None = None
    default: str = ""
    depth: int = 0

    def path(self, rel: str) -> str:
        return posixpath.relpath(
            posixpath.normpath(posixpath.join(self.config.folder, rel)), self.cwd
        )

    def __call__(self, text: str) -> str:
        text = re.sub(r"\{(envbindir|env_bin_dir)\}[/\\]", "", text)
        if text.strip() == "[]":
            return _POSARGS
        out: list[str] = []
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\\" and text[i + 1 : i + 2] in ("{", "}"):
                out.append(text[i + 1])
                i += 2
                continue
            if char == "{":
                end = _matching(text, i)
                if end is not None:
                    out.append(self.replacement(text[i + 1 : end]))
                    i = end + 1
                    continue
            out.append(char)
            i += 1
        return "".join(out)

    def replacement(self, body: str) -> str:
        if self.depth > 10:
            raise _Unknown(body)
        if body == "posargs" or body.startswith("posargs:"):
            self.default = body[8:]
            return _POSARGS
        simple = {
            "/": "/",
            ":": ":",
            "toxinidir": self.path("."),
            "tox_root": self.path("."),
            "toxworkdir": self.path(".tox"),
            "work_dir": self.path(".tox"),
            "envdir": self.path(f".tox/{self.env}"),
            "env_dir": self.path(f".tox/{self.env}"),
            "envtmpdir": self.path(f".tox/{self.env}/tmp"),
            "env_tmp_dir": self.path(f".tox/{self.env}/tmp"),
            "envlogdir": self.path(f".tox/{self.env}/log"),
            "env_log_dir": self.path(f".tox/{self.env}/log"),
            "envpython": "python",
            "env_python": "python",
            "envname": self.env,
            "env_name": self.env,
        }
        if body in simple:
            return simple[body]
        if body.startswith("env:"):
            name, _, default = body[4:].partition(":")
            if name in self.setenv:
                return self.setenv[name]
            value = self.environ.get(name, "")
            if value is None:
                raise _Unknown(body)
            return value or self(default)
        if body.startswith("tty:"):
            return body.split(":", 2)[2] if body.count(":") >= 2 else ""
        match = re.fullmatch(r"\[([^\]]+)\]\s*(\S+)", body)
        if match is not None:
            lines = self.config.section_value(match[1], match[2])
            if lines is None:
                return ""
            self.depth += 1
            try:
                return "\n".join(self(text) for text, _ in _for_env(lines, self.env))
            finally:
                self.depth -= 1
        raise _Unknown(body)

    def argv(self, command: str) -> list[str]:
        """One command's words, ``{posargs}`` spliced in as separate words."""
        text = self(command)
        default = self.default
        words = shlex.split(text)
        posargs = list(self.posargs) if self.posargs is not None else shlex.split(self(default))
        out: list[str] = []
        for word in words:
            if word == _POSARGS:
                out.extend(posargs)
            else:
                out.append(word.replace(_POSARGS, " ".join(posargs)))
        return out


def _matching(text: str, start: int) -> int | None:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def _python_versions(env: str, basepython: list[tuple[str, int]]) -> tuple[str, ...] | None:
    for factor in env.split("-"):
        match = re.fullmatch(r"py(\d)\.?(\d+)", factor)
        if match is not None:
            return (f"{match[1]}.{match[2]}",)
    for text, _ in basepython:
        match = re.search(r"(\d)\.(\d+)", text)
        if match is not None:
            return (f"{match[1]}.{match[2]}",)
    return None


# --- running ---


@dataclass(frozen=True, slots=True)
class ToxArgs:
    envs: tuple[str, ...]
    labels: tuple[str, ...]
    config: str | None
    posargs: tuple[str, ...] | None
    runs: bool
    exec_argv: tuple[str, ...] = ()


def tox_args(argv: Sequence[str]) -> ToxArgs:
    words = list(argv[1:])
    posargs: tuple[str, ...] | None = None
    if "--" in words:
        i = words.index("--")
        posargs = tuple(words[i + 1 :])
        words = words[:i]
    runs = True
    is_exec = False
    if words and not words[0].startswith("-"):
        sub = words.pop(0)
        is_exec = sub in ("exec", "e")
        runs = sub in ("run", "r", "run-parallel", "p", "exec", "e", "legacy", "le")
    envs: list[str] = []
    labels: list[str] = []
    config = None
    i = 0
    while i < len(words):
        name, eq, value = words[i].partition("=")
        if name in ("-e", "--env", "-m", "--labels", "-c", "--conf", "--configfile"):
            if not eq:
                i += 1
                value = words[i] if i < len(words) else ""
            if name in ("-e", "--env"):
                envs += [v for v in value.split(",") if v]
            elif name in ("-m", "--labels"):
                labels += [v for v in value.split(",") if v]
            else:
                config = value
        i += 1
    exec_argv = posargs or () if is_exec else ()
    return ToxArgs(
        tuple(envs), tuple(labels), config, None if is_exec else posargs, runs, tuple(exec_argv)
    )


def run_tox(walker: Walker, call: Call, frame: Frame, job: Job) -> None:
    """Follow ``tox ...`` (``call.argv``) into the commands of the envs it runs."""
    args = tox_args(call.argv)
    if not args.runs:
        return
    if call.cwd is None:
        walker.note(
            call.origin, call.text, "runs in a folder that cannot be known without running CI"
        )
        return
    config = load(walker, call.cwd, args.config)
    if config is None:
        walker.note(
            call.origin,
            call.text,
            f"no tox configuration (tox.ini, setup.cfg [tox:tox], pyproject.toml [tool.tox], "
            f"tox.toml) in {call.cwd}",
        )
        return
    envs = list(args.envs)
    if not envs and (toxenv := call.env.get("TOXENV")):
        envs = [e for e in toxenv.split(",") if e]
    if args.labels:
        envs += _labels(config, args.labels)
    if not envs and not args.labels:
        versions = frame.python_versions or job.python_versions
        envs = _gh_actions(config, versions) or _env_list(config.core_setting("envlist"))
    if "ALL" in envs:
        envs = _env_list(config.core_setting("envlist")) + config.all_envs()
    if not envs:
        envs = ["py"]
    for env in dict.fromkeys(envs):
        _run_env(walker, call, frame, job, config, env, args)


def _run_env(
    walker: Walker, call: Call, frame: Frame, job: Job, config: ToxConfig, env: str, args: ToxArgs
) -> None:
    inner = frame.enter(f"{config.rel}:{env}", call.origin, advisory=call.advisory)
    if inner is None:
        return
    subst = _Subst(config, env, config.folder, call.env)
    try:
        for text, _ in _for_env(config.setting(env, "setenv"), env):
            name, eq, value = text.partition("=")
            if eq and not name.strip().startswith("file|"):
                subst.setenv[name.strip()] = subst(value.strip())
        changedir = _for_env(config.setting(env, "changedir"), env)
        cwd = join_dir(config.folder, subst(changedir[0][0])) if changedir else config.folder
    except _Unknown as exc:
        walker.note(
            call.origin, f"tox -e {env}", f"{config.rel} uses {{{exc}}}, which only tox knows"
        )
        return
    if cwd is None:
        walker.note(call.origin, f"tox -e {env}", f"{config.rel}: changedir leaves the repository")
        return
    subst.cwd = cwd
    pins = list(_deps_pins(walker, config, env, subst))
    for pin in pins:
        walker.pin(pin)
    ignore = _for_env(config.setting(env, "ignore_outcome"), env)
    advisory = bool(ignore) and ignore[0][0].lower() == "true"
    versions = _python_versions(env, _for_env(config.setting(env, "basepython"), env))
    env_frame = replace(
        inner,
        advisory=inner.advisory or advisory,
        pins=tuple(pins),
        python_versions=versions or inner.python_versions,
        isolated=True,
    )
    passenv = [
        p
        for text, _ in _for_env(config.setting(env, "passenv"), env)
        for p in re.split(r"[,\s]+", text)
        if p
    ]
    environ: dict[str, str | None] = {
        k: v for k, v in call.env.items() if any(fnmatch.fnmatchcase(k, p) for p in passenv)
    }
    environ.update(subst.setenv)
    subst.posargs = args.posargs
    commands = _for_env(config.setting(env, "commands_pre"), env) + _for_env(
        config.setting(env, "commands"), env
    )
    if args.exec_argv:
        commands = [(shlex.join(args.exec_argv), call.origin.line)]
    for text, number in commands:
        origin = call.origin.then(f"{config.rel}:{number}")
        try:
            expanded = subst(text)
        except _Unknown as exc:
            walker.note(origin, text, f"uses {{{exc}}}, which only tox knows")
            continue
        for one in expanded.splitlines():
            ignored = one.lstrip().startswith("-")
            try:
                argv = subst.argv(one.lstrip().removeprefix("-").strip())
            except (_Unknown, ValueError) as exc:
                walker.note(origin, one.strip(), f"cannot be read ({exc})")
                continue
            if not argv:
                continue
            walker.command(
                Call(
                    tuple(argv),
                    environ,
                    cwd,
                    origin,
                    env_frame.advisory or ignored,
                    shlex.join(argv),
                ),
                env_frame,
                job,
            )


def _deps_pins(walker: Walker, config: ToxConfig, env: str, subst: _Subst) -> Iterator[ToolPin]:
    for text, number in _for_env(config.setting(env, "deps"), env):
        try:
            value = subst(text)
        except _Unknown:
            continue
        for dep in value.splitlines():
            dep = dep.strip()
            match = re.match(r"^(-r|-c)\s*(\S+)", dep)
            if match is not None:
                rel = join_dir(config.folder, match[2])
                if rel is not None:
                    yield from pinfiles.requirements_pins(walker.read, rel)
                continue
            pin = pinfiles.requirement_tool_pin(dep, f"{config.rel}:{number}")
            if pin is not None:
                yield pin
    extras = [
        e.strip()
        for text, _ in _for_env(config.setting(env, "extras"), env)
        for e in text.split(",")
    ]
    if extras:
        yield from pinfiles.extras_pins(walker.root, config.folder, tuple(e for e in extras if e))
