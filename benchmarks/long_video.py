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

Peak memory is the child's own high-water mark (VmHWM from /proc, Linux only).

Usage: python benchmarks/long_video.py [--frames 1000] [--short 100] [--method flow]
       [--clips DIR] [--cases long,4k]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from _paths import SHARED_CLIPS

from vidfill.io.read import iter_frames, probe
from vidfill.io.write import open_output

DEFAULT_CLIPS = SHARED_CLIPS


def looped_frames(clip: Path, count: int, size: tuple[int, int]):
    """Frames of ``clip`` played forwards then backwards until ``count``, resized to (W, H)."""
    info = probe(clip)
    source = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in iter_frames(info)]
    order = list(range(len(source))) + list(range(len(source) - 2, 0, -1))
    for index in range(count):
        yield source[order[index % len(order)]]


def moving_disk_masks(folder: Path, count: int, size: tuple[int, int], radius: int) -> None:
    """One PNG per frame: a disk sweeping left and right across the frame (a moving mask).

    The sweep takes 120 frames each way. A 100-frame video does not hold
    the largest window a longer run meets: its second window stops at frame
    100 (52 frames instead of 58) before the disk has crossed the middle.
    Measured per window at 1280x720 (mallinfo2 and VmHWM reset per
    window): the long run's windows over those same first 100 frames
    peaked at 1284 MB against 1092 MB for the 100-frame video, and later
    windows of the same shape at 1316-1318 MB. So the 100-frame ratio holds
    window shape as well as growth with length. The sweep repeats every
    240 frames and windows advance 48, so from frame 240 on window shapes
    repeat: ``--short 250`` gives a reference that holds every shape.
    """
    folder.mkdir(parents=True, exist_ok=True)
    width, height = size
    left, right, period = width // 6, width - width // 6, 240
    for index in range(count):
        phase = index % period
        travel = phase if phase < period // 2 else period - phase
        x = left + (right - left) * travel // (period // 2)
        mask = np.zeros((height, width), np.uint8)
        cv2.circle(mask, (x, height // 2), radius, 255, -1)
        cv2.imwrite(str(folder / f"{index:05d}.png"), mask)


def make_video(path: Path, frames, fps: int = 25) -> None:
    """Encode frames to an H.264 file with vidfill's own writer."""
    first = next(frames)
    from fractions import Fraction

    from vidfill.types import VideoInfo

    info = VideoInfo(
        path=path, width=first.shape[1], height=first.shape[0], frame_count=0, fps=Fraction(fps)
    )
    with open_output(path, info, crf=18, preset="veryfast") as writer:
        writer.write(first)
        for frame in frames:
            writer.write(frame)


def run_remove(args: list[str]) -> tuple[float, float]:
    """Run `vidfill remove ARGS` in a child; return (seconds, peak RSS in MB of that child).

    The peak is the child's VmHWM, polled from /proc: getrusage's maxrss of a
    child also counts the parent's memory at fork time, which here holds
    decoded 4K frames and would inflate the figure.
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "vidfill", "remove", *args, "-q", "--overwrite"]
    )
    status = Path(f"/proc/{child.pid}/status")
    peak_kb = 0
    while child.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    if child.returncode:
        raise SystemExit(f"vidfill remove failed with status {child.returncode}")
    return time.perf_counter() - started, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--method", default="flow")
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    parser.add_argument("--cases", default="long,4k", help="comma-separated: long, 4k")
    parser.add_argument(
        "--short",
        type=int,
        default=100,
        help="frames of the reference run of the long case (the issue's: 100)",
    )
    args = parser.parse_args()
    clip = args.clips / "tennis" / "frames"
    with tempfile.TemporaryDirectory(prefix="vidfill-long-") as scratch:
        work = Path(scratch)
        size = (1280, 720)
        print(f"method={args.method}")
        if "long" in args.cases.split(","):
            run_long(work, clip, args.frames, size, args.method, args.short)
        if "4k" in args.cases.split(","):
            run_4k(work, clip, args.method)


def run_long(
    work: Path, clip: Path, frames: int, size: tuple[int, int], method: str, short: int = 100
) -> None:
    """Peak memory on the first ``short`` frames and on all ``frames`` of a looped 720p video."""
    make_video(work / "long.mp4", looped_frames(clip, frames, size))
    moving_disk_masks(work / "masks", frames, size, radius=60)
    moving_disk_masks(work / "masks_short", short, size, radius=60)
    make_video(work / "short.mp4", looped_frames(clip, short, size))
    seconds, peak_short = run_remove(
        [
            str(work / "short.mp4"),
            "-m",
            str(work / "masks_short"),
            "-o",
            str(work / "out_short.mp4"),
            "--method",
            method,
        ]
    )
    print(
        f"1280x720 x{short} frames, moving mask: {short / seconds:.2f} frames/s, "
        f"peak RSS {peak_short:.0f} MB"
    )
    seconds, peak = run_remove(
        [
            str(work / "long.mp4"),
            "-m",
            str(work / "masks"),
            "-o",
            str(work / "out_long.mp4"),
            "--method",
            method,
        ]
    )
    print(
        f"1280x720 x{frames} frames, moving mask: {frames / seconds:.2f} frames/s, "
        f"peak RSS {peak:.0f} MB ({peak / peak_short:.2f}x the {short}-frame run)"
    )


def run_4k(work: Path, clip: Path, method: str, frames: int = 60) -> None:
    """A small mask on a 4K video against a 1280x720 crop of it holding the same mask."""
    full = (3840, 2160)
    box = (1720, 700, 390, 330)  # x, y, w, h: about 1.6% of the 4K frame
    crop_x, crop_y = box[0] - 445, box[1] - 195  # a 1280x720 window around the mask
    make_video(work / "k4.mp4", looped_frames(clip, frames, full))
    make_video(
        work / "k4_crop.mp4",
        (
            f[crop_y : crop_y + 720, crop_x : crop_x + 1280]
            for f in looped_frames(clip, frames, full)
        ),
    )
    cases = (
        ("3840x2160", "k4.mp4", box),
        ("1280x720 crop", "k4_crop.mp4", (box[0] - crop_x, box[1] - crop_y, *box[2:])),
    )
    rates = []
    for label, name, (x, y, w, h) in cases:
        seconds, peak = run_remove(
            [
                str(work / name),
                "--box",
                f"{x},{y},{w},{h}",
                "-o",
                str(work / f"out_{name}"),
                "--method",
                method,
            ]
        )
        rates.append(frames / seconds)
        print(
            f"{label} x{frames} frames, static {w}x{h} box: {rates[-1]:.2f} frames/s, "
            f"peak RSS {peak:.0f} MB"
        )
    print(f"throughput 1280x720 crop / 4K: {rates[1] / rates[0]:.2f}x")


if __name__ == "__main__":
    main()
