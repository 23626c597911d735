"""Temporal metrics: flow warping error (E_warp) and flicker inside the hole.

The definitions follow Lai et al., "Learning Blind Video Temporal
Consistency" (ECCV 2018, script ``evaluate_WarpError.py``), which FGVC,
E2FGVI and ProPainter cite for E_warp:

1. forward flow ``F`` (t -> t+1) and backward flow ``B`` (t+1 -> t) are
   estimated on a *reference* video (for completion, the ground truth, as
   DEVIL does);
2. a pixel of frame t is occluded when the forward-backward check fails,
   ``|F + B~|^2 > 0.01 (|F|^2 + |B~|^2) + 0.5`` with ``B~(x) = B(x + F(x))``,
   or when it sits on a motion boundary,
   ``|grad F_x|^2 + |grad F_y|^2 > 0.01 |F|^2 + 0.002`` (forward differences);
3. frame t+1 of the evaluated video is warped back to t with ``F``
   (bilinear), and the error of the pair is the mean squared difference over
   the non-occluded pixels and the three channels, on values in 0..1;
4. the video's score is the mean over its pairs.

Difference from the papers: flow comes from OpenCV's DIS (medium preset) on
the CPU, not FlowNet2 (Lai et al.) or RAFT. DIS is less accurate on large
motion, so absolute E_warp values differ from the published ones; compare
methods only within one vidfill report, always against the ``frame``
baseline. We also count a pixel as occluded when ``x + F(x)`` leaves the
frame (FlowNet2's resampler clamps to the border instead), because such
pixels have no true correspondence.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

#: OpenCV DIS preset used for every metric flow.
FLOW_PRESET = "medium"

_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _grey(image: NDArray[np.generic]) -> NDArray[np.uint8]:
    image = np.asarray(image)
    if image.ndim == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.uint8), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(image, dtype=np.uint8)


def estimate_flow(
    first: NDArray[np.uint8], second: NDArray[np.uint8], *, preset: str = FLOW_PRESET
) -> NDArray[np.float32]:
    """Dense optical flow from ``first`` to ``second`` with OpenCV DIS.

    Parameters
    ----------
    first, second : uint8 (H, W, 3) RGB or (H, W) grey
    preset : {"ultrafast", "fast", "medium"}

    Returns
    -------
    float32 (H, W, 2)
        ``(dx, dy)`` such that ``first(x) ~ second(x + flow(x))``.
    """
    dis = cv2.DISOpticalFlow_create(_PRESETS[preset])
    return dis.calc(_grey(first), _grey(second), None)


def _sample_grid(flow: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    height, width = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return xs + flow[..., 0], ys + flow[..., 1]


def warp(image: NDArray[np.generic], flow: NDArray[np.float32]) -> NDArray[np.float32]:
    """Backward-warp ``image`` with ``flow``: ``out(x) = image(x + flow(x))``, bilinear.

    With ``flow = F(t -> t+1)`` this brings frame t+1 onto frame t's grid.
    Samples that fall outside the image take the nearest border value.

    Returns
    -------
    float32, the shape of ``image``
    """
    map_x, map_y = _sample_grid(flow)
    source = np.ascontiguousarray(image, dtype=np.float32)
    return cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def inside_frame(flow: NDArray[np.float32]) -> NDArray[np.bool_]:
    """True where ``x + flow(x)`` lands inside the frame."""
    height, width = flow.shape[:2]
    map_x, map_y = _sample_grid(flow)
    return (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)


def occlusion(fwd: NDArray[np.float32], bwd: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Occluded pixels of frame t by Lai et al.'s test (see the module docstring).

    Parameters
    ----------
    fwd : float32 (H, W, 2)
        Flow t -> t+1.
    bwd : float32 (H, W, 2)
        Flow t+1 -> t.

    Returns
    -------
    bool (H, W)
        True where frame t's pixel has no reliable match in frame t+1:
        forward-backward inconsistency, motion boundary, or leaving the frame.
    """
    bwd_at_t = warp(bwd, fwd)
    fb_sum = np.sum((fwd + bwd_at_t) ** 2, axis=2)
    fb_scale = np.sum(fwd**2, axis=2) + np.sum(bwd_at_t**2, axis=2)
    inconsistent = fb_sum > 0.01 * fb_scale + 0.5
    # Forward differences, zero at the last row/column, as in the reference script.
    du_dx = np.zeros(fwd.shape[:2], np.float32)
    du_dy = np.zeros_like(du_dx)
    dv_dx = np.zeros_like(du_dx)
    dv_dy = np.zeros_like(du_dx)
    du_dx[:, :-1] = fwd[:, 1:, 0] - fwd[:, :-1, 0]
    dv_dx[:, :-1] = fwd[:, 1:, 1] - fwd[:, :-1, 1]
    du_dy[:-1, :] = fwd[1:, :, 0] - fwd[:-1, :, 0]
    dv_dy[:-1, :] = fwd[1:, :, 1] - fwd[:-1, :, 1]
    grad = du_dx**2 + du_dy**2 + dv_dx**2 + dv_dy**2
    boundary = grad > 0.01 * np.sum(fwd**2, axis=2) + 0.002
    return inconsistent | boundary | ~inside_frame(fwd)


