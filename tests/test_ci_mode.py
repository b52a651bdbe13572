"""The plan comes from CI (issue 12): one small repository per CI shape, with no
``[tool.guardrail]`` section, checked at a failing commit and at its fix. At each, the
guardrail's exit status equals that of CI's own command run by hand
(:func:`tests.ci_oracle.oracle`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hooks.ci import Trigger, read_ci
from hooks.engine.triggers import matches, push_trigger, runs_for
from tests.ci_oracle import oracle
from tests.fixtures import (
    BAD_LINES,
    EXPORT_PATH,
    commit_all,
    git,
    make_repo,
    motivating_files,
    write_files,
)
from tests.test_push_scope import pushing

CI = ".github/workflows/ci.yml"
PROJECT = '[project]\nname = "{name}"\nversion = "0"\n'
GOOD = "def double(x: int) -> int:\n    return 2 * x\n"
TYPE_ERROR = 'def double(x: int) -> int:\n    return "2" * x\n'
UNUSED_IMPORT = "import os\n\n\ndef double(x: int) -> int:\n    return 2 * x\n"
UNFORMATTED = "def double(x:int)->int:\n    return 2*x\n"


def workflow(*steps: str, on: str = "[push, pull_request]") -> str:
    body = "".join(f"      - {step}\n" for step in steps)
    return (
        f"name: ci\non: {on}\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@v4\n{body}"
    )


@dataclass(frozen=True)
class Shape:
    """A repository whose CI runs ``command`` in ``folder``; ``broken`` and ``fixed`` are the
    files that differ between the failing commit and its fix."""

    files: dict[str, str]
    broken: dict[str, str]
    fixed: dict[str, str]
    folder: str
    command: str
    codes: tuple[int, int] = (1, 0)
    executable: tuple[str, ...] = field(default=())


def _json(run: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run.out)
    return data


def _checks(run: Any) -> dict[str, dict[str, Any]]:
    return {f"{c['name']}@{c['project']}": c for c in _json(run)["checks"]}


def _commit(repo: Path, files: dict[str, str], executable: tuple[str, ...] = ()) -> None:
    write_files(repo, files)
    git(repo, "add", "-A")
    for rel in executable:
        git(repo, "update-index", "--chmod=+x", rel)
        (repo / rel).chmod(0o755)
    commit_all(repo, "change")


def _agree(repo: Path, shape: Shape, guardrail: Any, expected: int) -> Any:
    run = guardrail(repo, "run", "--no-cache", "--format", "json")
    by_hand = oracle(repo, shape.folder, shape.command)
    assert (run.code, by_hand) == (expected, expected), run
    return run


SHAPES = {
    # encode/httpx: `mypy httpx tests`; a type error in a test blocks.
    "workflow-inline-httpx": Shape(
        files={
            "pyproject.toml": PROJECT.format(name="httpx"),
            "httpx/__init__.py": GOOD,
            CI: workflow("run: pip install mypy", "run: mypy httpx tests"),
        },
        broken={"tests/test_double.py": "from httpx import double\n\nVALUE: str = double(1)\n"},
        fixed={"tests/test_double.py": "from httpx import double\n\nVALUE: int = double(1)\n"},
        folder=".",
        command="mypy httpx tests",
    ),
    "script": Shape(
        files={
            "pyproject.toml": PROJECT.format(name="app"),
            "scripts/check": "#!/bin/sh\nset -e\n"
            'SOURCE_FILES="src tests"\nruff check $SOURCE_FILES\n',
            "tests/test_app.py": "def test_app() -> None:\n    pass\n",
            "other/loose.py": UNUSED_IMPORT,
            CI: workflow("run: ./scripts/check"),
        },
        broken={"src/app.py": UNUSED_IMPORT},
        fixed={"src/app.py": GOOD},
        folder=".",
        command="./scripts/check",
        executable=("scripts/check",),
    ),
    "makefile": Shape(
        files={
            "pyproject.toml": PROJECT.format(name="app"),
            "Makefile": "lint: typecheck\n\ntypecheck:\n\tmypy src\n",
            "other/loose.py": TYPE_ERROR,
            CI: workflow("run: make lint"),
        },
        broken={"src/app.py": TYPE_ERROR},
        fixed={"src/app.py": GOOD},
        folder=".",
        command="make lint",
    ),
    # tox is not installed here: the oracle runs the env's command as tox would.
    "tox": Shape(
        files={
            "pyproject.toml": PROJECT.format(name="app"),
            "tox.ini": "[tox]\nenvlist = lint\n\n[testenv:lint]\n"
            "commands = ruff format --check {posargs:src}\n",
            "other/loose.py": UNFORMATTED,
            CI: workflow("run: pip install tox", "run: tox -e lint"),
        },
        broken={"src/app.py": UNFORMATTED},
        fixed={"src/app.py": GOOD},
        folder=".",
        command="ruff format --check src",
    ),
    # The oracle is pre-commit itself: a local hook passes only files under src/.
    "pre-commit-config": Shape(
        files={
            "pyproject.toml": PROJECT.format(name="app"),
            ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks:\n"
            "      - id: ruff\n        name: ruff\n        entry: ruff check\n"
            "        language: system\n        types_or: [python, pyi]\n        files: ^src/\n",
            "other/loose.py": UNUSED_IMPORT,
            CI: workflow("uses: pre-commit/action@v3.0.1"),
        },
        broken={"src/app.py": UNUSED_IMPORT},
        fixed={"src/app.py": GOOD},
        folder=".",
        command="python -m pre_commit run --all-files",
    ),
    # pydantic-settings: `ruff format --check pydantic_settings tests`; docs/ is never checked.
    "pydantic-settings": Shape(
        files={
            "pyproject.toml": PROJECT.format(name="pydantic-settings"),
            "pydantic_settings/__init__.py": GOOD,
            "docs/x.py": UNFORMATTED,
            CI: workflow("run: uv run ruff format --check pydantic_settings tests"),
        },
        broken={"tests/test_x.py": UNFORMATTED},
        fixed={"tests/test_x.py": GOOD},
        folder=".",
        command="ruff format --check pydantic_settings tests",
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_each_ci_shape_gives_ci_s_verdict(
    name: str, tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    shape = SHAPES[name]
    repo = make_repo(tmp_path / "repo", shape.files, venv=project_venv)
    _commit(repo, shape.broken, shape.executable)
    run = _agree(repo, shape, guardrail, shape.codes[0])
    blocking = [c for c in _json(run)["checks"] if c["blocking"]]
    assert [c["status"] for c in blocking if c["status"] != "passed"] == ["failed"], run
    assert all(CI in c["origin"] for c in blocking), run
    paths = [f["path"] for c in blocking for f in c["findings"]]
    assert paths and not any(p.startswith(("other/", "docs/")) for p in paths), run
    not_in_ci = [c for c in _json(run)["checks"] if not c["blocking"]]
    assert not_in_ci and all(c["why"] == "not in CI" for c in not_in_ci), run
    _commit(repo, shape.fixed)
    _agree(repo, shape, guardrail, shape.codes[1])


def test_pydantic_settings_docs_outside_ci_paths_never_block(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    shape = SHAPES["pydantic-settings"]
    repo = make_repo(tmp_path / "repo", {**shape.files, **shape.fixed}, venv=project_venv)
    run = _agree(repo, shape, guardrail, 0)
    fmt = _checks(run)["ruff-format@."]
    assert fmt["status"] == "passed" and fmt["command"][-2:] == ["pydantic_settings", "tests"]


def test_tunix_rt_shape_checks_only_what_ci_checks(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    """tunix-rt: `cd backend && mypy tunix_rt_backend`. backend/tools/ has errors CI never
    sees: they are neither reported nor blocking; the three bad returns are."""
    files = {
        **motivating_files(),
        "backend/tools/__init__.py": "",
        "backend/tools/seed.py": "def seed():\n    return 1\n\n\nVALUE: str = seed()\n",
        CI: workflow(
            "run: cd backend && pip install -e .[dev]", "run: cd backend && mypy tunix_rt_backend"
        ),
    }
    shape = Shape(files, {}, {}, "backend", "mypy tunix_rt_backend")
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = _agree(repo, shape, guardrail, 1)
    mypy = _checks(run)["mypy@backend"]
    assert [(f["path"], f["line"]) for f in mypy["findings"]] == [
        (EXPORT_PATH, line) for line in BAD_LINES
    ], run
    assert mypy["origin"] == f"{CI}:9", run
    write_files(repo, motivating_files(fixed=True))
    commit_all(repo, "fix")
    run = _agree(repo, shape, guardrail, 0)
    assert "tools" not in json.dumps(_checks(run)["mypy@backend"]), run


def test_an_advisory_step_never_blocks(tmp_path: Path, guardrail: Any, project_venv: Path) -> None:
    files = {
        "pyproject.toml": PROJECT.format(name="app"),
        "src/app.py": TYPE_ERROR,
        CI: workflow("run: mypy src || true", "run: ruff check src"),
    }
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    shape = Shape(files, {}, {}, ".", "mypy src || true && ruff check src")
    run = _agree(repo, shape, guardrail, 0)
    mypy = _checks(run)["mypy@."]
    assert (mypy["status"], mypy["blocking"]) == ("failed", False), run
    assert mypy["why"] == f"CI's step cannot fail the job ({CI}:8)", run
    _commit(repo, {"src/app.py": UNUSED_IMPORT})
    _agree(repo, shape, guardrail, 1)


NOT_IN_CI = {
    "pyproject.toml": PROJECT.format(name="app"),
    "src/app.py": TYPE_ERROR,
    CI: workflow("run: ruff check src"),
}


def test_a_check_ci_does_not_run_is_shown_and_does_not_block(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    repo = make_repo(tmp_path / "repo", NOT_IN_CI, venv=project_venv)
    shape = Shape(NOT_IN_CI, {}, {}, ".", "ruff check src")
    run = _agree(repo, shape, guardrail, 0)
    mypy = _checks(run)["mypy@."]
    assert (mypy["status"], mypy["blocking"], mypy["why"]) == ("failed", False, "not in CI")
    text = guardrail(repo, "run", "--no-cache")
    assert text.code == 0 and "mypy failed (not in CI: does not block)" in text.out, text
    # Required by the organisation, or listed by the project itself: it blocks.
    assert guardrail(repo, "run", "--no-cache", "--require", "mypy").code == 1
    _commit(
        repo,
        {
            "pyproject.toml": NOT_IN_CI["pyproject.toml"]
            + '[tool.guardrail]\nchecks = ["ruff-check", "mypy"]\n'
        },
    )
    listed = guardrail(repo, "run", "--no-cache", "--format", "json")
    assert listed.code == 1 and _checks(listed)["mypy@."]["blocking"], listed


def test_what_the_guardrail_cannot_read_fails_closed(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    """CI also runs a nox session chosen by an expression: it may run mypy, so mypy blocks,
    and so does every other check CI is not seen to run (the tests here pass)."""
    files = {
        "pyproject.toml": PROJECT.format(name="app"),
        "noxfile.py": "import nox\n\n\n@nox.session\ndef lint(session):\n"
        '    session.run("mypy", "src")\n',
        "src/app/__init__.py": TYPE_ERROR,
        "tests/test_app.py": "def test_app() -> None:\n    pass\n",
        CI: workflow("run: ruff check src", "run: nox -k lint"),
    }
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    shape = Shape(files, {}, {}, ".", "ruff check src && mypy src")
    run = _agree(repo, shape, guardrail, 1)
    assert _checks(run)["mypy@."]["blocking"], run
    text = guardrail(repo, "run", "--no-cache")
    assert "it may run mypy, so mypy blocks with the guardrail's defaults" in text.out, text
    assert "nox -k lint" in text.out, text
    _commit(repo, {"src/app/__init__.py": GOOD})
    _agree(repo, shape, guardrail, 0)


PRECEDENCE = {
    "pyproject.toml": PROJECT.format(name="app"),
    "src/app.py": "import os\n\n\ndef f() -> None:\n    x = 1\n",
    CI: workflow("run: ruff check --select F401 src"),
}


def test_precedence_project_beats_ci_and_enforced_beats_both(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    repo = make_repo(tmp_path / "repo", PRECEDENCE, venv=project_venv)

    def codes(run: Any) -> list[str]:
        return [f["code"] for f in _checks(run)["ruff-check@."]["findings"]]

    ci = guardrail(repo, "run", "--no-cache", "--format", "json", "--only", "ruff-check")
    assert codes(ci) == ["F401"] and oracle(repo, ".", "ruff check --select F401 src") == 1
    # The organisation's plain hook args give way to CI, and a note says so.
    org = guardrail(
        repo, "run", "--no-cache", "--only", "ruff-check", "--ruff-check-arg=--select=F841"
    )
    assert "src/app.py:1:8: F401" in org.out and ": F841" not in org.out, org
    assert "the hook args' --ruff-check-arg (--select=F841) were not used" in org.out, org
    # Enforced, they come back over CI.
    enforced = guardrail(
        repo,
        "run",
        "--no-cache",
        "--format",
        "json",
        "--only",
        "ruff-check",
        "--ruff-check-arg=--select=F841",
        "--enforce",
        "ruff-check.args",
    )
    assert codes(enforced) == ["F841"], enforced
    # The project's own args beat CI's options; CI's targets stay.
    own = '[tool.guardrail.ruff-check]\nargs = ["--select", "F841"]\n'
    _commit(repo, {"pyproject.toml": PRECEDENCE["pyproject.toml"] + own})
    project = guardrail(repo, "run", "--no-cache", "--format", "json", "--only", "ruff-check")
    assert codes(project) == ["F841"], project
    assert _checks(project)["ruff-check@."]["command"][-1] == "src", project
    # An enforced setting the project changes is an error naming both.
    clash = guardrail(
        repo,
        "run",
        "--no-cache",
        "--only",
        "ruff-check",
        "--ruff-check-arg=--select=F401",
        "--enforce",
        "ruff-check.args",
    )
    assert clash.code == 2 and "--enforce ruff-check.args" in clash.err, clash


@pytest.mark.parametrize(
    ("patterns", "path", "included"),
    [
        (["src/**"], "src/app/core.py", True),
        (["src/**"], "docs/index.md", False),
        (["*.py"], "setup.py", True),
        (["*.py"], "src/app.py", False),
        (["**.py"], "src/app.py", True),
        (["**/README.md"], "README.md", True),
        (["docs/*"], "docs/a/b.md", False),
        (["src/**", "!src/docs/**"], "src/docs/x.md", False),
        (["src/**", "!src/docs/**", "src/docs/keep.md"], "src/docs/keep.md", True),
        (["v2?.py"], "v.py", True),
    ],
)
def test_path_filters_read_with_github_s_semantics(
    patterns: list[str], path: str, included: bool
) -> None:
    assert matches(patterns, path) is included


def test_triggers_decide_which_pushes_check_a_project() -> None:
    """With a push event, push's path filters decide (pull_request's are not read); with only
    pull_request the workflow counts as running; with neither it does not gate a push."""
    only_src = Trigger(CI, ("push", "pull_request"), ("src/**",), None)
    assert runs_for(only_src, {"src/app.py"}) and not runs_for(only_src, {"docs/a.md"})
    ignore_docs = Trigger(CI, ("push",), None, ("docs/**", "**.md"))
    assert not runs_for(ignore_docs, {"docs/a.md", "README.md"})
    assert runs_for(ignore_docs, {"docs/a.md", "src/app.py"})
    assert not runs_for(Trigger(CI, ("schedule",), None, None), {"src/app.py"})
    assert runs_for(Trigger(CI, ("pull_request",), None, None), {"docs/a.md"})


TRIGGERED = {
    "pyproject.toml": PROJECT.format(name="app"),
    "src/app/__init__.py": TYPE_ERROR,
    "tests/test_app.py": "def test_app() -> None:\n    pass\n",
    CI: workflow("run: mypy src", on="\n  push:\n    paths: ['src/**']"),
}


def test_a_push_ci_would_not_run_for_checks_nothing_and_says_so(
    tmp_path: Path, project_venv: Path
) -> None:
    """CI runs only for pushes that touch src/: a push touching only docs/ checks nothing
    (CI would not run), one touching src/ is checked and blocked like CI's `mypy src`."""
    p = pushing(tmp_path, TRIGGERED, venv=project_venv)
    write_files(p.repo, {"docs/index.md": "# docs\n"})
    commit_all(p.repo, "docs only")
    out = p.check("origin", "main", passes=True)
    assert "Nothing to check: not one project is checked for this push (.)" in out, out
    assert "CI's push trigger does not run for these changes" in out, out
    write_files(p.repo, {"src/app/extra.py": GOOD})
    commit_all(p.repo, "src")
    out = p.check("origin", "main", passes=False)
    assert "src/app/__init__.py:2" in out and oracle(p.repo, ".", "mypy src") == 1, out


