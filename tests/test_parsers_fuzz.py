"""Property tests: on arbitrary tool output the parsers never raise, and never turn a non-zero
exit into a pass. (The verdict is the exit status: unknown output on exit 0 is a pass, shown.)

A longer fuzz run: ``GUARDRAIL_FUZZ=1 .venv/bin/python -m pytest tests/test_parsers_fuzz.py``
(the ``fuzz`` hypothesis profile: 20,000 examples per property, a few minutes).
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.checks import mypy, ruff_check, ruff_format
from hooks.checks import pytest as pytest_check
from hooks.checks.base import FixMode, ParseContext, PathMap, ToolOutput
from hooks.findings import Status

settings.register_profile(
    "fuzz", max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile("default", max_examples=150, deadline=None)
settings.load_profile("fuzz" if os.environ.get("GUARDRAIL_FUZZ") else "default")

CTX = ParseContext(PathMap("/tmp/proj", "backend"), check="mypy")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
mypy_like_lines = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda p, n, c, m, code: f"{p}:{n}:{c}: error: {m}  [{code}]",
        st.text(min_size=1, max_size=15).filter(lambda s: "\n" not in s and ":" not in s),
        st.integers(0, 10**6),
        st.integers(0, 500),
        st.text(max_size=30).filter(lambda s: "\n" not in s),
        st.from_regex(r"[a-z-]{1,12}", fullmatch=True),
    ),
    json_values.map(json.dumps),
)
outputs = st.lists(mypy_like_lines, max_size=12).map("\n".join)
codes = st.integers(-15, 300)


@given(code=codes, stdout=outputs, stderr=st.text(max_size=200))
def test_mypy_never_raises_and_passes_only_on_exit_0(code: int, stdout: str, stderr: str) -> None:
    out = mypy.parse(ToolOutput(code, stdout, stderr), CTX)
    if out.status is Status.PASSED:
        assert code == 0 and not out.findings


# CI's ruff check command as the parser may be told it runs: as it is (no fixes, fix = true,
# --fix-only, unsafe fixes, through pre-commit), or under the flags whose exit status the parser
# models from the findings (--exit-zero, --diff).
fix_modes = st.sampled_from(
    [
        FixMode(),
        FixMode(writes=True),
        FixMode(writes=True, unsafe=True),
        FixMode(writes=True, only=True),
        FixMode(writes=True, fail_on_fix=True),
        FixMode(only=True),
        FixMode(exit_zero=True),
        FixMode(writes=True, exit_zero=True),
    ]
)


@given(
    code=codes,
    stdout=outputs,
    stderr=st.text(max_size=200),
    before=st.one_of(st.none(), outputs),
    mode=fix_modes,
)
def test_ruff_never_raises_and_passes_only_where_cis_command_exits_0(
    code: int, stdout: str, stderr: str, before: str | None, mode: FixMode
) -> None:
    for module, check in ((ruff_check, "ruff-check"), (ruff_format, "ruff-format")):
        fix = mode if check == "ruff-check" else None
        ctx = ParseContext(PathMap("/tmp/proj", "."), check=check, fix=fix)
        out = module.parse(ToolOutput(code, stdout, stderr, before=before), ctx)
        if out.status is Status.PASSED and code != 0:
            # Only where CI's command is not this run's: under --exit-zero it exits 0, and under
            # --diff (this run is `--no-fix`) it exits 1 only for what ruff can fix.
            assert check == "ruff-check" and code == 1
            assert mode.exit_zero or (mode.only and not mode.writes)
            assert mode.exit_zero or not any(f.fixable for f in out.findings)


@given(
    code=codes,
    stdout=st.text(max_size=300),
    report=st.one_of(st.none(), st.text(max_size=100), json_values.map(json.dumps)),
)
def test_pytest_never_raises_and_passes_only_on_exit_0_or_allowed_5(
    code: int, stdout: str, report: str | None
) -> None:
    out = pytest_check.parse(ToolOutput(code, stdout, "", report), CTX)
    if out.status is Status.PASSED:
        assert code == 0
        assert report is not None


@given(
    report=st.fixed_dictionaries(
        {
            "exitstatus": st.integers(0, 5),
            "counts": st.dictionaries(st.sampled_from(["passed", "failed", "error"]), json_values),
            "problems": st.lists(
                st.dictionaries(
                    st.sampled_from(["kind", "nodeid", "path", "line", "message"]), json_values
                ),
                max_size=4,
            ),
        }
    )
)
def test_pytest_report_with_odd_field_types(report: dict[str, object]) -> None:
    out = pytest_check.parse(ToolOutput(1, "", "", json.dumps(report)), CTX)
    assert out.status in (Status.FAILED, Status.ERROR)
