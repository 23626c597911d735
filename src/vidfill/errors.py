"""Exceptions raised by vidfill.

Every error a user can cause (a bad file, a mask of the wrong size, an output
path that already exists) is a :class:`VidfillError`. The command line prints
its message on one line and exits with status 2; library users can catch it
or the matching builtin (``ValueError``, ``FileNotFoundError``...).
"""

from __future__ import annotations


class VidfillError(Exception):
    """Base class of every error caused by the input or the options."""


class InputError(VidfillError, ValueError):
    """The input video or frame folder cannot be used."""


class InputNotFoundError(InputError, FileNotFoundError):
    """The input path does not exist."""


class MaskError(VidfillError, ValueError):
    """The masks cannot be used with this video."""


class OutputError(VidfillError, ValueError):
    """The output cannot be written where or how it was asked for."""


class EngineError(VidfillError, ValueError):
    """An unknown engine name, or an engine that cannot run here."""


class DisplayError(VidfillError, RuntimeError):
    """The desktop GUI cannot open: no display, or Python was built without Tkinter."""
