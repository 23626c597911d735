"""Propagation of source coordinates through neighbouring frames."""

from __future__ import annotations

import cv2
import numpy as np

from vidfill.propagate.local import Candidates, Motion, SparseCandidates, propagate


def _texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), np.uint8)
    return cv2.GaussianBlur(noise, (5, 5), 1.0)


def test_chains_find_the_pixel_where_it_is_visible() -> None:
    # Background panning 2 px/frame to the left; a hole at the same place in
    # every frame except the last, which is fully known.
    count, height, width = 6, 40, 80
    holes = np.zeros((count, height, width), bool)
    holes[:-1, 10:30, 30:50] = True
    sources = ~cv2.dilate(holes.astype(np.uint8).transpose(1, 2, 0), np.ones((3, 3))).astype(
        bool
    ).transpose(2, 0, 1)
    forward = np.zeros((count - 1, height, width, 2), np.float32)
    forward[..., 0] = -2.0
    backward = -forward
    motion = Motion(forward, backward, np.zeros(count - 1, bool))
    # Every non-source pixel is tracked so chains can pass through it.
    tracked = [np.nonzero(~s) for s in sources]
    future, past = propagate(sources, tracked, motion)
    # Every hole pixel of frame 0 reaches a source; through the chain, its
    # position is where the content sits in that source frame.
    cand = future[0]
    assert cand.found.all()
    ys, xs = tracked[0]
    np.testing.assert_allclose(cand.x, xs - 2.0 * cand.t, atol=1e-4)
    np.testing.assert_allclose(cand.y, ys, atol=1e-4)
    # No past exists for frame 0.
    assert not past[0].found.any()


def test_a_cut_stops_propagation() -> None:
    count, height, width = 4, 20, 20
    holes = np.zeros((count, height, width), bool)
    holes[0, 5:10, 5:10] = True
    sources = ~holes
    flows = np.zeros((count - 1, height, width, 2), np.float32)
    motion = Motion(flows, flows.copy(), np.array([True, False, False]))
    future, _ = propagate(sources, [np.nonzero(h) for h in holes], motion)
    assert not future[0].found.any()


def test_an_inconsistent_flow_is_rejected() -> None:
    count, height, width = 2, 20, 30
    holes = np.zeros((count, height, width), bool)
    holes[0, 5:10, 5:10] = True
    forward = np.zeros((1, height, width, 2), np.float32)
    forward[..., 0] = 5.0
    backward = np.zeros_like(forward)  # does not bring the pixels back: occlusion
    motion = Motion(forward, backward, np.zeros(1, bool))
    future, _ = propagate(~holes, [np.nonzero(h) for h in holes], motion)
    assert not future[0].found.any()


def test_a_later_round_extends_the_previous_state_in_place() -> None:
    # The last frame becomes a source only in the second round (a keyframe):
    # pixels found before keep their candidate, the rest now reach it, and the
    # state is not copied (a copy would hold the window's state twice).
    count, height, width = 4, 20, 30
    holes = np.zeros((count, height, width), bool)
    holes[:, 5:10, 5:10] = True
    holes[1:3, 5:10, 15:20] = True
    sources = ~holes
    flows = np.zeros((count - 1, height, width, 2), np.float32)
    motion = Motion(flows, flows.copy(), np.zeros(count - 1, bool))
    tracked = [np.nonzero(h) for h in holes]
    first = propagate(sources, tracked, motion)
    assert not first[0][0].found.any()
    sources[-1] = True
    kept = first[0][0]
    future, past = propagate(sources, tracked, motion, first)
    assert future[0] is kept and future[0].found.all()
    assert (future[0].t == count - 1).all()
    assert future[0].t.dtype == np.int16 and future[0].distance.dtype == np.int16
    assert (future[0].distance == count - 1).all()
    assert isinstance(past[0], Candidates) and not past[0].found.any()


def test_sparse_results_hold_the_same_candidates() -> None:
    count, height, width = 6, 40, 80
    holes = np.zeros((count, height, width), bool)
    holes[:-1, 10:30, 30:50] = True
    sources = ~holes
    forward = np.zeros((count - 1, height, width, 2), np.float32)
    forward[..., 0] = -2.0
    motion = Motion(forward, -forward, np.zeros(count - 1, bool))
    tracked = [np.nonzero(h) for h in holes]
    dense = propagate(sources, tracked, motion)
    sparse = propagate(sources, tracked, motion, sparse=True)
    for want, got in zip(dense[0] + dense[1], sparse[0] + sparse[1], strict=True):
        assert isinstance(got, SparseCandidates)
        assert len(got.rows) == int(want.found.sum())
        full = got.dense()
        np.testing.assert_array_equal(full.found, want.found)
        np.testing.assert_array_equal(got.found, want.found)
        for name in ("t", "x", "y", "error", "distance"):
            np.testing.assert_array_equal(getattr(full, name), getattr(want, name))
