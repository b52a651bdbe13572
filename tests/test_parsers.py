"""Parsers on captured real outputs (tests/data/outputs), and on outputs they must not trust."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.checks import mypy, ruff_check, ruff_format
from hooks.checks import pytest as pytest_check
from hooks.checks.base import FixMode, ParseContext, PathMap, ToolOutput
from hooks.findings import Status

DATA = Path(__file__).parent / "data" / "outputs"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def ctx(
    check: str, project: str = ".", *, fix: FixMode | None = None, allow_no_tests: bool = False
) -> ParseContext:
    paths = PathMap("/tmp/proj", project)
    return ParseContext(paths, fix=fix, allow_no_tests=allow_no_tests, check=check)


def test_mypy_motivating_json_paths_are_repo_relative() -> None:
    out = mypy.parse(ToolOutput(1, read("mypy_motivating.jsonl"), ""), ctx("mypy", "backend"))
    assert out.status is Status.FAILED
    assert [(f.path, f.line, f.column, f.code) for f in out.findings] == [
        ("backend/tunix_rt_backend/services/datasets_export.py", 72, 67, "type-arg"),
        ("backend/tunix_rt_backend/services/datasets_export.py", 95, 71, "type-arg"),
        ("backend/tunix_rt_backend/services/datasets_export.py", 128, 78, "type-arg"),
    ]
    assert out.counts == "3 errors in 1 file"
    assert out.findings[0].message == 'Missing type arguments for generic type "dict"'
    assert out.findings[0].url is not None and out.findings[0].url.endswith("code-type-arg")


def test_mypy_syntax_errors_exit_2_are_findings_not_a_crash() -> None:
    out = mypy.parse(ToolOutput(2, read("mypy_syntax.jsonl"), ""), ctx("mypy"))
    assert out.status is Status.FAILED
    assert [(f.path, f.line, f.code) for f in out.findings] == [
        ("pkg/bad.py", 3, "syntax"),
        ("pkg/bad.py", 4, "syntax"),
    ]


def test_mypy_text_fallback() -> None:
    out = mypy.parse(ToolOutput(1, read("mypy_text.txt"), ""), ctx("mypy"))
    assert out.status is Status.FAILED
    (finding,) = out.findings
    assert (finding.path, finding.line, finding.column, finding.code) == (
        "pkg/a.py",
        4,
        10,
        "assignment",
    )


def test_mypy_config_warning_is_an_error_even_with_exit_0() -> None:
    stderr = "pyproject.toml: [mypy]: strict: Not a boolean: maybe\n"
    out = mypy.parse(ToolOutput(0, "", stderr), ctx("mypy"))
    assert out.status is Status.ERROR
    assert "strict: Not a boolean: maybe" in out.message


def test_mypy_internal_error() -> None:
    stdout = "pkg/a.py:3: error: INTERNAL ERROR -- Please try using mypy master on GitHub:\n"
    out = mypy.parse(ToolOutput(2, stdout, "Traceback (most recent call last):\n"), ctx("mypy"))
    assert out.status is Status.ERROR
    assert "crashed" in out.message


# The verdict is the exit status, as CI reads it: output a parser does not recognise is shown,
# never a block; only the named fail-open patterns (config ignored, crash, signal) are errors.
@pytest.mark.parametrize(
    ("code", "stdout", "stderr", "status"),
    [
        (0, "something unexpected\n", "", Status.PASSED),
        (
            0,
            "",
            "Warning: unused section(s) in pyproject.toml: module = ['tests.*']\n",
            Status.PASSED,
        ),
        (1, "", "", Status.FAILED),
        (1, "garbage that is not mypy\n", "", Status.FAILED),
        (2, "", "", Status.ERROR),
        (
            2,
            "",
            "usage: mypy [-h] ...\nmypy: error: unrecognized arguments: --bogus\n",
            Status.ERROR,
        ),
        (3, "", "", Status.ERROR),
        (-9, "", "", Status.ERROR),
    ],
)
def test_mypy_exit_status_is_the_verdict_and_unknown_output_is_shown(
    code: int, stdout: str, stderr: str, status: Status
) -> None:
    out = mypy.parse(ToolOutput(code, stdout, stderr), ctx("mypy"))
    assert out.status is status, out
    for line in (stdout + stderr).splitlines():
        if status is not Status.ERROR:
            assert line in out.message, out


def test_unknown_output_shows_its_first_lines_and_counts_the_rest() -> None:
    stdout = "".join(f"note {i}\n" for i in range(100_000))
    out = mypy.parse(ToolOutput(0, stdout, ""), ctx("mypy"))
    assert out.status is Status.PASSED
    assert out.message.splitlines() == [
        "mypy exited 0 (CI passes) and printed:",
        *(f"  note {i}" for i in range(10)),
        "  (+99990 more lines)",
    ]


def test_mypy_usage_error_quotes_its_error_line() -> None:
    stderr = "usage: mypy [-h] [-v] ...\nmypy: error: unrecognized arguments: --bogus\n"
    out = mypy.parse(ToolOutput(2, "", stderr), ctx("mypy"))
    assert out.status is Status.ERROR
    assert out.message.splitlines()[0] == (
        "mypy exited 2 (it could not run): mypy: error: unrecognized arguments: --bogus"
    )


FIXED = FixMode(writes=True, source="fix = true, from pyproject.toml")
"""CI's `ruff check .` with fix = true: it applies the safe fixes, and the later steps see them.
Once "fixable findings do not block"; now the fixes are applied on a throwaway copy and what CI's
command leaves decides (issue 11 row 9), read from ruff_check_{before,after}_fix.jsonl."""


def _fixing(mode: FixMode, before: str, after: str, code: int = 1) -> list[tuple[str, int, bool]]:
    out = ruff_check.parse(ToolOutput(code, after, "", before=before), ctx("ruff-check", fix=mode))
    return [(f.code, f.line or 0, f.blocking) for f in out.findings]


def test_ruff_check_what_ci_fixes_is_shown_and_what_it_leaves_blocks_at_the_users_lines() -> None:
    before, after = read("ruff_check_before_fix.jsonl"), read("ruff_check_after_fix.jsonl")
    out = ruff_check.parse(ToolOutput(1, after, "", before=before), ctx("ruff-check", fix=FIXED))
    assert out.status is Status.FAILED
    assert [(f.code, f.line, f.blocking) for f in out.findings] == [
        ("F841", 6, True),  # line 4 of the fixed file: reported where the user's file has it
        ("F821", 7, True),
        ("F401", 1, False),
        ("F401", 2, False),
    ]
    assert out.counts == "2 errors in 1 file, 2 fixed by CI's command"
    assert "2 findings fixed by CI's `ruff check` (fix = true, from pyproject.toml)" in out.message


def test_ruff_check_everything_fixed_passes_and_a_fix_fails_where_ci_says_so() -> None:
    before = "\n".join(
        ln for ln in read("ruff_check_before_fix.jsonl").splitlines() if "F401" in ln
    )
    out = ruff_check.parse(ToolOutput(0, "", "", before=before), ctx("ruff-check", fix=FIXED))
    assert out.status is Status.PASSED
    assert out.counts == "no problems, 2 fixed by CI's command"
    strict = FixMode(writes=True, fail_on_fix=True, source="--exit-non-zero-on-fix")
    assert _fixing(strict, before, "") == [("F401", 1, True), ("F401", 2, True)]
    assert (
        ruff_check.parse(ToolOutput(1, "", "", before=before), ctx("ruff-check", fix=strict)).status
        is Status.FAILED
    )


def test_ruff_check_a_finding_the_fixes_bring_about_is_kept_and_says_so() -> None:
    before = read("ruff_check_before_fix.jsonl").splitlines()
    after = [
        ln.replace("undefined_name", "other_name")
        for ln in read("ruff_check_after_fix.jsonl").splitlines()
    ]
    out = ruff_check.parse(
        ToolOutput(1, "\n".join(after), "", before="\n".join(before)), ctx("ruff-check", fix=FIXED)
    )
    new = [f for f in out.findings if "other_name" in f.message]
    assert [(f.line, f.blocking) for f in new] == [(5, True)]
    assert new[0].message.endswith("(in the file as CI's fixes leave it)")
    assert ("F821", 7) in [(f.code, f.line) for f in out.findings if not f.blocking]


def test_ruff_check_diff_fails_only_on_what_ruff_can_fix() -> None:
    """`ruff check --diff` (fix-only, writes nothing) exits 1 only when a fix would apply."""
    text = read("ruff_check_before_fix.jsonl")
    diff = FixMode(only=True, source="--diff")
    blocking = [(c, ln) for c, ln, b in _fixing(diff, "", text) if b]
    assert blocking == [("F401", 1), ("F401", 2)]
    unsafe = FixMode(only=True, unsafe=True, source="--diff")
    assert [(c, ln) for c, ln, b in _fixing(unsafe, "", text) if b] == [
        ("F401", 1),
        ("F401", 2),
        ("F841", 6),
    ]
    unfixable = "\n".join(ln for ln in text.splitlines() if "F821" in ln)
    out = ruff_check.parse(ToolOutput(1, unfixable, ""), ctx("ruff-check", fix=diff))
    assert out.status is Status.PASSED, "nothing to fix: CI's ruff check --diff exits 0"
    assert "only what ruff can fix fails CI's command" in out.message


def test_ruff_check_exit_zero_never_blocks() -> None:
    text = read("ruff_check_before_fix.jsonl")
    out = ruff_check.parse(ToolOutput(1, text, ""), ctx("ruff-check", fix=FixMode(exit_zero=True)))
    assert out.status is Status.PASSED and not any(f.blocking for f in out.findings)
    assert "--exit-zero" in out.message


def test_ruff_check_without_fix_everything_blocks() -> None:
    out = ruff_check.parse(ToolOutput(1, read("ruff_check_mixed.jsonl"), ""), ctx("ruff-check"))
    assert all(f.blocking for f in out.findings)
    assert {f.path for f in out.findings} == {"pkg/a.py", "pkg/bad.py"}


def test_ruff_format_one_finding_per_file_at_first_changed_line() -> None:
    out = ruff_format.parse(ToolOutput(1, read("ruff_format.jsonl"), ""), ctx("ruff-format"))
    assert out.status is Status.FAILED
    unformatted = [(f.path, f.line) for f in out.findings if f.code == "unformatted"]
    assert unformatted == [("pkg/a.py", 2)]
    assert out.counts.startswith("1 file would be reformatted")


F401_JSON = '{"code": "F401", "filename": "/tmp/proj/a.py", "location": {"row": 1}}\n'


@pytest.mark.parametrize(
    ("code", "stdout", "stderr", "status"),
    [
        (2, "", "ruff failed\n  Cause: Failed to parse pyproject.toml\n", Status.ERROR),
        (1, "", "", Status.FAILED),
        (0, F401_JSON, "", Status.PASSED),
        (0, "", "warning: The following rules may cause conflicts: `COM812`\n", Status.PASSED),
        (1, "[not json\n", "", Status.FAILED),
        (1, "[1, 2]\n", "", Status.FAILED),
        (3, "", "", Status.ERROR),
        (-11, "", "", Status.ERROR),
    ],
)
def test_ruff_exit_status_is_the_verdict_and_unknown_output_is_shown(
    code: int, stdout: str, stderr: str, status: Status
) -> None:
    for module, check in ((ruff_check, "ruff-check"), (ruff_format, "ruff-format")):
        out = module.parse(ToolOutput(code, stdout, stderr), ctx(check))
        assert out.status is status, (check, out)
        if status is Status.PASSED:
            assert not out.findings
            assert all(line in out.message for line in stderr.splitlines()), out
            assert ("a.py:1: F401" in out.message) == bool(stdout), out


def test_ruff_usage_error_quotes_its_error_line_not_its_tip() -> None:
    stderr = (
        "error: unexpected argument '--output-format' found\n\n"
        "  tip: to pass '--output-format' as a value, use '-- --output-format'\n\n"
        "Usage: ruff format --check [FILES]...\n\nFor more information, try '--help'.\n"
    )
    for module, check in ((ruff_check, "ruff-check"), (ruff_format, "ruff-format")):
        out = module.parse(ToolOutput(2, "", stderr), ctx(check))
        assert out.status is Status.ERROR
        assert out.message.splitlines()[0] == (
            "ruff exited 2 (it could not run): error: unexpected argument '--output-format' found"
        )


def test_pytest_report_failures_at_their_deepest_project_frame() -> None:
    out = pytest_check.parse(
        ToolOutput(1, read("pytest_stdout.txt"), "", read("pytest_report.json")), ctx("pytest")
    )
    assert out.status is Status.FAILED
    assert [(f.code, f.path, f.line, f.test_id) for f in out.findings] == [
        ("collection-error", "tests/test_import.py", 1, "tests/test_import.py"),
        ("collection-error", "tests/test_syntax.py", 1, "tests/test_syntax.py"),
        ("test-failed", "tests/test_calc.py", 7, "tests/test_calc.py::test_add"),
        ("test-failed", "pkg/calc.py", 7, "tests/test_calc.py::test_raises_in_code"),
        ("test-error", "tests/test_calc.py", 21, "tests/test_calc.py::test_fixture"),
    ]
    assert out.counts == "2 failed, 1 passed, 1 skipped, 1 xfailed, 3 errors"
    assert "sum is wrong" in out.findings[2].message


def test_pytest_coverage_threshold_is_a_finding() -> None:
    out = pytest_check.parse(
        ToolOutput(1, read("pytest_cov_stdout.txt"), "", read("pytest_cov_report.json")),
        ctx("pytest"),
    )
    assert out.status is Status.FAILED
    (finding,) = out.findings
    assert finding.code == "coverage"
    assert "55.56%" in finding.message and "95%" in finding.message


def test_pytest_no_tests_fails_unless_allowed() -> None:
    report = '{"exitstatus": 5, "counts": {}, "collected": 0, "problems": []}'
    out = pytest_check.parse(ToolOutput(5, "", "", report), ctx("pytest"))
    assert out.status is Status.FAILED
    assert out.findings[0].code == "no-tests"
    allowed = pytest_check.parse(ToolOutput(5, "", "", report), ctx("pytest", allow_no_tests=True))
    assert allowed.status is Status.PASSED


@pytest.mark.parametrize(
    ("code", "report"),
    [
        (3, None),
        (3, '{"exitstatus": 3, "counts": {}, "problems": []}'),
        (4, None),
        (1, None),
        (0, None),
        (0, "{not json"),
        (-9, None),
        (1, '{"exitstatus": 1, "counts": {"failed": 1}, "problems": []}'),
    ],
)
def test_pytest_crashes_and_missing_reports_are_errors(code: int, report: str | None) -> None:
    out = pytest_check.parse(ToolOutput(code, "INTERNALERROR> boom\n", "", report), ctx("pytest"))
    assert out.status is Status.ERROR


def test_path_map() -> None:
    paths = PathMap("/tmp/proj", "backend")
    assert paths("/tmp/proj/backend/x.py") == "backend/x.py"
    assert paths("x.py") == "backend/x.py"
    assert paths("../other/y.py") == "other/y.py"
    assert PathMap("/tmp/proj", ".")("./a/b.py") == "a/b.py"
