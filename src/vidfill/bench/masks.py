"""Synthetic hole masks for the video-completion benchmark, seeded and reproducible.

Families (:data:`FAMILIES`):

``blob`` / ``blob-moving``
    The literature's test mask (FuseFormer / E2FGVI ``random_mask_*``): one
    smooth random blob with 6-8 lobes. Its generator draws a box of 1/3 to
    all of the frame's height and width, but renders the shape inside a
    plotting canvas with margins, so the shape itself spans only about
    :data:`BLOB_SPAN` of that box (a hole of ~8% of the frame before
    dilation). ``blob`` is stationary (the published tables' setting);
    ``blob-moving`` drifts at up to 3 px/frame with random acceleration,
    bouncing off the frame edges.
``blob-large``
    The same blob filling its whole box edge to edge (~25% of the frame): a
    harder case than the published tables.
``box-small`` / ``box-large``
    A static rectangle, 8-15% or 35-55% of each frame side.
``caption``
    A static band near the bottom, like a burned-in subtitle.
``logo``
    Static text drawn with ``cv2.putText`` in a corner, like a channel logo.
``blob-fast``
    A small blob moving at 6-9 px/frame.

Every family is drawn un-dilated by its generator; :func:`make_masks` then
applies the protocol's dilation (3x3 cross, 4 iterations), which grows each
shape by up to 4 px.
"""

from __future__ import annotations

import string
import zlib
from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import CubicSpline

Size = tuple[int, int]  # (height, width)
Generator = Callable[[np.random.Generator, Size, int], NDArray[np.bool_]]

#: The protocol's mask dilation (FuseFormer, E2FGVI and ProPainter loaders).
PROTOCOL_KERNEL = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
PROTOCOL_ITERATIONS = 4

#: Share of its drawn box (per side) that the literature's blob spans. Measured
#: by rendering 200 shapes the way FuseFormer's generator does (a matplotlib
#: figure with its default axes margins and 1.1x limits, resized to the box,
#: then cropped): 0.57 on average (0.32-0.70), and the shape fills 0.53 of
#: its own bounding box, as :func:`blob_shape` does (0.53). Holes come out at
#: 7.8% of a 432x240 frame on average before dilation.
BLOB_SPAN = 0.57

#: Largest per-frame displacement of ``blob-moving``, in pixels (FuseFormer's bound).
MOVING_MAX_STEP = 3.0


