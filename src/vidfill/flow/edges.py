"""Edge-guided flow completion: motion edges continued through a hole, a fill stopping at them.

A membrane (:func:`vidfill.flow.complete.harmonic_fill`) is smooth
everywhere, so where a motion boundary crosses a hole it blends the two
motions into a ramp: pixels on either side of the hidden boundary get a flow
that belongs to neither, and chains through them land on wrong pixels.
FGVC (Gao et al., ECCV 2020) completes the flow's edges first and drops
every smoothness term that touches an edge pixel, so the fill is piecewise
smooth. FGVC completes the edges with a trained network; here they are
continued geometrically, without weights:

1. :func:`motion_edges`: Canny on the flow's own gradient, outside the hole.
2. :func:`edge_stubs` and :func:`continue_edges`: each edge that reaches the
   hole border is a stub with an entry point, a direction and the motions
   on its two sides; two stubs that point at each other across the hole,
   with the same motions on the same sides, are joined by a straight line,
   any other stub is extended a limited length, and weak ones are dropped.
3. :func:`barrier_fill`: the 5-point Laplace fill with edge pixels taken out
   of the grid (they are neither data nor unknowns, so no coupling crosses
   an 8-connected edge), then edge pixels copy their nearest filled value.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.flow.complete import CoarseGrid, complete_flow, solve_laplace

#: Fixed-point scale of the flow gradient handed to Canny (int16 input):
#: 1 px of flow change per px of image becomes this many units.
_GRADIENT_UNITS = 1000.0


class Stub(NamedTuple):
    """An edge that reaches the hole border.

    Attributes
    ----------
    point : ndarray of float64, shape (2,)
        (x, y) of the edge pixel nearest the hole.
    direction : ndarray of float64, shape (2,)
        Unit vector along the edge, pointing into the hole.
    left, right : ndarray of float64, shape (C,)
        The field on either side of the edge near the hole (left and right
        of ``direction`` in image coordinates); NaN when not measured.
    """

    point: NDArray[np.float64]
    direction: NDArray[np.float64]
    left: NDArray[np.float64]
    right: NDArray[np.float64]

    @property
    def jump(self) -> float:
        """Size of the step across the edge (NaN when the sides are not measured)."""
        return float(np.linalg.norm(self.left - self.right))


def motion_edges(
    flow: NDArray[np.float32],
    unknown: NDArray[np.bool_],
    *,
    high: float = 0.4,
    low: float = 0.2,
    sigma: float = 1.0,
    margin: int = 2,
) -> NDArray[np.bool_]:
    """Motion boundaries of ``flow`` outside ``unknown``: Canny on the flow's gradient.

    The gradient of each flow component is taken (Sobel, after a Gaussian of
    ``sigma``) and, as Canny does for colour images, the component with the
    larger gradient decides per pixel; non-maximum suppression and
    hysteresis then thin and link the boundaries.

    Parameters
    ----------
    flow : ndarray of float32, shape (H, W, 2)
    unknown : ndarray of bool, shape (H, W)
        Pixels whose flow is meaningless; edges within ``margin`` px of them
        are dropped (the gradient there sees the meaningless values).
    high, low : float
        Hysteresis thresholds on the flow gradient, in px of flow per px.
    sigma : float
        Gaussian smoothing (px) before the gradient; 0 for none.
    margin : int
        Distance (px) from ``unknown`` within which edges are dropped.

    Returns
    -------
    ndarray of bool, shape (H, W)
    """
    field = flow.astype(np.float32)
    if sigma > 0:
        field = cv2.GaussianBlur(field, (0, 0), sigma)
    # Sobel's 3x3 kernel weighs a unit slope 8x.
    scale = _GRADIENT_UNITS / 8.0
    dx = cv2.Sobel(field, cv2.CV_32F, 1, 0, ksize=3) * scale
    dy = cv2.Sobel(field, cv2.CV_32F, 0, 1, ksize=3) * scale
    # Canny takes 1- or 3-channel int16 gradients; a zero third channel
    # never wins the per-pixel channel choice.
    zero = np.zeros(field.shape[:2] + (1,), np.float32)
    dx16 = np.clip(np.concatenate([dx, zero], axis=-1), -32767, 32767).astype(np.int16)
    dy16 = np.clip(np.concatenate([dy, zero], axis=-1), -32767, 32767).astype(np.int16)
    edges = cv2.Canny(dx16, dy16, low * _GRADIENT_UNITS, high * _GRADIENT_UNITS, L2gradient=True)
    out = edges > 0
    if unknown.any():
        size = 2 * margin + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
        out &= cv2.dilate(unknown.astype(np.uint8), kernel) == 0
    return out


def edge_stubs(
    edges: NDArray[np.bool_],
    unknown: NDArray[np.bool_],
    field: NDArray[np.floating] | None = None,
    *,
    reach: int = 6,
    length: int = 8,
    min_pixels: int = 4,
    min_jump: float = 0.0,
    offset: int = 3,
) -> list[Stub]:
    """The edges that end at the border of ``unknown``, with their direction and sides.

    An edge piece is an 8-connected component of edge pixels within
    ``length`` px of ``unknown``; it is a stub if one of its pixels lies
    within ``reach`` px. Its direction is the principal axis of its pixels,
    oriented from their centroid towards the pixel nearest the hole.

    Parameters
    ----------
    edges, unknown : ndarray of bool, shape (H, W)
    field : ndarray of float, shape (H, W, C), optional
        The field the edges were found in: its value is read on both sides
        of each stub (see :func:`side_values`).
    reach : int
        Largest gap (px) between a stub's end and the hole.
    length : int
        How far from the hole (px) an edge is read to find its direction.
    min_pixels : int
        Pieces with fewer pixels have no reliable direction and are dropped.
    min_jump : float
        With ``field``: stubs whose two sides differ by less (a gradient
        wrinkle rather than a motion boundary) are dropped.
    offset : int
        Distance (px) from the edge at which its sides are read.

    Returns
    -------
    list of Stub
    """
    if not edges.any() or not unknown.any():
        return []
    distance = cv2.distanceTransform((~unknown).astype(np.uint8), cv2.DIST_L2, 5)
    near = edges & (distance <= length)
    count, labels = cv2.connectedComponents(near.astype(np.uint8), connectivity=8)
    if count <= 1:
        return []
    ys, xs = np.nonzero(near)
    ids = labels[ys, xs]
    order = np.argsort(ids, kind="stable")
    ys, xs, ids = ys[order], xs[order], ids[order]
    starts = np.searchsorted(ids, np.arange(1, count + 1))
    channels = 1 if field is None else field.shape[-1]
    unmeasured = np.full(channels, np.nan)
    stubs = []
    for label in range(1, count):
        sl = slice(starts[label - 1], starts[label])
        if sl.stop - sl.start < min_pixels:
            continue
        gaps = distance[ys[sl], xs[sl]]
        nearest = int(np.argmin(gaps))
        if gaps[nearest] > reach:
            continue
        points = np.stack([xs[sl], ys[sl]], axis=1).astype(np.float64)
        centre = points.mean(axis=0)
        # Principal axis: the eigenvector of the scatter's largest eigenvalue.
        _, vectors = np.linalg.eigh(np.cov((points - centre).T) + 1e-9 * np.eye(2))
        axis = vectors[:, -1]
        tip = points[nearest]
        if np.dot(axis, tip - centre) < 0:
            axis = -axis
        axis = axis / np.linalg.norm(axis)
        if field is None:
            stubs.append(Stub(tip, axis, unmeasured, unmeasured))
            continue
        left, right = side_values(field, unknown | edges, tip, axis, offset=offset)
        stub = Stub(tip, axis, left, right)
        if np.isfinite(stub.jump) and stub.jump >= min_jump:
            stubs.append(stub)
    return stubs


def side_values(
    field: NDArray[np.floating],
    excluded: NDArray[np.bool_],
    tip: NDArray[np.float64],
    direction: NDArray[np.float64],
    *,
    offset: int = 3,
    back: int = 6,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Median of ``field`` left and right of an edge, over its last ``back`` px before ``tip``.

    Samples at ``offset`` px on each side of the points ``tip - k *
    direction`` (k = 1..back); samples off the grid or on ``excluded``
    pixels (the hole, other edges) are left out. A side with no sample is
    NaN.
    """
    height, width = excluded.shape
    normal = np.array([-direction[1], direction[0]])
    steps = np.arange(1, back + 1, dtype=np.float64)[:, None]
    spine = tip - steps * direction
    sides = []
    for sign in (1.0, -1.0):
        points = np.rint(spine + sign * offset * normal).astype(np.int64)
        xs, ys = points[:, 0], points[:, 1]
        valid = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        xs, ys = xs[valid], ys[valid]
        keep = ~excluded[ys, xs]
        if not keep.any():
            sides.append(np.full(field.shape[-1], np.nan))
            continue
        sides.append(np.median(field[ys[keep], xs[keep]].astype(np.float64), axis=0))
    return sides[0], sides[1]


