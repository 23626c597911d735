"""Refinement: the object's shape inside its box, steady over time."""

from __future__ import annotations

import cv2
import numpy as np

from tests.masks.synthetic import texture
from vidfill.masks.refine import refine_mask, refine_masks, shift_mask


def disk_scene(cx: int = 80, cy: int = 60, radius: int = 25) -> tuple[np.ndarray, np.ndarray]:
    frame = texture(120, 160, seed=3)
    frame = (frame // 2 + 64).astype(np.uint8)  # mid-grey background
    disk = np.zeros((120, 160), np.uint8)
    cv2.circle(disk, (cx, cy), radius, 1, -1)
    frame[disk > 0] = (230, 40, 30)
    return frame, disk > 0


def test_disk_in_a_box_gives_a_disk() -> None:
    frame, disk = disk_scene()
    box = (50, 30, 61, 61)  # the disk's bounding box plus ~5 px
    mask = refine_mask(frame, box, grow=0.0)
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
