"""A colour check for chains the forward-backward test could not judge.

Inside a hole both flows of a pair are fills, so the forward-backward test
there measures whether two fills agree, not whether the content a chain
points at is really behind the hole: it rejects good chains whose two fills
were fitted apart, and passes bad ones whose fills agree. Chains that took
such a step come out of :func:`vidfill.propagate.local.sweep` marked
``relaxed``, and are judged here the way distant frames are (see
:func:`vidfill.propagate.distant.distant_candidates`): per source frame, the
relaxed chains of frame t give point correspondences from t's hole into that
frame; an affine map fitted to them is extended to the known ring around t's
hole, and the chains are kept only if it maps the ring onto matching
colours. A chain that lands on the wrong content (far background pasted
over a region the camera follows) also misplaces the ring around it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from vidfill.propagate.distant import ring_aligned
from vidfill.propagate.local import CandidateSet, SparseCandidates

#: Verdicts already reached in a window: (frame, source frame) -> the affine
#: map (as a 3x3 homography) the ring vouched for, or None where it failed.
Verdicts = dict[tuple[int, int], NDArray[np.float64] | None]


def verify_relaxed(
    cands: CandidateSet,
    tracked: tuple[NDArray[np.intp], NDArray[np.intp]],
    ring: tuple[NDArray[np.intp], NDArray[np.intp]],
    t: int,
    frames: NDArray[np.uint8],
    sources: NDArray[np.bool_],
    *,
    verdicts: Verdicts | None = None,
    max_error: float = 10.0,
    min_points: int = 12,
    tolerance: float = 3.0,
    max_points: int = 256,
) -> int:
    """Judge the relaxed candidates of frame ``t`` in place by the ring test.

    Candidates of a source frame whose fitted map fails the ring test, or
    that lie off the map that passed, lose their source; the others lose
    their ``relaxed`` mark (verified, they are not judged again).

    Parameters
    ----------
    cands : Candidates or SparseCandidates
        One sweep's candidates for frame ``t``'s tracked pixels.
    tracked : (ys, xs)
        Frame ``t``'s tracked pixels, aligned with ``cands``.
    ring : (ys, xs)
        Known pixels around frame ``t``'s hole to check against.
    frames : ndarray of uint8, shape (T, H, W, 3)
    sources : ndarray of bool, shape (T, H, W)
        Pixels of each frame the ring may be compared with.
    verdicts : dict, optional
        Verdicts of earlier calls for this sweep direction, reused and
        extended: chains into a source judged in an earlier round are held
        to the same map.
    max_error : float
        Largest mean absolute colour difference on the ring (grey levels).
    min_points : int
        Fewest relaxed chains into one source frame to fit a map to; fewer
        are dropped unjudged.
    tolerance : float
        Distance (working px) from the fitted map beyond which a chain is
        an outlier: the map is refitted without them, fails if they are
        most of the group, and they are dropped even when the ring matches
        (the map is what the ring vouches for).
    max_points : int
        Correspondences used for a fit (an even subsample of more).

    Returns
    -------
    int
        How many candidates were dropped.
    """
    values = cands.values if isinstance(cands, SparseCandidates) else cands
    pending = np.flatnonzero(values.relaxed & (values.t >= 0))
    if len(pending) == 0:
        return 0
    if verdicts is None:
        verdicts = {}
    # Grouped by source frame with one sort, not one scan per source.
    pending = pending[np.argsort(values.t[pending], kind="stable")]
    firsts, starts = np.unique(values.t[pending], return_index=True)
    # Rows of the tracked set for the pending candidates.
    pixels = cands.rows[pending] if isinstance(cands, SparseCandidates) else pending
    ys, xs = tracked
    here = np.stack([xs[pixels], ys[pixels]], axis=1).astype(np.float64)
    there = np.stack([values.x[pending], values.y[pending]], axis=1).astype(np.float64)
    keep = np.zeros(len(pending), bool)
    for source, begin, end in zip(firsts, starts, [*starts[1:], len(pending)], strict=True):
        key = (t, int(source))
        span = slice(begin, end)
        if key not in verdicts:
            if end - begin < min_points:
                # Too few to judge: dropped now, a later round may bring more.
                continue
            verdicts[key] = _vouched(
                here[span],
                there[span],
                ring,
                t,
                int(source),
                frames,
                sources,
                max_error=max_error,
                tolerance=tolerance,
                max_points=max_points,
            )
        matrix = verdicts[key]
        if matrix is not None:
            keep[span] = _residual(matrix, here[span], there[span]) <= tolerance
    values.t[pending[~keep]] = -1
    values.relaxed[pending[keep]] = False
    return int((~keep).sum())


def _residual(
    matrix: NDArray[np.float64], here: NDArray[np.float64], there: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distance between ``there`` and ``here`` mapped by the affine ``matrix``."""
    mapped = here @ matrix[:2, :2].T + matrix[:2, 2]
    return np.hypot(*(mapped - there).T)


def _fit_affine(
    here: NDArray[np.float64], there: NDArray[np.float64]
) -> NDArray[np.float64] | None:
    """Least-squares affine map ``here -> there`` as a 3x3 matrix; None if degenerate."""
    design = np.column_stack([here, np.ones(len(here))])
    solution, _, rank, _ = np.linalg.lstsq(design, there, rcond=None)
    if rank < 3:
        return None
    return np.vstack([solution.T, [0.0, 0.0, 1.0]])


def _vouched(
    here: NDArray[np.float64],
    there: NDArray[np.float64],
    ring: tuple[NDArray[np.intp], NDArray[np.intp]],
    t: int,
    source: int,
    frames: NDArray[np.uint8],
    sources: NDArray[np.bool_],
    *,
    max_error: float,
    tolerance: float,
    max_points: int,
) -> NDArray[np.float64] | None:
    """The affine map fitted to one group of chains, if the ring confirms it; else None.

    Affine, not a homography: over a hole the chains' map is close to
    affine, and a least-squares fit with one refit on the inliers costs
    microseconds where RANSAC cost milliseconds a group.
    """
    step = max(1, len(here) // max_points)
    here, there = here[::step], there[::step]
    matrix = _fit_affine(here, there)
    if matrix is None:
        return None
    inliers = _residual(matrix, here, there) <= tolerance
    if inliers.mean() < 0.5:
        return None
    matrix = _fit_affine(here[inliers], there[inliers])
    if matrix is None:
        return None
    if not ring_aligned(frames, sources, ring, t, source, matrix, max_error):
        return None
    return matrix
