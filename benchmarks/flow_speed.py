"""Speed of the whole ``vidfill remove`` command with the flow engine (frames per second).

Prepares a frame folder and a mask folder of a shared clip at the asked size
under a temporary directory (never inside the repo), runs the CLI as a
subprocess for each method, and prints wall-clock frames per second. With
``--profile`` it also runs the flow method in-process under cProfile and
prints the top functions by cumulative time.

Usage::

    .venv/bin/python benchmarks/flow_speed.py --clip car-shadow --size 854x480 [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from _paths import SHARED_CLIPS

CLIPS = SHARED_CLIPS


def prepare(clip: str, size: tuple[int, int], frames: int, root: Path) -> tuple[Path, Path, float]:
    """Write resized frames and masks of ``clip``; return the folders and the mean mask area."""
    src = CLIPS / clip
    out_frames = root / "frames"
    out_masks = root / "masks"
    out_frames.mkdir(parents=True)
    out_masks.mkdir(parents=True)
    paths = sorted((src / "frames").glob("*.jpg"))[:frames]
    areas = []
    for path in paths:
        image = cv2.resize(cv2.imread(str(path)), size, interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(out_frames / f"{path.stem}.png"), image)
        mask_path = src / "masks" / f"{path.stem}.png"
        if not mask_path.is_file():
            mask_path = src / "masks" / "static.png"
        mask = cv2.resize(
            cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE), size, interpolation=cv2.INTER_NEAREST
        )
        cv2.imwrite(str(out_masks / f"{path.stem}.png"), mask)
        areas.append(float((mask > 0).mean()))
    return out_frames, out_masks, float(np.mean(areas))


def run_cli(
    frames: Path, masks: Path, output: Path, method: str, extra: list[str]
) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, all threads) of one CLI run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        str(Path(sys.executable).parent / "vidfill"),
        "remove",
        str(frames),
        "-m",
        str(masks),
        "-o",
        str(output),
        "--method",
        method,
        "--overwrite",
        *extra,
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default="car-shadow")
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--methods", default="frame,flow")
    parser.add_argument("--profile", action="store_true")
    args, extra = parser.parse_known_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frames, masks, area = prepare(args.clip, (width, height), args.frames, root)
        count = len(list(frames.iterdir()))
        print(f"{args.clip} {width}x{height}, {count} frames, mask {100 * area:.1f}% of the frame")
        for method in args.methods.split(","):
            wall, cpu = run_cli(frames, masks, root / f"out_{method}.mp4", method, extra)
            # On a shared machine wall time is inflated; CPU time is not. With
            # two idle cores the command runs between cpu/2 and cpu seconds.
            print(
                f"  {method:6s} wall {wall:6.2f} s = {count / wall:6.1f} frames/s | "
                f"cpu {cpu:6.2f} s: {count / cpu:6.1f} frames/s on 1 core, "
                f"<= {2 * count / cpu:6.1f} on 2",
                flush=True,
            )
        if args.profile:
            from vidfill.api import remove

            profiler = cProfile.Profile()
            profiler.enable()
            remove(frames, root / "prof.mp4", mask=masks, method="flow", overwrite=True)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
