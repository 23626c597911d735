"""Refinement: the object's shape inside its box, steady over time."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.masks.synthetic import texture
from vidfill.masks.make import _learn_key_colours
from vidfill.masks.refine import (
    SLOW_SPAN,
    MotionCue,
    StillCutGuard,
    colour_histogram,
    join_moving,
    key_cut,
    refine_mask,
    refine_masks,
    relative_motion,
    shift_mask,
    slow_still,
    smooth_masks,
)
from vidfill.masks.track import Track


def disk_scene(cx: int = 80, cy: int = 60, radius: int = 25) -> tuple[np.ndarray, np.ndarray]:
    frame = texture(120, 160, seed=3)
    frame = (frame // 2 + 64).astype(np.uint8)  # mid-grey background
    disk = np.zeros((120, 160), np.uint8)
    cv2.circle(disk, (cx, cy), radius, 1, -1)
    frame[disk > 0] = (230, 40, 30)
    return frame, disk > 0


@pytest.mark.parametrize("method", ["model", "grabcut"])
def test_disk_in_a_box_gives_a_disk(method: str) -> None:
    frame, disk = disk_scene()
    box = (50, 30, 61, 61)  # the disk's bounding box plus ~5 px
    mask = refine_mask(frame, box, grow=0.0, method=method)
    inter = (mask & disk).sum()
    assert inter / disk.sum() > 0.95
    assert inter / (mask | disk).sum() > 0.85
    # Disk-like, not the box: the box corners are left out.
    assert not mask[31, 51] and not mask[89, 109]


def test_refine_masks_follow_the_boxes_and_keep_box_option() -> None:
    scenes = [disk_scene(cx=60 + 3 * t) for t in range(5)]
    frames = [f for f, _ in scenes]
    boxes = [(30 + 3 * t, 30, 61, 61) for t in range(5)]
    masks = list(refine_masks(frames, boxes))
    assert len(masks) == 5
    for mask, (_, disk) in zip(masks, scenes, strict=True):
        assert (mask & disk).sum() / disk.sum() > 0.9
        assert mask.sum() < 1.6 * disk.sum()
    boxed = list(refine_masks(frames, boxes, keep_box=True))
    assert all(m.sum() == 61 * 61 for m in boxed)


def test_shift_mask() -> None:
    mask = np.zeros((5, 5), bool)
    mask[1, 1] = True
    assert shift_mask(mask, 2, 1)[2, 3]
    assert not shift_mask(mask, 10, 0).any()


def test_model_refinement_is_tight_on_a_coloured_shape_over_texture() -> None:
    frame, disk = disk_scene()
    box = (50, 30, 61, 61)
    # The support (flow-followed pixels) is a rough blob inside the disk.
    support = np.zeros_like(disk)
    cv2.circle(support.view(np.uint8), (80, 60), 15, 1, -1)
    mask = refine_mask(frame, box, support=support, method="model")
    inter = (mask & disk).sum()
    assert inter / disk.sum() > 0.95
    assert inter / mask.sum() > 0.9
    # The box alone would be 61 * 61 = 3721 pixels for a 1961-pixel disk.
    assert mask.sum() < 1.15 * disk.sum()


def test_model_refinement_drops_pixels_moving_with_the_camera() -> None:
    frame, disk = disk_scene()
    box = (50, 30, 61, 61)
    # The object moves 3 px a frame relative to the camera, but the disk's left half
    # moves with the background (a look-alike standing still): only the right half is object.
    motion = np.full(disk.shape, 3.0, np.float32)
    motion[:, :80] = 0.0
    support = disk & (np.arange(160) >= 80)[None, :]
    mask = refine_mask(frame, box, support=support, method="model", motion=motion)
    assert mask[60, 100] and not mask[60, 60]
    # Without the motion cue the colour alone keeps the whole disk.
    assert refine_mask(frame, box, support=support, method="model")[60, 60]


def test_still_cut_guard_recuts_a_frame_that_suddenly_loses_half_the_object() -> None:
    frame, disk = disk_scene()
    box = (50, 30, 61, 61)
    moving = np.full(disk.shape, 3.0, np.float32)
    # Next frame the object's own motion is overestimated (its support leaked onto
    # background moving faster) and its left half falls under the still threshold.
    misjudged = moving.copy()
    misjudged[:, :80] = 0.2
    right_half = disk & (np.arange(160) >= 80)
    guard = StillCutGuard()
    assert guard.floor() == 0
    whole = refine_mask(frame, box, support=disk, method="model", motion=moving, guard=guard)
    assert (whole & disk).sum() > 0.95 * disk.sum()
    assert guard.floor() == pytest.approx(0.75 * whole.sum())
    half = refine_mask(frame, box, support=right_half, method="model", motion=misjudged)
    assert (half & disk).sum() < 0.7 * disk.sum()  # what the cut alone keeps
    kept = refine_mask(
        frame, box, support=right_half, method="model", motion=misjudged, guard=guard
    )
    assert (kept & disk).sum() > 0.95 * disk.sum()
    # A cut that keeps the object's size is left alone, and only recent frames count.
    guard = StillCutGuard(frames=1)
    guard.record(10_000)
    guard.record(100)
    assert guard.floor() == pytest.approx(75.0)


def test_join_moving_adds_touching_movers_within_reach_only() -> None:
    found = np.zeros((100, 200), bool)
    found[40:60, 40:60] = True
    motion = np.zeros((100, 200), np.float32)
    motion[35:65, 40:90] = 4.0  # the object, reaching out of what was found
    motion[35:65, 120:150] = 4.0  # another mover, not touching it
    motion[70:80, 45:55] = 1.0  # slower than half the object's motion
    joined = join_moving(found, motion, own=4.0, region=(0, 0, 200, 100))
    assert joined[35:65, 40:90].all()
    assert not joined[35:65, 120:150].any()
    assert not joined[70:80].any()
    assert joined[found].all()
    # Nothing joins beyond the region, even what touches.
    clipped = join_moving(found, motion, own=4.0, region=(0, 0, 75, 100))
    assert clipped[50, 70] and not clipped[50, 80]


def test_join_moving_leaves_a_touching_halo_at_two_thirds_of_the_object_speed() -> None:
    found = np.zeros((100, 200), bool)
    found[40:60, 40:60] = True
    motion = np.zeros((100, 200), np.float32)
    motion[40:60, 40:60] = 6.0
    motion[40:60, 60:80] = 4.0  # a flow halo or a shadow dragged along, touching it
    motion[60:75, 40:60] = 5.0  # a part of the object, a little slower
    joined = join_moving(found, motion, own=6.0, region=(0, 0, 200, 100))
    assert not joined[40:60, 62:80].any()
    assert joined[62:75, 40:60].all()


def test_model_refinement_joins_parts_coloured_like_the_background_that_move() -> None:
    # A red disk with an arm painted in the background's texture: colour alone
    # cannot tell the arm from the background, its motion can.
    frame, disk = disk_scene()
    arm = np.zeros_like(disk)
    arm[55:65, 100:125] = True  # reaches out of the box's right edge (x = 110)
    box = (50, 30, 61, 61)
    motion = np.zeros(disk.shape, np.float32)
    motion[disk | arm] = 3.0
    support = np.zeros_like(disk)
    cv2.circle(support.view(np.uint8), (80, 60), 15, 1, -1)
    mask = refine_mask(frame, box, support=support, method="model", motion=motion)
    assert mask[arm].mean() > 0.95
    assert (mask & disk).sum() / disk.sum() > 0.95
    assert not mask[20:30].any() and not mask[:, 130:].any()
    # The still background inside the box stays out.
    assert not mask[35, 55]


def test_relative_motion_is_zero_on_the_background_and_large_on_a_mover() -> None:
    background = texture(120, 160, seed=5)[..., 0]
    # The camera pans 3 px right: the whole frame shifts; a patch moves 4 px down.
    prev = background.copy()
    nxt = np.roll(background, 3, axis=1)
    patch = texture(30, 30, seed=6)[..., 1]
    prev[40:70, 60:90] = patch
    nxt[44:74, 63:93] = patch
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow_back = flow.calc(nxt, prev, None)
    exclude = np.zeros((120, 160), bool)
    exclude[35:80, 55:100] = True
    motion = relative_motion(flow_back, exclude)
    assert np.median(motion[10:30, 10:150]) < 0.3
    assert np.median(motion[50:70, 70:88]) > 2.5


def test_vote_keeps_the_end_frames_and_votes_the_middle_ones() -> None:
    # A blob that moves every frame: the middle frames keep what two of three frames
    # mark; the first and last frames have a single neighbour, and voting with it
    # would cut what changed, so they are kept whole.
    masks = []
    for t in range(5):
        mask = np.zeros((40, 60), bool)
        mask[10:30, 10 + 5 * t : 30 + 5 * t] = True
        masks.append(mask)
    voted = list(smooth_masks(masks))
    assert len(voted) == 5
    assert np.array_equal(voted[0], masks[0])
    assert np.array_equal(voted[-1], masks[-1])
    for t in range(1, 4):
        expected = masks[t] & (masks[t - 1] | masks[t + 1])
        assert np.array_equal(voted[t], expected)


def test_key_cut_finds_the_object_in_the_users_box() -> None:
    frame, disk = disk_scene()
    cut = key_cut(frame, (55, 35, 51, 51))  # the disk's bounding box
    assert cut is not None
    inter = (cut & disk).sum()
    assert inter / disk.sum() > 0.95
    assert inter / cut.sum() > 0.9
    # A box holding nothing but flat background gives no trusted cut.
    flat = np.full((120, 160, 3), 128, np.uint8)
    assert key_cut(flat, (55, 35, 51, 51)) is None


def test_keyframe_colours_drop_a_background_halo_from_the_support() -> None:
    frame, disk = disk_scene()
    box = (50, 30, 61, 61)
    # The support holds the disk and a 4-pixel ring of background around it (the flow
    # carries background next to a moving object along).
    support = cv2.dilate(disk.view(np.uint8), np.ones((9, 9), np.uint8)) > 0
    colours = colour_histogram(frame, key_cut(frame, (55, 35, 51, 51)))
    keyed = refine_mask(frame, box, support=support, method="keyed", key_colours=colours)
    plain = refine_mask(frame, box, support=support, method="model")
    assert (keyed & disk).sum() / disk.sum() > 0.95
    assert (keyed & disk).sum() / keyed.sum() > 0.95
    assert (plain & disk).sum() / plain.sum() < 0.85
    # Without keyframe colours "keyed" is the model.
    assert np.array_equal(refine_mask(frame, box, support=support, method="keyed"), plain)


def slow_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """A red disk (the object) and a still red square (a cart) inside one box."""
    frame, disk = disk_scene(cx=70, cy=60, radius=18)
    cart = np.zeros_like(disk)
    cart[45:75, 95:115] = True
    frame[cart] = (230, 40, 30)
    return frame, disk, cart, (45, 35, 75, 50)


def test_slow_object_still_background_is_cut_by_its_motion_over_more_frames() -> None:
    frame, disk, cart, box = slow_scene()
    # The object moves 0.4 px a frame (too slow to tell from the background), 4 px over
    # the span; the support is the box moved rigidly (flow did not separate it).
    motion = np.where(disk, 0.4, 0.0).astype(np.float32)
    span = np.where(disk, 4.0, 0.0).astype(np.float32)
    support = np.zeros_like(disk)
    support[35:85, 45:120] = True
    plain = refine_mask(frame, box, support=support, method="model", motion=motion)
    assert plain[cart].mean() > 0.95  # colour and the support keep the cart
    slow = refine_mask(
        frame, box, support=support, method="model", motion=motion, slow_motion=lambda: span
    )
    assert (slow & disk).sum() / disk.sum() > 0.95
    assert slow[cart].mean() < 0.05
    # Without motion over the span either, nothing tells them apart: nothing is cut.
    flat = np.zeros_like(span)
    assert np.array_equal(
        refine_mask(
            frame, box, support=support, method="model", motion=motion, slow_motion=lambda: flat
        ),
        plain,
    )


def test_slow_cut_is_left_to_a_support_that_flow_separated() -> None:
    frame, disk, cart, box = slow_scene()
    motion = np.where(disk, 0.4, 0.0).astype(np.float32)
    asked = []

    def span() -> np.ndarray:
        asked.append(True)
        return np.where(disk, 4.0, 0.0).astype(np.float32)

    refine_mask(frame, box, support=disk, method="model", motion=motion, slow_motion=span)
    assert not asked
    # An object moving over one frame is cut by that motion, not the span's.
    rigid = np.zeros_like(disk)
    rigid[35:85, 45:120] = True
    fast = np.where(cart, 0.0, 3.0).astype(np.float32)
    refine_mask(frame, box, support=rigid, method="model", motion=fast, slow_motion=span)
    assert not asked
    refine_mask(frame, box, support=rigid, method="model", motion=fast * 0.1, slow_motion=span)
    assert asked


def test_slow_still_measures_the_objects_motion_over_the_span() -> None:
    span = np.zeros((40, 40), np.float32)
    span[10:30, 10:20] = 6.0
    sample = np.zeros((40, 40), bool)
    sample[10:30, 10:30] = True  # half of it moves
    still = slow_still(span, sample)
    assert still is not None
    assert not still[10:30, 10:20].any() and still[10:30, 20:30].all()
    assert slow_still(span * 0.2, sample) is None  # 1.2 px over the span: too little
    assert slow_still(None, sample) is None


def test_motion_cue_gives_the_motion_over_the_span_once_it_has_the_frames() -> None:
    background = texture(120, 160, seed=5)
    patch = texture(30, 30, seed=6)
    cue = MotionCue((120, 160), span=4)
    boxes = [(50, 30, 50, 50)]
    for t in range(6):
        frame = background.copy()
        frame[40:70, 60 + t : 90 + t] = patch  # 1 px a frame to the right
        motion = cue.next(frame, boxes)
        span = cue.slow()
        if t < 4:
            assert span is None
            continue
        assert motion is not None and span is not None
        assert np.median(span[45:65, 70:85]) == pytest.approx(4.0, abs=0.8)
        assert np.median(span[5:25, 5:155]) < 0.3
        assert cue.slow() is span  # computed once a frame
    assert SLOW_SPAN > 4


def test_each_keyframe_adds_its_colours_to_those_seen_before() -> None:
    # A keyframe cut can miss parts of the object: colours an earlier keyframe learned
    # stay known, and each keyframe weighs the same whatever its cut's size.
    red, disk = disk_scene()
    blue, small = disk_scene(radius=15)
    blue[small] = (30, 40, 230)
    flat = np.full_like(red, 128)
    box = (55, 35, 51, 51)
    track = Track(boxes=[box] * 4, keys=[0, 1, 3])
    colours: list[np.ndarray | None] = [None]
    code = {
        name: (c[0] // 16 * 16 + c[1] // 16) * 16 + c[2] // 16
        for name, c in {"red": (230, 40, 30), "blue": (30, 40, 230)}.items()
    }
    _learn_key_colours(red, 0, [track], colours)
    assert colours[0] is not None
    first = colours[0] / colours[0].sum()
    # (Every bin holds a pseudo-count: 4096 bins against about 2000 disk pixels.)
    assert first[code["red"]] > 0.25
    _learn_key_colours(blue, 1, [track], colours)
    both = colours[0] / colours[0].sum()
    # Half the weight each, though the blue disk is a third of the red one's size.
    assert both[code["red"]] == pytest.approx(first[code["red"]] / 2, rel=0.05)
    assert both[code["blue"]] > 0.05 > 100 * first[code["blue"]]
    # Not a keyframe, or a keyframe whose cut fails: the colours stay.
    _learn_key_colours(flat, 2, [track], colours)
    _learn_key_colours(flat, 3, [track], colours)
    assert np.allclose(colours[0] / colours[0].sum(), both)
