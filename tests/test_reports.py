"""Renderers on hand-built results: exact text, escaping, schema validity, report planning."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from hooks.commands import outputs
from hooks.errors import GuardrailError
from hooks.findings import CheckResult, Finding, Status, result_from_dict, result_to_dict
from hooks.report import formats, github, junit, live, markdown, sarif, style
from hooks.report import json as json_report
from tests.report_records import (
    EXPORT,
    FAILING_TEST,
    INFO,
    MOTIVATING,
    MYPY,
    PYTEST_FAILED,
    TEST_ID,
    TYPE_ARG_URL,
)

DATA = Path(__file__).parent / "data"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"
BAD_LINES = (72, 95, 128)


def validate_sarif(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(doc)
    return doc


def test_markdown_motivating_case_exact() -> None:
    expected = (DATA / "motivating-report.md").read_text(encoding="utf-8")
    assert markdown.render(INFO, MOTIVATING) == expected


def test_markdown_failing_test_names_id_line_and_rerun_command() -> None:
    text = markdown.render(INFO, FAILING_TEST)
    assert "- ❌ **pytest** failed: 1 failed, 3 passed (`backend/tests/test_services.py`)" in text
    assert (
        "- `tests/test_services.py::test_sft_record` failed at "
        "`backend/tests/test_services.py:18`\n"
        "  - AssertionError: assert '4' == '5'\n"
        "  - rerun just this test: `cd backend && /src/tunix-rt/.venv/bin/python -m pytest "
        "tests/test_services.py::test_sft_record`\n"
    ) in text
    assert "guardrail run --only mypy pytest\n" in text
    assert "**Verdict:** Push blocked: mypy, pytest did not pass. (exit 1)" in text


def _ruff(check: str, findings: tuple[Finding, ...]) -> CheckResult:
    return CheckResult(
        check=check,
        project="backend",
        status=Status.FAILED,
        findings=findings,
        counts="x",
        exit_code=1,
        cwd="backend",
        tool="ruff",
    )


def test_markdown_ruff_fix_commands_run_in_the_project_folder() -> None:
    fixable = Finding("ruff-check", "backend/app/a.py", 1, 8, "F401", "`os` unused", fixable=True)
    manual = Finding("ruff-check", "backend/app/b.py", 3, 1, "F821", "Undefined name `x|y`")
    unformatted = Finding("ruff-format", "backend/app/c.py", 2, 1, "unformatted", "reformat")
    results = (
        _ruff("ruff-check", (fixable, manual)),
        _ruff("ruff-format", (unformatted,)),
    )
    text = markdown.render(INFO, results)
    assert "```bash\ncd backend && ruff check --fix app/a.py\n```" in text
    assert "- `backend/app/b.py:3:1` `F821` Undefined name `x\\|y`" in text
    assert "```bash\ncd backend && ruff format app/c.py\n```" in text


def test_markdown_mypy_hint_table_covers_common_codes_and_generics() -> None:
    findings = (
        Finding(
            "mypy", "pkg/a.py", 1, 1, "type-arg", 'Missing type arguments for generic type "list"'
        ),
        Finding(
            "mypy", "pkg/a.py", 2, 1, "no-untyped-def", "Function is missing a type annotation"
        ),
        Finding("mypy", "pkg/a.py", 3, 1, "weird-new-code", "something"),
    )
    result = replace(MYPY, findings=findings, project=".", cwd=".")
    text = markdown.render(INFO, (result,))
    assert "| `type-arg` | 1 | add type arguments, e.g. `list[str]` |" in text
    assert "| `no-untyped-def` | 1 | annotate every parameter" in text
    assert (
        "| `weird-new-code` | 1 | see the message and the docs | "
        "[weird-new-code](https://mypy.readthedocs.io/en/stable/_refs.html#code-weird-new-code) |"
    ) in text
    assert "- `pkg/a.py`: lines 1, 2, 3" in text


def test_markdown_all_green_and_could_not_run() -> None:
    green = markdown.render(INFO, MOTIVATING[:2])
    assert green.startswith("# Guardrail report\n")
    assert "✅ **Every check passed** (2 of 2 ran)." in green
    assert "## Recommended fix" not in green
    broken = replace(
        MYPY,
        status=Status.ERROR,
        findings=(),
        message="mypy crashed:\nINTERNAL ERROR",
        output_tail="Traceback ...",
    )
    text = markdown.render(INFO, (broken,))
    assert "- ❌ **mypy** could not run: mypy crashed:" in text
    assert "```text\nmypy crashed:\nINTERNAL ERROR\n```" in text
    assert "**mypy** could not run (mypy crashed): see its output above. Fix that first" in text
    assert "```text\nTraceback ...\n```" in text


def test_github_annotations_exact() -> None:
    assert github.render(INFO, FAILING_TEST) == (
        f"::error file={EXPORT},line=72,endLine=72,col=67,endColumn=70,title=mypy%3A type-arg"
        f'::Missing type arguments for generic type "dict"%0A{TYPE_ARG_URL}\n'
        f"::error file={EXPORT},line=95,endLine=95,col=71,endColumn=74,title=mypy%3A type-arg"
        f'::Missing type arguments for generic type "dict"%0A{TYPE_ARG_URL}\n'
        f"::error file={EXPORT},line=128,endLine=128,col=78,endColumn=81,title=mypy%3A type-arg"
        f'::Missing type arguments for generic type "dict"%0A{TYPE_ARG_URL}\n'
        "::error file=backend/tests/test_services.py,line=18,title=pytest%3A test-failed"
        "::tests/test_services.py::test_sft_record: AssertionError: assert '4' == '5'\n"
    )


def test_github_escaping_of_data_and_properties() -> None:
    assert github.escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    odd = Finding("ruff-check", "dir,x/a:b.py", 1, 2, "E1", "100% bad\nreally", blocking=False)
    result = _ruff("ruff-check", (odd,))
    assert github.render(INFO, (result,)) == (
        "::warning file=dir%2Cx/a%3Ab.py,line=1,col=2,title=ruff-check%3A E1::100%25 bad%0Areally\n"
    )


def test_github_check_that_could_not_run_and_projectless_finding() -> None:
    broken = CheckResult("mypy", "backend", Status.ERROR, message="mypy is not installed")
    coverage = Finding("pytest", None, None, None, "coverage", "total coverage 50% is under 80%")
    cov = replace(PYTEST_FAILED, findings=(coverage,))
    assert github.render(INFO, (broken, cov)) == (
        "::error title=mypy could not run::mypy is not installed\n"
        "::error title=pytest%3A coverage::total coverage 50%25 is under 80%25\n"
    )


def test_junit_parses_and_maps_checks_to_suites() -> None:
    xml = JUnitXml.fromstring(junit.render(INFO, FAILING_TEST))
    suites = {s.name: s for s in xml}
    assert list(suites) == ["ruff-check", "ruff-format", "mypy", "pytest"]
    mypy_cases = list(suites["mypy"])
    assert [c.name for c in mypy_cases] == [
        f"{EXPORT}:{n}:{c} type-arg" for n, c in ((72, 67), (95, 71), (128, 78))
    ]
    assert all(isinstance(c.result[0], Failure) for c in mypy_cases)
    assert [c._elem.get("line") for c in mypy_cases] == ["72", "95", "128"]
    (test_case,) = list(suites["pytest"])
    assert test_case.name == TEST_ID
    assert test_case._elem.get("file") == "backend/tests/test_services.py"
    assert test_case.result[0].message.endswith("assert '4' == '5'")
    (ok,) = list(suites["ruff-check"])
    assert ok.is_passed
    assert (xml.tests, xml.failures, xml.errors) == (6, 4, 0)


def test_junit_error_skipped_and_control_characters() -> None:
    broken = CheckResult("mypy", ".", Status.ERROR, message="crashed\x1b[0m", output_tail="tb")
    skipped = CheckResult("pytest", ".", Status.SKIPPED, message="skipped by --skip")
    xml = JUnitXml.fromstring(junit.render(INFO, (broken, skipped)))
    cases = [c for s in xml for c in s]
    assert isinstance(cases[0].result[0], Error)
    assert cases[0].result[0].message == "crashed\ufffd[0m"
    assert isinstance(cases[1].result[0], Skipped)
    assert cases[1].result[0].message == "skipped by --skip"


def test_sarif_motivating_case_validates_with_one_run_per_tool() -> None:
    doc = validate_sarif(sarif.render(INFO, FAILING_TEST))
    assert doc["version"] == "2.1.0"
    drivers = [
        (r["tool"]["driver"]["name"], r["tool"]["driver"].get("version")) for r in doc["runs"]
    ]
    assert drivers == [("ruff", "0.17.6"), ("mypy", "2.4.1"), ("pytest", "9.2.0")]
    mypy_run = doc["runs"][1]
    assert mypy_run["tool"]["driver"]["rules"] == [{"id": "type-arg", "helpUri": TYPE_ARG_URL}]
    regions = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in mypy_run["results"]
    ]
    assert regions == list(BAD_LINES)
    uri = mypy_run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": EXPORT, "uriBaseId": "%SRCROOT%"}
    pytest_run = doc["runs"][2]
    assert pytest_run["results"][0]["properties"]["test_id"] == TEST_ID
    assert pytest_run["tool"]["driver"]["rules"][0]["helpUri"].startswith("https://docs.pytest.org")


def test_sarif_error_and_pathless_findings_still_validate() -> None:
    broken = CheckResult("mypy", "backend", Status.ERROR, message="mypy is not installed")
    coverage = Finding("pytest", None, None, None, "coverage", "total coverage 50% is under 80%")
    weird = Finding("ruff-check", "a b/c.py", 0, 0, "E9", "", end_line=0, end_column=0)
    results = (broken, replace(PYTEST_FAILED, findings=(coverage,)), _ruff("ruff-check", (weird,)))
    doc = validate_sarif(sarif.render(INFO, results))
    mypy_run = next(r for r in doc["runs"] if r["tool"]["driver"]["name"] == "mypy")
    assert mypy_run["invocations"][0]["executionSuccessful"] is False
    assert "version" not in mypy_run["tool"]["driver"]
    cov = next(r for r in doc["runs"] if r["tool"]["driver"]["name"] == "pytest")["results"][0]
    location = cov["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "backend/pyproject.toml"
    ruff_result = next(r for r in doc["runs"] if r["tool"]["driver"]["name"] == "ruff")["results"][
        0
    ]
    assert (
        ruff_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a%20b/c.py"
    )


def test_sarif_schema_rejects_a_broken_document() -> None:
    """The validation above can fail: a result without a message is not SARIF."""
    doc = json.loads(sarif.render(INFO, MOTIVATING))
    del doc["runs"][1]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(json.dumps(doc))


def test_json_report_schema() -> None:
    doc = json.loads(json_report.render(INFO, FAILING_TEST))
    assert doc["schema_version"] == 1
    assert (doc["exit_code"], doc["verdict"]) == (1, "failed")
    mypy_check = doc["checks"][2]
    assert {k: mypy_check[k] for k in ("name", "status", "exit_code", "duration", "cwd")} == {
        "name": "mypy",
        "status": "failed",
        "exit_code": 1,
        "duration": 0.55,
        "cwd": "backend",
    }
    assert (mypy_check["command"], mypy_check["tool"], mypy_check["tool_version"]) == (
        ["mypy", "-O", "json", "tunix_rt_backend"],
        "mypy",
        "2.4.1",
    )
    assert [f["line"] for f in mypy_check["findings"]] == list(BAD_LINES)
    assert set(mypy_check["findings"][0]) == {
        "check",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "message",
        "fixable",
        "url",
        "blocking",
        "test_id",
    }
    assert doc["checks"][3]["findings"][0]["test_id"] == TEST_ID


def test_a_result_reads_back_from_its_json_form() -> None:
    """The JSON report's form of a result is also what the verdict cache stores."""
    for r in (*FAILING_TEST, replace(PYTEST_FAILED, cwd="backend", output_tail="x")):
        back = result_from_dict(json.loads(json.dumps(result_to_dict(r))))
        shown = replace(r, duration=round(r.duration, 3), cwd=r.cwd or r.project)
        assert back == replace(shown, output_tail="", raw_output="")
    with pytest.raises(KeyError):
        result_from_dict({"status": "failed"})
    with pytest.raises(ValueError):
        result_from_dict({"name": "mypy", "project": ".", "status": "green"})


