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
scene's sharp edges counts. A semi-transparent caption band there is found by its
shape instead: two long, straight, parallel edges in the average frame, with the
scene's variation damped just inside both of them (an 80% band lets a fifth through,
whether people pass under it or only noise). Users should check the printed boxes.
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
# Caption bands (see _caption_bands): a long edge is a row whose vertical step, averaged
# along BAND_RUN of the width (at least BAND_RUN_PX), exceeds BAND_EDGE grey levels.
BAND_EDGE = 12.0
BAND_RUN = 0.1
BAND_RUN_PX = 32
# Just inside both long edges the temporal std must fall below this share of that just
# outside (median along the edge): an 80% band passes a fifth of the scene's variation.
BAND_ATTENUATION = 0.7
# Columns belong to the band while the std across its long edges stays below this share.
BAND_COLUMN_ATTENUATION = 0.8


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
    # A semi-transparent band over a still but noisy scene varies about as much as the
    # scene's still edges where people pass under it; its shape and its damping of the
    # variation across its edges find it (schoolgirls: coverage 0 -> 1).
    region |= _caption_bands(gray, std)
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


def _straight_edges(gray: NDArray[np.float32], step: float) -> list[tuple[int, int, int, int]]:
    """Long horizontal edges of ``gray``: ``(sign, row, x0, x1)``, ``x1`` exclusive.

    The vertical gradient is averaged along the row over a long window, so only an
    edge that keeps its row and its sign that long survives (textures and slanted
    edges average out); of the two or three rows a blurred step spans, the strongest.
    """
    width = gray.shape[1]
    run = max(BAND_RUN_PX, int(BAND_RUN * width))
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3) / 4.0
    along = cv2.blur(gy, (run, 1), borderType=cv2.BORDER_REPLICATE)
    padded = np.pad(along, ((1, 1), (0, 0)), mode="edge")
    edges: list[tuple[int, int, int, int]] = []
    for sign in (1, -1):
        signed = sign * along
        peak = (signed > step) & (signed >= sign * padded[:-2]) & (signed >= sign * padded[2:])
        # Bridge the short gaps a locally weak stretch of the edge leaves.
        joined = cv2.morphologyEx(peak.view(np.uint8), cv2.MORPH_CLOSE, np.ones((1, 9), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        for x, y, w, h, _area in stats[1:count]:
            if w >= run:
                edges.append((sign, int(y + h // 2), int(x), int(x + w)))
    return edges


def _caption_bands(gray: NDArray[np.float32], std: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rectangular caption bands: two long parallel edges that damp the scene's variation.

    A band is a pair of straight horizontal edges of opposite sign (darker, or lighter,
    between them), at least three times wider than tall, inside which the temporal std
    is lower than just outside on *both* long sides: a still scene's own straight edges
    (a wall top, a kerb) separate two surfaces, which do not both vary more than the
    strip between them. Its sides are the strongest straight vertical edges near the
    ends of the columns where the damping holds.

    Parameters
    ----------
    gray : float32 (H, W)
        The clip's average frame, grey.
    std : float (H, W)
        Per-pixel temporal standard deviation (grey levels).

    Returns
    -------
    bool (H, W)
        True inside the bands found (not dilated).
    """
    height, width = gray.shape
    found = np.zeros((height, width), bool)
    edges = _straight_edges(gray, BAND_EDGE)
    if len(edges) < 2:
        return found
    # Log of the variation: a band damps it by a factor, whatever the scene's level;
    # the floor keeps compression noise in flat areas from making large ratios.
    level = np.log(np.maximum(std, 1.0)).astype(np.float32)
    gx = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3) / 4.0)
    margin, depth = 3, 6  # rows skipped at an edge (blur), rows measured on each side
    candidates = []
    for sign, top, a0, a1 in edges:
        for other, bottom, b0, b1 in edges:
            tall = bottom - top
            if (
                other != -sign
                or not 8 <= tall <= 0.35 * height
                or top < margin + depth
                or bottom + margin + depth > height
            ):
                continue
            overlap = min(a1, b1) - max(a0, b0)
            x0, x1 = min(a0, b0), max(a1, b1)
            if overlap < 0.5 * min(a1 - a0, b1 - b0) or x1 - x0 < 3 * tall:
                continue
            inner = max(1, min(depth, (tall - 2 * margin) // 2))
            above = np.median(level[top - margin - depth + 1 : top - margin + 1], axis=0)
            below = np.median(level[bottom + margin : bottom + margin + depth], axis=0)
            in_top = np.median(level[top + margin : top + margin + inner], axis=0)
            in_bottom = np.median(level[bottom - margin - inner + 1 : bottom - margin + 1], axis=0)
            damp_top = float(np.median((in_top - above)[x0:x1]))
            damp_bottom = float(np.median((in_bottom - below)[x0:x1]))
            if max(damp_top, damp_bottom) >= np.log(BAND_ATTENUATION):
                continue
            # The band's columns: the run, through the middle of the two edges' overlap,
            # where the damping holds (smoothed over a few columns against noise).
            damp = cv2.blur(((in_top - above + in_bottom - below) / 2)[None], (9, 1))[0]
            damped = damp < np.log(BAND_COLUMN_ATTENUATION)
            middle = (max(a0, b0) + min(a1, b1)) // 2
            if not damped[middle]:
                continue
            ends = _snap_ends(gx[top + 1 : bottom].mean(axis=0), *_run_around(damped, middle))
            if ends is not None and ends[1] - ends[0] >= 3 * tall:
                candidates.append((damp_top + damp_bottom, top, bottom, *ends))
    # Edges two or three rows apart give the same band several times: keep the most
    # damped of overlapping candidates.
    for _, top, bottom, left, right in sorted(candidates):
        box = found[top : bottom + 1, left : right + 1]
        if box.mean() < 0.5:
            box[:] = True
    return found


def _run_around(flags: NDArray[np.bool_], middle: int) -> tuple[int, int]:
    """First and last index of the run of True in ``flags`` that holds ``middle``."""
    breaks = np.flatnonzero(~flags)
    before, after = breaks[breaks < middle], breaks[breaks > middle]
    left = int(before.max() + 1) if before.size else 0
    right = int(after.min() - 1) if after.size else len(flags) - 1
    return left, right


def _snap_ends(column_edge: NDArray[np.float32], left: int, right: int) -> tuple[int, int] | None:
    """Each end moved to the strongest straight vertical edge within 8 columns of it.

    A band that runs to the frame's border has no edge there and keeps that end;
    None when an end inside the frame has no edge of at least :data:`BAND_EDGE`.
    """
    width = len(column_edge)
    ends = []
    for end in (left, right):
        if end in (0, width - 1):
            ends.append(end)
            continue
        lo, hi = max(0, end - 8), min(width, end + 9)
        best = lo + int(np.argmax(column_edge[lo:hi]))
        if column_edge[best] < BAND_EDGE:
            return None
        ends.append(best)
    return ends[0], ends[1]
