"""ruff's fixes as CI's command has them (issue 11 rows 6, 9, 10).

- Row 6: whether ``ruff check`` fixes is ruff's to say: ``fix = true`` in a parent ``ruff.toml``
  or an ``extend``ed config, and ``unsafe-fixes``, count as they do in CI.
- Row 9: CI's ``ruff check .`` with ``fix = true`` rewrites the checkout, and the later steps see
  the fixed code. The guardrail applies the fixes on a throwaway copy (the push snapshot, or a
  snapshot of the working tree) and runs the later checks there; the user's tree, index and venv
  are never written.
- Row 10: ``--no-fix``, ``--exit-non-zero-on-fix``, ``--diff``, ``--unfixable``,
  ``--unsafe-fixes`` (and ``--fix-only``, ``--exit-zero``) change the verdict, and doctor says so.

Where it can, a test asks the oracle, CI's own command run by real ruff on a clone of the commit,
and requires the guardrail to agree with it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import commit_all, git, make_project_venv, make_repo, write_files
from tests.precommit_fixtures import PRE_COMMIT, HookRepo, pre_commit_env
from tests.test_push import ONE_ROUTE, pushing_factory, route  # noqa: F401 (fixtures for the push test)
from tests.test_push import fingerprint as push_fingerprint
from tests.test_push_scope import BACKENDS
from tests.test_push_scope import _install_editable as install_editable

RUFF = str(Path(sysconfig.get_path("scripts")) / "ruff")
PROJECT = '[project]\nname = "pkg"\nversion = "0"\n'
FIX_TRUE = PROJECT + "\n[tool.ruff]\nfix = true\n"
ONLY_RUFF = '\n[tool.guardrail]\nchecks = ["ruff-check", "ruff-format"]\n'

# A safe F401 fix removes an import that registers a handler: CI's pytest then fails.
SIDE_EFFECT = {
    "pyproject.toml": FIX_TRUE,
    "pkg/__init__.py": "",
    "pkg/registry.py": "HANDLERS: list[str] = []\n",
    "pkg/json_handler.py": 'from pkg.registry import HANDLERS\n\nHANDLERS.append("json")\n',
    "pkg/app.py": "import pkg.json_handler  # noqa: F401\nfrom pkg.registry import HANDLERS\n\n\n"
    "def handlers() -> list[str]:\n    return HANDLERS\n",
    "tests/test_app.py": "from pkg.app import handlers\n\n\ndef test_handlers() -> None:\n"
    '    assert handlers() == ["json"]\n',
}
WITHOUT_NOQA = (
    "import pkg.json_handler\nfrom pkg.registry import HANDLERS\n\n\n"
    "def handlers() -> list[str]:\n    return HANDLERS\n"
)
PYTEST_FAILS = "tests/test_app.py:5: test-failed tests/test_app.py::test_handlers"


CACHE_DIRS = (".ruff_cache/", ".mypy_cache/", ".pytest_cache/")


def fingerprint(repo: Path, *, raw_index: bool = True) -> dict[str, object]:
    """The user's tree, index, HEAD, stash and branches (tests/test_push.py), the tools' own cache
    folders aside: a run may write those, nothing else."""
    prints = push_fingerprint(repo, raw_index=raw_index)
    files = prints["files"]
    assert isinstance(files, dict)
    prints["files"] = {k: v for k, v in files.items() if not k.startswith(CACHE_DIRS)}
    return prints


def venv_print(venv: Path) -> dict[str, str]:
    """Every file of the venv, by content (links by target)."""
    prints = {}
    for dirpath, _, filenames in os.walk(venv):
        for name in filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(venv))
            if path.is_symlink():
                prints[rel] = "link:" + os.readlink(path)
            else:
                prints[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def ci_clone(repo: Path, where: Path) -> Path:
    """CI's fresh checkout of the committed tip."""
    git(where.parent, "clone", "-q", str(repo), str(where))
    return where


def ci_ruff(clone: Path, folder: str = ".", *args: str) -> int:
    """CI's ``ruff check ARGS .`` in ``folder`` of its checkout: the oracle's exit status."""
    res = subprocess.run([RUFF, "check", *args, "."], cwd=clone / folder, capture_output=True)
    assert res.returncode in (0, 1), res
    return res.returncode


