"""Do fills jump at window boundaries? Flicker on pairs that straddle a boundary vs inside.

Runs an engine through the orchestrator on shared clips with windows forced
short, records where windows end (the orchestrator's checkpoints), and
compares, for frame pairs (t, t+1), the flow-compensated change inside the
hole (mean absolute difference in grey levels, flow measured on the output):
pairs whose frames come from different windows against pairs from one window.

Usage: python benchmarks/window_seams.py [--method flow] [--window 12] [--clips DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from _paths import SHARED_CLIPS

from vidfill.engines import get_engine
from vidfill.io.read import iter_frames, probe
from vidfill.masks import dilate
from vidfill.masks.sources import list_images, read_mask_image
from vidfill.metrics.temporal import occlusion
from vidfill.pipeline.run import fill_stream
from vidfill.pipeline.windows import WindowSettings

DEFAULT_CLIPS = SHARED_CLIPS
SIZE = (432, 240)


def load(clip: Path, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Frames and dilated masks of a clip with per-frame masks, at 432x240."""
    frames = [
        cv2.resize(f, SIZE, interpolation=cv2.INTER_AREA)
        for _, f in zip(range(count), iter_frames(probe(clip / "frames")), strict=False)
    ]
    masks = [
        dilate(
            cv2.resize(read_mask_image(p).view(np.uint8), SIZE, interpolation=cv2.INTER_NEAREST)
            > 0,
            4,
        )
        for p in list_images(clip / "masks")[:count]
    ]
    return frames, masks


def pair_change(a: np.ndarray, b: np.ndarray, hole: np.ndarray) -> float:
    """Mean |warp(b -> a) - a| inside ``hole`` over non-occluded pixels, grey levels."""
    grey_a, grey_b = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    fwd, bwd = dis.calc(grey_a, grey_b, None), dis.calc(grey_b, grey_a, None)
    h, w = hole.shape
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(b, grid_x + fwd[..., 0], grid_y + fwd[..., 1], cv2.INTER_LINEAR)
    region = hole & ~occlusion(fwd, bwd)
    if not region.any():
        return float("nan")
    return float(np.abs(warped.astype(np.float32) - a.astype(np.float32))[region].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="flow")
    parser.add_argument("--window", type=int, default=12)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--context", type=int, default=None)
    parser.add_argument("--lookahead", type=int, default=None)
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    parser.add_argument("--names", default="tennis,rollerblade,schoolgirls,kite-surf")
    args = parser.parse_args()
    settings = WindowSettings.for_length(args.window)
    if args.context is not None or args.lookahead is not None:
        settings = WindowSettings(
            args.window,
            settings.context if args.context is None else args.context,
            settings.lookahead if args.lookahead is None else args.lookahead,
        )
    print(f"method={args.method} window={settings}")
    print(f"{'clip':14s} {'inside':>8s} {'straddle':>9s} {'ratio':>6s}")
    for name in args.names.split(","):
        frames, masks = load(args.clips / name, args.frames)
        boundaries: list[int] = []
        output = list(
            fill_stream(
                frames,
                masks,
                get_engine(args.method),
                window=settings,
                max_side=None,
                on_checkpoint=boundaries.append,
            )
        )
        inside, straddle = [], []
        for t in range(len(output) - 1):
            change = pair_change(output[t], output[t + 1], masks[t])
            (straddle if t + 1 in boundaries else inside).append(change)
        a, b = np.nanmean(inside), np.nanmean(straddle)
        print(f"{name:14s} {a:8.2f} {b:9.2f} {b / a:6.2f}")


if __name__ == "__main__":
    main()
