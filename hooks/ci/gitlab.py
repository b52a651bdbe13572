"""GitLab CI (``.gitlab-ci.yml`` and the local files it includes) read job by job.

A job's ``before_script`` (its own or ``default:``'s) and ``script`` lines run in one shell,
``set -eo pipefail`` as GitLab's runner starts it, with the static ``variables:``; ``extends``
is followed; ``allow_failure: true`` and ``when: manual`` make the commands advisory; the Python
version comes from a ``python:X.Y`` image. ``rules``/``only``/``except`` are named as not
mirrored, as are includes of other projects, templates and remote files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hooks.ci import yamlfile
from hooks.ci.context import Frame, Job, Walker
from hooks.ci.interp import WORKSPACE, ShellState, run_script
from hooks.ci.model import Origin

GITLAB_FILE = ".gitlab-ci.yml"
PLATFORM = {"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": WORKSPACE}
RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "spec",
        "pages",
    }
)


def _image_version(image: object) -> tuple[str, ...]:
    name = image.get("name") if isinstance(image, Mapping) else image
    if isinstance(name, str):
        match = re.match(r"^(?:.*/)?python:(\d+\.\d+)", name)
        if match:
            return (match[1],)
    return ()


def _owners(data: Mapping[str, Any], name: str, depth: int = 0) -> dict[str, tuple[str, Any]]:
    """Key -> (file, mapping) that provides it for job ``name``, following ``extends``."""
    entry = data.get(name)
    if entry is None or depth > 10:
        return {}
    rel, job = entry
    if not isinstance(job, Mapping):
        return {}
    owners: dict[str, tuple[str, Any]] = {}
    parents = job.get("extends")
    if isinstance(parents, str):
        parents = [parents]
    for parent in parents if isinstance(parents, list) else ():
        owners.update(_owners(data, str(parent), depth + 1))
    owners.update({str(key): (rel, job) for key in job})
    return owners


def _variables(value: object) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    if isinstance(value, Mapping):
        for name, raw in value.items():
            if isinstance(raw, Mapping):
                raw = raw.get("value")
            text = str(raw).lower() if isinstance(raw, bool) else None if raw is None else str(raw)
            out[str(name)] = None if text is None or "$" in text else text
    return out


def _script(
    walker: Walker, frame: Frame, job: Job, rel: str, owner: Any, key: str, state: ShellState
) -> ShellState:
    value = owner.get(key) if isinstance(owner, Mapping) else None
    pieces: list[tuple[str, int]] = []
    if isinstance(value, str):
        pieces.append(yamlfile.script(owner, key))
    elif isinstance(value, list):
        pieces.extend(_items(value))
    for text, line in pieces:
        state = (
            run_script(
                walker,
                frame,
                job,
                file=rel,
                text=text,
                first_line=line,
                cwd=state.cwd,
                env=state.env,
                errexit=True,
                state=state,
            )
            or state
        )
    return state


def _items(seq: Any) -> list[tuple[str, int]]:
    """Script lines of a YAML list, nested lists (``- *anchor``) flattened."""
    out: list[tuple[str, int]] = []
    for i, item in enumerate(seq):
        if isinstance(item, str):
            out.append(yamlfile.item_script(seq, i))
        elif isinstance(item, list):
            out.extend(_items(item))
    return out


def _merged(walker: Walker, rel: str, data: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Top-level keys of the file and its local includes, each with the file it is in."""
    merged: dict[str, tuple[str, Any]] = {}
    included = data.get("include")
    items = included if isinstance(included, list) else [included] if included else []
    origin = Origin((f"{rel}:{yamlfile.key_line(data, 'include')}",))
    for item in items:
        local = item.get("local") if isinstance(item, Mapping) else item
        if (
            isinstance(local, str)
            and "://" not in local
            and not (isinstance(item, Mapping) and len(item) > 1)
        ):
            target = local.lstrip("/")
            if walker.read(target) is None:
                walker.note(origin, f"include: {local}", "the included file cannot be found")
                continue
            more = yamlfile.load(walker.root / target, target)
            if isinstance(more, Mapping):
                merged.update(_merged(walker, target, more))
            continue
        shown = next(iter(item.values()), "") if isinstance(item, Mapping) else str(item)
        walker.note(
            origin,
            f"include: {shown}",
            "an include from another project, a template or a URL: not read",
        )
    for key, value in data.items():
        if key != "include":
            merged[str(key)] = (rel, value)
    return merged


def read_gitlab(walker: Walker) -> None:
    if walker.read(GITLAB_FILE) is None:
        return
    data = yamlfile.load(walker.root / GITLAB_FILE, GITLAB_FILE)
    if not isinstance(data, Mapping):
        return
    merged = _merged(walker, GITLAB_FILE, data)
    default_entry = merged.get("default", ("", {}))[1]
    default: Mapping[str, Any] = default_entry if isinstance(default_entry, Mapping) else {}
    top_variables = _variables(merged.get("variables", ("", {}))[1])
    for name, (rel, body) in merged.items():
        if name in RESERVED or name.startswith(".") or not isinstance(body, Mapping):
            continue
        owners = _owners(merged, name)
        if "script" not in owners:
            continue
        _job(walker, name, rel, body, owners, merged, default, top_variables)


def _job(
    walker: Walker,
    name: str,
    rel: str,
    body: Mapping[str, Any],
    owners: Mapping[str, tuple[str, Any]],
    merged: Mapping[str, tuple[str, Any]],
    default: Mapping[str, Any],
    top_variables: Mapping[str, str | None],
) -> None:
    def owned(key: str) -> Any:
        return owners[key][1].get(key) if key in owners else None

    image = (
        owned("image")
        if "image" in owners
        else default.get("image", merged.get("image", ("", None))[1])
    )
    variables = {**top_variables, **_variables(owned("variables"))}
    job = Job(GITLAB_FILE, name, _image_version(image), PLATFORM, dict(variables))
    allow = owned("allow_failure")
    advisory = allow is True or owned("when") == "manual"
    frame = Frame(Origin(()), advisory=advisory)
    before = walker.count()
    state = ShellState(".", dict(variables), errexit=True, pipefail=True)
    if "before_script" in owners:
        file, owner = owners["before_script"]
        state = _script(walker, frame, job, file, owner, "before_script", state)
    elif "before_script" in default:
        state = _script(walker, frame, job, rel, default, "before_script", state)
    file, owner = owners["script"]
    _script(walker, frame, job, file, owner, "script", state)
    if walker.count() > before:
        for key in ("rules", "only", "except"):
            if key in owners:
                file, owner = owners[key]
                walker.note(
                    Origin((f"{file}:{yamlfile.key_line(owner, key)}",)),
                    f"{key}: (job {name})",
                    "conditions the guardrail does not evaluate: every project is checked",
                    hides_checks=False,
                )