# -- row 9: the fixes are applied on a copy, and the later checks see them ------------------------


@pytest.mark.slow
def test_ci_fixes_the_working_tree_copy_and_the_tests_then_fail(
    tmp_path: Path, guardrail: Any
) -> None:
    """The side-effect import is an uncommitted edit: the copy is the working tree, not HEAD."""
    venv = make_project_venv(tmp_path / "venv")
    repo = make_repo(tmp_path / "repo", SIDE_EFFECT, venv=venv)
    (repo / "pkg/app.py").write_text(WITHOUT_NOQA)
    (repo / "notes.txt").write_text("untracked, not ignored\n")
    before = (fingerprint(repo), venv_print(venv))

    run = guardrail(repo, "run")
    assert run.code == 1, run
    assert "no problems, 1 fixed by CI's command" in run.out, run
    assert PYTEST_FAILS in run.out, run
    assert "ruff-check applies fixes, as CI's command does (fix = true, from pyproject.toml)" in (
        run.out
    )
    assert (fingerprint(repo), venv_print(venv)) == before

    # The oracle: CI's ruff check . then pytest, on a checkout of the same content.
    commit_all(repo, "the edit, committed")
    clone = ci_clone(repo, tmp_path / "ci")
    assert ci_ruff(clone) == 0
    tests = subprocess.run([str(venv / "bin/python"), "-m", "pytest", "-q"], cwd=clone)
    assert tests.returncode == 1


