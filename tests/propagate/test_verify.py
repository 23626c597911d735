"""The ring test of chains the forward-backward test could not judge."""

from __future__ import annotations

import cv2
import numpy as np

from vidfill.propagate.local import Candidates, SparseCandidates
from vidfill.propagate.verify import verify_relaxed

HEIGHT, WIDTH, SHIFT = 60, 90, 6


def _texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), np.uint8)
    return cv2.GaussianBlur(noise, (5, 5), 1.0)


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple, tuple]:
    """Two frames of a background panning SHIFT px left; frame 0 has a square hole.

    Returns the frames, the sources, the hole, the hole's pixels (tracked)
    and the known ring 2-6 px around it.
    """
    canvas = _texture(HEIGHT, WIDTH + SHIFT)
    frames = np.stack([canvas[:, :WIDTH], canvas[:, SHIFT : SHIFT + WIDTH]])
    hole = np.zeros((HEIGHT, WIDTH), bool)
    hole[20:40, 30:50] = True
    sources = np.ones((2, HEIGHT, WIDTH), bool)
    sources[0] = ~cv2.dilate(hole.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    around = cv2.dilate(hole.astype(np.uint8), np.ones((13, 13), np.uint8)).astype(bool)
    ring = np.nonzero(around & sources[0])
    return frames, sources, hole, np.nonzero(hole), ring


def _chains(tracked: tuple, offset: float, relaxed: bool = True) -> Candidates:
    """Candidates of frame 0's hole pixels in frame 1, ``offset`` px off the content's place."""
    ys, xs = tracked
    cand = Candidates.empty(len(ys))
    cand.t[:] = 1
    cand.x[:] = xs - SHIFT + offset
    cand.y[:] = ys
    cand.distance[:] = 1
    cand.relaxed[:] = relaxed
    return cand


def test_chains_onto_the_content_are_kept_and_marked_verified() -> None:
    frames, sources, _, tracked, ring = _scene()
    cand = _chains(tracked, 0.0)
    dropped = verify_relaxed(cand, tracked, ring, 0, frames, sources)
    assert dropped == 0
    assert cand.found.all() and not cand.relaxed.any()


def test_chains_onto_the_wrong_content_are_dropped() -> None:
    # A consistent map (every chain off by the same 9 px) that the ring
    # around the hole shows to be wrong.
    frames, sources, _, tracked, ring = _scene()
    cand = _chains(tracked, 9.0)
    dropped = verify_relaxed(cand, tracked, ring, 0, frames, sources)
    assert dropped == len(cand.t)
    assert not cand.found.any()


def test_only_relaxed_chains_are_judged() -> None:
    frames, sources, _, tracked, ring = _scene()
    cand = _chains(tracked, 9.0, relaxed=False)
    assert verify_relaxed(cand, tracked, ring, 0, frames, sources) == 0
    assert cand.found.all()


def test_chains_off_the_vouched_map_are_dropped() -> None:
    frames, sources, _, tracked, ring = _scene()
    cand = _chains(tracked, 0.0)
    stray = np.arange(len(cand.t)) % 10 == 0
    cand.x[stray] += 15.0
    dropped = verify_relaxed(cand, tracked, ring, 0, frames, sources)
    assert dropped == int(stray.sum())
    np.testing.assert_array_equal(cand.found, ~stray)


def test_too_few_chains_into_a_source_are_dropped_unjudged() -> None:
    frames, sources, _, tracked, ring = _scene()
    cand = _chains(tracked, 0.0)
    cand.relaxed[:] = False
    cand.relaxed[:5] = True
    assert verify_relaxed(cand, tracked, ring, 0, frames, sources, min_points=12) == 5
    assert not cand.found[:5].any() and cand.found[5:].all()


def test_sparse_candidates_and_cached_verdicts() -> None:
    frames, sources, _, tracked, ring = _scene()
    good = _chains(tracked, 0.0).sparse()
    assert isinstance(good, SparseCandidates)
    verdicts: dict = {}
    assert verify_relaxed(good, tracked, ring, 0, frames, sources, verdicts=verdicts) == 0
    assert verdicts[(0, 1)] is not None
    # The verdict is reused: chains that come back later into the same
    # source are judged against the map already vouched for.
    wrong = _chains(tracked, 9.0)
    assert verify_relaxed(wrong, tracked, ring, 0, frames, sources, verdicts=verdicts) == len(
        wrong.t
    )
    failed: dict = {}
    verify_relaxed(_chains(tracked, 9.0), tracked, ring, 0, frames, sources, verdicts=failed)
    assert failed[(0, 1)] is None
