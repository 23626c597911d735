"""Flow inside holes: which flow to distrust, and a smooth fill to replace it.

Two facts shape this module (measured, see ``shared/research/methods.md``):

* DIS smears a removed object's motion 20-60 px beyond its mask. Filling the
  hole from that ring puts object motion into the background flow, the
  forward and backward fills disagree, and nothing propagates. So the *flow
  mask* grows the hole by the nearby region whose flow disagrees with the
  camera's motion (a homography), limited to a band: unbounded growth spreads
  over the whole background when the camera tracks the object.
* Camera motion is close to affine over a hole, and an affine field is
  harmonic, so a Laplace fill of the residual against the homography
  reproduces camera motion exactly and perspective closely. The fill is
  smooth, so it is solved on a coarse grid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import cv2
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray


def fit_homography(
    flow: NDArray[np.float32],
    exclude: NDArray[np.bool_] | None = None,
    *,
    step: int = 6,
    tolerance: float = 1.0,
    max_iters: int = 500,
) -> NDArray[np.float64] | None:
    """The dominant (camera) motion of a flow field, as a homography by RANSAC.

    Parameters
    ----------
    flow : ndarray of float32, shape (H, W, 2)
    exclude : ndarray of bool, shape (H, W), optional
        Pixels whose flow is not used (holes and their surroundings).
    step : int
        Spacing of the sample grid in pixels.
    tolerance : float
        RANSAC inlier threshold in pixels.
    max_iters : int
        RANSAC iterations.

    Returns
    -------
    ndarray of float64, shape (3, 3), or None
        Maps (x, y) of this frame to the other; None when too few samples
        remain or the fit fails.
    """
    height, width = flow.shape[:2]
    ys, xs = np.mgrid[step // 2 : height : step, step // 2 : width : step]
    ys = ys.ravel()
    xs = xs.ravel()
    if exclude is not None:
        keep = ~exclude[ys, xs]
        ys, xs = ys[keep], xs[keep]
    if len(xs) < 12:
        return None
    src = np.stack([xs, ys], axis=1).astype(np.float32)
    dst = src + flow[ys, xs]
    matrix, _ = cv2.findHomography(src, dst, cv2.RANSAC, tolerance, maxIters=max_iters)
    if matrix is None or not np.all(np.isfinite(matrix)):
        return None
    return matrix


def homography_flow(
    matrix: NDArray[np.float64] | None, shape: tuple[int, int]
) -> NDArray[np.float32]:
    """The flow field ``(H, W, 2)`` that homography ``matrix`` induces (zero for None)."""
    height, width = shape
    out = np.zeros((height, width, 2), np.float32)
    if matrix is None:
        return out
    # A row and a column of coordinates broadcast against each other: every
    # pixel gets the same float64 arithmetic as from two full meshgrids,
    # without building them (a third of this function's time).
    xs = np.arange(width, dtype=np.float64)[None, :]
    ys = np.arange(height, dtype=np.float64)[:, None]
    den = matrix[2, 0] * xs + matrix[2, 1] * ys + matrix[2, 2]
    den = np.where(np.abs(den) < 1e-9, 1e-9, den)
    out[..., 0] = (matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]) / den - xs
    out[..., 1] = (matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]) / den - ys
    return out


def deviation(flow: NDArray[np.float32], reference: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per pixel, how far ``flow`` departs from ``reference``: max of ``|du|`` and ``|dv|``.

    Both ``(..., 2)``; returns their shape without the last axis. NumPy's
    ``max(axis=-1)`` over a length-2 axis is about 40x slower than one
    element-wise maximum of the two components (3 ms against 0.07 ms on a
    427x240 field), for the same values.
    """
    difference = np.abs(flow - reference)
    return np.maximum(difference[..., 0], difference[..., 1])


def is_static(
    matrix: NDArray[np.float64] | None, shape: tuple[int, int], *, tol: float = 0.25
) -> bool:
    """Whether homography ``matrix`` moves no corner of a ``shape`` frame by ``tol`` px or more."""
    if matrix is None:
        return False
    height, width = shape
    corners = np.array(
        [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], np.float64
    )
    moved = cv2.perspectiveTransform(corners[None], matrix)[0]
    return bool(np.abs(moved - corners).max() < tol)


