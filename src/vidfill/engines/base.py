"""The interface every fill engine implements, and the registry of engines.

An engine fills the holes of a short run of frames (a *window*) that the
orchestrator (:mod:`vidfill.pipeline.run`) hands it. It sees nothing of files,
codecs, resolution limits or memory budgets: those belong to the orchestrator,
so a new engine (a deep backend, say) plugs in without touching I/O.

The contract of :meth:`Engine.fill_window`:

* ``frames`` is ``uint8 (T, H, W, 3)`` RGB and ``holes`` is ``bool (T, H, W)``;
* pixels where ``holes`` is False are *known*: the engine may read them as
  sources and must not rely on changing them (the orchestrator composites only
  hole pixels back, so changes elsewhere are discarded);
* leading frames of a window may be frames the previous window already
  finished, passed with an empty hole, so that filled content carries over
  window boundaries;
* the return value has the shape and dtype of ``frames``.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from vidfill.errors import EngineError


@runtime_checkable
class Engine(Protocol):
    """A method that fills holes in a window of frames."""

    #: Short name used by ``--method``.
    name: str
    #: How many frames the engine wants per call; 1 for per-frame methods.
    preferred_window: int

    def fill_window(self, frames: NDArray[np.uint8], holes: NDArray[np.bool_]) -> NDArray[np.uint8]:
        """Return ``frames`` with every hole pixel filled."""
        ...


# Engines are named by import path so that optional ones (torch backends)
# cost nothing until they are asked for.
_REGISTRY: dict[str, tuple[str, str]] = {
    "flow": ("vidfill.engines.flow", "FlowEngine"),
    "frame": ("vidfill.engines.frame", "FrameEngine"),
    "patch": ("vidfill.engines.patch", "PatchEngine"),
    "torch": ("vidfill.engines.torch_net", "TorchEngine"),
}

DEFAULT_ENGINE = "flow"


def available_engines() -> list[str]:
    """Names accepted by :func:`get_engine`, in alphabetical order."""
    return sorted(_REGISTRY)


def register_engine(name: str, module: str, class_name: str) -> None:
    """Make an engine class available under ``name`` (for plug-ins)."""
    _REGISTRY[name] = (module, class_name)


def get_engine(name: str, **options: Any) -> Engine:
    """Build the engine called ``name`` with its keyword ``options``.

    Raises
    ------
    EngineError
        If no engine has that name, or the engine rejects the options.
    """
    try:
        module_name, class_name = _REGISTRY[name]
    except KeyError:
        known = ", ".join(available_engines())
        raise EngineError(f"unknown method {name!r}; choose one of: {known}") from None
    engine_class = getattr(importlib.import_module(module_name), class_name)
    try:
        return engine_class(**options)
    except TypeError as error:
        raise EngineError(f"method {name!r} does not accept these options: {error}") from None
    except ValueError as error:
        raise EngineError(f"method {name!r}: {error}") from None
