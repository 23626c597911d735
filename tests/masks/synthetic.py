"""Synthetic clips with known truth for the mask-making tests (made on the fly)."""

from __future__ import annotations

import cv2
import numpy as np


def texture(height: int, width: int, seed: int, blur: float = 1.5) -> np.ndarray:
    """A smooth random colour texture (trackable: corners everywhere)."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), blur)


def moving_object_clip(
    count: int = 30, height: int = 120, width: int = 160, *, exit_right: bool = False
) -> tuple[list[np.ndarray], list[tuple[float, float, float, float]]]:
    """A textured 36x28 patch moving (and growing) over a panning textured background.

    Returns the frames and the true box of the object on each frame.
    """
    background = texture(height, width + 2 * count + 8, seed=1)
    patch = texture(28, 36, seed=2, blur=1.0)
    # A bright frame around the patch makes it stand out from the background.
    patch = cv2.copyMakeBorder(patch[2:-2, 2:-2], 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=(255,) * 3)
    frames, boxes = [], []
    for t in range(count):
        frame = np.ascontiguousarray(background[:, 2 * t : 2 * t + width])
        scale = 1.0 + 0.01 * t
        w, h = round(36 * scale), round(28 * scale)
        speed = 6.0 if exit_right else 2.5
        x, y = 30 + speed * t, 40 + 1.0 * t
        x0, y0 = int(round(x)), int(round(y))
        obj = cv2.resize(patch, (w, h), interpolation=cv2.INTER_LINEAR)
        x1, y1 = min(width, x0 + w), min(height, y0 + h)
        if x1 > x0 and y1 > y0:
            frame = frame.copy()
            frame[y0:y1, x0:x1] = obj[: y1 - y0, : x1 - x0]
        frames.append(frame)
        boxes.append((float(x0), float(y0), float(w), float(h)))
    return frames, boxes


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def occluded_clip(
    count: int = 40, bar_speed: float = -5.0, bar_width: int = 24, seed: int = 0
) -> tuple[list[np.ndarray], list[tuple[float, float, float, float]]]:
    """A textured 30x30 patch drifting right over a slowly panning background while a
    dark textured bar (a tree trunk in front of it) sweeps left across the whole
    frame, hiding it completely for several frames.

    Returns the frames (120x200) and the true box of the object on each frame;
    ``seed`` picks other textures.
    """
    height, width = 120, 200
    background = texture(height, width + count, seed=1 + 10 * seed)
    patch = texture(30, 30, seed=2 + 10 * seed, blur=1.0)
    bar = (texture(height, bar_width, seed=5 + 10 * seed, blur=1.0) // 3).astype(np.uint8)
    frames, boxes = [], []
    for t in range(count):
        frame = np.ascontiguousarray(background[:, t : t + width]).copy()
        x, y = 60 + t, 45
        frame[y : y + 30, x : x + 30] = patch
        bar_x = int(round(150 + bar_speed * t))
        x0, x1 = max(0, bar_x), min(width, bar_x + bar_width)
        if x1 > x0:
            frame[:, x0:x1] = bar[:, x0 - bar_x : x1 - bar_x]
        frames.append(frame)
        boxes.append((float(x), float(y), 30.0, 30.0))
    return frames, boxes


def faint_object_clip(
    count: int = 30, pan: int = 5, contrast: float = 0.35, seed: int = 0
) -> tuple[list[np.ndarray], list[tuple[float, float, float, float]]]:
    """A 24x24 patch drifting right (1 px a frame) while the camera pans left (``pan``
    px a frame) over a strongly textured background; from frame 4 the patch's texture
    fades to ``contrast`` of its own, so few of the corners in a loose box around it
    are on it (a small, blurred rider in DAVIS bmx-trees).

    Returns the frames (120x200) and the true box of the object on each frame.
    """
    height, width = 120, 200
    background = texture(height, width + pan * count + 8, seed=1 + 10 * seed, blur=1.0)
    patch = texture(24, 24, seed=2 + 10 * seed, blur=1.0).astype(np.float32)
    frames, boxes = [], []
    for t in range(count):
        frame = np.ascontiguousarray(background[:, pan * t : pan * t + width]).copy()
        faded = 1.0 if t < 4 else contrast
        x, y = 70 + t, 48
        frame[y : y + 24, x : x + 24] = np.clip(128 + faded * (patch - 128), 0, 255)
        frames.append(frame)
        boxes.append((float(x), float(y), 24.0, 24.0))
    return frames, boxes


def shadowed_disk_clip(
    count: int = 16, height: int = 120, width: int = 200
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A red textured disk moving right over a slowly panning grey texture, with a dark
    shadow under it moving along (background that moves like the object, as a car's
    shadow does).

    Returns the frames and the disk's true mask on each frame (the shadow excluded).
    """
    background = texture(height, width + count + 8, seed=5)
    background = (background // 2 + 64).astype(np.uint8)
    skin = texture(height, width, seed=6, blur=2.0)
    frames, truths = [], []
    for t in range(count):
        frame = background[:, t : t + width].copy()
        cx, cy = 40 + 3 * t, 50
        shadow = np.zeros((height, width), np.uint8)
        cv2.ellipse(shadow, (cx + 6, cy + 22), (18, 7), 0, 0, 360, 1, -1)
        frame[shadow > 0] = (frame[shadow > 0] // 4).astype(np.uint8)
        disk = np.zeros((height, width), np.uint8)
        cv2.circle(disk, (cx, cy), 20, 1, -1)
        # A textured red: trackable, and far from the grey background's colours.
        red = np.stack(
            [200 + skin[..., 0] // 5, 30 + skin[..., 1] // 8, 30 + skin[..., 2] // 8], axis=-1
        )
        frame[disk > 0] = red[disk > 0].astype(np.uint8)
        frames.append(frame)
        truths.append(disk > 0)
    return frames, truths
