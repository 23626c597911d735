"""Exemplar (patch) synthesis engine (placeholder until implemented)."""

from __future__ import annotations

from vidfill.engines.frame import FrameEngine


class PatchEngine(FrameEngine):
    """Placeholder: behaves as the per-frame baseline until patch synthesis lands."""

    name = "patch"
    preferred_window = 1
