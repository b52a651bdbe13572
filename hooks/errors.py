"""The one domain error: something the user must fix before a check can run."""

from __future__ import annotations


class GuardrailError(Exception):
    """A problem with the input (config, interpreter, repository) that blocks the run.

    The message is written for the user: it names the file, key or tool and says what to do.
    The CLI turns it into exit code 2 without a traceback.
    """