def flow_mask(
    hole: NDArray[np.bool_],
    flow: NDArray[np.float32],
    camera_flow: NDArray[np.float32] | None,
    *,
    dilate: int = 4,
    band: int = 32,
    threshold: float = 2.0,
) -> NDArray[np.bool_]:
    """Pixels whose flow is not trusted: the hole, grown to cover the object's motion bleed.

    The hole is dilated by ``dilate`` px, then joined by every connected
    region of pixels within ``band`` px of it whose flow is more than
    ``threshold`` px off ``camera_flow`` and that touches the dilated hole.

    Parameters
    ----------
    hole : ndarray of bool, shape (H, W)
    flow : ndarray of float32, shape (H, W, 2)
    camera_flow : ndarray of float32, shape (H, W, 2), or None
        The dominant motion; None skips the growth.
    dilate, band : int
        Radii in pixels (scale with resolution).
    threshold : float
        Deviation from the camera motion, in pixels, that marks an outlier.

    Returns
    -------
    ndarray of bool, shape (H, W)
    """
    if not hole.any():
        return hole.copy()
    size = 2 * dilate + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    seed = cv2.dilate(hole.astype(np.uint8), kernel) > 0
    if camera_flow is None or band <= 0:
        return seed
    # Only a box around the hole can join the mask: work there.
    ys, xs = np.nonzero(seed)
    height, width = hole.shape
    y0, y1 = max(0, ys.min() - band), min(height, ys.max() + band + 1)
    x0, x1 = max(0, xs.min() - band), min(width, xs.max() + band + 1)
    box = (slice(y0, y1), slice(x0, x1))
    seed_box = seed[box]
    distance = cv2.distanceTransform((~seed_box).astype(np.uint8), cv2.DIST_L2, 3)
    off = deviation(flow[box], camera_flow[box])
    grown = seed_box | ((distance <= band) & (off > threshold))
    count, labels = cv2.connectedComponents(grown.astype(np.uint8), connectivity=8)
    touching = np.zeros(count, bool)
    touching[np.unique(labels[seed_box])] = True
    touching[0] = False
    out = seed.copy()
    out[box] |= touching[labels]
    return out


#: The flow engine's flow mask and membrane, at a 320 px working grid (scaled
#: with it): hole dilation, growth band and membrane cell in pixels, and the
#: deviation from the camera's motion (pixels) that grows the mask.
FLOW_DILATE = 10
FLOW_BAND = 40
FLOW_CELL = 8
OUTLIER_THRESHOLD = 0.5


class CameraRegion(NamedTuple):
    """The camera's motion around a hole, and where a flow field must be completed.

    Attributes
    ----------
    matrix : ndarray of float64, shape (3, 3), or None
        The camera's homography (identity on a still camera, None when no fit).
    static : bool
        Whether the camera is still (:func:`is_static`).
    camera : ndarray of float32, shape (H, W, 2), or None
        The flow ``matrix`` induces.
    mask : ndarray of bool, shape (H, W)
        The flow mask (:func:`flow_mask`): the dilated hole and the nearby
        region moving unlike the camera.
    """

    matrix: NDArray[np.float64] | None
    static: bool
    camera: NDArray[np.float32] | None
    mask: NDArray[np.bool_]


