"""The default engine: flow-guided video completion (placeholder until implemented)."""

from __future__ import annotations

from vidfill.engines.frame import FrameEngine


class FlowEngine(FrameEngine):
    """Placeholder: behaves as the per-frame baseline until the flow engine lands."""

    name = "flow"
    preferred_window = 60
