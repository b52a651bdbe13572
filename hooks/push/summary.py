"""The summary of a push: one terminal summary per pushed commit, then the push's verdict."""

from __future__ import annotations

from collections.abc import Sequence

from hooks.push.check import TargetOutcome
from hooks.report import terminal


def _nothing(o: TargetOutcome) -> str:
    info = o.outcome.info
    lines = [f"guardrail {info.version}: {info.target}"]
    lines.extend(f"  note: {n}" for n in info.notes)
    lines.append("")
    names = ", ".join(o.unchecked) or "none found"
    if o.reasons and all("push = " in r for r in o.reasons):
        why = f'the push changes none of the projects ({names}), which all set push = "changed"'
    else:
        why = f"not one project is checked for this push ({names}): {'; '.join(o.reasons)}"
    lines.append(f"Nothing to check: {why}.")
    return "\n".join(lines) + "\n"


def render(outcomes: Sequence[TargetOutcome], *, verbose: bool = False) -> str:
    """Every pushed commit's summary; with several, a last line naming the ones that failed."""
    if not outcomes:
        return "guardrail: nothing to check: the push sends no commit (deletions only)\n"
    parts: list[str] = []
    for o in outcomes:
        if not o.outcome.results:
            parts.append(_nothing(o))
            continue
        parts.append(terminal.render(o.outcome.info, o.outcome.results, verbose=verbose))
    if len(outcomes) > 1:
        bad = [o for o in outcomes if o.exit_code != 0]
        if bad:
            names = "; ".join(o.description for o in bad)
            verdict = f"Push blocked: {names} did not pass."
        else:
            verdict = f"All {len(outcomes)} pushed commits passed: the push may go ahead."
        parts.append(verdict + "\n")
    return "\n".join(parts)
