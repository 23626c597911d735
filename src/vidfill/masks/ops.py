"""Small pure operations on boolean masks."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray


def disk(radius: int) -> NDArray[np.uint8]:
    """A filled disk of the given radius as a ``(2r+1, 2r+1)`` structuring element."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def dilate(mask: NDArray[np.bool_], radius: int) -> NDArray[np.bool_]:
    """Grow ``mask`` by ``radius`` pixels in every direction (a disk).

    Works on one mask ``(H, W)`` or a stack ``(T, H, W)``.
    """
    if radius <= 0 or not mask.any():
        return mask.copy()
    kernel = disk(radius)
    if mask.ndim == 3:
        return np.stack([dilate(m, radius) for m in mask])
    return cv2.dilate(mask.view(np.uint8), kernel).astype(bool)


def binarize(image: NDArray[np.generic]) -> NDArray[np.bool_]:
    """Turn a decoded mask image into a boolean mask.

    An alpha channel, when present, is the mask; otherwise the grey level is.
    Soft masks are cut at 50% of the full scale of the dtype, so anti-aliased
    edges count as hole where they are at least half covered.
    """
    if image.ndim == 3:
        if image.shape[2] == 4:
            image = image[..., 3]
        elif image.shape[2] == 1:
            image = image[..., 0]
        else:
            # The brightest channel, one element-wise maximum at a time: same
            # values as max(axis=2), which NumPy reduces pixel by pixel over
            # the short channel axis (7.5 ms against 0.45 ms a 854x480 frame
            # of a mask video).
            brightest = image[..., 0]
            for channel in range(1, image.shape[2]):
                brightest = np.maximum(brightest, image[..., channel])
            image = brightest
    full_scale = 1.0 if image.dtype.kind == "f" else float(np.iinfo(image.dtype).max)
    if image.dtype == np.bool_:
        return image.copy()
    return image >= 0.5 * full_scale


def bounding_box(mask: NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
    """``(x, y, w, h)`` of the True pixels of ``mask`` (2-D or a stack), or None if empty."""
    if mask.ndim == 3:
        mask = mask.any(axis=0)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def box_mask(size: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> NDArray[np.bool_]:
    """A ``(H, W)`` mask that is True inside each ``(x, y, w, h)`` box."""
    mask = np.zeros(size, dtype=bool)
    for x, y, w, h in boxes:
        mask[max(y, 0) : y + h, max(x, 0) : x + w] = True
    return mask
