"""The recurrent hand-over at a window boundary: continue the last finished frame along the flow.

A window's own fill of its first frames is computed from sources up to its
own end, the previous window's from sources up to its look-ahead; content
revealed in between makes the fill jump at the boundary (issue #5). For the
first ``F`` frames of a window the hole becomes::

    out[i] = (1 - w[i]) * warp(out[i - 1]) + w[i] * own fill[i]

where ``out[-1]`` is the last finished (carried) frame, ``warp`` pulls it
along the background flow from frame ``i`` to it, and ``w`` rises to 1.
Each frame continues the blended one before it, so the first frame after a
boundary continues what was written, and the window's own fill takes over
in steps. Where the two agree within a couple of grey levels the own fill is
kept as is (resampling a copy of a copy blurs), and a frame the background
flow cannot explain from the previous one (a cut, a whip pan) gets nothing
carried into it.

Everything here reads only the carried frame and the window's pending
frames, so a run resumed at a checkpoint (which passes just the carried
frames) computes the same hand-over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.flow.check import warp_backward
from vidfill.flow.complete import (
    FLOW_BAND,
    FLOW_CELL,
    FLOW_DILATE,
    OUTLIER_THRESHOLD,
    camera_region,
    complete_flow,
)
from vidfill.flow.estimate import (
    FLOW_MAX_SIDE,
    FLOW_MIN_SCALE,
    flow_scale,
    make_dis,
    shrink_masks,
    to_grey,
    warp_errors,
)

BackgroundFlow = Callable[
    [NDArray[np.uint8], NDArray[np.bool_], NDArray[np.uint8]], NDArray[np.float32]
]


def background_flow(
    frame: NDArray[np.uint8],
    hole: NDArray[np.bool_],
    previous: NDArray[np.uint8],
    *,
    max_side: int = FLOW_MAX_SIDE,
    min_scale: float = FLOW_MIN_SCALE,
    dilate: int = FLOW_DILATE,
    band: int = FLOW_BAND,
    cell: int = FLOW_CELL,
    threshold: float = OUTLIER_THRESHOLD,
) -> NDArray[np.float32]:
    """Flow from ``frame`` (as read, the object still in its hole) to ``previous`` (finished).

    DIS sees the object in ``frame`` and not in ``previous``, so its flow in
    and around the hole is the object's, not the background's. As the flow
    engine does, the hole is grown by the nearby region moving unlike the
    camera (:func:`~vidfill.flow.complete.flow_mask`) and the residual against
    the camera's homography is completed there with a membrane
    (:func:`~vidfill.flow.complete.complete_flow`). A still camera gets exact
    zeros there, so warping along it copies pixels without resampling them.

    The defaults are the flow engine's (``flow_max_side``, ``flow_min_scale``,
    ``flow_dilate``, ``flow_band``, ``flow_cell``, ``outlier_threshold``).

    Parameters
    ----------
    frame, previous : ndarray of uint8, shape (H, W, 3)
    hole : ndarray of bool, shape (H, W)
        ``frame``'s hole.
    max_side, min_scale : int, float
        The flow is estimated with the larger side brought to ``max_side``
        pixels, but never below ``min_scale`` of full size.
    dilate, band, cell : int
        Hole dilation, growth band and membrane cell size, in full-size pixels
        at a 320 px flow grid (scaled with the flow grid like the engine's).
    threshold : float
        Deviation from the camera motion (px) that grows the flow mask.

    Returns
    -------
    ndarray of float32, shape (H, W, 2)
        At full size, in full-size pixels.
    """
    height, width = hole.shape
    scale = flow_scale((height, width), max_side, min_scale)
    grey = to_grey(np.stack([frame, previous]), scale)
    small_hole = shrink_masks(hole[None], grey.shape[1:])[0]
    flow = make_dis().calc(grey[0], grey[1], None)
    if small_hole.any():
        grow = max(1, round(dilate * scale))
        region = camera_region(
            flow,
            small_hole,
            dilate=grow,
            band=max(1, round(band * scale)),
            threshold=threshold * scale,
            scale=scale,
        )
        static, camera, mask = region.static, region.camera, region.mask
        if static:
            flow[mask] = 0.0
        else:
            flow = complete_flow(flow, mask, camera, factor=max(2, round(cell * scale)))
    if scale == 1.0:
        return flow
    return cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) / np.float32(scale)


def handover_weights(count: int) -> NDArray[np.float64]:
    """The own fill's weight in each of the first ``count`` frames of a window.

    Equal steps, ``(i + 1) / (count + 1)``: for a given jump they keep the
    largest frame-to-frame change smallest. (Weights rising geometrically,
    by 1.5 a frame, kept the carried content longer and made pairs inside
    windows worse: ``benchmarks/window_seams.py``, see DEVELOPERS.md.)
    """
    return np.arange(1, count + 1, dtype=np.float64) / (count + 1)


def handover_blend(
    previous: NDArray[np.uint8],
    frames: Sequence[NDArray[np.uint8]],
    holes: Sequence[NDArray[np.bool_]],
    fills: Sequence[NDArray[np.uint8]],
    weights: Sequence[float],
    *,
    tolerance: float = 2.0,
    max_error: float = 10.0,
    flow: BackgroundFlow = background_flow,
) -> list[NDArray[np.uint8]]:
    """Blend the first fills of a window from the last finished frame, each continuing the last.

    Parameters
    ----------
    previous : ndarray of uint8, shape (H, W, 3)
        The last finished frame before ``frames[0]``.
    frames : sequence of uint8 (H, W, 3)
        The window's first frames as read.
    holes : sequence of bool (H, W)
        Their holes.
    fills : sequence of uint8 (H, W, 3)
        The window's own fills of them (hole pixels filled).
    weights : sequence of float
        The own fill's weight in each frame (:func:`handover_weights`); as
        many as frames are blended, at most ``len(fills)``.
    tolerance : float
        Grey levels (max over RGB) under which the own fill and the warped
        previous frame count as the same content: there the own fill is
        kept, untouched by resampling (a copy of a copy blurs, and the blur
        itself then flickers); the warped frame's weight reaches its full
        value at twice the tolerance. 0 blends every hole pixel.
    max_error : float
        Median absolute grey error, outside the hole, of the previous frame
        warped onto the frame as read, above which nothing is carried into
        that frame (the own fill stays, and the next frame continues it).
    flow : callable
        ``flow(frame, hole, previous)`` -> background flow frame -> previous
        (:func:`background_flow`).

    Returns
    -------
    list of uint8 (H, W, 3)
        ``fills`` with the hole of each of the first ``len(weights)`` replaced
        by the blend; the rest unchanged.
    """
    out = list(fills)
    last = previous
    for index, own_weight in enumerate(weights):
        hole = holes[index]
        if not hole.any():
            last = fills[index]
            continue
        motion = flow(frames[index], hole, last)
        if _misfit(frames[index], hole, last, motion) > max_error:
            # A cut, or motion the flow cannot follow (motocross-jump's
            # whip pans): what it would carry is not this frame's content.
            last = fills[index]
            continue
        warped = warp_backward(last, motion).astype(np.float32)
        own = fills[index].astype(np.float32)
        correction = warped - own
        carried = np.full(hole.shape, 1.0 - own_weight, np.float32)
        if tolerance > 0:
            difference = np.abs(correction).max(axis=-1)
            carried *= np.clip(difference / tolerance - 1.0, 0.0, 1.0)
        mix = own + carried[..., None] * correction
        blended = fills[index].copy()
        blended[hole] = np.clip(mix[hole] + 0.5, 0, 255).astype(np.uint8)
        out[index] = blended
        last = blended
    return out


def _misfit(
    frame: NDArray[np.uint8],
    hole: NDArray[np.bool_],
    previous: NDArray[np.uint8],
    motion: NDArray[np.float32],
) -> float:
    """How badly ``motion`` explains ``frame`` from ``previous``: median grey error off the hole."""
    grey = to_grey(np.stack([frame, previous]), 1.0)
    return float(warp_errors(grey, motion[None], np.stack([hole, np.zeros_like(hole)]))[0])
