"""The compose stage: put filled pixels back, and only those."""

from vidfill.compose.composite import composite, overlay_mask

__all__ = ["composite", "overlay_mask"]
