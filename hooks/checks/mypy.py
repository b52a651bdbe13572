"""mypy on the project's targets, with the project's interpreter, parsed from ``-O json``.

The verdict is mypy's exit status. Fail-open points, each detected by name: a configuration mypy
ignored (it only warns and carries on, possibly with ``strict`` off), ``INTERNAL ERROR`` or a
traceback, death by a signal. Any other output is shown, never judged.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from hooks import toolconfig
from hooks.checks import versions
from hooks.checks.base import (
    CiStep,
    Invocation,
    ParseContext,
    ToolOutput,
    Unrecognised,
    context_for,
    first_error_line,
    iter_lines,
    json_object,
    killed,
    passed_with,
    tail,
    unread,
)
from hooks.findings import CHECK_TOOLS, Finding, Outcome, Status, count_line, int_or_none
from hooks.projects import Project, mypy_tool

NAME = "mypy"
TOOL = CHECK_TOOLS[NAME]

TEST_DIRS = frozenset({"test", "tests", "testing"})

_TEXT = re.compile(
    r"^(?P<path>[^\n]+?):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<sev>error|note|warning): "
    r"(?P<msg>.*?)(?:\s+\[(?P<code>[a-z0-9-]+)\])?$"
)
# What mypy's config parser prints on stderr for a config file, a section or a key it ignores:
# ``pyproject.toml: [mypy]: strict: Not a boolean: maybe``; never a ``note:``.
_CONFIG_WARNING = re.compile(r"^(?P<file>[^\s:][^:]*\.(?:toml|ini|cfg)): (?!note: )(?P<msg>.+)$")


def default_targets(project_dir: Path) -> tuple[str, ...]:
    """The project's importable packages: top-level folders with ``__init__.py`` that are not
    tests, and the packages under ``src/``; ``.`` when there are none."""
    found: list[str] = []
    for base, prefix in ((project_dir, ""), (project_dir / "src", "src/")):
        if not base.is_dir():
            continue
        for child in sorted(base.iterdir()):
            if (
                child.is_dir()
                and not child.name.startswith(".")
                and child.name not in TEST_DIRS
                and (child / "__init__.py").is_file()
            ):
                found.append(prefix + child.name)
    return tuple(found) or (".",)


def targets(project: Project) -> tuple[str, ...]:
    settings = project.config.check(NAME)
    if settings.targets is not None:
        return settings.targets
    if toolconfig.mypy_names_targets(project.path):
        return ()
    return default_targets(project.path)


def _json_capable(version: str) -> bool:
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return True
    return (major, minor) >= (1, 11)


_BOOL_WORDS = frozenset({"yes", "no", "on", "off", "true", "false", "1", "0"})


def ambiguous_config(project_dir: Path) -> list[str]:
    """``[tool.mypy]`` booleans written as strings (``strict = "yes"``).

    In TOML a flag is ``true``/``false``; a quoted word is a string that some mypy versions
    reject with only a warning (carrying on with the flag off) and others coerce. The guardrail
    refuses to guess which.
    """
    path = project_dir / "pyproject.toml"
    section = toolconfig.section("mypy", path) or {}
    tables = [("[tool.mypy]", section)]
    overrides = section.get("overrides", [])
    if isinstance(overrides, list):
        tables += [("[[tool.mypy.overrides]]", o) for o in overrides if isinstance(o, dict)]
    return [
        f"{path}: {where} {key} = {value!r} is a string; write {key} = "
        f"{'true' if value.lower() in ('yes', 'on', 'true', '1') else 'false'}"
        for where, table in tables
        for key, value in table.items()
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS
    ]


def plan(project: Project, ci: CiStep | None = None) -> Invocation | Outcome:
    problems = ambiguous_config(project.path)
    if problems:
        return Outcome(
            Status.ERROR,
            message="mypy's configuration has booleans written as strings, which mypy may "
            "ignore with only a warning (strict silently off):\n" + "\n".join(problems),
        )
    default = mypy_tool(project)
    extras: tuple[str, ...] = ()
    plugin_notes: tuple[str, ...] = ()
    pin = ci.pin if ci is not None else None
    if pin is not None and (default is None or default.version != pin.version):
        extras, plugin_notes = versions.mypy_extras(project, ci)
    chosen = versions.tool_for(project, NAME, default, ci, extras=extras)
    tool = chosen.tool
    if tool is None:
        return Outcome(
            Status.ERROR,
            message="mypy is not installed: add it to the project env (pip install mypy) "
            "or reinstall push-guardrail, which bundles it",
        )
    settings = project.config.check(NAME)
    if _json_capable(tool.version):
        fmt: tuple[str, ...] = ("-O", "json")
    else:
        fmt = ("--show-column-numbers", "--show-error-codes", "--no-pretty", "--no-error-summary")
    head = (*tool.argv, *fmt, "--python-executable", project.interpreter.python)
    # CI's arguments (options and targets, the precedence applied) replace the project's.
    rest = ci.argv if ci is not None else (*settings.args, *targets(project))
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    snapshot_paths = project.snapshot_imports(finders=False)
    if snapshot_paths:
        # mypy takes the installed packages' folders from the interpreter's sys.path, where
        # PYTHONPATH goes before the editable installs' .pth folders of the working tree.
        inherited = os.environ.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (*snapshot_paths, inherited) if p)
    ctx = context_for(project, NAME)
    matrix, matrix_notes = _matrix(project, ci, rest)
    runs = [
        Invocation(
            NAME,
            (*head, *(("--python-version", v) if v else ()), *rest),
            project.path,
            ctx,
            tool.name,
            tool.version,
            tool.source,
            env,
            label=f"Python {v}" if len(matrix) > 1 else "",
            parser=functools.partial(parse_under, version=v) if v else None,
        )
        for v in matrix
    ]
    inv = replace(
        runs[0],
        then=tuple(runs[1:]),
        notes=(*plugin_notes, *matrix_notes),
        exclusive=f"mypy:{project.path.resolve()}",
    )
    return versions.applied(inv, chosen)


def _matrix(
    project: Project, ci: CiStep | None, args: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``--python-version`` of each mypy run ("": none given, one run), and a note when the
    matrix does not vary it. CI's jobs run mypy under each Python of the matrix, which is
    mypy's default ``python_version``; when mypy's config (or CI's argv) sets it, every job
    checks the same version, and so does the guardrail, once."""
    wanted = versions.python_versions(project, ci)
    if not wanted:
        return ("",), ()
    if any(a == "--python-version" or a.startswith("--python-version=") for a in args):
        return ("",), ()
    config = versions.mypy_config_path(project, args)
    if config is not None and "python_version" in toolconfig.mypy_settings(config):
        note = (
            f"mypy's config ({context_for(project, NAME).paths(str(config))}) sets "
            "python_version, so mypy checks one version, as in every CI job"
        )
        return ("",), (note,) if len(wanted) > 1 else ()
    found = {v: _CPYTHON.fullmatch(v.strip()) for v in wanted}
    usable = tuple(dict.fromkeys(f"{m[1]}.{m[2]}" for m in found.values() if m is not None))
    notes = tuple(
        f"warning: mypy not run for {v!r} of CI's matrix: not a CPython version (X.Y)"
        for v, m in found.items()
        if m is None
    )
    return (usable or ("",)), notes


