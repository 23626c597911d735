"""Fusing propagated candidates into one colour, and hiding the seam around the fill.

Propagated colours come from other frames, whose exposure and white balance
differ a little from the frame being filled; pasted as they are, they leave
a visible outline. :func:`boundary_offset` measures the colour difference on
a thin ring around the hole (where both the frame and the propagated colour
are known) and spreads it smoothly into the hole. That is exactly Poisson
(gradient-domain) blending with the propagated image as the guidance field,
and it is solved on a coarse grid because the offset is smooth.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from vidfill.flow.complete import harmonic_fill, membrane_box


def candidate_weights(
    errors: NDArray[np.floating],
    distances: NDArray[np.integer],
    found: NDArray[np.bool_],
    *,
    alpha: float = 0.5,
    tau: float = 30.0,
) -> NDArray[np.float32]:
    """Normalised fusion weights for ``K`` candidates of ``N`` pixels.

    ``w = exp(-error / alpha - distance / tau)`` over the candidates found
    (FGVC weighs by chain consistency with alpha = 0.1 px, nearly a hard
    minimum; a larger alpha averages two good candidates, which lowers noise,
    and the distance term prefers temporally near sources, which change
    less). Weights are computed relative to each pixel's best candidate so
    they never all underflow.

    Parameters
    ----------
    errors : ndarray, shape (K, N)
    distances : ndarray, shape (K, N)
    found : ndarray of bool, shape (K, N)

    Returns
    -------
    ndarray of float32, shape (K, N)
        Rows sum to 1 where any candidate exists, 0 elsewhere.
    """
    score = -np.asarray(errors, np.float32) / alpha - np.asarray(distances, np.float32) / tau
    score = np.where(found, score, -np.inf)
    best = score.max(axis=0)
    best = np.where(np.isfinite(best), best, 0.0)
    weights = np.where(found, np.exp(score - best), 0.0)
    total = weights.sum(axis=0)
    return (weights / np.where(total > 0, total, 1.0)).astype(np.float32)


def fuse(colours: NDArray[np.floating], weights: NDArray[np.floating]) -> NDArray[np.float32]:
    """Weighted sum of candidate colours ``(K, N, 3)`` with weights ``(K, N)``."""
    return np.einsum("kn,knc->nc", weights, colours).astype(np.float32)


def boundary_offset(
    frame: NDArray[np.uint8],
    fill: NDArray[np.floating],
    hole: NDArray[np.bool_],
    ring: NDArray[np.bool_],
    *,
    factor: int = 2,
    skip_below: float = 0.0,
) -> NDArray[np.uint8]:
    """Paste ``fill`` into ``hole`` of ``frame``, corrected by a smooth boundary offset.

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        The frame; its pixels in ``ring`` are the truth at the boundary.
    fill : ndarray of float, shape (H, W, 3)
        Propagated colours, valid in ``hole`` and in ``ring``.
    hole : ndarray of bool, shape (H, W)
    ring : ndarray of bool, shape (H, W)
        Known pixels around the hole where ``fill`` is valid too. It must be
        at least ``factor + 1`` px wide for the coarse solve to see it.
    factor : int
        Coarse grid cell size of the membrane solve.
    skip_below : float
        Skip the correction when no channel's mean ring offset reaches this
        (grey levels): the offset is then noise, and following it would make
        a static fill shimmer.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        ``frame`` with ``hole`` replaced.
    """
    out = frame.copy()
    if not hole.any():
        return out
    ring = ring & ~hole
    values = fill[hole]
    if ring.any():
        mean_offset = (frame[ring].astype(np.float32) - fill[ring]).mean(axis=0)
        if np.abs(mean_offset).max() >= skip_below:
            # Solved over the membrane's own box, not the frame: the same
            # cells, without frame-sized temporaries per frame.
            box = membrane_box(hole, factor)
            near, inside = ring[box], hole[box]
            offset = np.zeros(inside.shape + frame.shape[2:], np.float32)
            offset[near] = frame[box][near].astype(np.float32) - fill[box][near]
            membrane = harmonic_fill(offset, inside, known=near, factor=factor)
            values = values + membrane[inside]
    out[hole] = np.clip(values + 0.5, 0, 255).astype(np.uint8)
    return out
