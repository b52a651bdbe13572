"""``guardrail status``: what the background verification knows of the current HEAD and of each
branch about to be pushed (ahead of its upstream)."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

from hooks import git
from hooks.commands import EXIT_OK, CommandOutcome
from hooks.git import repo_root
from hooks.push import background as bg


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    ahead: str
    status: bg.CommitStatus


def rows(repo: Path) -> list[Row]:
    state = bg.folder(repo)
    found: list[Row] = []
    head = git.output(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    branch = git.output(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    current = branch.strip() if branch else ""
    if head:
        name = f"HEAD ({current})" if current else "HEAD (detached)"
        found.append(Row(name, "", bg.commit_status(state, head.strip())))
    fmt = "%(refname:short)%00%(objectname)%00%(upstream:short)%00%(upstream:track)"
    listing = git.output(repo, "for-each-ref", f"--format={fmt}", "refs/heads") or ""
    for line in listing.splitlines():
        parts = line.split("\0")
        if len(parts) != 4:
            continue
        name, sha, upstream, track = parts
        if not upstream or "ahead" not in track:
            continue
        if name == current and head and sha == head.strip():
            found[0] = Row(found[0].name, _ahead(track, upstream), found[0].status)
            continue
        found.append(Row(name, _ahead(track, upstream), bg.commit_status(state, sha)))
    return found


def _ahead(track: str, upstream: str) -> str:
    words = track.strip("[]").split(",")
    ahead = next((w.strip() for w in words if w.strip().startswith("ahead")), "")
    return f"{ahead} of {upstream}" if ahead else ""


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def describe(status: bg.CommitStatus, now: float) -> str:
    """``verified green 3 min ago``, ``red: mypy failed: ...``, ``running for 12 s``, ..."""
    since = _age(max(now - status.since, 0)) if status.since is not None else ""
    if status.state == "green":
        return f"verified green {since} ago" if since else "verified green"
    if status.state == "red":
        return f"red: {status.cause}"
    if status.state == "error":
        return f"could not be verified: {status.cause}"
    if status.state == "running":
        return f"running for {since}"
    if status.state == "queued":
        return f"queued {since} ago"
    return "not verified" + (f" ({status.cause})" if status.cause else "")


def main(args: argparse.Namespace) -> CommandOutcome:
    repo = repo_root(Path.cwd())
    found = rows(repo)
    now = time.time()
    if args.format == "json":
        data = {
            "commits": [
                {
                    "name": r.name,
                    "sha": r.status.sha,
                    "ahead": r.ahead or None,
                    "state": r.status.state,
                    "since": r.status.since,
                    "seconds": None if r.status.since is None else round(now - r.status.since, 1),
                    "cause": r.status.cause or None,
                    "text": describe(r.status, now),
                }
                for r in found
            ]
        }
        return CommandOutcome(EXIT_OK, json.dumps(data, indent=2) + "\n")
    if not found:
        return CommandOutcome(EXIT_OK, "guardrail: no commit yet, and no branch to push\n")
    lines = []
    for r in found:
        ahead = f", {r.ahead}" if r.ahead else ""
        lines.append(f"{r.name} {r.status.sha[:7]}{ahead}: {describe(r.status, now)}")
    return CommandOutcome(EXIT_OK, "\n".join(lines) + "\n")