def test_outputs_plan() -> None:
    plain = outputs.plan(outputs.ReportOptions(), {})
    assert plain == outputs.Plan("terminal", False, (), None)
    to_file = outputs.plan(
        outputs.ReportOptions(format="sarif", output="o.sarif", reports=(("json", "o.json"),)),
        {},
    )
    assert to_file == outputs.Plan(
        "terminal", False, (("sarif", "o.sarif"), ("json", "o.json")), None
    )
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/tmp/summary.md"}
    assert outputs.plan(outputs.ReportOptions(), actions) == outputs.Plan(
        "terminal", True, (), "/tmp/summary.md"
    )
    json_out = outputs.plan(outputs.ReportOptions(format="json"), actions)
    assert (json_out.stdout, json_out.annotations) == ("json", False)
    with pytest.raises(GuardrailError, match="--output needs --format"):
        outputs.plan(outputs.ReportOptions(output="x"), {})
    with pytest.raises(GuardrailError, match="two reports would be written to x"):
        outputs.plan(outputs.ReportOptions(reports=(("json", "x"), ("sarif", "x"))), {})
    assert outputs.parse_report("sarif=a=b.sarif") == ("sarif", "a=b.sarif")
    for bad in ("sarif", "xml=a", "json="):
        with pytest.raises(ValueError):
            outputs.parse_report(bad)


