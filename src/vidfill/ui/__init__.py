"""The desktop GUI (``vidfill gui``): a thin Tkinter front end over :func:`vidfill.api.remove`.

:mod:`vidfill.ui.logic` holds everything that can be decided without a window
(box geometry, frame preview, the arguments of ``remove``, the background job)
so it is tested without a display; :mod:`vidfill.ui.app` only wires widgets to
it. Importing this package does not import Tkinter: the command line must be
able to say "no display" or "no Tk" as one clear line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path

from vidfill.errors import InputNotFoundError
from vidfill.ui.logic import check_display


def run(input: str | Path | None = None) -> None:
    """Open the GUI window, with ``input`` loaded if given; return when it is closed.

    Raises
    ------
    DisplayError
        If Tkinter is missing or no display can be opened.
    InputNotFoundError
        If ``input`` does not exist (caught here so the command line fails fast).
    """
    check_display()
    if input is not None and not Path(input).exists():
        raise InputNotFoundError(f"{input}: no such file or folder")
    # Imported late: it imports tkinter, which check_display() has just shown to be there.
    from vidfill.ui.app import launch

    launch(input)
