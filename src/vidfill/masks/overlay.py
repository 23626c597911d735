"""Finding static overlays (logos, timestamps, caption bands, burned-in subtitles).

An overlay is drawn on top of the picture after filming, so its pixels stay the
same while the picture under and around it changes. Over frames sampled across
the clip we measure, per pixel, how much the colour varies (temporal standard
deviation) and how sharp the *average* frame is: moving content blurs out in the
average, an overlay's edges stay crisp. Sharp, unvarying edges seed the overlay;
the unvarying pixels they enclose or touch complete it (a caption band's flat
interior, a logo's fill). The result is one static mask, dilated so anti-aliased
and compression-blurred edges are covered, plus boxes to show the user.

A clip whose background does not move at all (a locked-off camera on a still
scene) cannot be told apart from an overlay by time alone; there the threshold
follows the scene's own noise level, and only content more constant than the
scene's sharp edges counts. Users should check the printed boxes.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.masks.ops import dilate

Box = tuple[int, int, int, int]

# Edges of the average frame at least this strong (Sobel magnitude on 0..255 grey,
# divided by 4 to be ~ a grey-level step) seed an overlay.
EDGE_STEP = 20.0
# Overlay pixels vary by less than this (grey levels, std over time), at most; the
# real threshold also follows the scene's noise (see detect_overlay).
MAX_STD = 6.0
MIN_STD = 1.5
# A scene whose median pixel varies more than this (grey levels) is moving: only
# then can "constant" pixels without edges be trusted to belong to an overlay.
MOVING_SCENE = 15.0
# Looser overlay pieces count only within this distance of a certain one.
NEIGHBOUR_PX = 40


def _components(mask: NDArray[np.bool_], min_area: int) -> tuple[NDArray[np.bool_], list[Box]]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    keep = np.zeros(count, bool)
    boxes: list[Box] = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if area >= min_area:
            keep[label] = True
            boxes.append((x, y, w, h))
    return keep[labels], boxes


def _fill_holes(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    padded = np.pad(mask.view(np.uint8), 1)
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8), (0, 0), 1)
    return mask | (flood[1:-1, 1:-1] == 0)


def _grow_into_constant(
    region: NDArray[np.bool_], constant: NDArray[np.bool_], *, limit: float,
    factor: float = 6.0,
) -> NDArray[np.bool_]:
    """Extend each overlay piece over the constant pixels connected to it.

    A caption band's flat middle is constant but has no edge nearby. The extension is
    kept only when it stays within ``factor`` times the piece and ``limit`` pixels:
    otherwise the constant pixels run on into flat scenery, and the tight piece is safer.
    """
    if not region.any():
        return region
    count, labels = cv2.connectedComponents((constant | region).view(np.uint8), connectivity=8)
    grown = region.copy()
    tight_area = np.bincount(labels[region], minlength=count)
    full_area = np.bincount(labels.ravel(), minlength=count)
    accept = (tight_area > 0) & (full_area <= factor * tight_area) & (full_area <= limit)
    accept[0] = False
    grown |= accept[labels]
    return grown


def _pieces(
    std: NDArray[np.float64],
    sharp: NDArray[np.bool_],
    threshold: float,
    scene: float,
    min_area: int,
    min_seeds: int,
    limit: float,
) -> NDArray[np.bool_]:
    """Overlay pieces: sharp pixels more constant than ``threshold`` and what they enclose."""
    seeds = sharp & (std < threshold)
    # Overlay pixels without edges (a band's flat fill, a logo's interior) are
    # constant too but a little noisier after compression: a looser limit.
    constant = std < max(1.5 * threshold, 0.25 * scene)
    near = dilate(seeds, 4)
    closed = cv2.morphologyEx(
        (seeds | (near & constant)).view(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)
    )
    region = _fill_holes(closed > 0) & (constant | near)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        region.view(np.uint8), connectivity=8
    )
    seed_count = np.bincount(labels[seeds], minlength=count)
    keep = np.zeros(count, bool)
    for label in range(1, count):
        area = stats[label, cv2.CC_STAT_AREA]
        # Scattered static background pixels make small pieces with few sharp, constant
        # pixels; an overlay's outline gives many. Too large a piece is static scenery.
        keep[label] = area >= min_area and seed_count[label] >= min_seeds and area <= limit
    return keep[labels]


def detect_overlay(
    frames: Iterable[NDArray[np.uint8]],
    *,
    dilate_px: int = 3,
    min_area: int = 40,
    max_share: float = 0.3,
    min_seeds: int = 25,
) -> tuple[NDArray[np.bool_], list[Box]]:
    """Find static overlays in a clip.

    Parameters
    ----------
    frames : iterable of uint8 (H, W, 3)
        Frames spread over the clip (30-60 sampled evenly are plenty: more only
        costs time; fewer than about 8 cannot tell static from slow).
    dilate_px : int
        Grow the found overlay by this much to cover anti-aliased edges.
    min_area : int
        Ignore overlay pieces smaller than this (pixels), noise.
    min_seeds : int
        A piece needs at least this many sharp, constant pixels (its outline).
    max_share : float
        A piece covering more than this share of the frame is static scenery,
        not an overlay, and is dropped.

    Returns
    -------
    mask : bool (H, W)
        True on the overlays, dilated.
    boxes : list of (x, y, w, h)
        One box per overlay found, largest first, for the user to check.
    """
    total: NDArray[np.float64] | None = None
    total_sq: NDArray[np.float64] | None = None
    count = 0
    for frame in frames:
        value = frame.astype(np.float64)
        if total is None:
            total, total_sq = np.zeros_like(value), np.zeros_like(value)
        total += value
        total_sq += value * value  # type: ignore[operator]
        count += 1
    if total is None or total_sq is None:
        raise ValueError("detect_overlay needs at least one frame")
    size = total.shape[:2]
    if count < 3:
        return np.zeros(size, bool), []
    mean = total / count
    # Max over colour channels: a coloured logo on grey motion may keep its luma.
    std = np.sqrt(np.maximum(total_sq / count - mean * mean, 0.0)).max(axis=2)
    gray = cv2.cvtColor(mean.astype(np.float32), cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    sharp = np.hypot(gx, gy) / 4.0 > EDGE_STEP
    if not sharp.any():
        return np.zeros(size, bool), []
    # In a still scene the background's sharp edges are static too, but a camera's
    # noise and shake still move them a little; an overlay is more constant than that.
    scene_edges = float(np.median(std[sharp]))
    # In a moving scene, a semi-transparent overlay (a caption band at 80%) still lets
    # a fifth of the motion through: "constant" is then relative to the scene's motion.
    scene = float(np.median(std))
    relative = min(0.2 * scene, 12.0)
    limit = max_share * size[0] * size[1]
    strict = _pieces(
        std, sharp, max(float(np.clip(0.25 * scene_edges, MIN_STD, MAX_STD)), relative),
        scene, min_area, min_seeds, limit,
    )
    # Parts of an overlay whose edges are a little less constant (a logo's text next to
    # its emblem, blurred by compression) are accepted only next to a strict piece, so
    # the looser limit does not pick up still scenery elsewhere.
    loose_level = float(np.clip(0.4 * scene_edges, MIN_STD, MAX_STD))
    loose = _pieces(
        std, sharp, max(loose_level, relative),
        scene, min_area, min_seeds, limit,
    )
    count_, labels = cv2.connectedComponents(loose.view(np.uint8), connectivity=8)
    touching = np.zeros(count_, bool)
    touching[np.unique(labels[dilate(strict, NEIGHBOUR_PX) & loose])] = True
    # ...and only when small next to what was found: a large loose piece is scenery.
    touching &= np.bincount(labels.ravel(), minlength=count_) <= 2 * max(int(strict.sum()), 1)
    touching[0] = False
    region = strict | touching[labels]
    # A band's flat middle has no edges to seed it: grow the pieces over the constant
    # pixels connected to them. In a moving scene "constant" is relative to the scene's
    # motion; in a still one, to its sharp edges' noise, as the loose pieces above (a
    # semi-transparent band over DAVIS devil-sample: coverage 0.54 -> 0.98).
    level = 0.2 * scene if scene > MOVING_SCENE else loose_level
    # Opening cuts the thin bridges of chance-constant pixels between a band and flat
    # scenery next to it.
    flat = cv2.morphologyEx((std < level).view(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    region = _grow_into_constant(region, flat > 0, limit=0.15 * size[0] * size[1])
    mask = dilate(region, dilate_px)
    # Report boxes of the dilated pieces, merged where letters of one caption touch.
    grouped = cv2.dilate(mask.view(np.uint8), np.ones((9, 9), np.uint8)) > 0
    boxes = _merge_boxes(mask, grouped)
    return mask, boxes


def _merge_boxes(mask: NDArray[np.bool_], grouped: NDArray[np.bool_]) -> list[Box]:
    """Boxes of the overlay pieces (pieces closer than a few pixels count as one)."""
    count, labels = cv2.connectedComponents(grouped.view(np.uint8), connectivity=8)
    boxes: list[tuple[int, Box]] = []
    for label in range(1, count):
        ys, xs = np.nonzero((labels == label) & mask)
        if ys.size == 0:
            continue
        box = (
            int(xs.min()),
            int(ys.min()),
            int(xs.max() - xs.min() + 1),
            int(ys.max() - ys.min() + 1),
        )
        boxes.append((int(ys.size), box))
    return [box for _, box in sorted(boxes, reverse=True)]