def protocol_dilate(masks: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Dilate a mask or a ``(T, H, W)`` stack with a 3x3 cross, 4 times (the protocol's growth)."""
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim == 3:
        return np.stack([protocol_dilate(mask) for mask in masks])
    grown = cv2.dilate(masks.astype(np.uint8), PROTOCOL_KERNEL, iterations=PROTOCOL_ITERATIONS)
    return grown.astype(bool)


def case_seed(base: int, *names: str) -> int:
    """A stable seed for one case, from a base seed and names (clip, family).

    Uses CRC-32 rather than ``hash()``, which Python salts per process.
    """
    text = "/".join(names).encode()
    return (int(base) * 1_000_003 + zlib.crc32(text)) % (2**32)


def blob_shape(rng: np.random.Generator, height: int, width: int) -> NDArray[np.bool_]:
    """One smooth random blob filling a ``(height, width)`` box edge to edge.

    The outline is a closed periodic cubic spline through 6-8 control points
    at jittered angles whose radii alternate between outer (lobes) and inner
    values; it is then scaled so its bounding box is exactly the box.
    """
    lobes = int(rng.integers(6, 9))
    count = 2 * lobes
    angles = np.sort((np.arange(count) + rng.uniform(-0.3, 0.3, count)) * 2 * np.pi / count)
    outer = rng.uniform(0.75, 1.0, count)
    inner = rng.uniform(0.35, 0.65, count)
    radii = np.where(np.arange(count) % 2 == 0, outer, inner)
    knots = np.append(angles, angles[0] + 2 * np.pi)
    spline = CubicSpline(knots, np.append(radii, radii[0]), bc_type="periodic")
    theta = np.linspace(angles[0], angles[0] + 2 * np.pi, 720, endpoint=False)
    r = np.clip(spline(theta), 0.05, None)
    xs, ys = r * np.cos(theta), r * np.sin(theta)
    xs = (xs - xs.min()) / (xs.max() - xs.min()) * (width - 1)
    ys = (ys - ys.min()) / (ys.max() - ys.min()) * (height - 1)
    shape = np.zeros((height, width), np.uint8)
    points = np.round(np.stack([xs, ys], axis=1)).astype(np.int32)
    cv2.fillPoly(shape, [points], 1)
    return shape.astype(bool)


def _paste(shape: NDArray[np.bool_], size: Size, x: int, y: int) -> NDArray[np.bool_]:
    mask = np.zeros(size, bool)
    h, w = shape.shape
    mask[y : y + h, x : x + w] = shape
    return mask


def _trajectory(
    rng: np.random.Generator,
    size: Size,
    box: Size,
    count: int,
    *,
    min_speed: float,
    max_step: float,
    accel: float,
) -> list[tuple[int, int]]:
    """Integer top-left positions of a box moving with random acceleration.

    Each frame's integer step is at most ``max_step`` pixels (Euclidean):
    steps are the rounded velocity plus the carried rounding error (so slow
    sub-pixel drifts still move on average), shortened by whole pixels when
    rounding would overshoot. The velocity is capped a little below
    ``max_step`` so that shortening is rare. The box bounces off the frame
    edges.
    """
    height, width = size
    box_h, box_w = box
    limit = np.array([width - box_w, height - box_h], float)
    position = np.array([rng.integers(0, limit[0] + 1), rng.integers(0, limit[1] + 1)], float)
    cap = max_step - np.sqrt(0.5)
    angle = rng.uniform(0, 2 * np.pi)
    velocity = rng.uniform(min_speed, cap) * np.array([np.cos(angle), np.sin(angle)])
    carry = np.zeros(2)
    positions = [(int(position[0]), int(position[1]))]
    for _ in range(count - 1):
        velocity = velocity + rng.normal(0.0, accel, 2)
        speed = float(np.hypot(*velocity))
        if speed > cap:
            velocity *= cap / speed
        elif speed < min_speed:
            velocity *= min_speed / max(speed, 1e-6)
        wanted = velocity + carry
        step = np.round(wanted)
        while np.hypot(*step) > max_step:  # rounding can overshoot the bound: pull back
            axis = int(np.argmax(np.abs(step)))
            step[axis] -= np.sign(step[axis])
        carry = np.clip(wanted - step, -1.0, 1.0)
        new = position + step
        for axis in range(2):
            if new[axis] < 0 or new[axis] > limit[axis]:
                velocity[axis] = -velocity[axis]
                carry[axis] = 0.0
                new[axis] = np.clip(new[axis], 0, limit[axis])
        position = new
        positions.append((int(position[0]), int(position[1])))
    return positions


def blob_masks(
    rng: np.random.Generator,
    size: Size,
    count: int,
    *,
    moving: bool = False,
    span: float = BLOB_SPAN,
) -> NDArray[np.bool_]:
    """The literature's random blob, stationary or moving at up to 3 px/frame.

    Parameters
    ----------
    rng : numpy Generator
    size : (height, width)
    count : int
        Number of frames.
    moving : bool
        Drift with random acceleration (<= :data:`MOVING_MAX_STEP` px/frame).
    span : float
        Share of the drawn box (1/3 to all of each frame side) that the shape
        spans; 1.0 fills the box edge to edge (``blob-large``).

    Returns
    -------
    bool (count, height, width), not yet dilated
    """
    height, width = size
    box_h = int(rng.integers(max(height // 3, 1), height + 1))
    box_w = int(rng.integers(max(width // 3, 1), width + 1))
    box_h, box_w = max(2, round(box_h * span)), max(2, round(box_w * span))
    shape = blob_shape(rng, box_h, box_w)
    if not moving:
        x = int(rng.integers(0, width - box_w + 1))
        y = int(rng.integers(0, height - box_h + 1))
        return np.repeat(_paste(shape, size, x, y)[None], count, axis=0)
    path = _trajectory(
        rng, size, (box_h, box_w), count, min_speed=0.5, max_step=MOVING_MAX_STEP, accel=0.3
    )
    return np.stack([_paste(shape, size, x, y) for x, y in path])


def fast_blob_masks(rng: np.random.Generator, size: Size, count: int) -> NDArray[np.bool_]:
    """A small blob (1/8 to 1/5 of each side) moving fast, 6-9 px/frame."""
    height, width = size
    box_h = int(rng.integers(max(height // 8, 4), max(height // 5, 5) + 1))
    box_w = int(rng.integers(max(width // 8, 4), max(width // 5, 5) + 1))
    shape = blob_shape(rng, box_h, box_w)
    path = _trajectory(rng, size, (box_h, box_w), count, min_speed=6.0, max_step=9.7, accel=0.8)
    return np.stack([_paste(shape, size, x, y) for x, y in path])


def box_masks(
    rng: np.random.Generator, size: Size, count: int, *, low: float, high: float
) -> NDArray[np.bool_]:
    """A static rectangle whose sides are ``low``..``high`` of the frame's sides."""
    height, width = size
    box_h = max(1, round(height * rng.uniform(low, high)))
    box_w = max(1, round(width * rng.uniform(low, high)))
    x = int(rng.integers(0, width - box_w + 1))
    y = int(rng.integers(0, height - box_h + 1))
    mask = np.zeros(size, bool)
    mask[y : y + box_h, x : x + box_w] = True
    return np.repeat(mask[None], count, axis=0)


def caption_masks(rng: np.random.Generator, size: Size, count: int) -> NDArray[np.bool_]:
    """A static subtitle band: 60-90% of the width, 8-14% of the height, near the bottom."""
    height, width = size
    band_h = max(2, round(height * rng.uniform(0.08, 0.14)))
    band_w = max(2, round(width * rng.uniform(0.6, 0.9)))
    x = (width - band_w) // 2 + int(rng.integers(-width // 20, width // 20 + 1))
    x = int(np.clip(x, 0, width - band_w))
    y = height - band_h - round(height * rng.uniform(0.04, 0.1))
    mask = np.zeros(size, bool)
    mask[max(y, 0) : y + band_h, x : x + band_w] = True
    return np.repeat(mask[None], count, axis=0)


def logo_masks(rng: np.random.Generator, size: Size, count: int) -> NDArray[np.bool_]:
    """Static text (3-6 capital letters, ``cv2.putText``) in a random corner, ~20-30% wide."""
    height, width = size
    letters = "".join(rng.choice(list(string.ascii_uppercase), int(rng.integers(3, 7))))
    font = cv2.FONT_HERSHEY_DUPLEX if rng.random() < 0.5 else cv2.FONT_HERSHEY_SIMPLEX
    thickness = int(rng.integers(2, 4))
    (text_w, _), _ = cv2.getTextSize(letters, font, 1.0, thickness)
    scale = width * rng.uniform(0.2, 0.3) / max(text_w, 1)
    (text_w, text_h), baseline = cv2.getTextSize(letters, font, scale, thickness)
    margin_x, margin_y = round(width * 0.04), round(height * 0.06)
    left = bool(rng.random() < 0.5)
    top = bool(rng.random() < 0.5)
    x = margin_x if left else width - margin_x - text_w
    y = margin_y + text_h if top else height - margin_y - baseline
    canvas = np.zeros(size, np.uint8)
    cv2.putText(canvas, letters, (int(x), int(y)), font, scale, 255, thickness, cv2.LINE_8)
    return np.repeat((canvas > 0)[None], count, axis=0)


FAMILIES: dict[str, Generator] = {
    "blob": lambda rng, size, count: blob_masks(rng, size, count, moving=False),
    "blob-moving": lambda rng, size, count: blob_masks(rng, size, count, moving=True),
    "blob-large": lambda rng, size, count: blob_masks(rng, size, count, span=1.0),
    "box-small": lambda rng, size, count: box_masks(rng, size, count, low=0.08, high=0.15),
    "box-large": lambda rng, size, count: box_masks(rng, size, count, low=0.35, high=0.55),
    "caption": caption_masks,
    "logo": logo_masks,
    "blob-fast": fast_blob_masks,
}


def make_masks(family: str, size: Size, count: int, seed: int) -> NDArray[np.bool_]:
    """Draw one family's masks for ``count`` frames of ``size`` and dilate them as the protocol.

    Parameters
    ----------
    family : str
        A key of :data:`FAMILIES`.
    size : (height, width)
    count : int
    seed : int
        The same seed always gives the same masks.

    Returns
    -------
    bool (count, height, width)
    """
    try:
        generator = FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown mask family {family!r}; use one of {sorted(FAMILIES)}") from None
    raw = generator(np.random.default_rng(seed), size, count)
    return protocol_dilate(raw)