_CPYTHON = re.compile(r"(\d+)\.(\d+)(?:\.\d+)?(?:-dev)?")


_UNSUPPORTED = re.compile(r"argument --python-version: (?P<why>.+)$", re.MULTILINE)


def parse_under(output: ToolOutput, context: ParseContext, *, version: str) -> Outcome:
    """mypy run with ``--python-version``: as :func:`parse`, except that a mypy that cannot
    check that version at all (``Python 3.9 is not supported``) is a version not checked, not a
    failure: CI's job under it installs a mypy that can."""
    unsupported = _UNSUPPORTED.search(output.stderr) if output.exit_code == 2 else None
    if unsupported is not None:
        return Outcome(
            Status.NOT_RUN,
            message=f"warning: not checked under {version}: this mypy says "
            f"{unsupported['why'].strip()}",
        )
    return parse(output, context)


def _from_json(obj: dict[str, Any], context: ParseContext) -> Finding | None:
    if obj.get("severity") != "error" or not isinstance(obj.get("file"), str):
        return None
    column = int_or_none(obj.get("column"))
    return Finding(
        check=NAME,
        path=context.paths(obj["file"]),
        line=int_or_none(obj.get("line")),
        column=column + 1 if column is not None and column >= 0 else None,
        end_line=int_or_none(obj.get("end_line")),
        end_column=int_or_none(obj.get("end_column")),
        code=str(obj.get("code") or "mypy"),
        message=str(obj.get("message") or ""),
        url=_docs_url(obj.get("code")),
    )


