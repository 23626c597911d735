"""A colour check for chains the forward-backward test could not judge.

Inside a hole both flows of a pair are fills, so the forward-backward test
there measures whether two fills agree, not whether the content a chain
points at is really behind the hole: it rejects good chains whose two fills
were fitted apart, and passes bad ones whose fills agree. Chains that took
such a step come out of :func:`vidfill.propagate.local.sweep` marked
``relaxed``, and are judged here the way distant frames are (see
:func:`vidfill.propagate.distant.distant_candidates`): per source frame, the
relaxed chains of frame t give point correspondences from t's hole into that
frame; a homography fitted to them is extended to the known ring around t's
hole, and the chains are kept only if it maps the ring onto matching
colours. A chain that lands on the wrong content (far background pasted
over a region the camera follows) also misplaces the ring around it.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.propagate.distant import ring_aligned
from vidfill.propagate.local import CandidateSet, SparseCandidates

#: Verdicts already reached in a window: (frame, source frame) -> the
#: homography the ring vouched for, or None where it failed.
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
    tolerance: float = 1.5,
    max_points: int = 200,
    max_iters: int = 200,
) -> int:
    """Drop (in place) the relaxed candidates of frame ``t`` whose source fails the ring test.

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
        extended: a keyframe round propagates the dropped pixels again, and
        the same chains come back.
    max_error : float
        Largest mean absolute colour difference on the ring (grey levels).
    min_points : int
        Fewest relaxed chains into one source frame to fit a homography to;
        fewer are dropped unjudged.
    tolerance : float
        RANSAC inlier distance (working px). Chains more than twice as far
        off the fitted homography are dropped even when the ring matches:
        the homography is what the ring vouches for.
    max_points, max_iters : int
        Correspondences used for a fit (an even subsample of more), and
        RANSAC iterations: a group that needs more is too incoherent to
        vouch for (OpenCV's default of 2000 cost 5 ms a fit).

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
    # Rows of the tracked set for the pending candidates.
    pixels = cands.rows[pending] if isinstance(cands, SparseCandidates) else pending
    ys, xs = tracked
    sources_of = values.t[pending]
    dropped = 0
    for source in np.unique(sources_of):
        in_group = sources_of == source
        group = pending[in_group]
        here = np.stack([xs[pixels[in_group]], ys[pixels[in_group]]], axis=1).astype(np.float64)
        there = np.stack([values.x[group], values.y[group]], axis=1).astype(np.float64)
        key = (t, int(source))
        if key not in verdicts:
            if len(group) < min_points:
                # Too few to judge now; a later round may bring more.
                values.t[group] = -1
                dropped += len(group)
                continue
            verdicts[key] = _vouched(
                here,
                there,
                ring,
                t,
                int(source),
                frames,
                sources,
                max_error=max_error,
                tolerance=tolerance,
                max_points=max_points,
                max_iters=max_iters,
            )
        matrix = verdicts[key]
        if matrix is None:
            keep = np.zeros(len(group), bool)
        else:
            mapped = cv2.perspectiveTransform(here[None], matrix)[0]
            keep = np.hypot(*(mapped - there).T) <= 2 * tolerance
        drop = group[~keep]
        values.t[drop] = -1
        dropped += len(drop)
    return dropped


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
    max_iters: int,
) -> NDArray[np.float64] | None:
    """The homography fitted to one group of chains, if the ring confirms it; else None."""
    step = max(1, len(here) // max_points)
    matrix, _ = cv2.findHomography(
        here[::step].astype(np.float32),
        there[::step].astype(np.float32),
        cv2.RANSAC,
        tolerance,
        maxIters=max_iters,
    )
    if matrix is None or not np.all(np.isfinite(matrix)):
        return None
    if not ring_aligned(frames, sources, ring, t, source, matrix, max_error):
        return None
    return matrix
