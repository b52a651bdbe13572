"""The environment the tools run in: scrubbed, as on CI.

A CI job starts every step from the runner's own environment plus what the workflow sets. A
developer's shell carries much more that changes a tool's verdict: ``PYTHONWARNINGS=error``,
``PYTEST_ADDOPTS``, ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``, an ``APP_MODE=dev`` the tests read, and,
inside a git hook, ``GIT_INDEX_FILE`` and its kin. So ruff, mypy and pytest get exactly:

1. the variables of :data:`ALLOWED`: where things are and whose machine it is (``PATH``,
   ``HOME``, the temporary folder, the locale and time zone, the user's config and cache
   folders, how to reach the network), never how a tool or the project behaves;
2. the variables CI's own step sets (``ci_env``, from the CI plan);
3. the project's ``pass_env`` (``[tool.guardrail] pass_env`` or the hook's ``--pass-env``):
   names or shell-style patterns (``"APP_*"``).

``GIT_*``, ``PRE_COMMIT``, ``PRE_COMMIT_*``, ``PREK`` and ``PREK_*`` never reach the tools,
whatever is asked: they differ between a post-commit hook, a push and a shell. For the same
reason two traces of the way the guardrail was started are removed: the folder git puts first
on ``PATH`` in its hooks (``GIT_EXEC_PATH``), and the guardrail's own environment (pre-commit's
hook virtualenv, on ``PATH`` and in ``VIRTUAL_ENV``) unless it is the project's interpreter.
The verdict cache keys this mapping, and nothing else of the environment.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from hooks.config import NEVER_PASSED
from hooks.projects import Project

ALLOWED: tuple[str, ...] = (
    # Where programs, the home folder and temporary files are; who the user is.
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TEMP",
    "TMP",
    # Locale and time zone.
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    # The active virtualenv (unless it is the guardrail's own) and the user's folders, where the
    # tools find their per-user config (part of the verdict key on their own).
    "VIRTUAL_ENV",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    # How this machine reaches the network (CI's runner has its own).
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    # Windows: what a process needs to start at all.
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "USERNAME",
    "USERPROFILE",
    "HOMEDRIVE",
    "HOMEPATH",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMDATA",
    "PROGRAMFILES",
    "PROGRAMFILES(X86)",
    "COMMONPROGRAMFILES",
    "NUMBER_OF_PROCESSORS",
    "PROCESSOR_ARCHITECTURE",
    "OS",
)
"""What every tool gets from the environment the guardrail was started in."""

NEVER: tuple[str, ...] = (*NEVER_PASSED, *(f"{name}_*" for name in NEVER_PASSED))
"""What never reaches a tool, not even through ``pass_env`` or CI's step."""


def _matches(name: str, patterns: Iterable[str]) -> bool:
    if os.name == "nt":  # Windows variable names are case-insensitive
        return any(fnmatch.fnmatchcase(name.upper(), p.upper()) for p in patterns)
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _inside(path: str, prefix: Path) -> bool:
    try:
        Path(path).resolve().relative_to(prefix)
    except (ValueError, OSError):
        return False
    return True


def tool_env(
    pass_env: Iterable[str] = (),
    ci_env: Mapping[str, str] | None = None,
    *,
    interpreter_prefix: str = "",
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of one tool run; see the module docstring.

    ``interpreter_prefix`` is the project interpreter's ``sys.prefix``: when the guardrail runs
    from that very environment, its folders are the project's and stay.
    """
    source = os.environ if environ is None else environ
    patterns = (*ALLOWED, *pass_env)
    env = {
        name: value
        for name, value in source.items()
        if _matches(name, patterns) and not _matches(name, NEVER)
    }
    own = Path(sys.prefix).resolve()
    foreign = not (interpreter_prefix and _inside(interpreter_prefix, own))
    if "PATH" in env:
        git_exec = source.get("GIT_EXEC_PATH", "")
        entries = [
            entry
            for entry in env["PATH"].split(os.pathsep)
            if entry
            and not (git_exec and os.path.normcase(entry) == os.path.normcase(git_exec))
            and not (foreign and _inside(entry, own))
        ]
        env["PATH"] = os.pathsep.join(entries)
    if foreign and "VIRTUAL_ENV" in env and _inside(env["VIRTUAL_ENV"], own):
        del env["VIRTUAL_ENV"]
    env.update((k, v) for k, v in (ci_env or {}).items() if not _matches(k, NEVER))
    return env


def for_project(project: Project, ci_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of ``project``'s tools (and of the verdict key that stands for it)."""
    return tool_env(project.config.pass_env, ci_env, interpreter_prefix=project.interpreter.prefix)
