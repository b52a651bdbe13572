"""The oracle of the CI-mode tests: CI's own command, run by hand in a fresh clone of the
repository, with the same ruff, mypy and pytest the guardrail runs. Its exit status is CI's
verdict."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fixtures import git

TOOLS = str(Path(sys.executable).parent)


def oracle(repo: Path, folder: str, command: str) -> int:
    """CI's verdict on ``command`` (a shell line, as CI's step writes it) run in ``folder`` of a
    fresh clone of ``repo``'s HEAD, the test environment's tools first on PATH: 0 when it exits
    0, else 1 (a job fails on any other status: make's 2 is mypy's 1)."""
    with tempfile.TemporaryDirectory(prefix="ci-oracle-") as tmp:
        clone = Path(tmp) / "clone"
        git(Path(tmp), "clone", "-q", str(repo), str(clone))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT_"))},
            "PATH": os.pathsep.join((TOOLS, os.environ.get("PATH", ""))),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        res = subprocess.run(
            ["bash", "-c", command],
            cwd=clone / folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return 0 if res.returncode == 0 else 1
