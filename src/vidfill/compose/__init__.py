"""The compose stage: put filled pixels back, and only those."""

from vidfill.compose.composite import composite, composite_into, overlay_mask

__all__ = ["composite", "composite_into", "overlay_mask"]