@pytest.mark.parametrize(
    ("mode", "isatty", "env", "expected"),
    [
        ("always", False, {"NO_COLOR": "1"}, True),
        ("never", True, {"FORCE_COLOR": "1"}, False),
        ("auto", True, {}, True),
        ("auto", False, {}, False),
        ("auto", True, {"NO_COLOR": "1"}, False),
        ("auto", True, {"NO_COLOR": ""}, True),
        ("auto", False, {"FORCE_COLOR": "1"}, True),
        ("auto", False, {"FORCE_COLOR": "0"}, False),
        ("auto", False, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
    ],
)
def test_use_color(mode: str, isatty: bool, env: dict[str, str], expected: bool) -> None:
    assert style.use_color(mode, isatty, env) is expected


def test_colorize_marks_and_verdict_and_strips_back_to_plain() -> None:
    plain = formats.render("terminal", INFO, MOTIVATING)
    colored = formats.render("terminal", INFO, MOTIVATING, color=True)
    assert style.strip(colored) == plain
    assert "  \x1b[31mFAIL\x1b[0m  mypy" in colored
    assert "  \x1b[32mok\x1b[0m    pytest" in colored
    assert "\x1b[1m\x1b[31mPush blocked: mypy failed.\x1b[0m\n" in colored
    assert "\x1b[" not in plain


def test_live_status_lines_and_erase() -> None:
    status = live.LiveStatus(started=100.0)
    assert status.tick(101.3) == "\r\x1b[K  ⠙     running                    1.3s"
    text = status.done(MYPY, 102.0)
    assert text.startswith(
        "\r\x1b[K  FAIL  mypy (backend)           failed     0.55s  3 errors in 1 file\n"
    )
    assert text.endswith("2.0s · 1 done")
    status.done(MOTIVATING[0], 102.5)
    assert status.finish() == "\r\x1b[K\x1b[2F\x1b[J"
    assert status.finish() == ""


def test_live_status_lines_fit_the_terminal_and_keep_their_colour() -> None:
    status = live.LiveStatus(started=0.0, color=True, width=30)
    line = status.done(MYPY, 1.0).split("\n")[0]
    assert line == "\r\x1b[K  \x1b[31mFAIL\x1b[0m  mypy (backend)       "
    assert len(style.strip(line.removeprefix("\r"))) == 29
    assert len(status.tick(2.0).removeprefix(live.CLEAR_LINE)) == 29


def test_every_renderer_shows_a_failure_that_does_not_block_as_such() -> None:
    """mypy fails but CI does not run it: the verdict passes, and every format says why."""
    aside = replace(MYPY, blocking=False, why="not in CI")
    ruff = replace(MOTIVATING[0], origin=".github/workflows/ci.yml:9 -> Makefile:3")
    results = (ruff, MOTIVATING[1], aside, MOTIVATING[3])
    text = formats.render("terminal", INFO, results)
    assert "mypy failed (not in CI: does not block) (mypy 2.4.1):" in text, text
    assert "  warn  mypy " in text, text
    assert "    ruff-check: .github/workflows/ci.yml:9 -> Makefile:3" in text, text
    assert "    mypy: not in CI (the guardrail's defaults)" in text, text
    assert "did not, and does not block: the push may go ahead." in text, text
    doc = json.loads(json_report.render(INFO, results))
    assert doc["exit_code"] == 0 and doc["checks"][2]["blocking"] is False
    assert doc["checks"][2]["why"] == "not in CI" and doc["notes"] == list(INFO.notes)
    sarif_doc = validate_sarif(sarif.render(INFO, results))
    mypy_run = next(r for r in sarif_doc["runs"] if r["tool"]["driver"]["name"] == "mypy")
    assert {r["level"] for r in mypy_run["results"]} == {"warning"}
    assert mypy_run["invocations"][0]["properties"]["blocking"] is False
    suites = {s.name: s for s in JUnitXml.fromstring(junit.render(INFO, results))}
    mypy_case = next(iter(suites["mypy"]))
    assert isinstance(mypy_case.result[0], Skipped), mypy_case.result
    assert "not in CI: does not block" in mypy_case.result[0].message
    md = markdown.render(INFO, results)
    assert "⚠️ mypy: failed (not in CI: does not block)" in md, md
    assert "## Failing checks" not in md, md
    gh = github.render(INFO, results)
    assert "::warning " in gh and "::error " not in gh, gh


def test_progress_line_names_the_check_its_project_and_what_failed() -> None:
    progress_line = live.progress_line
    lines = [
        progress_line(CheckResult("mypy", ".", Status.PASSED, 3.24, counts="no issues")),
        progress_line(
            CheckResult("mypy", "backend", Status.FAILED, 0.53, counts="3 errors in 1 file")
        ),
        progress_line(
            CheckResult("pytest", "api", Status.ERROR, 600.0, message="timed out\nafter 600 s")
        ),
        progress_line(CheckResult("ruff-format", ".", Status.SKIPPED, message="by --skip")),
        progress_line(CheckResult("pytest", "", Status.NOT_RUN)),
    ]
    assert lines == [
        "ok mypy 3.2s\n",
        "FAILED mypy (backend) 0.5s: 3 errors in 1 file\n",
        "error pytest (api) 600.0s: timed out\n",
        "skipped ruff-format\n",
        "not run pytest\n",
    ]
