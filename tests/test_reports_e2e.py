"""Every report format end to end: real ruff, mypy and pytest on real repositories."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from junitparser import Failure, JUnitXml

from tests.conftest import GUARDRAIL_EXE
from tests.fixtures import BAD_LINES, EXPORT_PATH, make_repo
from tests.test_reports import validate_sarif

pytestmark = pytest.mark.slow

FORMATS = ("json", "github", "junit", "sarif", "markdown")

PYPROJECT = """\
[project]
name = "calc"
version = "0"

[tool.ruff.lint]
select = ["E", "F", "I"]

[tool.mypy]
strict = true
"""
CALC = "def add(a: int, b: int) -> int:\n    return a + b\n"
FAILING_TEST = """\
from calc.ops import add


def test_add_small() -> None:
    assert add(1, 1) == 2


def test_add_carries() -> None:
    total = add(2, 2)
    assert total == 5
"""
FAILING_ID = "tests/test_ops.py::test_add_carries"


@pytest.fixture
def failing_test_repo(tmp_path: Path, project_venv: Path) -> Path:
    files = {
        "pyproject.toml": PYPROJECT,
        "calc/__init__.py": "",
        "calc/ops.py": CALC,
        "tests/test_ops.py": FAILING_TEST,
    }
    return make_repo(tmp_path / "calc", files, venv=project_venv)


def _all_reports(repo: Path, guardrail: Any, out: Path, *extra: str) -> tuple[Any, dict[str, str]]:
    args = [arg for fmt in FORMATS for arg in ("--report", f"{fmt}={out / fmt}")]
    run = guardrail(repo, "run", *args, *extra)
    return run, {fmt: (out / fmt).read_text(encoding="utf-8") for fmt in FORMATS}


def test_every_format_on_the_motivating_case(
    motivating_repo: Path, guardrail: Any, tmp_path: Path
) -> None:
    run, reports = _all_reports(motivating_repo, guardrail, tmp_path / "out")
    assert run.code == 1, run
    assert "Push blocked: mypy failed." in run.out

    doc = json.loads(reports["json"])
    checks = {c["name"]: c for c in doc["checks"]}
    assert {n: c["status"] for n, c in checks.items()} == {
        "ruff-check": "passed",
        "ruff-format": "passed",
        "mypy": "failed",
        "pytest": "passed",
    }
    mypy = checks["mypy"]
    assert (mypy["exit_code"], mypy["cwd"], mypy["tool"]) == (1, "backend", "mypy")
    assert mypy["tool_version"] and mypy["command"][-1] == "tunix_rt_backend"
    assert [(f["path"], f["line"], f["code"]) for f in mypy["findings"]] == [
        (EXPORT_PATH, line, "type-arg") for line in BAD_LINES
    ]

    annotations = reports["github"].splitlines()
    assert [a.split(",")[0:2] for a in annotations] == [
        [f"::error file={EXPORT_PATH}", f"line={line}"] for line in BAD_LINES
    ]
    assert all("title=mypy%3A type-arg::Missing type arguments" in a for a in annotations)

    xml = JUnitXml.fromstring(reports["junit"])
    suites = {s.name: list(s) for s in xml}
    assert [c._elem.get("line") for c in suites["mypy"]] == [str(n) for n in BAD_LINES]
    assert all(isinstance(c.result[0], Failure) for c in suites["mypy"])
    assert all(
        c.is_passed for name in ("ruff-check", "ruff-format", "pytest") for c in suites[name]
    )

    sarif = validate_sarif(reports["sarif"])
    mypy_run = next(r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "mypy")
    assert mypy_run["tool"]["driver"]["version"] == mypy["tool_version"]
    assert [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in mypy_run["results"]
    ] == list(BAD_LINES)
    assert mypy_run["tool"]["driver"]["rules"][0]["helpUri"].endswith("#code-type-arg")

    md = reports["markdown"]
    assert f"- ❌ **mypy** failed: 3 errors in 1 file (`{EXPORT_PATH}`)" in md
    for line in BAD_LINES:
        assert f"| `{EXPORT_PATH}:{line}:" in md
    assert "add type arguments, e.g. `dict[str, Any]`" in md
    assert f"- `{EXPORT_PATH}`: lines 72, 95, 128" in md


def test_every_format_on_a_failing_test(
    failing_test_repo: Path, guardrail: Any, tmp_path: Path
) -> None:
    run, reports = _all_reports(failing_test_repo, guardrail, tmp_path / "out")
    assert run.code == 1, run

    doc = json.loads(reports["json"])
    (pytest_check,) = [c for c in doc["checks"] if c["name"] == "pytest"]
    (finding,) = pytest_check["findings"]
    assert (finding["path"], finding["line"], finding["test_id"]) == (
        "tests/test_ops.py",
        10,
        FAILING_ID,
    )
    assert "assert 4 == 5" in finding["message"]

    assert reports["github"] == (
        "::error file=tests/test_ops.py,line=10,title=pytest%3A test-failed::"
        f"{FAILING_ID}: assert 4 == 5\n"
    )

    xml = JUnitXml.fromstring(reports["junit"])
    (case,) = [c for s in xml if s.name == "pytest" for c in s]
    assert (case.name, case._elem.get("file"), case._elem.get("line")) == (
        FAILING_ID,
        "tests/test_ops.py",
        "10",
    )
    assert isinstance(case.result[0], Failure)

    sarif = validate_sarif(reports["sarif"])
    pytest_run = next(r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "pytest")
    (result,) = pytest_run["results"]
    assert result["properties"]["test_id"] == FAILING_ID
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 10}

    md = reports["markdown"]
    assert f"- `{FAILING_ID}` failed at `tests/test_ops.py:10`\n  - assert 4 == 5\n" in md
    python = pytest_check["command"][0]
    rerun = f"{python} -m pytest {FAILING_ID}"
    assert f"  - rerun just this test: `{rerun}`" in md
    rerun_result = subprocess.run(
        [python, "-m", "pytest", "-q", FAILING_ID],
        cwd=failing_test_repo,
        capture_output=True,
        text=True,
    )
    assert rerun_result.returncode == 1
    assert "1 failed in" in rerun_result.stdout


def test_format_to_stdout_and_output_to_file(
    motivating_repo: Path, guardrail: Any, tmp_path: Path
) -> None:
    run = guardrail(motivating_repo, "run", "--only", "mypy", "--format", "json")
    assert run.code == 1, run
    doc = json.loads(run.out)
    assert [c["name"] for c in doc["checks"] if c["status"] != "skipped"] == ["mypy"]

    target = tmp_path / "reports" / "guardrail.sarif"
    run = guardrail(
        motivating_repo, "run", "--only", "mypy", "--format", "sarif", "--output", str(target)
    )
    assert run.code == 1, run
    assert "Push blocked: mypy failed." in run.out
    assert "FAIL  mypy" in run.out
    validate_sarif(target.read_text(encoding="utf-8"))


def test_github_actions_mode_prints_annotations_and_appends_step_summary(
    motivating_repo: Path, guardrail: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("# Earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = guardrail(motivating_repo, "run", "--only", "mypy")
    assert run.code == 1, run
    summary_part, _, annotations = run.out.partition("Push blocked: mypy failed.\n")
    assert "FAIL  mypy" in summary_part
    assert [a.split(",")[1] for a in annotations.splitlines()] == [
        f"line={line}" for line in BAD_LINES
    ]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# Earlier step\n# Guardrail failure analysis\n")
    assert "add type arguments, e.g. `dict[str, Any]`" in text

    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    run = guardrail(motivating_repo, "run", "--only", "mypy")
    assert "::error" not in run.out
    assert summary.read_text(encoding="utf-8") == text


def test_bad_report_flags_are_clear_errors(
    motivating_repo: Path, guardrail: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        guardrail(motivating_repo, "run", "--report", "xml=out.xml")
    assert exc.value.code == 2
    assert "unknown report format 'xml'; choose from terminal, json" in capsys.readouterr().err

    run = guardrail(motivating_repo, "run", "--output", "out.json")
    assert run.code == 2
    assert run.err.startswith("guardrail: error: --output needs --format")

    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    run = guardrail(
        motivating_repo, "run", "--only", "ruff-check", "--report", f"json={blocker}/x.json"
    )
    assert run.code == 2
    assert f"cannot write the json report to {blocker}/x.json" in run.err


def test_not_a_tty_output_is_plain_and_color_can_be_forced(
    motivating_repo: Path, guardrail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = guardrail(motivating_repo, "run", "--only", "ruff-check")
    assert run.code == 0, run
    assert "\x1b[" not in run.out + run.err and "\r" not in run.out + run.err
    monkeypatch.setenv("FORCE_COLOR", "1")
    run = guardrail(motivating_repo, "run", "--only", "ruff-check")
    assert "  \x1b[32mok\x1b[0m    ruff-check" in run.out
    run = guardrail(motivating_repo, "run", "--only", "ruff-check", "--color", "never")
    assert "\x1b[" not in run.out


def _run_in_pty(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", errors="replace")


def test_live_status_on_a_real_terminal(motivating_repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm"
    code, out = _run_in_pty(
        [GUARDRAIL_EXE, "run", "--jobs", "1", "--only", "ruff-check", "mypy"], motivating_repo, env
    )
    assert code == 1, out
    live, _, summary = out.partition("\x1b[J")
    assert "\r\x1b[K  \x1b[32mok\x1b[0m    ruff-check (backend)" in live
    assert "\x1b[31mFAIL\x1b[0m  mypy (backend)" in live
    assert "running" in live
    assert live.endswith("\r\x1b[K\x1b[4F")  # four lines drawn (two ran, two skipped)
    assert summary.startswith("guardrail ")
    assert "  \x1b[31mFAIL\x1b[0m  mypy" in summary
    assert "\x1b[1m\x1b[31mPush blocked: mypy failed.\x1b[0m" in summary


def test_fix_applies_safe_fixes_and_reports_what_is_left(
    failing_test_repo: Path, guardrail: Any
) -> None:
    ops = failing_test_repo / "calc" / "ops.py"
    ops.write_text("import os\nimport sys\n" + CALC.replace("a + b", "a+b"), encoding="utf-8")
    run = guardrail(failing_test_repo, "run", "--only", "ruff-check", "ruff-format")
    assert run.code == 1, run

    run = guardrail(failing_test_repo, "fix")
    assert run.code == 1, run
    assert run.out.startswith(
        "guardrail fix:\n"
        "  ruff check --fix: changed 1 file\n"
        "    calc/ops.py\n"
        "  ruff format: changed 1 file\n"
        "    calc/ops.py\n"
        "  1 file changed: review with `git diff` before committing\n"
    ), run
    assert ops.read_text(encoding="utf-8") == CALC
    assert "ok    ruff-check" in run.out and "ok    ruff-format" in run.out
    assert f"tests/test_ops.py:10: test-failed {FAILING_ID}" in run.out
    assert "Push blocked: pytest failed." in run.out

    run = guardrail(failing_test_repo, "fix")
    assert "  ruff check --fix: nothing to change\n  ruff format: nothing to change\n" in run.out


def test_fix_is_never_a_hook() -> None:
    manifest = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text("utf-8")
    entries = [ln.split(":", 1)[1].strip() for ln in manifest.splitlines() if "entry:" in ln]
    assert entries and all(
        e.startswith("guardrail run") or e == "guardrail-background" for e in entries
    )


WAITING_TEST = """\
import time
from pathlib import Path

