"""The per-frame baseline: every frame inpainted on its own with OpenCV.

This is the naive method every benchmark compares against. It uses no other
frame, so it blurs large holes and flickers over time; it is kept simple on
purpose, as the reference point.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from vidfill.fill.spatial import fill_telea


class FrameEngine:
    """Inpaint each frame independently with Telea's fast marching method.

    Parameters
    ----------
    radius : int
        Neighbourhood radius of the Telea method, in pixels.
    """

    name = "frame"
    preferred_window = 1

    def __init__(self, radius: int = 3) -> None:
        self.radius = int(radius)

    def fill_window(self, frames: NDArray[np.uint8], holes: NDArray[np.bool_]) -> NDArray[np.uint8]:
        """Fill every frame's hole from that frame alone."""
        return np.stack(
            [
                fill_telea(frame, hole, radius=self.radius)
                for frame, hole in zip(frames, holes, strict=True)
            ]
        )