def _inside_share(
    a: NDArray[np.float64], b: NDArray[np.float64], unknown: NDArray[np.bool_]
) -> float:
    """Share of the straight segment a-b (sampled each px) that lies in ``unknown``."""
    steps = max(2, int(np.ceil(np.linalg.norm(b - a))) + 1)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    points = np.rint(a + t * (b - a)).astype(np.int64)
    height, width = unknown.shape
    xs = np.clip(points[:, 0], 0, width - 1)
    ys = np.clip(points[:, 1], 0, height - 1)
    return float(unknown[ys, xs].mean())


def match_stubs(
    stubs: list[Stub],
    unknown: NDArray[np.bool_],
    *,
    max_angle: float = 30.0,
    min_inside: float = 0.6,
    side_tolerance: float = 0.5,
) -> list[tuple[int, int]]:
    """Pairs of stubs that continue each other across the hole.

    Stubs ``i`` and ``j`` match when the segment joining their points runs
    mostly through ``unknown``, both directions lie within ``max_angle``
    degrees of it (``i`` pointing at ``j`` and ``j`` at ``i``), and, where
    their sides were measured, the same motions lie on the same sides: ``i``'s
    left matches ``j``'s right (the directions are opposite) and vice versa,
    within ``side_tolerance`` times the smaller jump. Pairs are taken
    greedily by the sum of the two angles, each stub at most once.

    Returns
    -------
    list of (i, j)
    """
    if len(stubs) < 2:
        return []
    points = np.array([s.point for s in stubs])
    directions = np.array([s.direction for s in stubs])
    join = points[None, :, :] - points[:, None, :]
    span = np.linalg.norm(join, axis=-1)
    unit = join / np.maximum(span, 1e-9)[..., None]
    # cos of the angle between i's direction and i->j, and j's and j->i.
    cos_i = np.einsum("ik,ijk->ij", directions, unit)
    cos_j = cos_i.T
    limit = np.cos(np.radians(max_angle))
    ok = (cos_i > limit) & (cos_j > limit) & (span > 1.0)
    left = np.array([s.left for s in stubs])
    right = np.array([s.right for s in stubs])
    jump = np.linalg.norm(left - right, axis=-1)
    if np.isfinite(jump).all():
        same = np.linalg.norm(left[:, None] - right[None, :], axis=-1)
        allowed = side_tolerance * np.minimum(jump[:, None], jump[None, :])
        # i's left faces j's right, and j's left faces i's right.
        swapped = same.T
        ok &= (same <= allowed) & (swapped <= allowed)
    cost = np.arccos(np.clip(cos_i, -1, 1)) + np.arccos(np.clip(cos_j, -1, 1))
    pairs: list[tuple[int, int]] = []
    used = np.zeros(len(stubs), bool)
    candidates = [(cost[i, j], i, j) for i, j in zip(*np.nonzero(np.triu(ok, 1)), strict=True)]
    for _, i, j in sorted(candidates):
        if used[i] or used[j]:
            continue
        if _inside_share(points[i], points[j], unknown) < min_inside:
            continue
        used[i] = used[j] = True
        pairs.append((int(i), int(j)))
    return pairs


