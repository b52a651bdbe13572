"""The verdict cache: a run remembered by everything that could change its result.

A key is the SHA-256 of a JSON document holding exactly:

- the content checked: a git tree id (the pushed commit's, or the working tree's with untracked,
  not-ignored files, and each checked-out submodule's);
- the files the tools read that the tree does not hold: the tool configs in the folders above
  the repository and in the user's config folder, the git-ignored configs and Python files inside
  it, and every file a ruff config ``extend``s, chain after chain, wherever it is;
- the guardrail's version; each project's resolved configuration, interpreter (path, real
  prefix, version, installed distributions) and tools (path, version, where from, executable
  size and mtime); the selected checks;
- the whole environment each project's tools get, which is all of the environment they see
  (:mod:`hooks.toolenv`: the allowlist, ``pass_env`` and CI's step variables; never ``GIT_*``,
  ``PRE_COMMIT_*``, ``PREK_*``, so a verdict found in a commit hook is found again at push).

An all-green run is recorded when the content did not change while it ran. A red run (a check
failed, none could not run) is recorded too, with its findings, but only for committed content
(a push snapshot or a background verification, :mod:`hooks.push.background`), and only a lookup
that asks for red verdicts (a push) is given one: so a push of a commit the background found red
is refused at once with the same summary. A run that did not complete records nothing. So a hit
is never a stale verdict for anything the tools read from the list above. What the key does
not hold is what the tools may read beyond it: git-ignored files other than configs and Python
(data files, anything under a wholly ignored folder), code outside the repository that an
editable install points at, and the network. The README names these; ``--no-cache`` reruns.

Entries are small JSON files under ``<git common dir>/guardrail/verdicts`` written by atomic
rename, so concurrent runs (two pushes, a snapshot and a working-tree run) never see half a file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hooks import atomic, git, toolenv, xdg
from hooks.checks.ruff_common import CONFIG_FILES, extended_configs
from hooks.findings import CheckResult, Status, exit_code_for, result_from_dict, result_to_dict
from hooks.projects import Project, Tool, mypy_tool, pytest_tool, ruff_tool

FORMAT = 3
KEEP = 256
_GIT_ENV = ("GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")
CONFIG_NAMES = frozenset(
    {
        "pyproject.toml",
        "ruff.toml",
        ".ruff.toml",
        "mypy.ini",
        ".mypy.ini",
        "setup.cfg",
        "tox.ini",
        "pytest.ini",
        ".pytest.ini",
        "conftest.py",
        ".coveragerc",
        ".env",
    }
)
IGNORED_CODE = (".py", ".pyi")


@dataclass(frozen=True, slots=True)
class Hit:
    """A recorded verdict: when it was verified and what each check said then (a red one keeps
    its findings)."""

    verified_at: float
    results: tuple[CheckResult, ...]
    green: bool = True

    def line(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.verified_at))
        if not self.green:
            return f"found earlier at {when} (same content and key), cached; --no-cache to rerun"
        return f"verified earlier at {when}, cached; --no-cache to rerun"


@dataclass(frozen=True, slots=True)
class Staged:
    """The working tree staged into a throwaway index and object directory.

    ``tree`` is the content key (the top tree id, and ``:path=tree`` for each checked-out
    submodule); ``top`` the top tree object, which git reads in any worktree of the repository
    with ``env`` (the throwaway objects as an alternate), while the block lasts.
    """

    tree: str
    top: str
    env: Mapping[str, str]


def worktree_tree(root: Path) -> str | None:
    """The git tree id of the working tree as it is now, untracked not-ignored files included
    (and, after a colon each, the same for every checked-out submodule); see ``staged``."""
    with staged(root) as found:
        return found.tree if found is not None else None


@contextlib.contextmanager
def staged(root: Path) -> Iterator[Staged | None]:
    """The working tree staged (None outside a repository), readable within the block.

    Everything is staged into a throwaway copy of the index, and the new blobs and trees go to a
    throwaway object directory (the repository's objects are read as an alternate), so nothing
    under ``.git`` changes: not the index, not the object store.
    """
    out = git.output(root, "rev-parse", "--git-path", "index", "--git-path", "objects", timeout=120)
    if out is None or len(out.splitlines()) != 2:
        yield None
        return
    index, objects = (root / line for line in out.splitlines())
    with tempfile.TemporaryDirectory(prefix="guardrail-tree-") as tmp:
        temp_index = Path(tmp) / "index"
        temp_objects = Path(tmp) / "objects"
        temp_objects.mkdir()
        if index.is_file():
            shutil.copyfile(index, temp_index)
        env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV}
        env["GIT_INDEX_FILE"] = str(temp_index)
        env["GIT_OBJECT_DIRECTORY"] = str(temp_objects)
        env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = str(objects.resolve())
        tree = staged_files = key = None
        add = ("add", "-A", "--", ":/")
        if _unhide(root, env) and git.output(root, *add, env=env, timeout=120) is not None:
            tree = git.output(root, "write-tree", env=env, timeout=120)
            staged_files = git.output(root, "ls-files", "--stage", "-z", env=env, timeout=120)
        if tree is not None and staged_files is not None:
            key = _with_submodules(root, tree.strip(), staged_files)
        if key is None or tree is None:
            yield None
        else:
            yield Staged(key, tree.strip(), {"GIT_ALTERNATE_OBJECT_DIRECTORIES": str(temp_objects)})


def _with_submodules(root: Path, tree: str, staged_files: str) -> str | None:
    """A submodule is a commit id in the tree; its edited files are checked all the same."""
    subs = []
    for entry in staged_files.split("\0"):
        meta, _, rel = entry.partition("\t")
        if meta.startswith("160000 ") and (root / rel / ".git").exists():
            sub = worktree_tree(root / rel)
            if sub is None:
                return None
            subs.append(f"{rel}={sub}")
    return ":".join([tree, *subs])


def _unhide(root: Path, env: Mapping[str, str]) -> bool:
    """Drop assume-unchanged and skip-worktree entries from the throwaway index, so that
    ``git add`` hashes them afresh: it skips such files, and with the flags merely cleared it
    trusts their recorded size and time, so a same-size edit within the same second would leave
    the tree id, and a stale green, unchanged."""
    listing = git.output(root, "ls-files", "-v", "-z", env=env, timeout=120)
    if listing is None:
        return False
    hidden = [e[2:] for e in listing.split("\0") if len(e) > 2 and (e[0].islower() or e[0] == "S")]
    if not hidden:
        return True
    paths = "".join(f"{path}\0" for path in hidden).encode()
    argv = ("update-index", "--force-remove", "-z", "--stdin")
    return git.output(root, *argv, env=env, stdin=paths, timeout=120) is not None


def _user_configs() -> list[Path]:
    config = xdg.config_home()
    home = Path.home()
    ruff = [config / "ruff" / n for n in ("ruff.toml", ".ruff.toml", "pyproject.toml")]
    mypy = [config / "mypy" / "config", home / ".config/mypy/config", home / ".mypy.ini"]
    return [*ruff, *mypy]


def outside_inputs(root: Path) -> dict[str, str]:
    """Files the tools may read that the tree id does not hold, path -> content hash.

    Those are the tool configs in the folders above the repository (ruff and pytest search every
    parent folder) and in the user's config folder, the git-ignored configs and Python files
    inside it (an ignored ``conftest.py`` or ``local_settings.py`` the tests import), and every
    file a ruff config ``extend``s, chain after chain, inside the repository or out of it. Files
    under a wholly ignored folder (``.venv/``, ``build/``) are not looked at.
    """
    candidates = {
        str(folder / name): folder / name
        for folder in root.resolve().parents
        for name in CONFIG_NAMES
    }
    candidates.update((str(path), path) for path in _user_configs())
    ignored = git.output(
        root,
        "ls-files",
        "-z",
        "--others",
        "--ignored",
        "--exclude-standard",
        "--directory",
        timeout=120,
    )
    for rel in (ignored or "").split("\0"):
        wanted = Path(rel).name in CONFIG_NAMES or rel.endswith(IGNORED_CODE)
        if rel and not rel.endswith("/") and wanted:
            candidates[f"./{rel}"] = root / rel
    ruff_configs = [p for p in candidates.values() if p.name in CONFIG_FILES]
    ruff_configs += [root / rel for rel in _ruff_configs_in(root)]
    for target in extended_configs(ruff_configs):
        candidates.setdefault(f"extend:{target}", target)
    found: dict[str, str] = {}
    for name, path in candidates.items():
        try:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
    return found


def _ruff_configs_in(root: Path) -> list[str]:
    """The ruff configs of the checked content (tracked, or untracked and not ignored)."""
    specs = [f":(glob)**/{name}" for name in CONFIG_FILES]
    listed = git.output(
        root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *specs
    )
    return [rel for rel in (listed or "").split("\0") if rel]


def _tool_part(tool: Tool | None) -> dict[str, Any] | None:
    if tool is None:
        return None
    exe = Path(tool.argv[0])
    stat = exe.stat() if exe.is_file() else None
    return {
        "argv": list(tool.argv),
        "version": tool.version,
        "source": tool.source,
        "exe": [stat.st_size, stat.st_mtime_ns] if stat else None,
    }


def _project_part(project: Project) -> dict[str, Any]:
    interp = project.interpreter
    return {
        "rel": project.rel,
        "config": dataclasses.asdict(project.config),
        "python": {
            "path": interp.python,
            "real": os.path.realpath(interp.python),
            "prefix": os.path.realpath(interp.prefix) if interp.prefix else "",
            "version": interp.version,
            "dists": dict(sorted(interp.dists.items())),
        },
        "tools": {
            "ruff": _tool_part(ruff_tool(project)),
            "mypy": _tool_part(mypy_tool(project)),
            "pytest": _tool_part(pytest_tool(project)),
        },
    }


def key_parts(
    *,
    tree: str,
    version: str,
    projects: Sequence[Project],
    selected: Sequence[tuple[object, ...]],
    envs: Mapping[str, Mapping[str, str]],
    outside: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything a green verdict depends on, as plain JSON data.

    ``selected`` is ``(project, check, runs, blocking, CI's step)`` for every planned pair;
    ``envs`` is the environment each project's tools get (:func:`hooks.toolenv.for_project`),
    by project; ``outside`` is ``outside_inputs``.
    """
    return {
        "format": FORMAT,
        "tree": tree,
        "outside": dict(sorted((outside or {}).items())),
        "guardrail": version,
        "projects": [_project_part(p) for p in projects],
        "selected": [list(s) for s in selected],
        "env": {rel: dict(sorted(env.items())) for rel, env in sorted(envs.items())},
    }


def digest(parts: Mapping[str, Any]) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _remembered(r: CheckResult) -> CheckResult:
    """What a verdict keeps of a green result: its status, counts and tool, and why a check was
    skipped. The rest (durations, commands, output) belongs to the run that made it."""
    return CheckResult(
        check=r.check,
        project=r.project,
        status=r.status,
        counts=r.counts,
        message=r.message if r.status is Status.SKIPPED else "",
        tool=r.tool,
        tool_version=r.tool_version,
        tool_source=r.tool_source,
    )


def _from_json(item: object) -> CheckResult | None:
    if not isinstance(item, dict):
        return None
    try:
        return result_from_dict(item)
    except (KeyError, TypeError, ValueError):
        return None


def all_green(results: Sequence[CheckResult]) -> bool:
    """Every check passed or was deliberately skipped, and at least one ran."""
    return any(r.status is Status.PASSED for r in results) and all(
        r.status in (Status.PASSED, Status.SKIPPED) for r in results
    )


def completed_red(results: Sequence[CheckResult]) -> bool:
    """A check failed and blocks, and every check that was to run could run: a verdict about
    the content. A check that could not run (a timeout, a missing tool) says nothing about it,
    so such a run is never recorded."""
    return exit_code_for(list(results)) == 1 and not any(r.status is Status.ERROR for r in results)


@dataclass(frozen=True, slots=True)
class Store:
    """The verdict files of one repository."""

    folder: Path

    @classmethod
    def for_repo(cls, root: Path) -> Store | None:
        common = git.common_dir(root)
        return None if common is None else cls(common / "guardrail" / "verdicts")

    def lookup(self, key: str, *, red: bool = False) -> Hit | None:
        """The verdict recorded under ``key``; a red one only when ``red`` asks for it."""
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        raw = data.get("results")
        results = [_from_json(r) for r in raw] if isinstance(raw, list) else []
        when = data.get("verified_at")
        if not results or any(r is None for r in results) or not isinstance(when, int | float):
            return None
        found = tuple(r for r in results if r is not None)
        if all_green(found):
            return Hit(float(when), tuple(_remembered(r) for r in found))
        if red and data.get("verdict") == "red" and completed_red(found):
            return Hit(float(when), found, green=False)
        return None

    def record(
        self,
        key: str,
        parts: Mapping[str, Any],
        results: Sequence[CheckResult],
        *,
        red: bool = False,
    ) -> None:
        """Write the verdict atomically; a cache that cannot be written is no error. A green
        run is kept as its statuses and counts; a red one (only when ``red``) with everything
        the summary shows, its findings included."""
        green = all_green(results)
        if not green and not (red and completed_red(results)):
            return
        data = {
            "key": key,
            "verdict": "green" if green else "red",
            "verified_at": time.time(),
            "results": [result_to_dict(_remembered(r) if green else r) for r in results],
            "parts": parts,
        }
        if atomic.write_json(self.folder / f"{key}.json", data):
            self._prune()

    def _prune(self) -> None:
        """Keep the newest ``KEEP`` verdicts so the folder never grows without bound."""
        atomic.prune(self.folder, KEEP)


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The cache as one run sees it: its key, computed once before the checks run."""

    store: Store
    root: Path
    tree_given: bool
    key: str
    parts: Mapping[str, Any]
    committed: bool = False
    """The content is a commit's tree (a push or a background check), not a working tree, even
    once copied: only then is a red verdict recorded or given."""

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        tree: str | None,
        version: str,
        projects: Sequence[Project],
        selected: Sequence[tuple[object, ...]],
    ) -> Verdicts | None:
        """None when there is nothing to key on (not a git repository)."""
        store = Store.for_repo(root)
        content = tree if tree is not None else worktree_tree(root)
        if store is None or content is None:
            return None
        parts = key_parts(
            tree=content,
            version=version,
            projects=projects,
            selected=selected,
            envs={p.rel: toolenv.for_project(p) for p in projects},
            outside=outside_inputs(root),
        )
        return cls(store, root, tree is not None, digest(parts), parts, committed=tree is not None)

    def for_tree(self, tree: str) -> Verdicts:
        """The same key for other content: a copy of the tree, made after the key was."""
        parts = {**self.parts, "tree": tree}
        return dataclasses.replace(self, tree_given=True, key=digest(parts), parts=parts)

    def lookup(self) -> Hit | None:
        """The recorded verdict; a red one only for committed content."""
        return self.store.lookup(self.key, red=self.committed)

    def record(self, results: Sequence[CheckResult]) -> bool:
        """Remember a green run, unless the working tree changed while the checks read it; a red
        one for committed content only."""
        red = self.committed and completed_red(results)
        if not all_green(results) and not red:
            return False
        if not self.tree_given and worktree_tree(self.root) != self.parts["tree"]:
            return False
        self.store.record(self.key, self.parts, results, red=red)
        return True