@dataclass(frozen=True)
class ReferenceFlow:
    """Flow and validity of every consecutive pair of a reference video.

    Attributes
    ----------
    flows : float32 (T-1, H, W, 2)
        ``flows[t]`` maps frame t to t+1.
    valid : bool (T-1, H, W)
        Non-occluded pixels of frame t (see :func:`occlusion`).
    used : bool (T-1,)
        Pairs that enter the averages. A pair whose valid share is below
        ``min_valid`` (a shot cut, where flow means nothing) is left out.
    """

    flows: NDArray[np.float32]
    valid: NDArray[np.bool_]
    used: NDArray[np.bool_]


def reference_flow(
    frames: NDArray[np.uint8], *, preset: str = FLOW_PRESET, min_valid: float = 0.2
) -> ReferenceFlow:
    """Estimate forward flow and occlusion masks on a reference video.

    Parameters
    ----------
    frames : uint8 (T, H, W, 3)
        The video the flow is measured on (ground truth for completion).
    preset : str
        DIS preset.
    min_valid : float
        Pairs with a smaller share of non-occluded pixels are marked unused.

    Returns
    -------
    ReferenceFlow
    """
    count = len(frames)
    height, width = frames.shape[1:3]
    flows = np.zeros((max(count - 1, 0), height, width, 2), np.float32)
    valid = np.zeros((max(count - 1, 0), height, width), bool)
    greys = [_grey(frame) for frame in frames]
    dis = cv2.DISOpticalFlow_create(_PRESETS[preset])
    for t in range(count - 1):
        fwd = dis.calc(greys[t], greys[t + 1], None)
        bwd = dis.calc(greys[t + 1], greys[t], None)
        flows[t] = fwd
        valid[t] = ~occlusion(fwd, bwd)
    used = valid.reshape(len(valid), -1).mean(axis=1) >= min_valid if len(valid) else valid[:, 0, 0]
    return ReferenceFlow(flows=flows, valid=valid, used=np.asarray(used, bool))


def warp_error_pair(
    frame_t: NDArray[np.generic],
    frame_next: NDArray[np.generic],
    flow: NDArray[np.float32],
    valid: NDArray[np.bool_],
) -> float:
    """E_warp of one pair: MSE between frame t and frame t+1 warped to t, on 0..1 values.

    Parameters
    ----------
    frame_t, frame_next : uint8 (H, W, 3)
        Frames t and t+1 of the evaluated video (0..255).
    flow : float32 (H, W, 2)
        Flow t -> t+1 of the reference video.
    valid : bool (H, W)
        Non-occluded pixels; when none are, every pixel counts (as Lai et al.).

    Returns
    -------
    float
        ``sum over valid pixels and channels of (W(O_t+1) - O_t)^2 / N``.
    """
    warped = warp(frame_next, flow) / 255.0
    current = np.asarray(frame_t, np.float32) / 255.0
    squared = (warped - current) ** 2
    if not valid.any():
        return float(squared.mean())
    return float(squared[valid].mean())


def warping_error(frames: NDArray[np.generic], reference: ReferenceFlow) -> float:
    """Flow warping error E_warp of a video: mean of :func:`warp_error_pair` over used pairs.

    Parameters
    ----------
    frames : uint8 (T, H, W, 3)
        The evaluated video (for completion, the composited result).
    reference : ReferenceFlow
        Flow and occlusion measured on the reference video.

    Returns
    -------
    float
        Mean squared error on 0..1 values; papers quote it x10^-3. ``nan``
        when no pair is usable.
    """
    errors = [
        warp_error_pair(frames[t], frames[t + 1], reference.flows[t], reference.valid[t])
        for t in np.flatnonzero(reference.used)
    ]
    return float(np.mean(errors)) if errors else float("nan")


def masked_flicker(
    frames: NDArray[np.generic], masks: NDArray[np.bool_], reference: ReferenceFlow
) -> float:
    """Flicker inside the hole: mean absolute change between flow-aligned frames.

    For each used pair, frame t+1 is warped onto frame t with the reference
    flow; the score of the pair is ``mean |W(O_t+1) - O_t|`` over the pixels
    that are in the hole at t and not occluded, and over the channels, on the
    0..255 scale. The video's score is the mean over pairs that have such
    pixels. Unlike E_warp it looks only at filled pixels and uses absolute
    (not squared) differences, so it reads as "grey levels of shimmer".

    Parameters
    ----------
    frames : uint8 (T, H, W, 3)
    masks : bool (T, H, W)
        The holes.
    reference : ReferenceFlow

    Returns
    -------
    float
        Mean absolute difference in grey levels; ``nan`` when no pair has hole
        pixels.
    """
    scores = []
    for t in np.flatnonzero(reference.used):
        region = masks[t] & reference.valid[t]
        if not region.any():
            continue
        warped = warp(frames[t + 1], reference.flows[t])
        diff = np.abs(warped - np.asarray(frames[t], np.float32))
        scores.append(float(diff[region].mean()))
    return float(np.mean(scores)) if scores else float("nan")
