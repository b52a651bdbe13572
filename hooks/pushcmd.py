"""What the push entry points are asked to check: ``guardrail pre-push`` (a plain git hook, refs
on stdin) and ``guardrail run`` under pre-commit's pre-push stage (refs in the environment).
Both check the pushed commits, never the working tree."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from hooks import push
from hooks.errors import GuardrailError


def pushed(
    root: Path,
    *,
    pre_push: tuple[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> push.Push | None:
    """What is being pushed: git's stdin lines for ``guardrail pre-push REMOTE URL``
    (``pre_push``), else pre-commit's environment; None when this run is not a push."""
    if pre_push is None:
        return push.from_pre_commit(os.environ if env is None else env, root)
    if sys.stdin is None or sys.stdin.isatty():
        raise GuardrailError(
            "guardrail pre-push reads git's pre-push lines on stdin; it is meant to run as git's "
            "pre-push hook (guardrail install). To check the working tree, run guardrail run."
        )
    remote, url = pre_push
    return push.Push(remote or url, push.parse_pre_push(sys.stdin.read()))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("remote", help="the remote's name (git passes it)")
    parser.add_argument("url", nargs="?", default="", help="the remote's URL (git passes it)")