@pytest.mark.slow
def test_a_fix_that_leaves_a_blank_line_fails_ci_s_format_check(
    tmp_path: Path, guardrail: Any
) -> None:
    files = {
        "pyproject.toml": FIX_TRUE + ONLY_RUFF,
        "pkg/mod.py": "import os\n\nimport sys\n\nprint(sys.argv)\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    before = fingerprint(repo)
    run = guardrail(repo, "run")
    assert run.code == 1, run
    assert "Push blocked: ruff-format failed." in run.out, run
    assert "pkg/mod.py:1:1: unformatted" in run.out, run
    assert fingerprint(repo) == before
    clone = ci_clone(repo, tmp_path / "ci")
    assert ci_ruff(clone) == 0
    assert subprocess.run([RUFF, "format", "--check", "."], cwd=clone).returncode == 1


@pytest.mark.slow
def test_what_the_fixes_leave_is_reported_at_the_users_lines_and_cached(
    tmp_path: Path, guardrail: Any
) -> None:
    source = "import os\nimport sys\n\n\ndef f() -> int:\n    return sys.maxsize + undefined\n"
    repo = make_repo(
        tmp_path / "repo", {"pyproject.toml": FIX_TRUE + ONLY_RUFF, "pkg/mod.py": source}
    )
    run = guardrail(repo, "run")
    assert run.code == 1, run
    # Line 5 once CI's fix removed `import os`; line 6 in the file the user has.
    assert "pkg/mod.py:6:26: F821 Undefined name `undefined`" in run.out, run
    (repo / "pkg/mod.py").write_text(source.replace(" + undefined", ""))
    assert guardrail(repo, "run").code == 0
    again = guardrail(repo, "run")
    assert again.code == 0 and "cached; --no-cache to rerun" in again.out, again


def test_a_repository_without_a_commit_is_a_clear_error(tmp_path: Path, guardrail: Any) -> None:
    repo = tmp_path / "repo"
    write_files(repo, {"pyproject.toml": FIX_TRUE + ONLY_RUFF, "mod.py": "import os\n"})
    git(repo, "init", "-q", "-b", "main")
    run = guardrail(repo, "run", "--only", "ruff-check")
    assert run.code == 2, run
    assert "needs a first commit" in run.err, run
    assert (repo / "mod.py").read_text() == "import os\n"


@pytest.mark.slow
@ONE_ROUTE
@pytest.mark.usefixtures("route")
def test_a_push_applies_ci_s_fixes_in_its_snapshot(request: pytest.FixtureRequest) -> None:
    p = request.getfixturevalue("pushing_factory")({**SIDE_EFFECT, "pkg/app.py": "VALUE = 1\n"})
    old = p.remote_sha("main")
    write_files(p.repo, {"pkg/app.py": WITHOUT_NOQA})
    commit_all(p.repo, "app: import the JSON handler")
    (p.repo / "pkg/app.py").write_text(SIDE_EFFECT["pkg/app.py"])  # the fix, not committed
    before = p.fingerprint()
    res = p.push("main")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert PYTEST_FAILS in out, out
    assert "it ran first, on the push snapshot" in out, out
    assert p.remote_sha("main") == old
    assert p.fingerprint() == before


@pytest.mark.slow
def test_pre_commit_run_sees_no_file_modified(
    tmp_path: Path, project_venv: Path, hook_repo: HookRepo, pre_commit_home: Path
) -> None:
    """pre-commit fails a hook that changes files; the guardrail changes none."""
    files = {
        **SIDE_EFFECT,
        "pkg/app.py": WITHOUT_NOQA,
        ".pre-commit-config.yaml": hook_repo.config(),
    }
    repo = make_repo(tmp_path / "repo", files, venv=project_venv)
    before = fingerprint(repo, raw_index=False)
    res = subprocess.run(
        [*PRE_COMMIT, "run", "--all-files"],
        cwd=repo,
        env=pre_commit_env(pre_commit_home),
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert PYTEST_FAILS in out, out
    assert "files were modified by this hook" not in out, out
    assert fingerprint(repo, raw_index=False) == before


# -- row 6: ruff says whether it fixes ------------------------------------------------------------

FIX_CONFIGS = {
    "parent ruff.toml": (
        {
            "ruff.toml": "fix = true\n",
            "backend/pyproject.toml": PROJECT,
            "backend/pkg/mod.py": "import os\n",
        },
        "backend",
    ),
    "extended config": (
        {
            "base-ruff.toml": "fix = true\n",
            "pyproject.toml": PROJECT + '[tool.ruff]\nextend = "base-ruff.toml"\n',
            "pkg/mod.py": "import os\n",
        },
        ".",
    ),
    "unsafe-fixes": (
        {
            "pyproject.toml": FIX_TRUE + "unsafe-fixes = true\n",
            "pkg/mod.py": "def f() -> int:\n    x = 1\n    return 2\n",
        },
        ".",
    ),
}


@pytest.mark.parametrize("case", list(FIX_CONFIGS))
def test_fix_settings_are_ruffs_wherever_they_are(
    tmp_path: Path, guardrail: Any, case: str
) -> None:
    files, folder = FIX_CONFIGS[case]
    repo = make_repo(tmp_path / "repo", files)
    before = fingerprint(repo)
    run = guardrail(repo, "run", "--only", "ruff-check", "--no-cache")
    assert ci_ruff(ci_clone(repo, tmp_path / "ci"), folder) == 0
    assert run.code == 0, run
    assert "1 fixed by CI's command" in run.out, run
    assert fingerprint(repo) == before


# -- row 10: what CI's flags do with fixes ------------------------------------------------------

UNUSED = "import os\n"
UNDEFINED = "def f() -> int:\n    return undefined_name\n"
UNSAFE = "def f() -> int:\n    x = 1\n    return 2\n"
FLAG_CASES = [
    # (ruff check args, fix = true?, the file)
    (["--no-fix"], True, UNUSED),
    (["--exit-non-zero-on-fix"], True, UNUSED),
    (["--diff"], True, UNUSED),
    (["--diff"], True, UNDEFINED),
    (["--unfixable=F401"], True, UNUSED),
    (["--unfixable", "F401"], True, UNUSED),
    (["--unsafe-fixes"], True, UNSAFE),
    (["--unsafe-fixes", "--no-fix"], True, UNSAFE),
    (["--fix-only"], False, UNDEFINED),
    (["--fix"], False, UNUSED),
    (["--exit-zero"], False, UNDEFINED),
    (["--output-format=github", "-e"], False, UNDEFINED),
]


@pytest.mark.parametrize(("args", "fix", "source"), FLAG_CASES, ids=lambda v: repr(v))
@pytest.mark.parametrize("where", ["config", "hook args"])
def test_ruff_check_flags_change_the_verdict_as_in_ci(
    tmp_path: Path, guardrail: Any, args: list[str], fix: bool, source: str, where: str
) -> None:
    pyproject = FIX_TRUE if fix else PROJECT
    argv = ["run", "--only", "ruff-check", "--no-cache"]
    if where == "config":
        pyproject += (
            "\n[tool.guardrail.ruff-check]\nargs = [" + ", ".join(f'"{a}"' for a in args) + "]\n"
        )
    else:
        argv += [f"--ruff-check-arg={a}" for a in args]
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": pyproject, "pkg/mod.py": source})
    expected = ci_ruff(ci_clone(repo, tmp_path / "ci"), ".", *args)
    before = fingerprint(repo)
    run = guardrail(repo, *argv)
    assert run.code == expected, (expected, run)
    assert fingerprint(repo) == before


CI_WORKFLOW = """\
on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ruff check {flag} .
"""


@pytest.mark.parametrize(
    ("flag", "source"),
    [
        ("--no-fix", UNUSED),
        ("--exit-non-zero-on-fix", UNUSED),
        ("--diff", UNUSED),
        ("--unfixable=F401", UNUSED),
        ("--unsafe-fixes", UNSAFE),
    ],
)
def test_doctor_counts_what_ci_does_with_fixes(
    tmp_path: Path, guardrail: Any, flag: str, source: str
) -> None:
    """fix = true: the project's `ruff check .` and CI's `ruff check FLAG .` disagree. The plan
    comes from CI, so the guardrail agrees with CI from the start, and doctor shows CI's flag as
    what the push hook runs; init --from-ci --explicit writes CI's args down, and the verdict
    stays CI's."""
    files = {
        "pyproject.toml": FIX_TRUE + '\n[tool.guardrail]\nchecks = ["ruff-check"]\n',
        "pkg/mod.py": source,
        ".github/workflows/ci.yml": CI_WORKFLOW.format(flag=flag),
    }
    repo = make_repo(tmp_path / "repo", files)
    expected = ci_ruff(ci_clone(repo, tmp_path / "ci"), ".", flag)
    first = guardrail(repo, "run", "--no-cache")
    assert first.code == expected, (expected, first)
    doctor = guardrail(repo, "doctor")
    assert f"ok   .github/workflows/ci.yml:7  ruff check {flag} ." in doctor.out, doctor
    assert f"the push hook runs: ruff check {flag} ." in doctor.out, doctor
    init = guardrail(repo, "init", "--from-ci", "--explicit")
    assert init.code == 1, init  # the hook entry is left to complete: no existing rev is known
    assert "pyproject.toml: [tool.guardrail.ruff-check] args = " in init.out, init
    assert "ok   .github/workflows/ci.yml:7" in guardrail(repo, "doctor").out
    run = guardrail(repo, "run", "--no-cache")
    assert run.code == expected, (expected, run)


VERSIONED_INIT = 'from pkg._version import __version__\n\n__all__ = ["__version__"]\n'


@pytest.mark.slow
def test_the_working_tree_copy_is_completed_as_ci_s_install_step_would(
    tmp_path: Path, guardrail: Any
) -> None:
    """A src-layout package imports its git-ignored ``_version.py``: the copy gets it written as
    the build backend would (as a push snapshot does), and the user's own stays as it is."""
    pyproject = BACKENDS["setuptools-scm"] + "\n[tool.ruff]\nfix = true\n"
    files = {
        ".gitignore": ".venv\n__pycache__/\n*.egg-info/\nsrc/pkg/_version.py\n",
        "pyproject.toml": pyproject,
        "src/pkg/__init__.py": VERSIONED_INIT,
        "src/pkg/py.typed": "",
        "tests/test_version.py": "import os\nimport pkg\n\n\ndef test_version() -> None:\n"
        "    assert pkg.__version__\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    venv = make_project_venv(tmp_path / "venv")
    install_editable(venv, repo)
    (repo / ".venv").symlink_to(venv, target_is_directory=True)
    before = (fingerprint(repo), venv_print(venv))
    run = guardrail(repo, "run")
    assert run.code == 0, run
    assert "fixed by CI's command" in run.out, run
    assert (fingerprint(repo), venv_print(venv)) == before
