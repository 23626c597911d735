"""Following an object's shape (its *support*) with dense optical flow.

A box tracker keeps one rectangle with one scale, but objects change shape: a
skater stretches out an arm, a tennis player swings a racket, a motorbike jumping
over the camera grows several times in a second. Measured on the DAVIS clips of
``benchmarks/mask_quality.py``, those shape changes, not drift, caused most of the
worst frames of the box trackers (the box kept its width while the object's
doubled).

Here the object's pixels are carried from frame to frame by DIS optical flow
(backward warping: a pixel of the next frame belongs to the object when the flow
takes it back into the object). Warping alone would also carry the background
seen inside the first box, so each step separates the object by its motion:

* the background's motion is a homography fitted (RANSAC) to the flow outside
  the object, so camera pans, zooms and tilts are allowed;
* where the object moves differently from the background (the usual case for an
  object worth tracking), pixels that move like the background are dropped, and
  pixels just around the object that move like it are added: the shape grows and
  shrinks with the object;
* where it does not (a static object, or a frame where the flow could not tell),
  the support moves rigidly with the flow inside it.

Motion separation fails when an occluder with its own parallax (a tree trunk in
front of the object) crosses it: the support can move to the occluder. The
support is therefore combined with a box tracker (see
:func:`vidfill.masks.track.track_box`), never used alone.

Supports live on the reduced grey frames used for tracking; thresholds below are
in those pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.flow.complete import fit_homography

# Background motion is fitted to flow samples on a grid with this spacing (pixels).
BACKGROUND_STEP = 8
# RANSAC tolerance of the background model (pixels of motion).
BACKGROUND_TOLERANCE = 1.0
# The object moves "differently from the background" when the 75th percentile of
# its pixels' motion relative to the background exceeds this (pixels per frame).
MIN_OWN_MOTION = 1.5
# A pixel moves like the object when its motion relative to the background exceeds
# this share of the object's own motion (and at least 0.75 pixel): limbs moving
# slower than the body still count, background with flow noise does not.
OBJECT_SHARE = 0.35
# Pixels this far around the support (share of the square root of its area) may join
# it in one frame: enough for an object growing 10% a frame, not to leak far.
GROW_SHARE = 0.05
# A step that keeps less than this share of the warped support is not trusted (the
# flow could not tell object from background): the support then moves rigidly.
MIN_KEPT = 0.3


def new_flow() -> cv2.DISOpticalFlow:
    """A DIS optical flow estimator (the ``FAST`` preset: ~2 ms a frame at 480x270)."""
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)


def background_motion(
    flow: NDArray[np.float32], exclude: NDArray[np.bool_], step: int = BACKGROUND_STEP
) -> NDArray[np.float64]:
    """Homography that best explains ``flow`` outside ``exclude`` (the background's motion).

    Parameters
    ----------
    flow : float32 (H, W, 2)
        Flow from one frame to another, (dx, dy) per pixel.
    exclude : bool (H, W)
        The object; it and a 7-pixel ring around it are left out of the fit.
    step : int
        Grid spacing of the flow samples.

    Returns
    -------
    float64 (3, 3)
        Maps a pixel to where the background at that pixel moves; the identity when
        too little background is left or the fit fails.
    """
    ring = cv2.dilate(exclude.view(np.uint8), np.ones((15, 15), np.uint8)) > 0
    # OpenCV's default RANSAC budget: short tracks have few samples to spare.
    model = fit_homography(
        flow, ring, step=step, tolerance=BACKGROUND_TOLERANCE, max_iters=2000
    )
    return np.eye(3) if model is None else model


def motion_field(
    model: NDArray[np.float64], size: tuple[int, int], origin: tuple[int, int] = (0, 0)
) -> NDArray[np.float32]:
    """The per-pixel displacement ``(H, W, 2)`` that the homography ``model`` describes,
    over a window of ``size`` (H, W) whose top-left pixel is ``origin`` (x, y)."""
    height, width = size
    xs, ys = np.meshgrid(
        np.arange(origin[0], origin[0] + width, dtype=np.float32),
        np.arange(origin[1], origin[1] + height, dtype=np.float32),
    )
    grid = np.stack([xs, ys], -1)
    return cv2.perspectiveTransform(grid.reshape(-1, 1, 2), model).reshape(height, width, 2) - grid


@lru_cache(maxsize=4)
def _pixel_grid(height: int, width: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Pixel coordinates (xs, ys) of a frame, kept: every step of a clip needs them."""
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return xs, ys


def warp_support(support: NDArray[np.bool_], flow_back: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Carry ``support`` to the next frame given the flow from the next frame back to it."""
    xs, ys = _pixel_grid(*support.shape)
    warped = cv2.remap(
        support.view(np.uint8) * np.float32(1.0),
        xs + flow_back[..., 0],
        ys + flow_back[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return warped > 0.5


def separate_object(
    warped: NDArray[np.bool_], flow_back: NDArray[np.float32]
) -> NDArray[np.bool_] | None:
    """Refine a warped support by motion: drop pixels moving like the background, add
    pixels around it moving like the object.

    Parameters
    ----------
    warped : bool (H, W)
        The support carried to this frame (:func:`warp_support`).
    flow_back : float32 (H, W, 2)
        Flow from this frame to the previous one.

    Returns
    -------
    bool (H, W) or None
        The new support; None when motion does not tell the object apart.
    """
    if not warped.any():
        return None
    model = background_motion(flow_back, warped)
    radius = max(2, int(GROW_SHARE * np.sqrt(warped.sum())))
    # Work in the window the support can reach this step (it may only grow by
    # ``radius``): per-pixel motion over the whole frame cost more than the flow.
    rows = np.flatnonzero(warped.any(axis=1))
    cols = np.flatnonzero(warped.any(axis=0))
    pad = radius + 3
    height, width = warped.shape
    y0, y1 = max(0, rows[0] - pad), min(height, rows[-1] + 1 + pad)
    x0, x1 = max(0, cols[0] - pad), min(width, cols[-1] + 1 + pad)
    inner = warped[y0:y1, x0:x1]
    relative = flow_back[y0:y1, x0:x1] - motion_field(model, inner.shape, (int(x0), int(y0)))
    own = np.hypot(relative[..., 0], relative[..., 1])
    typical = float(np.percentile(own[inner], 75))
    if typical < MIN_OWN_MOTION:
        return None
    moving = own > max(0.75, OBJECT_SHARE * typical)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    near = cv2.dilate(np.ascontiguousarray(inner).view(np.uint8), kernel) > 0
    found = near & moving
    found = cv2.morphologyEx(found.view(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    # Only pieces connected to what was carried over: another mover nearby (a second
    # player, a car passing) must not join the object.
    count, labels = cv2.connectedComponents(found.view(np.uint8))
    if count > 1:
        touching = np.unique(labels[inner & found])
        found = np.isin(labels, touching[touching > 0])
    if found.sum() < MIN_KEPT * warped.sum():
        return None
    out = np.zeros_like(warped)
    out[y0:y1, x0:x1] = found
    return out


def move_rigidly(
    support: NDArray[np.bool_], warped: NDArray[np.bool_], flow_back: NDArray[np.float32]
) -> NDArray[np.bool_]:
    """Move ``support`` by the similarity transform (shift, scale, rotation) that best
    fits the flow inside its warped copy ``warped``.

    Used when motion cannot separate object and background: warping pixel by pixel
    would then let the smoothed flow at the outline carry background into the
    support, a pixel or so a frame, while one rigid motion keeps its size honest.
    """
    step = max(1, int(np.sqrt(warped.sum()) / 12))
    ys, xs = np.nonzero(warped[::step, ::step])
    if len(xs) < 6:
        return warped
    here = np.stack([xs, ys], 1).astype(np.float32) * step
    there = here + flow_back[ys * step, xs * step]
    model, _ = cv2.estimateAffinePartial2D(there, here, ransacReprojThreshold=1.0)
    if model is None:
        return warped
    height, width = support.shape
    moved = cv2.warpAffine(support.view(np.uint8), model, (width, height), flags=cv2.INTER_NEAREST)
    return moved > 0


def track_support(
    grays: Sequence[NDArray[np.uint8]],
    start: NDArray[np.bool_],
    order: Sequence[int],
    flow: cv2.DISOpticalFlow | None = None,
) -> dict[int, NDArray[np.bool_]]:
    """Follow the object's support over the frames in ``order``.

    Parameters
    ----------
    grays : sequence of uint8 (H, W)
        Reduced grey frames.
    start : bool (H, W)
        The support on frame ``order[0]`` (usually the user's box).
    order : sequence of int
        Frame indices, consecutive, forward or backward.
    flow : DIS estimator, optional
        Reused between calls to save its set-up.

    Returns
    -------
    dict
        Frame index -> bool (H, W) support.
    """
    flow = flow or new_flow()
    support = start
    result = {order[0]: start}
    for prev, nxt in zip(order, order[1:], strict=False):
        flow_back = flow.calc(grays[nxt], grays[prev], None)
        warped = warp_support(support, flow_back)
        separated = separate_object(warped, flow_back)
        support = move_rigidly(support, warped, flow_back) if separated is None else separated
        result[nxt] = support
    return result
