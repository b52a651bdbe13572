"""``pre-commit run`` read from ``.pre-commit-config.yaml``: which hooks run, on which files, with
which command and version.

Two hook repositories are known from their manifests (``.pre-commit-hooks.yaml``, checked at
the tags named): astral-sh/ruff-pre-commit (ids ``ruff``, ``ruff-check``: ``ruff check
--force-exclude`` since v0.0.254, ``ruff --force-exclude`` from v0.0.230, ``ruff`` before;
``ruff-format``: ``ruff format --force-exclude``; ``types_or: [python, pyi]``, with ``jupyter``
from v0.6.0; no default args) and pre-commit/mirrors-mypy (``mypy`` with default args
``--ignore-missing-imports --scripts-are-modules``; ``types_or: [python, pyi]`` from v0.920,
``types: [python]`` before). Their ``rev`` pins the tool. A local hook's ``entry`` is followed
as a command (``entry: make lint`` into the Makefile). Hooks of other repositories run other
tools and are left alone. pre-commit.ci (a ``ci:`` key) runs ``pre-commit run --all-files``
without the hooks in ``ci.skip``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hooks.ci import pinfiles, yamlfile
from hooks.ci.context import Call, Frame, Job, Walker
from hooks.ci.interp import join_dir
from hooks.ci.model import PreCommitHook, ToolPin

CONFIG = ".pre-commit-config.yaml"
RUFF_REPOS = ("astral-sh/ruff-pre-commit", "charliermarsh/ruff-pre-commit")
MYPY_REPOS = ("pre-commit/mirrors-mypy",)
ISOLATED_LANGUAGES = frozenset(
    {"python", "python_venv", "conda", "node", "docker", "docker_image", "golang", "rust"}
)
_VALUE_OPTS = frozenset(
    {
        "--hook-stage",
        "--from-ref",
        "--to-ref",
        "--source",
        "--origin",
        "-s",
        "-o",
        "-c",
        "--config",
        "--color",
        "--files",
        "--remote-branch",
        "--local-branch",
        "--commit-msg-filename",
        "--checkout-type",
    }
)


@dataclass(frozen=True, slots=True)
class Manifest:
    entry: str
    args: tuple[str, ...]
    types: tuple[str, ...]
    types_or: tuple[str, ...]
    tool: str


def version_of(rev: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"v?(\d+(?:\.\d+)*)", rev.strip())
    return tuple(int(p) for p in match[1].split(".")) if match else None


def manifest(repo: str, hook_id: str, version: tuple[int, ...] | None) -> Manifest | None:
    """The known hook's manifest at ``version`` (None: the newest)."""
    if repo in RUFF_REPOS:
        types_or = (
            ("python", "pyi", "jupyter")
            if version is None or version >= (0, 6, 0)
            else ("python", "pyi")
        )
        if hook_id in ("ruff", "ruff-check"):
            if version is not None and version < (0, 0, 230):
                entry = "ruff"
            elif version is not None and version < (0, 0, 254):
                entry = "ruff --force-exclude"
            else:
                entry = "ruff check --force-exclude"
            return Manifest(entry, (), ("file",), types_or, "ruff")
        if hook_id == "ruff-format":
            return Manifest("ruff format --force-exclude", (), ("file",), types_or, "ruff")
    if repo in MYPY_REPOS and hook_id == "mypy":
        old = version is not None and version < (0, 920)
        return Manifest(
            "mypy",
            ("--ignore-missing-imports", "--scripts-are-modules"),
            ("python",) if old else ("file",),
            () if old else ("python", "pyi"),
            "mypy",
        )
    return None


def repo_key(url: str) -> str:
    """``https://github.com/astral-sh/ruff-pre-commit.git`` -> ``astral-sh/ruff-pre-commit``."""
    text = url.strip().rstrip("/").removesuffix(".git").lower()
    parts = re.split(r"[/:]", text)
    return "/".join(parts[-2:]) if len(parts) >= 2 else text


@dataclass(frozen=True, slots=True)
class ConfiguredHook:
    """One hook of the config, with the command pre-commit runs for it."""

    hook: PreCommitHook
    argv: tuple[str, ...]
    line: int
    stages: tuple[str, ...] | None
    alias: str
    pins: tuple[ToolPin, ...]
    local: bool
    isolated: bool


