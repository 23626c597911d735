"""Sampling, warping and forward-backward consistency of flow fields.

Flow is ``float32 (H, W, 2)`` as ``(dx, dy)``: the pixel ``(x, y)`` of frame
``a`` moves to ``(x + dx, y + dy)`` in frame ``b``.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray


def sample_bilinear(
    image: NDArray[np.floating] | NDArray[np.uint8],
    x: NDArray[np.floating],
    y: NDArray[np.floating],
) -> NDArray[np.float32]:
    """Bilinearly sample ``image`` at sub-pixel points, clamping at the border.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    x, y : ndarray of float, shape (N,)
        Sample positions in pixel coordinates (pixel centres on integers).

    Returns
    -------
    ndarray of float32, shape (N,) or (N, C)
    """
    height, width = image.shape[:2]
    x = np.clip(np.asarray(x, np.float32), 0, width - 1)
    y = np.clip(np.asarray(y, np.float32), 0, height - 1)
    x0 = np.minimum(x.astype(np.int32), width - 2) if width > 1 else np.zeros(x.shape, np.int32)
    y0 = np.minimum(y.astype(np.int32), height - 2) if height > 1 else np.zeros(y.shape, np.int32)
    x1 = np.minimum(x0 + 1, width - 1)
    y1 = np.minimum(y0 + 1, height - 1)
    wx = x - x0
    wy = y - y0
    if image.ndim == 3:
        wx = wx[:, None]
        wy = wy[:, None]
    img = image
    top = img[y0, x0] * (1 - wx) + img[y0, x1] * wx
    bottom = img[y1, x0] * (1 - wx) + img[y1, x1] * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)


def sample_stack_bilinear(
    stack: NDArray[np.uint8] | NDArray[np.floating],
    t: NDArray[np.integer],
    x: NDArray[np.floating],
    y: NDArray[np.floating],
) -> NDArray[np.float32]:
    """Bilinearly sample frame ``t[i]`` of ``stack (T, H, W, C)`` at ``(x[i], y[i])``.

    One gather over all points, whatever frames they come from.

    Returns
    -------
    ndarray of float32, shape (N, C)
    """
    height, width = stack.shape[1:3]
    x = np.clip(np.asarray(x, np.float32), 0, width - 1)
    y = np.clip(np.asarray(y, np.float32), 0, height - 1)
    x0 = np.minimum(x.astype(np.int32), max(width - 2, 0))
    y0 = np.minimum(y.astype(np.int32), max(height - 2, 0))
    x1 = np.minimum(x0 + 1, width - 1)
    y1 = np.minimum(y0 + 1, height - 1)
    wx = (x - x0)[:, None]
    wy = (y - y0)[:, None]
    top = stack[t, y0, x0] * (1 - wx) + stack[t, y0, x1] * wx
    bottom = stack[t, y1, x0] * (1 - wx) + stack[t, y1, x1] * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)


def warp_backward(
    image: NDArray[np.generic], flow: NDArray[np.float32], *, nearest: bool = False
) -> NDArray[np.generic]:
    """Pull ``image`` (frame b) back to frame a along ``flow`` (a -> b).

    ``out[y, x] = image[y + dy, x + dx]``, bilinear unless ``nearest``; points
    leaving the frame take the nearest border pixel.
    """
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    map_x = grid_x + flow[..., 0]
    map_y = grid_y + flow[..., 1]
    mode = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.remap(image, map_x, map_y, mode, borderMode=cv2.BORDER_REPLICATE)


def fb_consistent(
    flow_ab: NDArray[np.float32],
    flow_ba_at: NDArray[np.float32],
    *,
    relative: float = 0.01,
    floor: float = 0.5,
) -> tuple[NDArray[np.bool_], NDArray[np.float32]]:
    """The forward-backward occlusion test on matched flow vectors.

    A vector ``f`` (a -> b) and the reverse flow ``g`` sampled where ``f``
    lands should cancel. The test accepts ``|f + g|^2 < relative * (|f|^2 +
    |g|^2) + floor``: a floor for estimation noise plus a tolerance that grows
    with the motion (the classic rule of Sundaram et al., as ProPainter uses it).

    Parameters
    ----------
    flow_ab, flow_ba_at : ndarray of float32, shape (..., 2)
        Forward vectors and backward vectors sampled at the forward targets.

    Returns
    -------
    valid : ndarray of bool, shape (...)
    residual : ndarray of float32, shape (...)
        ``|f + g|`` in pixels.
    """
    total = flow_ab + flow_ba_at
    residual_sq = np.einsum("...i,...i->...", total, total)
    motion_sq = np.einsum("...i,...i->...", flow_ab, flow_ab) + np.einsum(
        "...i,...i->...", flow_ba_at, flow_ba_at
    )
    valid = residual_sq < relative * motion_sq + floor
    return valid, np.sqrt(residual_sq).astype(np.float32)


def fb_check(
    flow_ab: NDArray[np.float32], flow_ba: NDArray[np.float32], **kwargs: float
) -> tuple[NDArray[np.bool_], NDArray[np.float32]]:
    """Dense forward-backward test of ``flow_ab`` against ``flow_ba``.

    Returns the valid mask and residual of :func:`fb_consistent` for every
    pixel of frame a; points leaving the frame are invalid.
    """
    height, width = flow_ab.shape[:2]
    back = warp_backward(flow_ba, flow_ab)
    valid, residual = fb_consistent(flow_ab, back, **kwargs)
    grid_x, grid_y = np.meshgrid(np.arange(width), np.arange(height))
    tx = grid_x + flow_ab[..., 0]
    ty = grid_y + flow_ab[..., 1]
    inside = (tx >= 0) & (tx <= width - 1) & (ty >= 0) & (ty <= height - 1)
    return valid & inside, residual
