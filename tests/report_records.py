"""Hand-built results for exact-text renderer tests: the motivating run and a failing test."""

from __future__ import annotations

from hooks.findings import CheckResult, Finding, ProjectInfo, RunInfo, Status

EXPORT = "backend/tunix_rt_backend/services/datasets_export.py"
TYPE_ARG_URL = "https://mypy.readthedocs.io/en/stable/_refs.html#code-type-arg"

INFO = RunInfo(
    version="0.1.0",
    target="checked the working tree of /src/tunix-rt",
    projects=(
        ProjectInfo(
            rel="backend",
            python="/src/tunix-rt/.venv/bin/python",
            python_version="3.11.7",
            python_source=".venv",
            tools=(("ruff", "0.17.6", "project env"), ("mypy", "2.4.1", "project env")),
        ),
    ),
)


def _ok(check: str, tool: str, version: str, counts: str) -> CheckResult:
    return CheckResult(
        check=check,
        project="backend",
        status=Status.PASSED,
        duration=0.02,
        counts=counts,
        exit_code=0,
        command=(tool, "check"),
        cwd="backend",
        tool=tool,
        tool_version=version,
        tool_source="project env",
    )


def mypy_finding(line: int, col: int) -> Finding:
    return Finding(
        check="mypy",
        path=EXPORT,
        line=line,
        column=col,
        end_line=line,
        end_column=col + 3,
        code="type-arg",
        message='Missing type arguments for generic type "dict"',
        url=TYPE_ARG_URL,
    )


MYPY = CheckResult(
    check="mypy",
    project="backend",
    status=Status.FAILED,
    duration=0.55,
    findings=(mypy_finding(72, 67), mypy_finding(95, 71), mypy_finding(128, 78)),
    counts="3 errors in 1 file",
    exit_code=1,
    command=("mypy", "-O", "json", "tunix_rt_backend"),
    cwd="backend",
    tool="mypy",
    tool_version="2.4.1",
    tool_source="project env",
)

MOTIVATING = (
    _ok("ruff-check", "ruff", "0.17.6", "no problems"),
    _ok("ruff-format", "ruff", "0.17.6", "all files formatted"),
    MYPY,
    _ok("pytest", "pytest", "9.2.0", "4 passed"),
)

TEST_ID = "tests/test_services.py::test_sft_record"
PYTEST_FAILED = CheckResult(
    check="pytest",
    project="backend",
    status=Status.FAILED,
    duration=0.8,
    findings=(
        Finding(
            check="pytest",
            path="backend/tests/test_services.py",
            line=18,
            column=None,
            code="test-failed",
            message=f"{TEST_ID}: AssertionError: assert '4' == '5'",
            test_id=TEST_ID,
        ),
    ),
    counts="1 failed, 3 passed",
    exit_code=1,
    command=("/src/tunix-rt/.venv/bin/python", "-m", "pytest", "-p", "guardrail_pytest_plugin"),
    cwd="backend",
    tool="pytest",
    tool_version="9.2.0",
    tool_source="project env",
)

FAILING_TEST = (*MOTIVATING[:2], MOTIVATING[2], PYTEST_FAILED)