@dataclass(frozen=True, slots=True)
class Config:
    rel: str
    hooks: tuple[ConfiguredHook, ...]
    ci_line: int | None
    ci_skip: tuple[str, ...]
    problems: tuple[tuple[int, str, str], ...] = ()


def _strs(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),) if isinstance(value, str) else ()


def _rev_version(repo: Any, lines: Sequence[str]) -> tuple[str, int]:
    """The rev as a version (``v0.12.11``), reading ``# frozen: v0.12.11`` after a commit hash."""
    rev = str(repo.get("rev") or "")
    line = yamlfile.key_line(repo, "rev")
    if version_of(rev) is None and 0 < line <= len(lines):
        frozen = re.search(r"#\s*frozen:\s*(\S+)", lines[line - 1])
        if frozen is not None:
            return frozen[1], line
    return rev, line


def load(walker: Walker, rel: str) -> Config | None:
    text = walker.read(rel)
    if text is None:
        return None
    data = yamlfile.load(walker.root / rel, rel)
    if not isinstance(data, Mapping):
        return Config(rel, (), None, ())
    lines = text.splitlines()
    top_files = str(data.get("files") or "")
    top_exclude = str(data.get("exclude") or "^$")
    default_stages = _strs(data.get("default_stages")) or None
    hooks: list[ConfiguredHook] = []
    problems: list[tuple[int, str, str]] = []
    repos = data.get("repos")
    for repo in repos if isinstance(repos, list) else ():
        if not isinstance(repo, Mapping):
            continue
        url = str(repo.get("repo") or "")
        local = url == "local"
        if url == "meta":
            continue
        key = repo_key(url)
        rev, rev_line = _rev_version(repo, lines)
        version = version_of(rev)
        entries = repo.get("hooks")
        for hook in entries if isinstance(entries, list) else ():
            if not isinstance(hook, Mapping):
                continue
            found = _configured(
                hook,
                key,
                rev,
                version,
                rev_line,
                local,
                rel,
                top_files,
                top_exclude,
                default_stages,
            )
            if isinstance(found, ConfiguredHook):
                hooks.append(found)
            elif found is not None:
                problems.append((yamlfile.node_line(hook), str(hook.get("id", "")), found))
    ci = data.get("ci")
    ci_line = yamlfile.key_line(data, "ci") if "ci" in data else None
    skip = _strs(ci.get("skip")) if isinstance(ci, Mapping) else ()
    return Config(rel, tuple(hooks), ci_line, skip, tuple(problems))


def _configured(
    hook: Any,
    key: str,
    rev: str,
    version: tuple[int, ...] | None,
    rev_line: int,
    local: bool,
    rel: str,
    top_files: str,
    top_exclude: str,
    default_stages: tuple[str, ...] | None,
) -> ConfiguredHook | str | None:
    hook_id = str(hook.get("id") or "")
    known = None if local else manifest(key, hook_id, version)
    if not local and known is None:
        return None
    language = str(hook.get("language") or ("python" if known else ""))
    entry = hook.get("entry") or (known.entry if known else "")
    try:
        argv = shlex.split(str(entry))
    except ValueError as exc:
        return f"entry cannot be split into words ({exc})"
    args = _strs(hook["args"]) if "args" in hook else (known.args if known else ())
    deps = _strs(hook.get("additional_dependencies"))
    files = tuple(p for p in (top_files, str(hook.get("files") or "")) if p)
    exclude = tuple(p for p in (top_exclude, str(hook.get("exclude") or "^$")) if p != "^$")
    pre_commit_hook = PreCommitHook(
        repo=key if not local else "local",
        rev=rev,
        hook_id=hook_id,
        files=files,
        exclude=exclude,
        types=_strs(hook["types"]) if "types" in hook else (known.types if known else ("file",)),
        types_or=_strs(hook["types_or"])
        if "types_or" in hook
        else (known.types_or if known else ()),
        exclude_types=_strs(hook.get("exclude_types")),
        pass_filenames=hook.get("pass_filenames") is not False,
        language=language,
        additional_dependencies=deps,
        config=rel,
    )
    pins: list[ToolPin] = []
    if known is not None and version is not None:
        extra = deps if known.tool == "mypy" else ()
        pins.append(ToolPin(known.tool, ".".join(map(str, version)), f"{rel}:{rev_line}", extra))
    line = yamlfile.node_line(hook)
    for dep in deps:
        pin = pinfiles.requirement_tool_pin(dep, f"{rel}:{line}")
        if pin is not None and not any(p.tool == pin.tool for p in pins):
            pins.append(pin)
    stages = _strs(hook.get("stages")) or default_stages
    return ConfiguredHook(
        pre_commit_hook,
        (*argv, *args),
        line,
        stages,
        str(hook.get("alias") or ""),
        tuple(pins),
        local,
        language in ISOLATED_LANGUAGES,
    )


