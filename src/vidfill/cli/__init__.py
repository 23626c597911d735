"""The ``vidfill`` command line: a thin layer over :mod:`vidfill.api`.

Each sub-command lives in its own module and registers itself on :data:`app`.
Errors caused by the input become one line on stderr and exit status 2.
"""

from __future__ import annotations

import logging
import sys

import typer

from vidfill.errors import VidfillError

app = typer.Typer(
    name="vidfill",
    help="Remove unwanted things from videos and fill the hole consistently over time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _StderrHandler(logging.Handler):
    """Writes each record to whatever ``sys.stderr`` is at that moment."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


def configure_logging(*, quiet: bool = False) -> None:
    """Send vidfill's warnings to stderr as ``vidfill: warning: ...`` lines."""
    logger = logging.getLogger("vidfill")
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("vidfill: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


@app.callback()
def _root() -> None:
    """Remove unwanted things from videos and fill the hole consistently over time."""


# Sub-commands register themselves on `app` when imported.
from vidfill.cli import bench, gui, mask, remove  # noqa: E402,F401


def main() -> None:
    """Entry point of the ``vidfill`` script."""
    try:
        # Standalone mode: the CLI library reports usage errors itself (exit status 2).
        app()
    except VidfillError as error:
        print(f"vidfill: error: {error}", file=sys.stderr)
        sys.exit(2)