def continue_edges(
    edges: NDArray[np.bool_],
    unknown: NDArray[np.bool_],
    field: NDArray[np.floating] | None = None,
    *,
    min_jump: float = 0.0,
    extend: int = 16,
    max_angle: float = 30.0,
    reach: int = 6,
    length: int = 8,
) -> NDArray[np.bool_]:
    """Edges outside ``unknown`` plus their continuation through it.

    Matched stubs (:func:`match_stubs`) are joined by a straight line; every
    other stub is extended along its direction by ``extend`` px (0 drops
    it). Lines are 8-connected, which is what stops 4-connected couplings
    in :func:`barrier_fill`.

    Parameters
    ----------
    edges, unknown : ndarray of bool, shape (H, W)
    field : ndarray of float, shape (H, W, C), optional
        The field the edges were found in; with it, stubs are kept only if
        their sides differ by ``min_jump``, and matched only if their sides
        agree (see :func:`edge_stubs`, :func:`match_stubs`).
    min_jump : float
        See :func:`edge_stubs`.
    extend : int
        Length (px) an unmatched stub is extended into the hole.
    max_angle : float
        Largest angle (degrees) between a stub and the line to its match.
    reach, length : int
        See :func:`edge_stubs`.

    Returns
    -------
    ndarray of bool, shape (H, W)
        The drawn continuations only (inside ``unknown``, and in the gap
        between a stub's end and the hole). The edges outside are left out
        on purpose: as barriers they would only take data away from the
        fill, and on a coarse grid a textured flow's many weak edges then
        wall whole stretches of the border off (motocross-jump).
    """
    stubs = edge_stubs(edges, unknown, field, reach=reach, length=length, min_jump=min_jump)
    canvas = np.zeros(edges.shape, np.uint8)
    matched = set()
    for i, j in match_stubs(stubs, unknown, max_angle=max_angle):
        matched.update((i, j))
        a = tuple(int(v) for v in np.rint(stubs[i].point))
        b = tuple(int(v) for v in np.rint(stubs[j].point))
        cv2.line(canvas, a, b, 1, 1, lineType=cv2.LINE_8)
    if extend > 0:
        for k, stub in enumerate(stubs):
            if k in matched:
                continue
            # Cover the gap to the hole as well as ``extend`` px inside it.
            end = stub.point + stub.direction * (extend + reach)
            a = tuple(int(v) for v in np.rint(stub.point))
            b = tuple(int(v) for v in np.rint(end))
            cv2.line(canvas, a, b, 1, 1, lineType=cv2.LINE_8)
    return canvas > 0


