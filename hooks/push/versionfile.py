"""The version file a build backend writes at install time, written into a snapshot as it would.

hatch-vcs and setuptools-scm write a git-ignored ``_version.py`` when the project is built or
installed: CI's install step makes it, and the working tree has it from the developer's
``pip install -e .``. A snapshot of the pushed commit does not (it holds tracked files only),
so a src-layout package that imports it fails at every push. Here the same library the backend
uses (setuptools-scm, which hatch-vcs drives too) computes the version from the snapshot's own
git checkout and writes the file with the backend's settings: its path and template. The file
is never copied from the working tree (it holds the version of whatever was installed last),
and nothing is installed anywhere.

Read: hatch-vcs's ``[tool.hatch.build.hooks.vcs]`` (or the wheel target's) ``version-file`` and
``template``, with the version from ``[tool.hatch.version]`` (``source = "vcs"``: ``tag-pattern``,
``fallback-version``, ``raw-options``) or a static ``[project] version``; setuptools-scm's
``[tool.setuptools_scm]`` ``version_file``/``write_to`` and their templates.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hooks.config import read_toml
from hooks.errors import GuardrailError


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, Mapping):
            return {}
        data = value
    return data


def _hatch_hook(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The hatch-vcs build hook's settings, from the global hooks or the wheel target's."""
    for keys in (
        ("tool", "hatch", "build", "hooks", "vcs"),
        ("tool", "hatch", "build", "targets", "wheel", "hooks", "vcs"),
    ):
        hook = _table(data, *keys)
        if hook.get("version-file"):
            return hook
    return None


def _hatch_version(data: Mapping[str, Any], folder: Path, pyproject: Path) -> str:
    """The version hatchling would hand the hook: hatch-vcs's, or the static one."""
    from setuptools_scm import get_version

    project = _table(data, "project")
    if "version" not in project.get("dynamic", ()) and isinstance(project.get("version"), str):
        return str(project["version"])
    source = _table(data, "tool", "hatch", "version")
    if source.get("source") != "vcs":
        raise GuardrailError(
            f"{pyproject}: [tool.hatch.build.hooks.vcs] writes a version file, but the version "
            f"comes from hatch's {source.get('source', 'regex')!r} source, which the guardrail "
            'cannot compute: the snapshot lacks that file. Use source = "vcs", or list the '
            "project's checks that need it in [tool.guardrail] checks"
        )
    options = dict(_table(source, "raw-options"))
    options.setdefault("root", str(folder))
    options["root"] = str(folder / options["root"])
    if source.get("tag-pattern"):
        options["tag_regex"] = source["tag-pattern"]
    if source.get("fallback-version"):
        options["fallback_version"] = source["fallback-version"]
    for key in ("write_to", "write_to_template", "version_file", "version_file_template"):
        options.pop(key, None)
    return str(get_version(**options))


def _write_hatch(data: Mapping[str, Any], folder: Path, pyproject: Path) -> str | None:
    hook = _hatch_hook(data)
    if hook is None:
        return None
    from setuptools_scm import dump_version

    target = str(hook["version-file"])
    version = _hatch_version(data, folder, pyproject)
    template = hook.get("template")
    if isinstance(template, str) and template:
        dump_version(folder, version, target, template=template)
    else:
        dump_version(folder, version, target)
    return target


def _write_setuptools_scm(data: Mapping[str, Any], pyproject: Path) -> str | None:
    scm = _table(data, "tool", "setuptools_scm")
    target = scm.get("version_file") or scm.get("write_to")
    if not target:
        return None
    from setuptools_scm import Configuration, _get_version

    config = Configuration.from_file(str(pyproject))
    _get_version(config, force_write_version_files=True)
    return str(target)


@contextmanager
def _quiet() -> Iterator[None]:
    """setuptools-scm warns and logs for its own users; the guardrail reports failures itself."""
    loggers = [logging.getLogger(name) for name in ("setuptools_scm", "vcs_versioning")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.CRITICAL + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def write(folder: Path) -> str | None:
    """Write the version file the build backend of the project in ``folder`` generates, if it
    generates one; returns its path relative to ``folder``."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return None
    data = read_toml(pyproject)
    try:
        with _quiet():
            return _write_hatch(data, folder, pyproject) or _write_setuptools_scm(data, pyproject)
    except GuardrailError:
        raise
    except Exception as exc:
        raise GuardrailError(
            f"{pyproject}: the version file its build backend generates could not be written "
            f"in the push snapshot ({type(exc).__name__}: {exc}); installing the project "
            "would fail the same way. Fix the version settings"
        ) from exc
