"""Working memory of the flow engine on one window (peak traced bytes and CPU time).

A window of 40 frames of 720x780 pixels (a crop of the ``tennis`` clip scaled
to 1560x880, 64 MB of frames) with a static 330x390 hole, filled by
``FlowEngine.fill_window`` under ``tracemalloc``. The peak counts every NumPy
buffer the engine allocates (OpenCV's internal buffers are not traced), so
it measures the engine's own working set, independent of the reader and the
pipeline. Prints the figures; never a timed test.

With ``--save`` the output is written to an ``.npy`` file; with
``--compare`` it is compared inside the holes with an earlier saved output
(max and mean absolute difference, PSNR), to check that a memory change
leaves the fill as it was.

Usage::

    .venv/bin/python benchmarks/flow_memory.py [--save OUT.npy] [--compare BEFORE.npy]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np

from vidfill.engines import get_engine
from vidfill.io.read import iter_frames, probe

CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips" / "tennis" / "frames"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="write the filled window to this .npy file")
    parser.add_argument("--compare", type=Path, help="compare with a window saved by --save")
    args = parser.parse_args()

    frames = np.stack(
        [
            cv2.resize(f, (1560, 880))[80:800, 390:1170]
            for _, f in zip(range(40), iter_frames(probe(CLIP)), strict=False)
        ]
    )
    holes = np.zeros(frames.shape[:3], bool)
    holes[:, 195:525, 195:585] = True
    engine = get_engine("flow")
    tracemalloc.start()
    t = time.process_time()
    out = engine.fill_window(frames, holes)
    print(
        "cpu s",
        time.process_time() - t,
        "peak traced MB",
        tracemalloc.get_traced_memory()[1] / 2**20,
    )
    tracemalloc.stop()

    if args.save is not None:
        np.save(args.save, out)
    if args.compare is not None:
        before = np.load(args.compare)
        diff = np.abs(out[holes].astype(np.float64) - before[holes].astype(np.float64))
        mse = float((diff**2).mean())
        psnr = float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
        print(
            "in holes: max abs diff",
            float(diff.max()),
            "mean abs diff",
            float(diff.mean()),
            "PSNR dB",
            psnr,
            "changed pixels",
            float((diff.max(axis=-1) > 0).mean()),
        )


if __name__ == "__main__":
    main()
