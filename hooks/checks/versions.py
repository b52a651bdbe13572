"""The ruff or mypy a check runs when CI pins a version, and the Python versions CI tests under.

CI's pin (``CiStep.pin``: ``rev: v0.12.11`` of ruff-pre-commit, ``mypy==1.13.0`` in a
requirements file) beats ``tools = "project"``: when the tool that would run is another version,
the pinned one runs, from :mod:`hooks.toolcache`. ``tools = "bundled"`` beats the pin when the
project's own ``[tool.guardrail]`` sets it or the organisation enforces it
(``ProjectConfig.tools_over_ci``). A pinned version that cannot be installed leaves the tool
that would have run, with a loud note naming both versions, and a green result that is not
remembered in the verdict cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hooks import toolcache, toolconfig
from hooks.checks.base import CiStep, Invocation
from hooks.projects import Project, Tool


@dataclass(frozen=True, slots=True)
class Chosen:
    """The tool to run (None: none at all), the notes to show with the result, and whether a
    green result may be remembered (False when CI's pin could not be honoured)."""

    tool: Tool | None
    notes: tuple[str, ...] = ()
    cacheable: bool = True


def tool_for(
    project: Project,
    name: str,
    default: Tool | None,
    ci: CiStep | None,
    *,
    extras: Sequence[str] = (),
) -> Chosen:
    """``default`` (the project env's ``name``, ruff or mypy, or the bundled one) or CI's pinned
    version of it.
    ``extras`` go into the pinned tool's environment beside it (mypy's plugins)."""
    pin = ci.pin if ci is not None else None
    if pin is None:
        return Chosen(default)
    if project.config.tools_over_ci:
        return Chosen(
            default,
            (
                f"{name} {pin.version} pinned by {pin.origin} is not used: tools = "
                f'"bundled" ({project.config.tools_over_ci}) comes before CI\'s pins',
            ),
        )
    if default is not None and default.version == pin.version:
        source = f"{default.source}, the version pinned by {pin.origin}"
        return Chosen(Tool(default.name, default.argv, default.version, source))
    found = toolcache.pinned(name, pin.version, origin=pin.origin, extras=(*pin.extra, *extras))
    if isinstance(found, toolcache.NotInstalled):
        return Chosen(default, (f"warning: {found.note(default)}",), cacheable=False)
    return Chosen(found)


def applied(inv: Invocation, chosen: Chosen) -> Invocation:
    """The invocation with the choice's notes, and out of the verdict cache when it must be."""
    return replace(
        inv,
        notes=(*chosen.notes, *inv.notes),
        cacheable=inv.cacheable and chosen.cacheable,
    )


def mypy_extras(project: Project, ci: CiStep | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What to install beside a pinned mypy for the plugins its config names (the project's
    locked or installed version of each plugin's package), and notes on those it cannot
    resolve. Nothing when CI pins no mypy."""
    if ci is None or ci.pin is None or project.config.tools_over_ci:
        return (), ()
    plugins = toolcache.mypy_plugins(
        project.path,
        project.repo_root,
        project.interpreter,
        config_file=config_file_arg(ci.argv),
    )
    return plugins.requirements, plugins.notes()


def config_file_arg(argv: Sequence[str]) -> str | None:
    """The ``--config-file`` mypy's arguments give, if any."""
    for i, arg in enumerate(argv):
        if arg == "--config-file" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config-file="):
            return arg.partition("=")[2]
    return None


def mypy_config_path(project: Project, argv: Sequence[str]) -> Path | None:
    """The config file mypy reads started in the project folder with ``argv``: CI's
    ``--config-file``, else the nearest of mypy's own files up to the repository root."""
    given = config_file_arg(argv)
    if given is not None:
        return project.path / given
    found = toolconfig.config_file("mypy", project.repo_root, project.rel)
    return project.repo_root / found if found is not None else None


def python_versions(project: Project, ci: CiStep | None) -> tuple[str, ...]:
    """The Python versions the check runs under: ``[tool.guardrail] python_versions`` when set,
    else CI's matrix for the job (empty: no matrix, the project's interpreter only)."""
    configured = project.config.python_versions
    if configured is not None:
        return configured
    return tuple(dict.fromkeys(ci.python_versions)) if ci is not None else ()
