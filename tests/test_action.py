"""action.yml's steps, run as a GitHub runner runs them (tests/action_runner.py), on the
motivating repository: the real push-guardrail, installed by the action's own install step from
a copy of this checkout (the action at its ref), once per session."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from hooks import __version__
from tests.action_runner import Runner
from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    commit_all,
    datasets_export_source,
    fix_motivating,
    make_repo,
    motivating_files,
)
from tests.precommit_fixtures import HookRepo

pytestmark = pytest.mark.slow

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory, hook_repo: HookRepo) -> Runner:
    temp = tmp_path_factory.mktemp("runner-temp")
    runner = Runner(action_path=hook_repo.path, temp=temp)
    installed = runner.install(tmp_path_factory.mktemp("install-workspace"))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert installed.stdout.strip() == f"guardrail {__version__}", installed.stdout
    exe = Path(runner.step_outputs["install"]["guardrail"])
    assert exe.parent.parent == temp / "push-guardrail" / "venv", exe
    return runner


def test_a_failing_commit_fails_with_annotations_summary_and_sarif(
    runner: Runner, motivating_repo: Path
) -> None:
    run = runner.run(motivating_repo, {"sarif": "true"})

    assert run.code == 1, run
    assert run.outputs["exit-code"] == "1", run
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == len(BAD_LINES), run
    source = datasets_export_source().splitlines()
    for error, line in zip(errors, BAD_LINES, strict=True):
        col = source[line - 1].index("-> dict") + 4
        assert error == (
            f"::error file={EXPORT_PATH},line={line},endLine={line},col={col},endColumn={col + 3},"
            'title=mypy%3A type-arg::Missing type arguments for generic type "dict"'
            "%0Ahttps://mypy.readthedocs.io/en/stable/_refs.html#code-type-arg"
        )
    assert "Push blocked: mypy failed." in run.stdout, run
    assert run.summary.startswith("# Guardrail failure analysis\n"), run
    assert "### mypy failed" in run.summary, run
    for line in BAD_LINES:
        assert f"{EXPORT_PATH}:{line}" in run.summary, run

    upload = run.uses["github/codeql-action/upload-sarif@v4"]
    assert upload["category"] == "guardrail"
    assert upload["checkout_path"] == str(motivating_repo)
    assert upload["sarif_file"] == run.outputs["sarif-file"] != ""
    sarif = json.loads(Path(upload["sarif_file"]).read_text(encoding="utf-8"))
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text(encoding="utf-8")))
    regions = [
        (loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"])
        for run_ in sarif["runs"]
        for result in run_["results"]
        for loc in result["locations"]
    ]
    assert [(uri, region["startLine"]) for uri, region in regions] == [
        (EXPORT_PATH, line) for line in BAD_LINES
    ]


def test_a_passing_commit_in_a_subfolder_passes_with_args(
    runner: Runner, motivating_repo: Path, tmp_path: Path
) -> None:
    fix_motivating(motivating_repo)
    commit_all(motivating_repo, "export: type the records")

    run = runner.run(
        motivating_repo.parent,
        {"working-directory": motivating_repo.name, "args": "--skip\n  pytest --no-cache"},
    )

    assert run.code == 0, run
    assert run.outputs == {"exit-code": "0", "sarif-file": ""}, run
    assert "::error" not in run.stdout and "::warning" not in run.stdout, run
    assert "All 3 checks passed" in run.stdout, run
    assert run.summary.startswith("# Guardrail report\n"), run
    assert "pytest" in run.summary and "skipped" in run.summary, run
    assert run.uses == {}, run


def test_a_bad_input_is_an_error_naming_it(runner: Runner, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", motivating_files())
    run = runner.run(repo, {"sarif": "yes"})
    assert run.code == 2, run
    assert "::error title=push-guardrail::the sarif input is 'yes': use true or false" in run.stdout
    assert run.summary == "", run
    assert run.uses == {}, run
