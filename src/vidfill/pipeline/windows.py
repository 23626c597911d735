"""How a long video is cut into windows, and where in a frame the work is done.

Memory is bounded by the window, never by the video: the orchestrator holds
at most ``length`` frames (of the working region) at once.

A window is three runs of frames::

    | context | frames finished here ... | look-ahead |

* *context*: the last frames the previous window finished, passed as known
  content with an empty hole, so a fill carries over the boundary instead of
  jumping (the recurrent idea of VINet);
* the frames this window finishes and writes;
* *look-ahead*: later frames used only as sources, so background revealed a
  little later can fill the hole now; they are finished by the next window.

Carrying finished frames alone does not stop the jump: the next window sees
further ahead than the previous one did, so background it reveals appears at
once. The orchestrator therefore hands the first frames of a window over
from the last finished frame (:mod:`vidfill.pipeline.handover`): each
continues the one before it along the background flow, blended with the
window's own fill, whose weight rises to 1 over 9 frames. It reads only the
carried and pending frames, so resume stays exact, and costs one DIS flow per
handed-over frame. With 12-frame windows it brought the straddling/inside
ratio of the hole's warping error from 1.45 (no treatment) and 1.05 (the
earlier anchored fade, ``seam_frames``) to 0.98, with pairs inside windows
no worse on average (``benchmarks/window_seams.py --fade 0,auto,0h9 --phases 3
--single``; figures per clip in DEVELOPERS.md).

Longer windows let content travel further in time and cost more memory;
more context and look-ahead smooth the boundary and cost repeated work
(each frame is processed about ``length / (length - context - lookahead)``
times).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vidfill.masks.ops import bounding_box


@dataclass(frozen=True)
class WindowSettings:
    """Window geometry, in frames. See the module docstring for the trade-offs."""

    length: int = 60
    context: int = 8
    lookahead: int = 16

    def __post_init__(self) -> None:
        if self.length < 1 or self.context < 0 or self.lookahead < 0:
            raise ValueError("window length must be >= 1, context and look-ahead >= 0")
        if self.length <= self.context + self.lookahead:
            raise ValueError(
                f"window length {self.length} must exceed context {self.context} "
                f"+ look-ahead {self.lookahead}"
            )

    @classmethod
    def for_length(cls, length: int) -> WindowSettings:
        """Default geometry for a window of ``length`` frames.

        Two context frames carry the fill over a boundary as well as more do
        (measured with ``benchmarks/window_seams.py``); a sixth of the window
        as look-ahead keeps repeated work at about 1.25x.
        """
        if length <= 2:
            return cls(length=max(length, 1), context=0, lookahead=0)
        return cls(
            length=length, context=max(1, min(2, length // 8)), lookahead=max(1, length // 6)
        )


@dataclass(frozen=True)
class Region:
    """A rectangle of the frame, ``[y0, y1) x [x0, x1)``, and the scale it is worked at."""

    y0: int
    y1: int
    x0: int
    x1: int
    scale: float = 1.0

    @property
    def slices(self) -> tuple[slice, slice]:
        """Index a frame or mask with ``frame[region.slices]``."""
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @property
    def working_size(self) -> tuple[int, int]:
        """``(height, width)`` of the region at the working scale."""
        return (
            max(1, round((self.y1 - self.y0) * self.scale)),
            max(1, round((self.x1 - self.x0) * self.scale)),
        )


def working_region(
    holes: Sequence[NDArray[np.bool_]] | NDArray[np.bool_],
    *,
    margin_fraction: float = 0.5,
    min_margin: int = 48,
    max_side: int | None = None,
) -> Region | None:
    """The part of the frame worth working on for holes ``(H, W)`` of several frames.

    The union of the holes' bounding boxes, grown by a context margin (the
    larger of ``min_margin`` pixels and ``margin_fraction`` of the box's
    larger side) so flow and patch search have surroundings to draw from.
    ``max_side`` caps the region's larger side at the working scale.

    Returns None when no frame has a hole.
    """
    boxes = [box for box in (bounding_box(hole) for hole in holes) if box is not None]
    if not boxes:
        return None
    return region_around(
        boxes,
        holes[0].shape,
        margin_fraction=margin_fraction,
        min_margin=min_margin,
        max_side=max_side,
    )


def region_around(
    boxes: Sequence[tuple[int, int, int, int]],
    shape: tuple[int, int],
    *,
    margin_fraction: float = 0.5,
    min_margin: int = 48,
    max_side: int | None = None,
) -> Region:
    """:func:`working_region` from the holes' ``(x, y, w, h)`` boxes in a frame of ``shape``."""
    x = min(b[0] for b in boxes)
    y = min(b[1] for b in boxes)
    w = max(b[0] + b[2] for b in boxes) - x
    h = max(b[1] + b[3] for b in boxes) - y
    height, width = shape
    margin = max(min_margin, int(margin_fraction * max(w, h)))
    region = Region(
        y0=max(0, y - margin),
        y1=min(height, y + h + margin),
        x0=max(0, x - margin),
        x1=min(width, x + w + margin),
    )
    side = max(region.y1 - region.y0, region.x1 - region.x0)
    if max_side is not None and side > max_side:
        region = Region(region.y0, region.y1, region.x0, region.x1, scale=max_side / side)
    return region
