"""Property tests: on arbitrary tool output the parsers never raise and never read a pass.

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
def test_mypy_never_raises_and_only_passes_on_exit_0(code: int, stdout: str, stderr: str) -> None:
    out = mypy.parse(ToolOutput(code, stdout, stderr), CTX)
    if out.status is Status.PASSED:
        assert code == 0 and not out.findings


@given(code=codes, stdout=outputs, stderr=st.text(max_size=200))
def test_ruff_never_raises_and_unknown_output_is_never_a_pass(
    code: int, stdout: str, stderr: str
) -> None:
    for module, check in ((ruff_check, "ruff-check"), (ruff_format, "ruff-format")):
        ctx = ParseContext(PathMap("/tmp/proj", "."), check=check, fix=FixMode(writes=True))
        out = module.parse(ToolOutput(code, stdout, stderr), ctx)
        if out.status is Status.PASSED:
            assert code in (0, 1)
            assert all(not f.blocking for f in out.findings)
            assert code == 0 or out.findings


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
