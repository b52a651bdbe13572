"""The layout keeps telling the truth: the import contracts in pyproject.toml hold, every module
is under one of them, and no module imports itself through others (lazy imports included)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import grimp

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> list[dict[str, Any]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = data["tool"]["importlinter"]["contracts"]
    return contracts


def test_the_import_contracts_hold() -> None:
    res = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in res.stdout, res.stdout


def test_every_module_is_under_a_contract() -> None:
    """A new top-level module is core or a layer: the contracts must name it to check it."""
    layers: set[str] = set()
    core: set[str] = set()
    for contract in _contracts():
        if contract["type"] == "layers":
            layers = {m.strip() for layer in contract["layers"] for m in layer.split("|")}
        elif contract["name"] == "The core imports no subsystem":
            core = set(contract["source_modules"])
    top = {
        f"hooks.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "hooks").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert layers and core
    assert sorted(top - layers - core - {"hooks.__main__", "hooks.report"}) == []


def test_no_import_cycles() -> None:
    """None between the modules of a package, none between packages, counting the imports made
    inside functions (grimp reads those too). A cycle is shown as the imports that would break it.
    """
    graph = grimp.build_graph("hooks", cache_dir=None)
    packages = sorted(m for m in graph.modules if graph.find_children(m))
    assert {"hooks", "hooks.engine", "hooks.push", "hooks.report"} <= set(packages)
    breakers = {p: graph.nominate_cycle_breakers(p) for p in packages}
    assert {p: found for p, found in breakers.items() if found} == {}
