"""Memory and throughput of `vidfill remove` on long and large videos.

Makes its test videos from a shared clip (looped back and forth, scaled to the
target size) in a scratch folder, never in the repository, then runs
`vidfill remove` in a child process per case and prints the child's peak
resident memory (from getrusage) and its frames per second.

Cases:
  * 1280x720 with a moving mask: the first 100 frames and all N frames
    (peak memory must not grow with length);
  * 3840x2160 with a small (~1%) mask, 60 frames, against the same mask
    region's content at 1280x720.

Usage: python benchmarks/long_video.py [--frames 1000] [--method flow] [--clips DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from vidfill.io.read import iter_frames, probe
from vidfill.io.write import open_output

DEFAULT_CLIPS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clips"


def looped_frames(clip: Path, count: int, size: tuple[int, int]):
    """Frames of ``clip`` played forwards then backwards until ``count``, resized to (W, H)."""
    info = probe(clip)
    source = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in iter_frames(info)]
    order = list(range(len(source))) + list(range(len(source) - 2, 0, -1))
    for index in range(count):
        yield source[order[index % len(order)]]


def moving_disk_masks(folder: Path, count: int, size: tuple[int, int], radius: int) -> None:
    """One PNG per frame: a disk circling the frame centre (a moving mask)."""
    folder.mkdir(parents=True, exist_ok=True)
    width, height = size
    for index in range(count):
        angle = 2 * np.pi * index / 200
        centre = (int(width / 2 + width / 4 * np.cos(angle)),
                  int(height / 2 + height / 4 * np.sin(angle)))
        mask = np.zeros((height, width), np.uint8)
        cv2.circle(mask, centre, radius, 255, -1)
        cv2.imwrite(str(folder / f"{index:05d}.png"), mask)


def make_video(path: Path, frames, fps: int = 25) -> None:
    """Encode frames to an H.264 file with vidfill's own writer."""
    first = next(frames)
    from fractions import Fraction

    from vidfill.types import VideoInfo

    info = VideoInfo(path=path, width=first.shape[1], height=first.shape[0], frame_count=0,
                     fps=Fraction(fps))
    with open_output(path, info, crf=18, preset="veryfast") as writer:
        writer.write(first)
        for frame in frames:
            writer.write(frame)


def run_remove(args: list[str]) -> tuple[float, float]:
    """Run `vidfill remove ARGS` in a child; return (seconds, peak RSS in MB of that child)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "vidfill", "remove", *args, "-q", "--overwrite"]
    )
    # wait4 gives this child's own peak, where RUSAGE_CHILDREN would give the max over all.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"vidfill remove failed with status {child.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--method", default="flow")
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    parser.add_argument("--skip-4k", action="store_true")
    args = parser.parse_args()
    clip = args.clips / "tennis" / "frames"
    with tempfile.TemporaryDirectory(prefix="vidfill-long-") as scratch:
        work = Path(scratch)
        size = (1280, 720)
        make_video(work / "long.mp4", looped_frames(clip, args.frames, size))
        moving_disk_masks(work / "masks", args.frames, size, radius=60)
        short_masks = work / "masks100"
        moving_disk_masks(short_masks, 100, size, radius=60)
        make_video(work / "short.mp4", looped_frames(clip, 100, size))
        print(f"method={args.method}")
        seconds, peak = run_remove([str(work / "short.mp4"), "-m", str(short_masks), "-o",
                                    str(work / "out_short.mp4"), "--method", args.method])
        print(f"1280x720 x100 frames, moving mask: {100 / seconds:.2f} frames/s, "
              f"peak RSS {peak:.0f} MB")
        peak_short = peak
        seconds, peak = run_remove([str(work / "long.mp4"), "-m", str(work / "masks"), "-o",
                                    str(work / "out_long.mp4"), "--method", args.method])
        print(f"1280x720 x{args.frames} frames, moving mask: {args.frames / seconds:.2f} "
              f"frames/s, peak RSS {peak:.0f} MB ({peak / peak_short:.2f}x the 100-frame run)")
        if args.skip_4k:
            return
        # A small static mask: ~1% of a 4K frame, and the same content at 720p.
        for label, size, scale in (("1280x720", (1280, 720), 1), ("3840x2160", (3840, 2160), 3)):
            video = work / f"k{scale}.mp4"
            make_video(video, looped_frames(clip, 60, size))
            mask = np.zeros((size[1], size[0]), np.uint8)
            w, h = 130 * scale, 110 * scale
            cv2.rectangle(mask, (size[0] // 2, size[1] // 3),
                          (size[0] // 2 + w, size[1] // 3 + h), 255, -1)
            cv2.imwrite(str(work / f"mask{scale}.png"), mask)
            seconds, peak = run_remove([str(video), "-m", str(work / f"mask{scale}.png"), "-o",
                                        str(work / f"out{scale}.mp4"), "--method", args.method])
            share = float((mask > 0).mean()) * 100
            print(f"{label} x60 frames, static mask {share:.1f}% of frame: "
                  f"{60 / seconds:.2f} frames/s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
