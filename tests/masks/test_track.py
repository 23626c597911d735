"""Box tracking: a textured object over a panning textured background."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.masks.synthetic import (
    faint_object_clip,
    iou,
    moving_object_clip,
    occluded_clip,
    texture,
)
from vidfill.errors import MaskError
from vidfill.masks.track import HybridTracker, PointTracker, Track, box_to_mask, track_box


@pytest.mark.parametrize("method", ["hybrid", "csrt", "points"])
def test_tracks_forward_and_backward_from_a_middle_frame(method: str) -> None:
    frames, truth = moving_object_clip()
    at = 15
    track = track_box(frames, truth[at], at, method=method, follow_shape=False)
    overlaps = [iou(b, t) for b, t in zip(track.boxes, truth, strict=True)]
    assert min(overlaps) > 0.6, overlaps
    assert np.mean(overlaps) > 0.75
    assert track.boxes[at] == pytest.approx(truth[at])
    assert not any(track.lost)


def test_box_grows_with_the_object() -> None:
    frames, truth = moving_object_clip()
    track = track_box(frames, truth[0], 0, method="points", follow_shape=False)
    ratio = track.boxes[-1][2] / track.boxes[0][2]
    assert ratio == pytest.approx(truth[-1][2] / truth[0][2], abs=0.12)


def test_a_second_keyframe_corrects_the_track() -> None:
    frames, truth = moving_object_clip()
    wrong = (truth[0][0] + 8, truth[0][1] + 6, truth[0][2], truth[0][3])
    alone = track_box(frames, wrong, 0, method="points")
    fixed = track_box(frames, wrong, 0, keyframes=[(truth[-1], len(frames) - 1)], method="points")
    last = len(frames) - 1
    assert iou(fixed.boxes[last], truth[last]) > 0.95
    assert iou(fixed.boxes[last], truth[last]) > iou(alone.boxes[last], truth[last])


@pytest.mark.parametrize("method", ["hybrid", "csrt", "points"])
def test_object_leaving_the_frame_is_flagged(method: str) -> None:
    frames, truth = moving_object_clip(exit_right=True)
    track = track_box(frames, truth[0], 0, method=method)
    assert not any(track.lost[:10])
    assert track.lost[-1]
    assert track.lost_ranges()[-1][1] == len(frames) - 1


def test_bad_keyframes_are_refused() -> None:
    frames, truth = moving_object_clip(count=5)
    with pytest.raises(MaskError, match="beyond"):
        track_box(frames, truth[0], 7)
    with pytest.raises(MaskError, match="outside"):
        track_box(frames, (500, 500, 10, 10), 0)


def test_track_helpers() -> None:
    track = Track(boxes=[(1.5, 2.2, 3.0, 3.0)], confidence=[1.0], lost=[False])
    assert track.int_boxes() == [(1, 2, 4, 4)]
    mask = box_to_mask((-5, -5, 10, 10), (8, 8))
    assert mask.sum() == 25


def covered(box: tuple[float, ...], truth: tuple[float, ...]) -> float:
    """Share of the ``truth`` box inside ``box``."""
    ix = max(0.0, min(box[0] + box[2], truth[0] + truth[2]) - max(box[0], truth[0]))
    iy = max(0.0, min(box[1] + box[3], truth[1] + truth[3]) - max(box[1], truth[1]))
    return ix * iy / (truth[2] * truth[3])


def test_following_the_shape_grows_boxes_to_hold_the_object() -> None:
    frames, truth = moving_object_clip()
    at = 15
    plain = track_box(frames, truth[at], at, follow_shape=False)
    shaped = track_box(frames, truth[at], at)
    # The user's box is kept on its frame; elsewhere the box holds the object
    # at least as well as the plain track and stays within a few times its size.
    assert shaped.boxes[at] == pytest.approx(truth[at])
    shares = [covered(b, t) for b, t in zip(shaped.boxes, truth, strict=True)]
    plain_shares = [covered(b, t) for b, t in zip(plain.boxes, truth, strict=True)]
    assert min(shares) > 0.97, shares
    assert min(shares) >= min(plain_shares)
    areas = [b[2] * b[3] / (t[2] * t[3]) for b, t in zip(shaped.boxes, truth, strict=True)]
    assert max(areas) < 3.0, areas
    # Supports are kept for refinement, at full resolution on request.
    mask = shaped.support_mask(at, frames[0].shape[:2])
    assert mask is not None and mask.sum() == truth[at][2] * truth[at][3]
    assert plain.support_mask(at, frames[0].shape[:2]) is None


class _Fixed:
    """A stand-in tracker that always answers the same box."""

    def __init__(self, box: tuple[float, ...], confidence: float) -> None:
        self.box, self.confidence = box, confidence
        self.restarted: tuple[float, ...] | None = None

    def step(self, prev: np.ndarray, nxt: np.ndarray, box: tuple[float, ...]) -> tuple:
        return self.box, self.confidence

    def restart(self, gray: np.ndarray, box: tuple[float, ...]) -> None:
        self.restarted = box


@pytest.mark.parametrize(("csrt_x", "winner"), [(56.0, "csrt"), (100.0, "points")])
def test_hybrid_refuses_a_far_csrt_jump(csrt_x: float, winner: str) -> None:
    # The frame is bright where CSRT's box lands, so CSRT looks more like the object
    # (bright on the first frame); it wins a disagreement only when it moved little.
    gray = np.zeros((120, 200), np.uint8)
    gray[:, 55:] = 200
    box = (50.0, 40.0, 30.0, 30.0)
    tracker = HybridTracker()
    tracker.points = _Fixed((20.0, 40.0, 30.0, 30.0), 1.0)  # type: ignore[assignment]
    tracker.csrt = _Fixed((csrt_x, 40.0, 30.0, 30.0), 1.0)  # type: ignore[assignment]
    first = gray.copy()
    first[:, :] = 200
    moved, _ = tracker.step(first, gray, box)
    assert moved[0] == (csrt_x if winner == "csrt" else 20.0)
    assert (tracker.csrt.restarted is None) == (winner == "csrt")  # type: ignore[attr-defined]


@pytest.mark.parametrize("bar_speed", [-5.0, -8.0])
@pytest.mark.parametrize(("method", "needed"), [("points", 6), ("hybrid", 3)])
def test_an_occluder_crossing_the_object_does_not_take_the_track(
    method: str, needed: int, bar_speed: float
) -> None:
    # While the bar hides the object, the only points in the box are the bar's: the
    # point tracker coasts on the object's velocity instead of leaving with the bar,
    # and finds the object again when it comes out. Before, no texture of the six
    # was re-found by the points and one by the hybrid (whose CSRT can still follow
    # the bar; it is not followed while its box leaves the coasting one).
    found = 0
    for seed in range(6):
        frames, truth = occluded_clip(bar_speed=bar_speed, seed=seed)
        track = track_box(frames, truth[0], 0, method=method, follow_shape=False)
        found += iou(track.boxes[-1], truth[-1]) > 0.5
    assert found >= needed


def _covered(box: tuple[float, ...], truth: tuple[float, ...]) -> float:
    """Share of the true box inside ``box``."""
    ix = max(0.0, min(box[0] + box[2], truth[0] + truth[2]) - max(box[0], truth[0]))
    iy = max(0.0, min(box[1] + box[3], truth[1] + truth[3]) - max(box[1], truth[1]))
    return ix * iy / (truth[2] * truth[3])


@pytest.mark.parametrize("seed", range(4))
def test_hybrid_keeps_a_faint_object_in_a_loose_box_while_the_camera_pans(seed: int) -> None:
    # Few of the box's corners are on the object: taking them all (the background's)
    # moved the box with the camera; CSRT on a box that is mostly background does too.
    # Before the object's own motion was used for both, seed 1 was lost (cover 0).
    frames, truth = faint_object_clip(seed=seed)
    x, y, w, h = truth[0]
    loose = (x - 20, y - 8, w + 40, h + 16)
    track = track_box(frames, loose, 0, method="hybrid", follow_shape=False)
    covered = [_covered(b, t) for b, t in zip(track.boxes, truth, strict=True)]
    assert min(covered) > 0.9, covered


def test_dense_shift_follows_what_moves_unlike_the_camera() -> None:
    # Smooth textures: DIS's coarse levels need structure larger than a pixel.
    background = cv2.cvtColor(texture(120, 260, seed=3, blur=3.0), cv2.COLOR_RGB2GRAY)
    patch = cv2.cvtColor(texture(50, 50, seed=4, blur=3.0), cv2.COLOR_RGB2GRAY)
    prev = background[:, 10:210].copy()
    nxt = background[:, 15:215].copy()  # the camera pans: the background moves 5 px left
    prev[35:85, 80:130] = patch
    nxt[36:86, 82:132] = patch  # the object moves (2, 1)
    box = (70.0, 25.0, 80.0, 70.0)
    tracker = PointTracker()
    tracker.velocity = np.array([2.0, 0.0])
    camera = np.array([[1.0, 0.0, -5.0], [0.0, 1.0, 0.0]])
    shift = tracker._dense_shift(prev, nxt, box, camera, 7.0)
    # DIS smooths the object's motion towards the background's at its edges (about
    # (0.9, 1.0) here), but it is the object's, not the camera's (-5, 0).
    assert shift is not None
    assert 0.0 < shift[0] < 2.5
    assert shift[1] == pytest.approx(1.0, abs=0.3)
    # A velocity far from what moves there: not the object.
    tracker.velocity = np.array([-20.0, 0.0])
    assert tracker._dense_shift(prev, nxt, box, camera, 7.0) is None


def test_a_keyframe_box_filling_the_frame_leaves_the_support_to_the_others() -> None:
    # The object fills the frame on a later keyframe (a bike coming at the camera): that
    # box has no shape to follow, so the frames before it keep the support followed from
    # the first keyframe instead of the whole frame moved with the camera.
    frames, truth = moving_object_clip()
    height, width = frames[0].shape[:2]
    last = len(frames) - 1
    whole = (0.0, 0.0, float(width), float(height))
    track = track_box(frames, truth[0], 0, keyframes=[(whole, last)], method="points")
    for index in (last - 3, last - 1):
        support = track.support_mask(index, (height, width))
        assert support is not None
        share = covered(tuple(map(float, _bbox(support))), truth[index])
        assert share > 0.8, share
        assert support.sum() < 3 * truth[index][2] * truth[index][3]
    # The keyframe's own box is still the user's.
    assert track.boxes[last] == pytest.approx(whole, abs=1e-3)
    # With only frame-filling keyframes, the support starts from that box.
    alone = track_box(frames, whole, last, method="points")
    assert alone.support_mask(last, (height, width)).all()


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
