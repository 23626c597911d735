"""Small synthetic videos for tests, made on the fly (nothing is committed)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np


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