def camera_region(
    flow: NDArray[np.float32],
    hole: NDArray[np.bool_],
    *,
    dilate: int,
    band: int,
    threshold: float,
    scale: float,
) -> CameraRegion:
    """Fit the camera's homography to ``flow`` away from ``hole`` and grow the flow mask.

    The fit leaves out the hole grown by ``dilate + band // 2`` (what moves
    there is the object's), sampling every ``8 * scale`` pixels; a fit that
    moves no pixel by more than ``0.25 * scale`` is a still camera, whose
    homography is then exactly the identity. ``hole`` must not be empty.

    Parameters
    ----------
    flow : ndarray of float32, shape (H, W, 2)
    hole : ndarray of bool, shape (H, W)
    dilate, band : int
        The flow mask's hole dilation and growth band (working pixels).
    threshold : float
        Deviation from the camera's flow (working pixels) that grows the mask.
    scale : float
        The working grid's scale against a 320 px reference (sampling step
        and still-camera tolerance follow it).
    """
    radius = dilate + band // 2
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))
    exclude = cv2.dilate(hole.astype(np.uint8), kernel) > 0
    matrix = fit_homography(flow, exclude, step=max(2, round(8 * scale)))
    static = is_static(matrix, hole.shape, tol=0.25 * scale)
    if static:
        matrix = np.eye(3)
    camera = homography_flow(matrix, hole.shape) if matrix is not None else None
    mask = flow_mask(hole, flow, camera, dilate=dilate, band=band, threshold=threshold)
    return CameraRegion(matrix, static, camera, mask)


def _laplace_matrix(
    unknown: NDArray[np.bool_], dirichlet: NDArray[np.bool_]
) -> tuple[sp.csc_matrix, NDArray[np.int64], list[tuple[NDArray[np.int64], NDArray[np.int64]]]]:
    """5-point Laplacian over the ``unknown`` cells of a grid.

    Neighbours that are ``dirichlet`` enter the right-hand side; any other
    neighbour (outside the grid, or without data) is a natural (Neumann)
    boundary. Returns the matrix, the flat indices of the unknowns and, for
    building the right-hand side, pairs (row, flat index of the Dirichlet
    neighbour).
    """
    height, width = unknown.shape
    flat = np.flatnonzero(unknown)
    index = np.full(height * width, -1, np.int64)
    index[flat] = np.arange(len(flat))
    ys, xs = np.divmod(flat, width)
    rows, cols = [], []
    diagonal = np.zeros(len(flat), np.float64)
    boundary = []
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < height) & (nx >= 0) & (nx < width)
        rows_in = np.nonzero(inside)[0]
        neighbour = ny[inside] * width + nx[inside]
        is_unknown = index[neighbour] >= 0
        is_fixed = dirichlet.ravel()[neighbour] & ~is_unknown
        link = rows_in[is_unknown]
        rows.append(link)
        cols.append(index[neighbour[is_unknown]])
        diagonal[link] += 1
        fixed_rows = rows_in[is_fixed]
        diagonal[fixed_rows] += 1
        boundary.append((fixed_rows, neighbour[is_fixed]))
    # A tiny pull towards zero keeps a component with no Dirichlet
    # neighbour solvable (it then comes out ~0) without biasing the others.
    diagonal += 1e-6
    row = np.concatenate([np.arange(len(flat))] + rows)
    col = np.concatenate([np.arange(len(flat))] + cols)
    data = np.concatenate([diagonal] + [-np.ones(len(r)) for r in rows])
    matrix = sp.csc_matrix((data, (row, col)), shape=(len(flat), len(flat)))
    return matrix, flat, boundary


def solve_laplace(
    values: NDArray[np.floating], unknown: NDArray[np.bool_], dirichlet: NDArray[np.bool_]
) -> NDArray[np.float32]:
    """Harmonic fill of ``values (h, w, C)`` on the ``unknown`` cells of a grid.

    Known data sits in ``dirichlet`` cells; other cells are ignored
    (Neumann). Direct sparse solve, one factorisation for all channels.
    """
    out = values.astype(np.float32, copy=True)
    if not unknown.any():
        return out
    matrix, flat, boundary = _laplace_matrix(unknown, dirichlet)
    channels = values.shape[-1]
    flat_values = values.reshape(-1, channels).astype(np.float64)
    rhs = np.zeros((len(flat), channels))
    for rows, neighbours in boundary:
        # Each direction meets a row at most once, so plain indexing adds.
        rhs[rows] += flat_values[neighbours]
    # The matrix is symmetric: minimum-degree ordering on A + A^T halves
    # the factor's fill-in against SuperLU's default COLAMD (a 350x410 hole:
    # 8.7 M instead of 15.5 M non-zeros, peak memory +99 MB instead of
    # +177 MB, 0.50 s instead of 0.59 s of CPU) for the same solution.
    solution = spla.splu(matrix, permc_spec="MMD_AT_PLUS_A").solve(rhs)
    out.reshape(-1, channels)[flat] = solution.astype(np.float32)
    return out


