"""Small synthetic videos for tests, made on the fly (nothing is committed)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from vidfill.pipeline.run import fill_stream
from vidfill.pipeline.windows import WindowSettings


def textured_frames(
    count: int, height: int = 48, width: int = 64, *, seed: int = 0, shift: int = 1
) -> list[np.ndarray]:
    """A smooth random texture panning ``shift`` pixels per frame to the right."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height, width + count * shift + 8, 3), dtype=np.uint8)
    base = cv2.GaussianBlur(base, (5, 5), 1.2)
    return [np.ascontiguousarray(base[:, i * shift : i * shift + width]) for i in range(count)]


def write_folder(folder: Path, frames: list[np.ndarray], *, suffix: str = ".png") -> Path:
    """Write RGB frames as image files named 00000.png..."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:05d}{suffix}"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


def read_folder(folder: Path) -> list[np.ndarray]:
    """Read every image of a folder (sorted) as RGB."""
    return [
        cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in sorted(folder.iterdir())
    ]


def write_mask(path: Path, mask: np.ndarray) -> Path:
    """Write a boolean mask as a 0/255 PNG."""
    cv2.imwrite(str(path), mask.astype(np.uint8) * 255)
    return path


def run_cli(*args: str) -> int:
    """Run the ``vidfill`` command line in this process; return its exit status."""
    from vidfill.cli import main

    old_argv = sys.argv
    sys.argv = ["vidfill", *args]
    try:
        main()
    except SystemExit as done:
        return int(done.code or 0)
    finally:
        sys.argv = old_argv
    return 0


class HorizonEngine:
    """Fills holes with the grey level of the window's last frame.

    The fill depends on how far ahead the window sees, which is what makes a
    real engine's fill jump at a window boundary.
    """

    name = "horizon"
    preferred_window = 12

    def __init__(self) -> None:
        self.lengths: list[int] = []

    def fill_window(self, frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
        self.lengths.append(len(frames))
        out = frames.copy()
        out[holes] = frames[-1, 0, 0]
        return out


def brightening_frames(count: int) -> list[np.ndarray]:
    """Flat 32x24 frames brightening 4 grey levels a frame: a still camera."""
    return [np.full((24, 32, 3), 4 * t, np.uint8) for t in range(count)]


def hole_levels(
    frames: list[np.ndarray], seam_frames: int | None, handover_frames: int = 0
) -> tuple[np.ndarray, list[int]]:
    """The hole's level in each frame ``fill_stream`` finishes with :class:`HorizonEngine`
    and 12-frame windows, and the checkpoints (window boundaries) it reported."""
    holes = [np.zeros((24, 32), bool) for _ in frames]
    for hole in holes:
        hole[8:14, 10:16] = True
    boundaries: list[int] = []
    out = fill_stream(
        frames,
        holes,
        HorizonEngine(),
        window=WindowSettings(length=12, context=2, lookahead=3),
        max_side=None,
        on_checkpoint=boundaries.append,
        seam_frames=seam_frames,
        handover_frames=handover_frames,
    )
    return np.array([int(f[10, 12, 0]) for f in out]), boundaries
