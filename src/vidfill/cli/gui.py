"""``vidfill gui``: open the desktop window (Tkinter), a front end over ``vidfill remove``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidfill.cli import app, configure_logging


@app.command("gui")
def gui_command(
    input: Annotated[
        Path | None,
        typer.Argument(help="Video file or folder of frames to open (optional).", metavar="INPUT"),
    ] = None,
) -> None:
    """Open a window to draw boxes on a frame, preview the masks, and remove.

    Needs a desktop session and Tkinter (part of Python; on Debian/Ubuntu
    'apt install python3-tk' if it is missing).
    """
    configure_logging()
    # Imported here: the other sub-commands should not pay for the GUI's imports.
    from vidfill.ui import run

    run(input)