class CoarseGrid(NamedTuple):
    """A hole's bounding box aligned to a grid of ``f`` px cells, one cell of margin.

    Membranes are solved per cell of this grid (see :func:`harmonic_fill`):
    :meth:`mean` and :meth:`any` pool pixels into cells, :meth:`paste` brings
    a cell solution back to pixels.
    """

    y0: int
    x0: int
    h: int
    w: int
    f: int

    @classmethod
    def around(cls, unknown: NDArray[np.bool_], factor: int) -> CoarseGrid:
        """The grid over ``unknown``'s bounding box, clipped to the frame."""
        height, width = unknown.shape
        f = max(1, int(factor))
        ys, xs = np.nonzero(unknown)
        y0 = max(0, (ys.min() // f - 1) * f)
        x0 = max(0, (xs.min() // f - 1) * f)
        y1 = min(height, (ys.max() // f + 2) * f)
        x1 = min(width, (xs.max() // f + 2) * f)
        return cls(int(y0), int(x0), int(y1 - y0), int(x1 - x0), f)

    @property
    def box(self) -> tuple[slice, slice]:
        """The grid's pixels in the frame."""
        return slice(self.y0, self.y0 + self.h), slice(self.x0, self.x0 + self.w)

    @property
    def cells(self) -> tuple[int, int]:
        """Rows and columns of cells (the last ones may hang over the frame's edge)."""
        return -(-self.h // self.f), -(-self.w // self.f)

    def _blocks(self, boxed: NDArray, dtype: type) -> NDArray:
        """``boxed`` (an image over :attr:`box`), zero-padded to whole cells, as
        (rows, f, cols, f, ...)."""
        hc, wc = self.cells
        pad = np.zeros((hc * self.f, wc * self.f) + boxed.shape[2:], dtype)
        pad[: self.h, : self.w] = boxed
        return pad.reshape((hc, self.f, wc, self.f) + boxed.shape[2:])

    def _fold(self, blocks: NDArray, combine: np.ufunc) -> NDArray:
        """``combine`` of each cell's pixels, in row-major order within the cell.

        One whole-grid operation per position in a cell (``f * f`` of them)
        instead of NumPy's reduction over axes 1 and 3, which walks the
        strided cells pixel by pixel: about 5x faster for 4 px cells. For
        sums it adds in the same order as ``blocks.sum(axis=(1, 3))`` does
        over (rows, f, cols, f, C) blocks with C >= 2 (so the float64 means of
        the flow and colour fills are bit for bit those of before).
        """
        out = blocks[:, 0, :, 0].copy()
        for k in range(1, self.f * self.f):
            combine(out, blocks[:, k // self.f, :, k % self.f], out=out)
        return out

    def any(self, mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Cells holding any pixel of ``mask`` (frame-sized)."""
        return self._fold(self._blocks(mask[self.box], bool), np.logical_or)

    def mean(
        self, values: NDArray[np.floating], weights: NDArray[np.bool_]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per cell, the mean of ``values`` (H, W, C) over the pixels of ``weights``
        (H, W), and how many there were (a cell without any has mean 0)."""
        inside = weights[self.box]
        count = self._fold(self._blocks(inside, np.float64), np.add)
        total = self._fold(self._blocks(values[self.box] * inside[..., None], np.float64), np.add)
        return total / np.maximum(count, 1)[..., None], count

    def paste(
        self, solved: NDArray[np.floating], out: NDArray[np.float32], unknown: NDArray[np.bool_]
    ) -> None:
        """Upsample a cell solution (bilinear) into ``out`` where ``unknown``."""
        hc, wc = self.cells
        if self.f > 1:
            up = cv2.resize(solved, (wc * self.f, hc * self.f), interpolation=cv2.INTER_LINEAR)
            if up.ndim == 2:
                up = up[..., None]
        else:
            up = solved
        inside = unknown[self.box]
        out[self.box][inside] = up[: self.h, : self.w][inside]


def membrane_box(unknown: NDArray[np.bool_], factor: int) -> tuple[slice, slice]:
    """The only pixels :func:`harmonic_fill` reads or changes for ``unknown`` (non-empty).

    Its coarse grid covers the hole's bounding box plus one cell, starting
    at a multiple of the cell size (or at the frame's edge), so
    ``harmonic_fill(values[box], unknown[box], known=known[box])`` lays the
    same cells over the same pixels and gives the same values inside
    ``unknown`` as the call on whole frames, without a frame-sized copy.
    """
    return CoarseGrid.around(unknown, factor).box


def harmonic_fill(
    values: NDArray[np.floating],
    unknown: NDArray[np.bool_],
    *,
    known: NDArray[np.bool_] | None = None,
    factor: int = 4,
) -> NDArray[np.float32]:
    """Fill ``values`` inside ``unknown`` with a membrane (Laplace) solved on a coarse grid.

    Only the bounding box of ``unknown`` (plus one coarse cell) is solved.
    Coarse cells covering any unknown pixel are unknown, so no distrusted
    value leaks in; coarse known cells take the mean of their known pixels.
    The coarse solution is upsampled bilinearly and pasted inside
    ``unknown``. A linear field is reproduced exactly away from the frame
    border.

    Parameters
    ----------
    values : ndarray, shape (H, W, C) or (H, W)
    unknown : ndarray of bool, shape (H, W)
    known : ndarray of bool, shape (H, W), optional
        Pixels holding valid data; default: all that are not ``unknown``.
        Other pixels act as a free (Neumann) boundary.
    factor : int
        Coarse cell size in pixels (1 solves at full resolution).

    Returns
    -------
    ndarray of float32, same shape as ``values``
    """
    squeeze = values.ndim == 2
    field = values[..., None] if squeeze else values
    out = field.astype(np.float32, copy=True)
    if not unknown.any():
        return out[..., 0] if squeeze else out
    data = ~unknown if known is None else (known & ~unknown)
    grid = CoarseGrid.around(unknown, factor)
    coarse, count = grid.mean(field, data)
    coarse_unknown = grid.any(unknown)
    coarse_known = (count > 0) & ~coarse_unknown
    grid.paste(solve_laplace(coarse, coarse_unknown, coarse_known), out, unknown)
    return out[..., 0] if squeeze else out


def complete_flow(
    flow: NDArray[np.float32],
    mask: NDArray[np.bool_],
    camera_flow: NDArray[np.float32] | None = None,
    *,
    factor: int = 4,
    fill: Callable[[NDArray[np.float32], NDArray[np.bool_]], NDArray[np.float32]] | None = None,
) -> NDArray[np.float32]:
    """Replace ``flow`` inside ``mask`` by a smooth fill from around it.

    With ``camera_flow`` the residual ``flow - camera_flow`` is filled and
    the camera motion added back, so perspective motion across a wide hole
    is kept rather than flattened.

    Parameters
    ----------
    flow : ndarray of float32, shape (H, W, 2)
    mask : ndarray of bool, shape (H, W)
        The flow mask (see :func:`flow_mask`).
    camera_flow : ndarray of float32, shape (H, W, 2), optional
    factor : int
        Coarse grid cell size for the solve.
    fill : callable, optional
        ``fill(field, mask)`` completes the (residual) field inside ``mask``
        instead of :func:`harmonic_fill` (e.g. the edge-guided fill of
        :func:`vidfill.flow.edges.complete_flow_edges`).

    Returns
    -------
    ndarray of float32, shape (H, W, 2)
    """
    if not mask.any():
        return flow.copy()
    if mask.all():
        return (camera_flow if camera_flow is not None else np.zeros_like(flow)).copy()
    if fill is None:

        def fill(field: NDArray[np.float32], unknown: NDArray[np.bool_]) -> NDArray[np.float32]:
            return harmonic_fill(field, unknown, factor=factor)

    if camera_flow is None:
        return fill(flow, mask)
    return fill(flow - camera_flow, mask) + camera_flow
