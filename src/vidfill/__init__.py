"""vidfill: remove unwanted things from videos and fill the hole consistently over time.

The data flows through one folder per stage::

    io (read) -> masks -> flow -> propagate -> fill -> compose -> io (write)

with :mod:`vidfill.pipeline` as the orchestrator that owns windows and
memory, and :mod:`vidfill.engines` as the interface fill methods implement.
"""

from vidfill.api import VERSION, inpaint, remove
from vidfill.engines import available_engines
from vidfill.errors import InputError, MaskError, OutputError, VidfillError

__version__ = VERSION

__all__ = [
    "InputError",
    "MaskError",
    "OutputError",
    "VidfillError",
    "__version__",
    "available_engines",
    "inpaint",
    "remove",
]
