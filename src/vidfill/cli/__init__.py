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



def configure_logging(*, quiet: bool = False) -> None:
    """Send vidfill's warnings to stderr as ``vidfill: warning: ...`` lines."""
    logger = logging.getLogger("vidfill")
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    if not any(getattr(h, "_vidfill", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("vidfill: %(levelname)s: %(message)s"))
        handler._vidfill = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    # The handler is created per call so that it writes to the current sys.stderr.
    for handler in logger.handlers:
        if getattr(handler, "_vidfill", False):
            handler.setStream(sys.stderr)
    logger.propagate = False


@app.callback()
def _root() -> None:
    """Remove unwanted things from videos and fill the hole consistently over time."""


# Sub-commands register themselves on `app` when imported.
from vidfill.cli import bench, mask, remove  # noqa: E402,F401


def main() -> None:
    """Entry point of the ``vidfill`` script."""
    try:
        app(standalone_mode=False)
    except VidfillError as error:
        print(f"vidfill: error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("vidfill: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
