"""Renderers: pure functions from a run's results to text. Only the CLI prints.

Each imports :mod:`hooks.findings` and nothing else of the guardrail.
"""
