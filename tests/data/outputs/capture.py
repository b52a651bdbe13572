"""Capture what a real ruff or mypy prints, for the parser tests (see README.md beside this file).

    python tests/data/outputs/capture.py ruff /path/to/ruff
    python tests/data/outputs/capture.py mypy /path/to/python-with-mypy

Each scenario builds a small project in ``/tmp/proj`` (the path the captured outputs name), runs
the command the guardrail runs, and writes ``<scenario>.stdout``, ``<scenario>.stderr`` and
``<scenario>.exit`` under ``<tool>-<version>/``. Needs nothing but the tool.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
PROJ = Path("/tmp/proj")

RUFF_PYPROJECT = '[tool.ruff.lint]\nselect = ["E", "F", "I"]\n'
RUFF_FIXES = "[tool.ruff]\nfix = true\nunsafe-fixes = true\n\n"
UNFORMATTED = "import sys\nimport os\nx=1\n"
SYNTAX_ERROR = "def f(:\n    pass\n"
FORMATTED = "y = 2\n"

MYPY_PYPROJECT = (
    "[tool.mypy]\nstrict = true\nwarn_unused_configs = true\n\n"
    '[[tool.mypy.overrides]]\nmodule = "tests.*"\ndisallow_untyped_defs = false\n'
)
BAD_DICT = "def f() -> dict:\n    return {}\n"
TYPED = "def add(a: int, b: int) -> int:\n    return a + b\n"


def build(files: dict[str, str]) -> None:
    shutil.rmtree(PROJ, ignore_errors=True)
    for rel, text in files.items():
        path = PROJ / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run(out: Path, scenario: str, argv: list[str]) -> None:
    res = subprocess.run(argv, cwd=PROJ, capture_output=True, text=True)
    (out / f"{scenario}.stdout").write_text(res.stdout)
    (out / f"{scenario}.stderr").write_text(res.stderr)
    (out / f"{scenario}.exit").write_text(f"{res.returncode}\n")


def ruff(exe: str) -> None:
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.split()[1]
    out = HERE / f"ruff-{version}"
    out.mkdir(exist_ok=True)
    json_format = tuple(int(p) for p in version.split(".")[:2]) >= (0, 16)
    fmt = ["--output-format", "json-lines"] if json_format else []
    pkg = {"pyproject.toml": RUFF_PYPROJECT, "pkg/a.py": UNFORMATTED, "pkg/ok.py": FORMATTED}
    build({**pkg, "pkg/bad.py": SYNTAX_ERROR})
    run(out, "check", [exe, "check", "--no-fix", "--output-format", "json-lines", "."])
    run(out, "format-syntax-error", [exe, "format", "--check", *fmt, "."])
    build(pkg)
    run(out, "format", [exe, "format", "--check", *fmt, "."])
    run(out, "bad-argument", [exe, "check", "--bogus", "."])
    build({**pkg, "pyproject.toml": RUFF_FIXES + RUFF_PYPROJECT})
    run(out, "show-settings", [exe, "check", "--show-settings", "."])


def mypy(python: str) -> None:
    version = subprocess.run(
        [python, "-m", "mypy", "--version"], capture_output=True, text=True
    ).stdout.split()[1]
    out = HERE / f"mypy-{version}"
    out.mkdir(exist_ok=True)
    argv = [python, "-m", "mypy", "-O", "json", "pkg"]
    base = {"pyproject.toml": MYPY_PYPROJECT, "pkg/__init__.py": "", "pkg/calc.py": TYPED}
    build({**base, "pkg/export.py": BAD_DICT})
    run(out, "errors", argv)
    build(base)
    run(out, "note", argv)
    run(out, "doctor-note", [python, "-m", "mypy", "--cache-dir", os.devnull, "-c", "pass"])
    build({**base, "pyproject.toml": '[tool.mypy]\nstrict = "maybe"\n'})
    run(out, "config-ignored", argv)


if __name__ == "__main__":
    {"ruff": ruff, "mypy": mypy}[sys.argv[1]](sys.argv[2])
    shutil.rmtree(PROJ, ignore_errors=True)
