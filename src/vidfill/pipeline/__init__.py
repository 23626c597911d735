"""The orchestrator: windows, working region, memory; see :mod:`vidfill.pipeline.run`."""

from vidfill.pipeline.run import fill_stream
from vidfill.pipeline.windows import Region, WindowSettings, working_region

__all__ = ["Region", "WindowSettings", "fill_stream", "working_region"]
