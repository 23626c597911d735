"""Speed of patch synthesis (vidfill.fill.patch.fill_patch) on one core.

Fills one 854x480 frame of a real clip (tennis by default) with a box hole of
a given share of the frame, after a warm-up call that pays (or loads from the
cache) the numba JIT. Prints the JIT/warm-up time and, per patch size, the
median CPU time of a few calls with different seeds. CPU time (process time)
is used because the machine is shared: wall time would count other people's
work. numba and OpenCV are pinned to one thread.

Usage::

    .venv/bin/python benchmarks/patch_speed.py [--clip tennis] [--share 0.06] [--repeats 3]
        [--guide-weights 0.7,0.3]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from _paths import SHARED_CLIPS

from vidfill.fill.patch import fill_patch  # noqa: E402
from vidfill.fill.spatial import fill_telea  # noqa: E402

CLIPS = SHARED_CLIPS


def frame_and_hole(clip: str, share: float, width: int) -> tuple[np.ndarray, np.ndarray]:
    path = sorted((CLIPS / clip / "frames").glob("*.jpg"))[0]
    frame = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    if frame.shape[1] != width:
        height = round(frame.shape[0] * width / frame.shape[1])
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    h, w = frame.shape[:2]
    area = share * h * w
    bw = int(round(np.sqrt(area * 4 / 3)))
    bh = int(round(area / bw))
    hole = np.zeros((h, w), bool)
    y0, x0 = int(h * 0.55 - bh / 2), int(w * 0.40 - bw / 2)
    hole[y0 : y0 + bh, x0 : x0 + bw] = True
    return frame, hole


def cpu(call) -> tuple[float, np.ndarray]:
    start = time.process_time()
    result = call()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clip", default="tennis")
    parser.add_argument("--share", type=float, default=0.06)
    parser.add_argument("--width", type=int, default=854)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--patch-sizes", default="7,9")
    # 0.7 is fill_patch's default (the flow engine's leftovers), 0.3 what the
    # patch engine passes.
    parser.add_argument("--guide-weights", default="0.7,0.3")
    args = parser.parse_args()
    cv2.setNumThreads(1)

    frame, hole = frame_and_hole(args.clip, args.share, args.width)
    warm, _ = cpu(lambda: fill_patch(frame[:64, :64], hole[:64, :64] | np.eye(64, dtype=bool)))
    print(
        f"clip {args.clip} {frame.shape[1]}x{frame.shape[0]}, hole {hole.sum()} px "
        f"({100 * hole.mean():.1f}%)"
    )
    print(f"JIT compile or cache load (first call): {warm:.2f} s CPU")
    t_telea = min(cpu(lambda: fill_telea(frame, hole))[0] for _ in range(args.repeats))
    print(f"{'method':18s} {'median s':>9s} {'min s':>7s}")
    print(f"{'telea':18s} {t_telea:9.3f} {t_telea:7.3f}")
    for size in (int(s) for s in args.patch_sizes.split(",")):
        for weight in (float(g) for g in args.guide_weights.split(",")):
            opts = {"patch_size": size, "guide_weight": weight}
            times = [
                cpu(lambda s=seed, o=opts: fill_patch(frame, hole, seed=s, **o))[0]
                for seed in range(args.repeats)
            ]
            label = f"patch {size} g{weight:g}"
            print(f"{label:18s} {np.median(times):9.3f} {min(times):7.3f}")
            guess = fill_patch(frame, hole, seed=99, **opts)
            times = [
                cpu(lambda s=seed, o=opts, g=guess: fill_patch(frame, hole, seed=s, init=g, **o))[0]
                for seed in range(args.repeats)
            ]
            print(f"{label + ' warm':18s} {np.median(times):9.3f} {min(times):7.3f}")


if __name__ == "__main__":
    main()