FLAG = Path({flag!r})


def test_waits_for_the_flag() -> None:
    deadline = time.monotonic() + 120
    while not FLAG.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert FLAG.exists()
"""


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path: Path, project_venv: Path) -> None:
    """A CI log or a file gets one plain line per check as it finishes, while the run goes on;
    stdout keeps the summary alone. The project's test waits for a flag the test sets only once
    ruff check's line has arrived, so the line cannot have come at the end."""
    flag = tmp_path / "flag"
    files = {
        "pyproject.toml": '[project]\nname = "w"\nversion = "0"\n',
        "w/__init__.py": "",
        "tests/test_wait.py": WAITING_TEST.format(flag=str(flag)),
    }
    repo = make_repo(tmp_path / "w", files, venv=project_venv)
    env = {k: v for k, v in os.environ.items() if k != "PRE_COMMIT"}
    argv = [GUARDRAIL_EXE, "run", "--jobs", "1", "--no-cache", "--only", "ruff-check", "pytest"]
    proc = subprocess.Popen(
        argv, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert re.fullmatch(r"ok ruff-check \d+\.\d+s\n", first), first
    assert proc.poll() is None, "the line came only when the run had ended"
    flag.write_text("go", encoding="utf-8")
    # Not communicate(): it reads the pipes' file descriptors and would miss what readline()
    # has buffered already. The summary on stdout is far smaller than a pipe's buffer.
    assert proc.stdout is not None
    rest = proc.stderr.read()
    out = proc.stdout.read()
    assert proc.wait(timeout=300) == 0, out + first + rest
    lines = [first, *rest.splitlines(keepends=True)]
    assert sorted(re.sub(r"\d+\.\d+s", "Ns", ln) for ln in lines) == [
        "ok pytest Ns\n",
        "ok ruff-check Ns\n",
        "skipped mypy\n",
        "skipped ruff-format\n",
    ], lines
    assert out.startswith("guardrail ") and out.rstrip().endswith("the push may go ahead.")
    assert not any(ln in out for ln in lines), out

    # Under pre-commit or prek, which show a hook's output only when it ends: no progress lines.
    env["PRE_COMMIT"] = "1"
    quiet = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet
    assert quiet.stdout.startswith("guardrail "), quiet
