"""Fill engines behind one interface; see :mod:`vidfill.engines.base`."""

from vidfill.engines.base import (
    DEFAULT_ENGINE,
    Engine,
    available_engines,
    get_engine,
    register_engine,
)

__all__ = ["DEFAULT_ENGINE", "Engine", "available_engines", "get_engine", "register_engine"]
