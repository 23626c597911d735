"""Candidates from distant frames, aligned by homography.

Neighbour chains stop at occlusions and at pixels the forward-backward test
rejects. A pixel they miss may still be visible some frames away; mapping it
there through the camera's motion (a homography) finds it. This is FGVC's
non-local step, with homographies instead of learned flow between far frames,
and it gives a still camera an unlimited look-back within the window.

Homographies come from the per-pair fits the flow stage already made
(:func:`homography_chain`), or from feature matching
(:func:`match_homography`) where flow chains are unreliable.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.flow.complete import deviation, homography_flow
from vidfill.propagate.local import Candidates, nearest_pixel


def homography_chain(
    pairs: list[NDArray[np.float64] | None], cuts: NDArray[np.bool_]
) -> list[NDArray[np.float64] | None]:
    """Per-frame homographies into the first frame of each shot.

    Parameters
    ----------
    pairs : list of (3, 3) arrays or None, length T-1
        ``pairs[t]`` maps frame t to frame t+1.
    cuts : ndarray of bool, shape (T-1,)

    Returns
    -------
    list of (3, 3) arrays or None, length T
        ``chain[t]`` maps frame t into its shot's reference frame. A chain
        restarts (with a new reference) at cuts and failed fits, and frames
        of different shots must never be combined: :func:`shot_ids` says
        which share a reference.
    """
    chain: list[NDArray[np.float64] | None] = [np.eye(3)]
    for t, matrix in enumerate(pairs):
        previous = chain[t]
        if cuts[t] or matrix is None or previous is None:
            chain.append(np.eye(3))
            continue
        try:
            chain.append(previous @ np.linalg.inv(matrix))
        except np.linalg.LinAlgError:
            chain.append(np.eye(3))
    return chain


def shot_ids(pairs: list[NDArray[np.float64] | None], cuts: NDArray[np.bool_]) -> NDArray[np.int32]:
    """Which homography reference each frame belongs to (see :func:`homography_chain`)."""
    ids = np.zeros(len(pairs) + 1, np.int32)
    for t, matrix in enumerate(pairs):
        ids[t + 1] = ids[t] + int(bool(cuts[t]) or matrix is None)
    return ids


def off_camera(
    flow: NDArray[np.float32], matrix: NDArray[np.float64] | None, threshold: float
) -> NDArray[np.bool_]:
    """Pixels whose flow departs from the camera's homography by more than ``threshold`` px.

    A homography aligns the background of a distant frame, not the people and
    cars that moved meanwhile: a pixel of frame k that moves unlike the
    camera is most likely such an object, and copying it into frame t's hole
    pastes it where it never was (a ghost). Compared per component (max of
    |du|, |dv|). With no homography every pixel is trusted.
    """
    if matrix is None:
        return np.zeros(flow.shape[:2], bool)
    camera = homography_flow(matrix, flow.shape[:2])
    return deviation(flow, camera) > threshold


@dataclass
class Features:
    """ORB keypoints (x, y) and their binary descriptors, of one frame."""

    points: NDArray[np.float32]
    descriptors: NDArray[np.uint8] | None


#: Fewest RANSAC inliers for a feature-matched homography to be trusted.
MIN_INLIERS = 12


def orb_features(
    grey: NDArray[np.uint8], hole: NDArray[np.bool_] | None = None, *, features: int = 800
) -> Features:
    """ORB features of a grey frame, none on ``hole`` pixels (they show the removed object)."""
    keep = None if hole is None else (~hole).astype(np.uint8) * 255
    keypoints, descriptors = cv2.ORB_create(features).detectAndCompute(grey, keep)
    points = np.float32([k.pt for k in keypoints]).reshape(-1, 2)
    return Features(points, descriptors)


def match_features(a: Features, b: Features) -> NDArray[np.float64] | None:
    """Homography from frame a to frame b by cross-checked matching and RANSAC.

    Returns None when fewer than :data:`MIN_INLIERS` matches agree.
    """
    if a.descriptors is None or b.descriptors is None:
        return None
    if min(len(a.points), len(b.points)) < MIN_INLIERS:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(a.descriptors, b.descriptors)
    if len(matches) < MIN_INLIERS:
        return None
    src = a.points[[m.queryIdx for m in matches]]
    dst = b.points[[m.trainIdx for m in matches]]
    matrix, inliers = cv2.findHomography(src, dst, cv2.RANSAC, 2.0)
    if matrix is None or inliers is None or inliers.sum() < MIN_INLIERS:
        return None
    return matrix


def match_homography(
    grey_a: NDArray[np.uint8],
    grey_b: NDArray[np.uint8],
    mask_a: NDArray[np.bool_] | None = None,
    mask_b: NDArray[np.bool_] | None = None,
    *,
    features: int = 800,
) -> NDArray[np.float64] | None:
    """Homography from frame a to frame b by ORB matching and RANSAC.

    ``mask_a`` / ``mask_b`` mark pixels (holes) where no feature may lie.
    Returns None when fewer than 12 matches survive.
    """
    return match_features(
        orb_features(grey_a, mask_a, features=features),
        orb_features(grey_b, mask_b, features=features),
    )


class FeatureCache:
    """ORB features of a window's frames, computed on first use.

    Parameters
    ----------
    frames : uint8 (T, H, W, 3)
    sources : bool (T, H, W)
        Where features may lie (known pixels away from holes).
    """

    def __init__(self, frames: NDArray[np.uint8], sources: NDArray[np.bool_]) -> None:
        self._frames = frames
        self._sources = sources
        self._features: dict[int, Features] = {}

    def __call__(self, t: int) -> Features:
        if t not in self._features:
            grey = cv2.cvtColor(self._frames[t], cv2.COLOR_RGB2GRAY)
            self._features[t] = orb_features(grey, ~self._sources[t])
        return self._features[t]

    def homography(self, t: int, k: int) -> NDArray[np.float64] | None:
        """Frame t to frame k, by feature matching."""
        return match_features(self(t), self(k))


def distant_candidates(
    sources: NDArray[np.bool_],
    tracked: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
    wanted: list[NDArray[np.bool_]],
    chain: list[NDArray[np.float64] | None],
    *,
    shots: NDArray[np.int32] | None = None,
    frames: NDArray[np.uint8] | None = None,
    rings: list[tuple[NDArray[np.intp], NDArray[np.intp]]] | None = None,
    max_ring_error: float = 10.0,
    stride: int = 3,
    nearest: int = 8,
    error: float = 1.0,
    compact: bool = False,
    matcher: FeatureCache | None = None,
) -> list[Candidates | None]:
    """For the ``wanted`` tracked pixels, the nearest keyframe that shows them.

    Keyframes are every ``stride``-th frame (and every frame made a source
    entirely, such as carried context and spatially filled keyframes) of the
    same shot. For each pixel the ``nearest`` keyframes in time are tried in
    order of distance, mapping through ``chain``; the first where the pixel
    lands on a source pixel wins.

    Parameters
    ----------
    sources : ndarray of bool, shape (T, H, W)
    tracked : list of (ys, xs)
    wanted : list of bool arrays, aligned with ``tracked``
    chain : list of (3, 3) arrays or None
        From :func:`homography_chain`.
    shots : ndarray of int32, shape (T,), optional
        Shot of each frame; frames of different shots are never combined.
    frames : ndarray of uint8, shape (T, H, W, 3), optional
    rings : list of (ys, xs), optional
        Known pixels around each frame's hole. With ``frames``, a keyframe is
        used for frame t only if the homography maps t's ring onto pixels of
        the keyframe with a mean absolute colour error below
        ``max_ring_error`` grey levels: chained homographies drift under
        parallax and fast motion, and a misaligned copy is worse than a
        smooth spatial fill.
    error : float
        Error assigned to these candidates (px), so that a good neighbour
        chain outweighs a homography alignment.
    compact : bool
        Return candidates for the wanted pixels only, aligned with
        ``np.flatnonzero(wanted[t])``, instead of for every tracked pixel:
        the neighbour sweeps usually find most pixels, and a full-length set
        per frame would hold state for pixels that never ask.
    matcher : FeatureCache, optional
        Where the chained homography fails the ring test, the pair is aligned
        again by matching features between the two frames directly (a chain
        of pairwise fits drifts over many frames; a direct match does not)
        and used if that passes the test.

    Returns
    -------
    list of Candidates or None
        None for frames with nothing wanted.
    """
    count, height, width = sources.shape
    if shots is None:
        shots = np.zeros(count, np.int32)
    full = sources.all(axis=(1, 2))
    keyframes = np.array(
        [k for k in range(count) if (k % stride == 0 or full[k]) and chain[k] is not None]
    )
    out: list[Candidates | None] = [None] * count
    for t in range(count):
        ys, xs = tracked[t]
        want = wanted[t]
        if chain[t] is None or not want.any() or len(keyframes) == 0:
            continue
        same = keyframes[(shots[keyframes] == shots[t]) & (keyframes != t)]
        order = same[np.argsort(np.abs(same - t), kind="stable")][:nearest]
        pending = np.nonzero(want)[0]
        points = np.stack([xs[pending], ys[pending]], axis=1).astype(np.float64)
        # From here ``pending`` indexes rows of ``cand``: tracked pixels, or
        # the wanted ones when compact.
        if compact:
            cand = Candidates.empty(len(pending))
            pending = np.arange(len(pending))
        else:
            cand = Candidates.empty(len(ys))
        # t's ring is tested against up to ``nearest`` keyframes: its points
        # and colours are gathered once.
        probe = None if frames is None or rings is None else RingProbe.of(frames, rings[t], t)
        for k in order:
            if len(pending) == 0:
                break
            chained = np.linalg.inv(chain[k]) @ chain[t]
            if probe is None:
                matrix = chained
            else:
                matrix = _checked(frames, sources, probe, int(k), chained, max_ring_error, matcher)
            if matrix is None:
                continue
            mapped = cv2.perspectiveTransform(points[None], matrix)[0]
            mx, my = mapped[:, 0], mapped[:, 1]
            inside = (mx >= 0) & (mx <= width - 1) & (my >= 0) & (my <= height - 1)
            ry, rx = nearest_pixel(mx, my, height, width)
            # A 1-D gather from the keyframe's plane: a third of the time of
            # indexing the stack with (k, ry, rx).
            hit = inside & sources[k].ravel()[ry * width + rx]
            if not hit.any():
                # Most tries land in the keyframe's own hole (a still
                # camera): nothing to record, and nothing leaves the pending set.
                continue
            rows = pending[hit]
            cand.t[rows] = k
            cand.x[rows] = mx[hit]
            cand.y[rows] = my[hit]
            cand.error[rows] = error
            cand.distance[rows] = abs(int(k) - t)
            pending = pending[~hit]
            points = points[~hit]
        out[t] = cand
    return out


def _checked(
    frames: NDArray[np.uint8],
    sources: NDArray[np.bool_],
    probe: RingProbe,
    k: int,
    matrix: NDArray[np.float64],
    max_error: float,
    matcher: FeatureCache | None,
) -> NDArray[np.float64] | None:
    """``matrix`` if it aligns the probe's ring with k, else a feature-matched one that does,
    else None."""
    if probe.aligned(frames, sources, k, matrix, max_error):
        return matrix
    if matcher is None:
        return None
    matched = matcher.homography(probe.t, k)
    if matched is not None and probe.aligned(frames, sources, k, matched, max_error):
        return matched
    return None


@dataclass
class RingProbe:
    """Frame t's ring, ready to be mapped into other frames (see :func:`ring_aligned`).

    Attributes
    ----------
    t : int
        The frame.
    points : ndarray of float64, shape (1, N, 2)
        The ring pixels as (x, y), laid out for ``cv2.perspectiveTransform``.
    colours : ndarray of int16, shape (N, C) (or (N,) for grey frames)
        Their colours in frame t.
    """

    t: int
    points: NDArray[np.float64]
    colours: NDArray[np.int16]

    @classmethod
    def of(
        cls, frames: NDArray[np.uint8], ring: tuple[NDArray[np.intp], NDArray[np.intp]], t: int
    ) -> RingProbe:
        """The probe of ``ring`` (ys, xs) in frame ``t`` of ``frames``."""
        ys, xs = ring
        points = np.stack([xs, ys], axis=1).astype(np.float64)[None]
        return cls(t, points, frames[t, ys, xs].astype(np.int16))

    def aligned(
        self,
        frames: NDArray[np.uint8],
        sources: NDArray[np.bool_],
        k: int,
        matrix: NDArray[np.float64],
        max_error: float,
    ) -> bool:
        """Whether ``matrix`` maps the ring onto matching colours of frame k.

        The ring's pixels are rounded to the nearest pixel of k; those off
        the frame or off k's sources are left out, and fewer than 16 left is
        a failure. Otherwise the mean absolute colour difference (over
        pixels and channels) must stay below ``max_error`` grey levels.
        """
        count = self.points.shape[1]
        if count < 16:
            return False
        height, width = sources.shape[1:]
        mapped = cv2.perspectiveTransform(self.points, matrix)[0]
        rx = np.rint(mapped[:, 0]).astype(np.intp)
        ry = np.rint(mapped[:, 1]).astype(np.intp)
        rows = np.flatnonzero((rx >= 0) & (rx < width) & (ry >= 0) & (ry < height))
        # Flat indices into frame k's plane: 1-D gathers are several times
        # faster than indexing the stacks with (k, ry, rx).
        spot = ry[rows] * width + rx[rows]
        usable = sources[k].ravel()[spot]
        rows, spot = rows[usable], spot[usable]
        if len(rows) < 16:
            return False
        seen = frames[k].reshape(height * width, *frames.shape[3:])[spot].astype(np.int16)
        diff = np.abs(seen - self.colours[rows])
        return float(diff.mean()) < max_error


def ring_aligned(
    frames: NDArray[np.uint8],
    sources: NDArray[np.bool_],
    ring: tuple[NDArray[np.intp], NDArray[np.intp]],
    t: int,
    k: int,
    matrix: NDArray[np.float64],
    max_error: float,
) -> bool:
    """Whether ``matrix`` maps frame t's ring onto matching colours of frame k.

    See :meth:`RingProbe.aligned`; testing one ring against several frames,
    make the probe once.
    """
    return RingProbe.of(frames, ring, t).aligned(frames, sources, k, matrix, max_error)
