"""The one domain error (something the user must fix before a check can run), and what becomes
of any other exception: a bug, logged with its traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hooks import xdg


class GuardrailError(Exception):
    """A problem with the input (config, interpreter, repository) that blocks the run.

    The message is written for the user: it names the file, key or tool and says what to do.
    The CLI turns it into exit code 2 without a traceback.
    """


def log_internal_error(exc: BaseException) -> str:
    """One line that names an unexpected exception (a bug in the guardrail) and where it was
    raised; its traceback goes to a log file under the user's cache folder, whose path the line
    gives. Never a traceback on the terminal, never an exception from here."""
    # Imported here: `guardrail --version` imports this module, and these cost milliseconds.
    import tempfile
    import time
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    where = f" at {Path(last.filename).name}:{last.lineno} in {last.name}" if last else ""
    try:
        text = str(exc)
    except Exception:
        text = ""
    bug = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    line = f"internal error (a bug in the guardrail): {bug}{where}"
    try:
        from hooks import __version__

        folder = xdg.cache_folder("logs")
        folder.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(
            prefix=f"internal-error-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".log", dir=folder
        )
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(
                f"guardrail {__version__} on Python {sys.version.split()[0]}\n"
                f"argv: {sys.argv!r}\ncwd: {os.getcwd()}\n\n"
                + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            )
    except Exception as why:
        return f"{line}; its traceback could not be written ({why})"
    return f"{line}; traceback in {path}"
