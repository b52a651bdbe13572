"""push-guardrail: run a Python project's CI checks before the push."""

__version__ = "0.1.0"
