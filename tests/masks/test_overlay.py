"""Static overlay detection over moving content."""

from __future__ import annotations

import cv2
import numpy as np

from tests.masks.synthetic import texture
from vidfill.masks.overlay import detect_overlay


def overlay_clip(static_background: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    height, width, count = 120, 200, 24
    background = texture(height, width + 4 * count, seed=5)
    logo = np.zeros((height, width), np.uint8)
    cv2.rectangle(logo, (150, 8), (190, 30), 255, -1)
    cv2.putText(logo, "TV", (20, 110), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    alpha = logo / 255.0
    frames = []
    rng = np.random.default_rng(0)
    for t in range(count):
        shift = 0 if static_background else 4 * t
        frame = background[:, shift : shift + width].astype(np.float64)
        if static_background:
            frame = frame + rng.normal(0, 2.0, frame.shape)  # camera noise
        frame = frame * (1 - alpha[..., None]) + 250 * alpha[..., None]
        frames.append(np.clip(frame + 0.5, 0, 255).astype(np.uint8))
    return frames, alpha > 0.1


def test_logo_and_text_over_moving_content() -> None:
    frames, truth = overlay_clip()
    mask, boxes = detect_overlay(frames)
    assert (mask & truth).sum() / truth.sum() >= 0.95
    assert mask.sum() < 2 * truth.sum()
    assert len(boxes) == 2
    x, y, w, h = boxes[0]  # the larger piece is the rectangle
    assert abs(x - 150) <= 4 and abs(y - 8) <= 4 and abs(w - 41) <= 8 and abs(h - 23) <= 8


def test_noisy_static_background_is_not_an_overlay() -> None:
    frames, truth = overlay_clip(static_background=True)
    mask, _ = detect_overlay(frames)
    assert (mask & truth).sum() / truth.sum() >= 0.9
    assert mask.sum() < 3 * truth.sum()


def test_nothing_static_nothing_found() -> None:
    background = texture(80, 400, seed=7)
    frames = [np.ascontiguousarray(background[:, 5 * t : 5 * t + 100]) for t in range(20)]
    mask, boxes = detect_overlay(frames)
    assert not mask.any() and boxes == []


def test_semi_transparent_band_over_a_nearly_still_scene() -> None:
    # A caption band at 80% over a scene that hardly moves (noise and a slow drift):
    # its flat middle has no edges, and only its low variation tells it apart.
    height, width, count = 120, 200, 24
    background = texture(height, width + count, seed=8)
    rng = np.random.default_rng(1)
    alpha = np.zeros((height, width))
    alpha[85:110, 30:170] = 0.8
    frames = []
    for t in range(count):
        frame = background[:, t // 2 : t // 2 + width].astype(np.float64)
        frame = frame + rng.normal(0, 3.0, frame.shape)
        frame = frame * (1 - alpha[..., None]) + 20 * alpha[..., None]
        frames.append(np.clip(frame + 0.5, 0, 255).astype(np.uint8))
    truth = alpha > 0
    mask, boxes = detect_overlay(frames)
    assert (mask & truth).sum() / truth.sum() >= 0.95
    assert mask.sum() < 2 * truth.sum()
    assert len(boxes) == 1