@dataclass(frozen=True, slots=True)
class RunArgs:
    hook: str | None
    all_files: bool
    changed_only: bool
    stage: str
    config: str


def run_args(argv: Sequence[str]) -> RunArgs:
    words = list(argv[2:])
    hook = None
    all_files = changed = False
    stage = "pre-commit"
    config = CONFIG
    i = 0
    while i < len(words):
        name, eq, value = words[i].partition("=")
        if name in _VALUE_OPTS:
            if not eq:
                i += 1
                value = words[i] if i < len(words) else ""
            if name == "--hook-stage":
                stage = value
            elif name in ("-c", "--config"):
                config = value
            elif name in ("--from-ref", "--to-ref", "-s", "-o", "--source", "--origin"):
                changed = True
            elif name == "--files":
                changed = True
                while i + 1 < len(words) and not words[i + 1].startswith("-"):
                    i += 1
        elif name in ("-a", "--all-files"):
            all_files = True
        elif not name.startswith("-") and hook is None:
            hook = name
        i += 1
    return RunArgs(hook, all_files, changed, stage, config)


def _runs_at(hook: ConfiguredHook, stage: str) -> bool:
    if hook.stages is None:
        return True
    names = {"commit": "pre-commit", "push": "pre-push", "merge-commit": "pre-merge-commit"}
    return names.get(stage, stage) in {names.get(s, s) for s in hook.stages}


def run_pre_commit(walker: Walker, call: Call, frame: Frame, job: Job) -> None:
    """Follow ``pre-commit run ...`` (``call.argv``, prek's too) into the hooks it runs."""
    args = run_args(call.argv)
    if call.cwd is None:
        walker.note(
            call.origin, call.text, "runs in a folder that cannot be known without running CI"
        )
        return
    if not args.all_files and not args.changed_only:
        walker.note(
            call.origin,
            call.text,
            "without --all-files pre-commit checks only staged files: nothing in a CI checkout",
            hides_checks=False,
        )
        return
    if args.changed_only:
        walker.note(
            call.origin,
            call.text,
            "pre-commit checks only the files this range changed; the guardrail checks all files",
        )
    rel = join_dir(call.cwd, args.config)
    config = load(walker, rel) if rel is not None else None
    if config is None:
        walker.note(call.origin, call.text, f"no {args.config} in {call.cwd}")
        return
    run_hooks(walker, config, call, frame, job, hook_id=args.hook, stage=args.stage, skip=())


def run_hooks(
    walker: Walker,
    config: Config,
    call: Call,
    frame: Frame,
    job: Job,
    *,
    hook_id: str | None,
    stage: str,
    skip: Sequence[str],
) -> None:
    for line, hook_name, why in config.problems:
        walker.note(call.origin.then(f"{config.rel}:{line}"), f"hook {hook_name}", why)
    for hook in config.hooks:
        names = {hook.hook.hook_id, hook.alias}
        if hook_id is not None and hook_id not in names:
            continue
        if not _runs_at(hook, stage) or names & set(skip):
            continue
        inner = frame.enter(
            f"{config.rel}:{hook.hook.hook_id}:{hook.line}", call.origin, advisory=call.advisory
        )
        if inner is None:
            continue
        hook_frame = replace(
            inner,
            via=hook.hook,
            pins=hook.pins if hook.isolated else inner.pins,
            isolated=hook.isolated or inner.isolated,
        )
        for pin in hook.pins:
            walker.pin(pin)
        origin = call.origin.then(f"{config.rel}:{hook.line}")
        walker.command(
            Call(
                hook.argv, dict(call.env), ".", origin, hook_frame.advisory, shlex.join(hook.argv)
            ),
            hook_frame,
            job,
        )
