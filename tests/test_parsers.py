"""Parsers on captured real outputs (tests/data/outputs), and on outputs they must not trust."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.checks import mypy, ruff_check, ruff_format
from hooks.checks import pytest as pytest_check
from hooks.checks.base import ParseContext, PathMap, ToolOutput
from hooks.findings import Status

DATA = Path(__file__).parent / "data" / "outputs"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def ctx(check: str, project: str = ".", **kwargs: bool) -> ParseContext:
    return ParseContext(PathMap("/tmp/proj", project), check=check, **kwargs)


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


@pytest.mark.parametrize(
    ("code", "stdout"),
    [(1, ""), (0, "something unexpected\n"), (2, ""), (1, "garbage that is not mypy\n")],
)
def test_mypy_unrecognised_output_is_never_a_pass(code: int, stdout: str) -> None:
    out = mypy.parse(ToolOutput(code, stdout, ""), ctx("mypy"))
    assert out.status is Status.ERROR


def test_ruff_check_fix_true_makes_fixable_findings_non_blocking() -> None:
    text = read("ruff_check_mixed.jsonl")
    out = ruff_check.parse(ToolOutput(1, text, ""), ctx("ruff-check", ruff_fix=True))
    assert out.status is Status.FAILED
    blocking = [(f.code, f.line) for f in out.findings if f.blocking]
    fixable = [(f.code, f.line) for f in out.findings if not f.blocking]
    assert fixable == [("I001", 1), ("F401", 1)]
    assert all(code == "invalid-syntax" for code, _ in blocking) and blocking
    assert out.counts == "2 errors in 1 file, 2 fixable not blocking"


def test_ruff_check_without_fix_everything_blocks() -> None:
    out = ruff_check.parse(ToolOutput(1, read("ruff_check_mixed.jsonl"), ""), ctx("ruff-check"))
    assert all(f.blocking for f in out.findings)
    assert {f.path for f in out.findings} == {"pkg/a.py", "pkg/bad.py"}


def test_ruff_check_only_fixable_with_fix_true_passes() -> None:
    lines = [ln for ln in read("ruff_check_mixed.jsonl").splitlines() if '"fix":{' in ln]
    out = ruff_check.parse(ToolOutput(1, "\n".join(lines), ""), ctx("ruff-check", ruff_fix=True))
    assert out.status is Status.PASSED
    assert "fix = true" in out.message


def test_ruff_format_one_finding_per_file_at_first_changed_line() -> None:
    out = ruff_format.parse(ToolOutput(1, read("ruff_format.jsonl"), ""), ctx("ruff-format"))
    assert out.status is Status.FAILED
    unformatted = [(f.path, f.line) for f in out.findings if f.code == "unformatted"]
    assert unformatted == [("pkg/a.py", 2)]
    assert out.counts.startswith("1 file would be reformatted")


@pytest.mark.parametrize(
    ("code", "stdout", "stderr"),
    [
        (2, "", "ruff failed\n  Cause: Failed to parse pyproject.toml\n"),
        (1, "", ""),
        (0, '{"code": "F401", "filename": "/tmp/proj/a.py", "location": {"row": 1}}\n', ""),
        (1, "[not json\n", ""),
        (1, "[1, 2]\n", ""),
    ],
)
def test_ruff_unrecognised_output_is_an_error(code: int, stdout: str, stderr: str) -> None:
    for module, check in ((ruff_check, "ruff-check"), (ruff_format, "ruff-format")):
        out = module.parse(ToolOutput(code, stdout, stderr), ctx(check))
        assert out.status is Status.ERROR, (check, code, stdout)


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
