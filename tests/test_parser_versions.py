"""Each parser on captured output of the oldest and newest versions of its tool the guardrail
accepts, and of each version in between where that output changed (tests/data/README.md says
which version made each capture; ``tests/data/outputs/capture.py`` makes them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hooks import projects
from hooks.checks import mypy, ruff_check, ruff_format
from hooks.checks.base import FixMode, ParseContext, PathMap, ToolOutput
from hooks.findings import Status

OUTPUTS = Path(__file__).parent / "data" / "outputs"
# Where the output format changed: 0.1.0 is the oldest ruff the guardrail accepts (syntax errors
# are E999, the formatter says `Failed to format PATH`), 0.1.10 says `Failed to parse PATH:L:C`,
# 0.5.0 gives syntax errors no code, 0.12.8 calls them invalid-syntax, 0.15.22 is the last ruff
# whose `format --check` is read as text, 0.16.0 the first with its JSON, 0.17.6 the newest.
RUFF_VERSIONS = ("0.1.0", "0.1.10", "0.5.0", "0.12.8", "0.15.22", "0.16.0", "0.17.6")
# 1.11.0 is the oldest mypy the package accepts; 1.20.0 moved the `unused section(s)` note to
# stdout, as a line that is neither JSON nor a finding; 2.4.1 is the newest.
MYPY_VERSIONS = ("1.11.0", "1.20.0", "2.4.1")


def release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def captured(tool: str, version: str, scenario: str) -> ToolOutput:
    folder = OUTPUTS / f"{tool}-{version}"
    return ToolOutput(
        int((folder / f"{scenario}.exit").read_text()),
        (folder / f"{scenario}.stdout").read_text(encoding="utf-8"),
        (folder / f"{scenario}.stderr").read_text(encoding="utf-8"),
    )


def ctx(check: str, fix: FixMode | None = None) -> ParseContext:
    return ParseContext(PathMap("/tmp/proj", "."), check=check, fix=fix)


@pytest.mark.parametrize("version", RUFF_VERSIONS)
def test_ruff_check(version: str) -> None:
    out = ruff_check.parse(captured("ruff", version, "check"), ctx("ruff-check"))
    assert out.status is Status.FAILED
    found = {(f.path, f.line, f.column, f.code) for f in out.findings}
    syntax = "E999" if release(version) < (0, 5) else "invalid-syntax"
    assert ("pkg/a.py", 1, 1, "I001") in found
    assert ("pkg/a.py", 2, 8, "F401") in found
    assert ("pkg/bad.py", 1, 7, syntax) in found
    fixable = {f.code for f in out.findings if f.fixable}
    assert fixable == {"I001", "F401"}
    # Under `--diff` only what ruff can fix fails CI's command: the fixes are read in each version.
    diff = ruff_check.parse(
        captured("ruff", version, "check"), ctx("ruff-check", FixMode(only=True))
    )
    assert diff.status is Status.FAILED
    assert {f.code for f in diff.findings if f.blocking} == {"I001", "F401"}


@pytest.mark.parametrize("version", RUFF_VERSIONS)
def test_ruff_show_settings_says_whether_ruff_check_fixes(version: str) -> None:
    """`fix = true` and `unsafe-fixes = true` as ruff resolves them: a debug dump before 0.1.14
    (`    fix: true,`), `fix = true` lines since."""
    output = captured("ruff", version, "show-settings")
    assert output.exit_code == 0
    assert ruff_check.read_settings(output.stdout) == {
        "path": "/tmp/proj/pyproject.toml",
        "fix": "true",
        "fix_only": "false",
        "unsafe_fixes": "enabled",
    }


@pytest.mark.parametrize("version", RUFF_VERSIONS)
def test_ruff_format(version: str) -> None:
    out = ruff_format.parse(captured("ruff", version, "format"), ctx("ruff-format"))
    assert out.status is Status.FAILED
    line = 3 if release(version) >= ruff_format.JSON_SINCE else None
    assert [(f.path, f.line, f.code) for f in out.findings] == [("pkg/a.py", line, "unformatted")]
    assert out.counts == "1 file would be reformatted"


@pytest.mark.parametrize("version", RUFF_VERSIONS)
def test_ruff_format_a_file_it_cannot_parse_is_a_finding_there(version: str) -> None:
    out = ruff_format.parse(captured("ruff", version, "format-syntax-error"), ctx("ruff-format"))
    assert out.status is Status.FAILED
    # 0.1.0 names no line; 0.1.10 puts the error where its parser gave up.
    where = {"0.1.0": (None, None), "0.1.10": (3, 1)}.get(version, (1, 7))
    found = {(f.path, f.line, f.column, f.code) for f in out.findings}
    assert ("pkg/bad.py", *where, "invalid-syntax") in found
    assert {f.path for f in out.findings if f.code == "unformatted"} == {"pkg/a.py"}


@pytest.mark.parametrize("version", RUFF_VERSIONS)
def test_ruff_bad_argument_quotes_the_error_line(version: str) -> None:
    for module, check in ((ruff_check, "ruff-check"), (ruff_format, "ruff-format")):
        out = module.parse(captured("ruff", version, "bad-argument"), ctx(check))
        assert out.status is Status.ERROR
        assert out.message == (
            "ruff exited 2 (it could not run): error: unexpected argument '--bogus' found"
        )


@pytest.mark.parametrize("version", MYPY_VERSIONS)
def test_mypy_errors(version: str) -> None:
    out = mypy.parse(captured("mypy", version, "errors"), ctx("mypy"))
    assert out.status is Status.FAILED
    assert [(f.path, f.line, f.column, f.code) for f in out.findings] == [
        ("pkg/export.py", 1, 12, "type-arg")
    ]
    assert out.counts == "1 error in 1 file"
    note = release(version) >= (1, 20)
    assert ("note: unused section(s): module = ['tests.*']" in out.message) is note


@pytest.mark.parametrize("version", MYPY_VERSIONS)
@pytest.mark.parametrize("scenario", ["note", "doctor-note"])
def test_mypy_exit_0_with_a_note_is_a_pass(version: str, scenario: str) -> None:
    output = captured("mypy", version, scenario)
    out = mypy.parse(output, ctx("mypy"))
    assert out.status is Status.PASSED
    assert not out.findings
    note = "pyproject.toml: note: unused section(s): module = ['tests.*']"
    assert (note in out.message) == (note in output.stdout)
    assert (note in output.stdout) == (release(version) >= (1, 20))


@pytest.mark.parametrize("version", MYPY_VERSIONS)
def test_mypy_ignoring_its_config_is_an_error_with_exit_0(version: str) -> None:
    output = captured("mypy", version, "config-ignored")
    assert output.exit_code == 0
    out = mypy.parse(output, ctx("mypy"))
    assert out.status is Status.ERROR
    assert "pyproject.toml: [mypy]: strict: Not a boolean: maybe" in out.message


def test_the_declared_minimums_are_the_oldest_versions_tested() -> None:
    """pyproject.toml's ``ruff>=``/``mypy>=`` are real: the oldest captures above, and the ruff
    minimum is the one the guardrail honours for a project's own ruff."""
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    declared = dict(
        dep.split(">=", 1) for dep in pyproject["project"]["dependencies"] if ">=" in dep
    )
    assert declared["ruff"] == RUFF_VERSIONS[0] == projects.RUFF_MINIMUM
    assert release(declared["mypy"]) == release(MYPY_VERSIONS[0])[:2]
