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


def test_sparse_and_dense_later_rounds_agree() -> None:
    # Round 2 makes frame 3 a source (a keyframe): the frames before it find
    # new chains, the frames after it find nothing new and pass their stored
    # candidates on to the chains that inherit from them.
    count, height, width = 8, 40, 80
    holes = np.zeros((count, height, width), bool)
    holes[:, 10:30, 30:50] = True
    holes[-1] = False
    holes[-1, 10:30, 40:60] = True
    sources = ~cv2.dilate(holes.astype(np.uint8).transpose(1, 2, 0), np.ones((3, 3))).astype(
        bool
    ).transpose(2, 0, 1)
    forward = np.zeros((count - 1, height, width, 2), np.float32)
    forward[..., 0] = -2.0
    motion = Motion(forward, -forward, np.zeros(count - 1, bool))
    tracked = [np.nonzero(~s) for s in sources]
    rounds = {}
    for sparse in (False, True):
        offered = sources.copy()
        first = propagate(offered, tracked, motion, sparse=sparse)
        before = [c.dense().found.copy() for c in first[0] + first[1]]
        offered[3] = True
        rounds[sparse] = propagate(offered, tracked, motion, first, sparse=sparse)
        after = [c.dense().found for c in rounds[sparse][0] + rounds[sparse][1]]
        changed = [bool((a & ~b).any()) for a, b in zip(after, before, strict=True)]
        assert any(changed) and not all(changed)
    dense, sparse = rounds[False], rounds[True]
    for want, got in zip(dense[0] + dense[1], sparse[0] + sparse[1], strict=True):
        assert isinstance(got, SparseCandidates)
        full = got.dense()
        for name in ("t", "x", "y", "error", "distance", "relaxed"):
            np.testing.assert_array_equal(getattr(full, name), getattr(want, name))


def _fitted_apart(count: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Forward flow 5 px right, backward flow zero (the two fills disagree)."""
    forward = np.zeros((count - 1, height, width, 2), np.float32)
    forward[..., 0] = 5.0
    return forward, np.zeros_like(forward)


def test_a_step_through_completed_flow_passes_unjudged_and_is_marked() -> None:
    count, height, width = 2, 20, 30
    holes = np.zeros((count, height, width), bool)
    holes[0, 5:10, 5:10] = True
    forward, backward = _fitted_apart(count, height, width)
    filled = np.zeros((count - 1, height, width), bool)
    filled[0, 3:12, 3:12] = True
    motion = Motion(forward, backward, np.zeros(1, bool), 1.0, filled, np.zeros_like(filled))
    future, _ = propagate(~holes, [np.nonzero(h) for h in holes], motion)
    assert future[0].found.all() and future[0].relaxed.all()
    np.testing.assert_allclose(future[0].x, np.nonzero(holes[0])[1] + 5.0)
    # Where neither flow was completed the failing test still rejects.
    outside = Motion(forward, backward, np.zeros(1, bool), 1.0, ~filled, np.zeros_like(filled))
    future, _ = propagate(~holes, [np.nonzero(h) for h in holes], outside)
    assert not future[0].found.any()


def test_a_consistent_step_is_not_marked_and_marks_are_inherited() -> None:
    # Frame 2 is the only source; the step 1 -> 2 is consistent, the step
    # 0 -> 1 goes through completed flow and fails the test.
    count, height, width = 3, 20, 40
    holes = np.zeros((count, height, width), bool)
    holes[:2, 5:10, 5:15] = True
    forward = np.zeros((count - 1, height, width, 2), np.float32)
    forward[..., 0] = 2.0
    backward = -forward
    backward[0] = 0.0
    filled = np.zeros((count - 1, height, width), bool)
    filled[0] = True
    motion = Motion(forward, backward, np.zeros(2, bool), 1.0, filled, np.zeros_like(filled))
    tracked = [np.nonzero(h) for h in holes]
    future, _ = propagate(~holes, tracked, motion)
    # Frame 1's pixels land on frame 2 (all source) through estimated flow.
    assert future[1].found.all() and not future[1].relaxed.any()
    # Frame 0's chains run through frame 1's hole and inherit; they took the
    # unjudged step, so they are marked.
    assert future[0].found.any()
    assert future[0].relaxed[future[0].found].all()