def barrier_fill(
    values: NDArray[np.floating],
    unknown: NDArray[np.bool_],
    barrier: NDArray[np.bool_],
    *,
    factor: int = 1,
) -> NDArray[np.float32]:
    """Laplace fill of ``values`` inside ``unknown`` that does not couple across ``barrier``.

    Solved over the bounding box of ``unknown`` (plus one coarse cell) on a
    grid of ``factor`` px cells, as :func:`vidfill.flow.complete.harmonic_fill`
    does. A coarse cell holding a barrier pixel is a barrier cell: neither
    data nor unknown, so the Laplacian has no term through it (FGVC drops
    every equation touching an edge pixel). Barrier cells then copy the
    nearest non-barrier cell, and a region the barriers cut off from all
    data keeps the plain membrane's value instead of zero.

    Parameters
    ----------
    values : ndarray, shape (H, W, C)
    unknown, barrier : ndarray of bool, shape (H, W)
    factor : int
        Coarse cell size in pixels.

    Returns
    -------
    ndarray of float32, shape (H, W, C)
    """
    out = values.astype(np.float32, copy=True)
    if not unknown.any():
        return out
    grid = CoarseGrid.around(unknown, factor)
    coarse, count = grid.mean(values, ~unknown & ~barrier)
    cell_barrier = grid.any(barrier)
    cell_unknown = grid.any(unknown) & ~cell_barrier
    cell_known = (count > 0) & ~cell_unknown & ~cell_barrier
    solved = solve_laplace(coarse, cell_unknown, cell_known)
    orphans = _cut_off(cell_unknown, cell_known)
    if orphans.any():
        # Barriers closed a region with no data of its own: a membrane
        # through the barriers is a better guess there than zero flow.
        plain = solve_laplace(coarse, cell_unknown | cell_barrier, cell_known)
        solved[orphans] = plain[orphans]
    grid.paste(_copy_nearest(solved, cell_barrier), out, unknown)
    return out


