"""CI files of any odd shape are read without a traceback: whatever the YAML, INI, Makefile or
noxfile holds, read_ci returns a plan or a GuardrailError naming the file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.ci import read_ci
from hooks.errors import GuardrailError
from tests.fixtures import write_files

KEYS = [
    "jobs", "steps", "run", "uses", "with", "env", "strategy", "matrix", "include", "defaults",
    "working-directory", "continue-on-error", "if", "on", "push", "paths", "paths-ignore",
    "python-version", "shell", "script", "before_script", "extends", "variables", "image",
    "allow_failure", "when", "rules", "default", "repos", "hooks", "id", "args", "rev", "repo",
    "entry", "files", "exclude", "types", "language", "ci", "skip", "stages", "pass_filenames",
    "additional_dependencies", "extra_args", "version", "src", "inputs", "runs", "using",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(
        [
            "mypy .",
            "ruff check",
            "pytest --cov",
            "make lint",
            "tox -e x",
            "pre-commit run --all-files",
            "./ci.sh",
            "local",
            "${{ matrix.x }}",
            "astral-sh/ruff-action@v3",
            "pre-commit/action@v3",
            "./.github/actions/a",
            "https://github.com/astral-sh/ruff-pre-commit",
            "v0.5.0",
            "cd $X && nox",
            "",
        ]
    ),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
    ),
    max_leaves=25,
)
TEXTS = st.text(alphabet="ab$(){}[]:=;|&'\"\\\n\t #-%@.", max_size=60)


def _read(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_files(root, files)
        try:
            read_ci(root)
        except GuardrailError as exc:
            assert any(name in str(exc) for name in files), exc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflow=TREES, gitlab=TREES, pre_commit=TREES)
def test_any_yaml_shape(workflow: Any, gitlab: Any, pre_commit: Any) -> None:
    _read(
        {
            ".github/workflows/ci.yml": json.dumps(
                {"on": "push", "jobs": {"j": {"steps": [{"run": "make"}, workflow]}}}
            ),
            ".github/workflows/other.yml": json.dumps(workflow),
            ".gitlab-ci.yml": json.dumps(gitlab),
            ".pre-commit-config.yaml": json.dumps({"ci": {}, "repos": [pre_commit]}),
        }
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=TEXTS, makefile=TEXTS, tox=TEXTS, nox=TEXTS)
def test_any_script_makefile_tox_and_noxfile_text(
    script: str, makefile: str, tox: str, nox: str
) -> None:
    run = "tools/ci.sh && make && tox && nox && pre-commit run -a"
    _read(
        {
            ".github/workflows/ci.yml": json.dumps({"jobs": {"j": {"steps": [{"run": run}]}}}),
            "tools/ci.sh": script,
            "Makefile": makefile,
            "tox.ini": "[testenv]\ncommands =\n  " + tox,
            "noxfile.py": nox,
        }
    )