def _docs_url(code: object) -> str | None:
    if not isinstance(code, str) or not code:
        return None
    return f"https://mypy.readthedocs.io/en/stable/_refs.html#code-{code}"


def _from_text(match: re.Match[str], context: ParseContext) -> Finding | None:
    if match["sev"] != "error":
        return None
    code = match["code"] or ("syntax" if "syntax" in match["msg"].lower() else "mypy")
    return Finding(
        check=NAME,
        path=context.paths(match["path"]),
        line=int(match["line"]),
        column=int(match["col"]) if match["col"] else None,
        code=code,
        message=match["msg"],
        url=_docs_url(code),
    )


def _tails(output: ToolOutput) -> str:
    return "\n".join(t for t in (tail(output.stdout, 15), tail(output.stderr, 15)) if t)


def _fail_open(output: ToolOutput) -> Outcome | None:
    """The ways mypy passes while broken, each by name: a configuration it ignored (it warns on
    stderr and carries on, possibly with ``strict`` off), a crash, death by a signal."""
    ignored = [line for line in output.stderr.splitlines() if _CONFIG_WARNING.match(line.strip())]
    if ignored:
        return Outcome(
            Status.ERROR,
            message="mypy ignored part of its configuration and would run without it "
            "(strict may be silently off):\n" + "\n".join(ignored),
        )
    signalled = killed("mypy", output)
    if signalled is not None:
        return signalled
    crash_marks = ("INTERNAL ERROR", "Traceback (most recent call last)")
    if any(mark in text for mark in crash_marks for text in (output.stdout, output.stderr)):
        return Outcome(Status.ERROR, message="mypy crashed:\n" + _tails(output))
    return None


def _read(output: ToolOutput, context: ParseContext) -> tuple[list[Finding], Unrecognised]:
    """mypy's errors, and the lines it printed that are neither an error nor a note."""
    findings: list[Finding] = []
    other = Unrecognised()
    for raw in iter_lines(output.stdout):
        line = raw.strip()
        if not line:
            continue
        finding: Finding | None = None
        if (obj := json_object(line)) is not None:
            finding = _from_json(obj, context)
        elif line.startswith("{"):
            other.add(line)
        elif match := _TEXT.match(line):
            finding = _from_text(match, context)
        elif not line.startswith(("Success:", "Found ")):
            other.add(line)
        if finding is not None:
            findings.append(finding)
    for line in output.stderr.splitlines():
        if line.strip():
            other.add(line.strip())
    return findings, other


def parse(output: ToolOutput, context: ParseContext) -> Outcome:
    """mypy's exit status is the verdict, as CI reads it: 0 passed, 1 errors found, 2 errors
    that stop it (syntax) or, with no error reported, a run that could not start. Output it
    does not recognise (notes such as ``unused section(s)``) is shown, never judged; only the
    fail-open patterns of :func:`_fail_open` override the exit status."""
    broken = _fail_open(output)
    if broken is not None:
        return broken
    findings, other = _read(output, context)
    code = output.exit_code
    if code == 0:
        message = passed_with("mypy", findings, other)
        return Outcome(Status.PASSED, counts="no issues", message=message)
    also = other.show("mypy also printed:")
    if code in (1, 2) and findings:
        return Outcome(Status.FAILED, tuple(findings), counts=count_line(findings), message=also)
    if code == 1:
        return Outcome(
            Status.FAILED,
            counts="mypy exited 1",
            message=unread("mypy", "errors found", output),
        )
    why = "it could not run" if code == 2 else "an exit status mypy does not document"
    error = first_error_line(output.stderr) or first_error_line(output.stdout)
    return Outcome(
        Status.ERROR, message=f"mypy exited {code} ({why}){': ' if error else ''}{error}"
    )