def _cut_off(unknown: NDArray[np.bool_], known: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Cells of ``unknown`` whose 4-connected component has no ``known`` 4-neighbour."""
    count, labels = cv2.connectedComponents(unknown.astype(np.uint8), connectivity=4)
    if count <= 1:
        return np.zeros_like(unknown)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    touching = (cv2.dilate(known.astype(np.uint8), cross) > 0) & unknown
    fed = np.zeros(count, bool)
    fed[np.unique(labels[touching])] = True
    fed[0] = True
    return ~fed[labels]


def _copy_nearest(values: NDArray[np.floating], holes: NDArray[np.bool_]) -> NDArray[np.floating]:
    """``values`` with each ``holes`` cell replaced by its nearest non-hole cell's value."""
    if not holes.any() or holes.all():
        return values
    _, labels = cv2.distanceTransformWithLabels(
        holes.astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    # Labels number the zero (non-hole) cells in row-major order.
    sources = np.flatnonzero(~holes.ravel())
    out = values.copy()
    out[holes] = values.reshape(-1, values.shape[-1])[sources[labels[holes] - 1]]
    return out


def flow_barrier(
    field: NDArray[np.floating],
    unknown: NDArray[np.bool_],
    *,
    high: float = 0.4,
    low: float = 0.2,
    min_jump: float = 1.0,
    extend: int = 16,
    max_angle: float = 30.0,
) -> NDArray[np.bool_]:
    """Motion edges of ``field`` outside ``unknown``, continued through it.

    Parameters
    ----------
    field : ndarray of float, shape (H, W, 2)
        Flow, or its residual against the camera motion.
    unknown : ndarray of bool, shape (H, W)
    high, low : float
        Canny thresholds (px of flow per px, see :func:`motion_edges`).
    min_jump, extend, max_angle : see :func:`continue_edges`.

    Returns
    -------
    ndarray of bool, shape (H, W)
        The barrier for :func:`barrier_fill` (see :func:`continue_edges`).
    """
    values = field.astype(np.float32)
    found = motion_edges(values, unknown, high=high, low=low)
    return continue_edges(
        found, unknown, values, min_jump=min_jump, extend=extend, max_angle=max_angle
    )


def edge_guided_fill(
    values: NDArray[np.floating],
    unknown: NDArray[np.bool_],
    *,
    factor: int = 1,
    **edge_options: float,
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Fill ``values`` inside ``unknown`` piecewise smoothly, stopping at continued motion edges.

    Parameters
    ----------
    values : ndarray of float, shape (H, W, 2)
        The field to fill (flow, or its residual against the camera motion).
    unknown : ndarray of bool, shape (H, W)
    factor : int
        Coarse cell size of the solve (see :func:`barrier_fill`).
    **edge_options
        Passed to :func:`flow_barrier` (high, low, min_jump, extend, max_angle).

    Returns
    -------
    filled : ndarray of float32, shape (H, W, 2)
    barrier : ndarray of bool, shape (H, W)
        The barrier used.
    """
    barrier = flow_barrier(values, unknown, **edge_options)
    return barrier_fill(values, unknown, barrier, factor=factor), barrier


def complete_flow_edges(
    flow: NDArray[np.float32],
    mask: NDArray[np.bool_],
    camera_flow: NDArray[np.float32] | None = None,
    barrier: NDArray[np.bool_] | None = None,
    *,
    factor: int = 1,
    **edge_options: float,
) -> NDArray[np.float32]:
    """Edge-guided counterpart of :func:`vidfill.flow.complete.complete_flow`.

    The residual against ``camera_flow`` is filled by :func:`barrier_fill`
    and the camera motion added back. Camera motion is smooth, so the
    residual has the flow's motion edges.

    Parameters
    ----------
    flow : ndarray of float32, shape (H, W, 2)
    mask : ndarray of bool, shape (H, W)
        The flow mask (pixels whose flow is replaced).
    camera_flow : ndarray of float32, shape (H, W, 2), optional
    barrier : ndarray of bool, shape (H, W), optional
        Found in the residual with :func:`flow_barrier` when not given (a
        pair's two flows may share one).
    factor : int
        Coarse cell size of the solve.
    **edge_options
        Passed to :func:`flow_barrier` when ``barrier`` is not given.

    Returns
    -------
    ndarray of float32, shape (H, W, 2)
    """

    def fill(residual: NDArray[np.float32], unknown: NDArray[np.bool_]) -> NDArray[np.float32]:
        found = flow_barrier(residual, unknown, **edge_options) if barrier is None else barrier
        return barrier_fill(residual, unknown, found, factor=factor)

    camera = np.zeros_like(flow) if camera_flow is None else camera_flow
    return complete_flow(flow, mask, camera, factor=factor, fill=fill)
