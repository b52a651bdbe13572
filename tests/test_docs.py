"""The README stays short, and every relative link in it and in docs/ leads somewhere real: a file
that exists and, for a ``#anchor``, a heading of that file (GitHub's anchors)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```+|~~~+)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MAX_README_LINES = 300


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (a sample's ``# heading`` is no heading)."""
    lines, fence = [], ""
    for line in text.splitlines():
        m = FENCE.match(line)
        if m and (not fence or m.group(1).startswith(fence)):
            fence = "" if fence else m.group(1)
            continue
        if not fence:
            lines.append(line)
    return lines


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, and a
    ``-1``, ``-2`` suffix for repeats."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(text):
        m = re.match(r"#{1,6} (.+)", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def test_the_readme_is_at_most_300_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


def test_the_anchor_rule_is_githubs() -> None:
    page = "# Does it run? `guardrail doctor`\n## Speed\n## Speed\n```\n# not a heading\n```\n"
    assert anchors(page) == {"does-it-run-guardrail-doctor", "speed", "speed-1"}


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_relative_link_leads_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for line in prose(page.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            name, _, anchor = target.partition("#")
            dest = (page.parent / name).resolve() if name else page
            if not dest.exists():
                broken.append(f"{target}: no such file")
            elif (
                anchor
                and dest.suffix == ".md"
                and anchor not in anchors(dest.read_text(encoding="utf-8"))
            ):
                broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def _sample(text: str, heading: str) -> str:
    """The first ``text`` code block after ``heading``."""
    after = text[text.index(heading) :]
    start = after.index("```text\n") + len("```text\n")
    return after[start : after.index("```", start)]


def _normalised(summary: str) -> list[str]:
    """A summary with what differs from machine to machine made uniform: the repository's
    path, version numbers and timings; the words, order, marks, counts and findings stay."""
    summary = re.sub(
        r"checked the working tree of \S+", "checked the working tree of REPO", summary
    )
    summary = re.sub(r"\b\d+\.\d+s\b", "Ns", summary)
    summary = re.sub(r"\b\d+\.\d+(\.\d+)?\b(?=[ )]|$)", "V", summary, flags=re.MULTILINE)
    return [re.sub(r" +", " ", ln).rstrip() for ln in summary.splitlines()]


@pytest.mark.slow
def test_the_readme_summary_is_a_real_run(motivating_repo: Path, guardrail: Any) -> None:
    """The README's summary sample is what `guardrail run` prints on the motivating repository,
    but for paths, versions and timings."""
    run = guardrail(motivating_repo, "run", "--no-cache")
    assert run.code == 1, run
    sample = _sample(README.read_text(encoding="utf-8"), "## The summary")
    assert _normalised(run.out) == _normalised(sample)