def test_ci_running_the_guardrail_itself_keeps_every_check_blocking(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    """CI runs `guardrail run` beside `ruff check src`: mypy, which CI runs through the
    guardrail, blocks as the guardrail runs it; it is not "not in CI"."""
    files = {**NOT_IN_CI, CI: workflow("run: ruff check src", "run: guardrail run")}
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--no-cache", "--format", "json")
    mypy = _checks(run)["mypy@."]
    assert (run.code, mypy["status"], mypy["blocking"]) == (1, "failed", True), run
    text = guardrail(repo, "run", "--no-cache")
    assert f"CI runs the guardrail itself ({CI}:9)" in text.out, text


def test_ci_folders_are_projects_and_commands_with_the_same_options_unite(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    """CI checks legacy/, which has only a setup.py (discovery looks for pyproject.toml): it is
    a project all the same. `mypy pkg` and `mypy tests` there run as one `mypy pkg tests`."""
    files = {
        "legacy/setup.py": "from setuptools import setup\n\nsetup(name='legacy')\n",
        "legacy/pkg/__init__.py": GOOD,
        "legacy/tests/test_pkg.py": "from pkg import double\n\nVALUE: int = double(2)\n",
        CI: workflow(
            "run: mypy pkg\n        working-directory: legacy",
            "run: cd legacy && mypy tests",
        ),
    }
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    run = guardrail(repo, "run", "--no-cache", "--only", "mypy", "--format", "json")
    mypy = _checks(run)["mypy@legacy"]
    assert mypy["status"] == "passed" and mypy["command"][-2:] == ["pkg", "tests"], run
    assert mypy["origin"] == f"{CI}:8, {CI}:10", run
    broken = "from pkg import double\n\nVALUE: str = double(2)\n"
    _commit(repo, {"legacy/tests/test_pkg.py": broken})
    failing = guardrail(repo, "run", "--no-cache", "--only", "mypy")
    assert (failing.code, oracle(repo, "legacy", "mypy pkg && mypy tests")) == (1, 1), failing
    assert "legacy/tests/test_pkg.py:3" in failing.out, failing


def test_the_derived_plan_keys_the_verdict_cache(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    """A green verdict is reused only for the same plan: --require changes whether mypy
    blocks, and so the key, though neither the tree nor the project's config changed."""
    files = {
        "pyproject.toml": PROJECT.format(name="app"),
        "src/app/__init__.py": GOOD,
        "tests/test_app.py": "def test_app() -> None:\n    pass\n",
        CI: workflow("run: ruff check src"),
    }
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    cached = "cached; --no-cache to rerun"
    assert guardrail(repo, "run").code == 0
    again = guardrail(repo, "run")
    assert again.code == 0 and cached in again.out, again
    required = guardrail(repo, "run", "--require", "mypy")
    assert required.code == 0 and cached not in required.out, required


def test_filters_the_guardrail_does_not_evaluate_check_every_project(tmp_path: Path) -> None:
    """dorny/paths-filter decides in CI; the guardrail cannot, so no project is skipped; with
    only on.push.paths, a project whose workflow would not run is skipped."""
    filtered = workflow(
        "uses: dorny/paths-filter@v3\n        id: f\n        with:\n"
        "          filters: |\n            src:\n              - 'src/**'",
        "run: mypy src",
        on="\n  push:\n    paths: ['src/**']",
    )
    files = {"pyproject.toml": PROJECT.format(name="app"), CI: filtered}
    repo = make_repo(tmp_path / "repo", files)
    assert push_trigger(repo, read_ci(repo)) is None
    write_files(repo, {CI: workflow("run: mypy src", on="\n  push:\n    paths: ['src/**']")})
    trigger = push_trigger(repo, read_ci(repo))
    assert trigger is not None
    assert not trigger(".", frozenset({"docs/a.md"})) and trigger(".", frozenset({"src/a.py"}))


FIXING_HOOK = {
    "pyproject.toml": PROJECT.format(name="app"),
    ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks:\n"
    "      - id: ruff\n        name: ruff\n        entry: ruff check --fix\n"
    "        language: system\n        types_or: [python, pyi]\n",
    "src/app.py": GOOD,
    CI: workflow("uses: pre-commit/action@v3.0.1"),
}


def test_a_pre_commit_hook_that_fixes_fails_as_pre_commit_fails_it(
    tmp_path: Path, guardrail: Any, project_venv: Path
) -> None:
    """`ruff check --fix` as a hook: the fix leaves nothing to report, but pre-commit fails a
    hook that changes files, so CI fails; the guardrail blocks too, and the files stay as
    they are."""
    repo = make_repo(tmp_path / "repo", FIXING_HOOK, venv=project_venv)
    command = "python -m pre_commit run --all-files"
    _commit(repo, {"src/app.py": UNUSED_IMPORT})
    run = guardrail(repo, "run", "--no-cache", "--only", "ruff-check")
    assert (run.code, oracle(repo, ".", command)) == (1, 1), run
    assert "src/app.py:1:8: F401" in run.out and "a fix fails CI's command" in run.out, run
    assert (repo / "src/app.py").read_text() == UNUSED_IMPORT
    _commit(repo, {"src/app.py": GOOD})
    run = guardrail(repo, "run", "--no-cache", "--only", "ruff-check")
    assert (run.code, oracle(repo, ".", command)) == (0, 0), run
