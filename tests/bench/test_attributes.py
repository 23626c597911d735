"""Attribute measures and labels."""

from __future__ import annotations

import numpy as np
import pytest

from vidfill.bench.attributes import VideoMotion, label, mask_area, mask_speed, video_motion
from vidfill.bench.cases import parse_size
from vidfill.errors import InputError
from vidfill.metrics import ReferenceFlow


def test_mask_speed_and_area() -> None:
    masks = np.zeros((4, 20, 40), bool)
    for t in range(4):
        masks[t, 5:10, 2 + 5 * t : 7 + 5 * t] = True
    assert mask_speed(masks) == pytest.approx(5.0)
    assert mask_area(masks) == pytest.approx(25 / 800)
    assert mask_speed(np.repeat(masks[:1], 4, axis=0)) == 0.0


def test_labels_follow_the_thresholds() -> None:
    still = label(0.01, 0.0, VideoMotion(camera=0.1, background=0.1))
    assert still == {
        "mask_size": "small",
        "mask_motion": "static",
        "camera_motion": "low",
        "background_motion": "low",
    }
    busy = label(0.3, 8.0, VideoMotion(camera=12.0, background=3.0))
    assert busy == {
        "mask_size": "large",
        "mask_motion": "fast",
        "camera_motion": "high",
        "background_motion": "high",
    }
    assert label(0.3, 1.0, VideoMotion(0, 0))["mask_motion"] == "slow"


def test_video_motion_separates_camera_from_background() -> None:
    flows = np.zeros((3, 40, 60, 2), np.float32)
    flows[..., 0] = 4.0  # a pan: all camera, no residual
    reference = ReferenceFlow(flows, np.ones((3, 40, 60), bool), np.ones(3, bool))
    motion = video_motion(reference)
    assert motion.camera == pytest.approx(4.0, abs=1e-3)
    assert motion.background == pytest.approx(0.0, abs=1e-3)


def test_parse_size() -> None:
    assert parse_size("432x240") == (432, 240)
    with pytest.raises(InputError):
        parse_size("big")
