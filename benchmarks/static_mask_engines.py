"""The engines on the static-mask cases of ``patch_quality.py``, against per-frame Telea.

The synthesis issue asks what a user gets for a static overlay (a box of ~6%
of the frame, a rendered caption) over real footage: this runs the default
flow engine (PatchMatch synthesis of never-seen pixels on its keyframe), the
flow engine with the smooth harmonic fill instead (``spatial="harmonic"``)
and the standalone patch engine on the same blanked clips, and prints per case, as ratios or
differences to Telea: masked PSNR (dB), texture ratio (gradient magnitude in
the hole over the truth's) and flicker (flow-compensated with the ground
truth's flow; ratio to Telea's), then the means and CPU seconds per frame.

Usage::

    .venv/bin/python benchmarks/static_mask_engines.py [--frames 20] [--clips devil-sample,...]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from patch_quality import camera_flows, load, metrics, static_masks

from vidfill.engines.flow import FlowEngine
from vidfill.engines.patch import PatchEngine
from vidfill.fill.spatial import fill_telea
from vidfill.metrics.temporal import reference_flow

ENGINES: dict[str, Callable[[], object]] = {
    "flow": FlowEngine,
    "flow+harmonic": lambda: FlowEngine(spatial="harmonic"),
    "patch": PatchEngine,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--clips", default="devil-sample,schoolgirls,rollerblade,tennis")
    args = parser.parse_args()
    scores: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in ENGINES}
    print("case: Telea dB/texture/flicker | per engine: dB vs Telea / texture / flicker ratio")
    for name in args.clips.split(","):
        truth = load(name, args.frames)
        count, height, width = truth.shape[:3]
        reference = reference_flow(truth)
        cameras = camera_flows(reference)
        for mask_name, hole in static_masks(name, height, width).items():
            holes = np.repeat(hole[None], count, axis=0)
            blank = np.where(holes[..., None], 0, truth).astype(np.uint8)
            telea = np.stack([fill_telea(f, hole) for f in blank])
            base = metrics(telea, truth, holes, reference, cameras)
            line = (
                f"{name:13s} {mask_name:7s} {base['psnr']:6.2f}/{base['texture']:.2f}/"
                f"{base['flicker']:5.2f} |"
            )
            for label, make in ENGINES.items():
                start = time.process_time()
                result = make().fill_window(blank, holes)
                seconds = (time.process_time() - start) / count
                m = metrics(result, truth, holes, reference, cameras)
                row = (
                    m["psnr"] - base["psnr"],
                    m["texture"],
                    m["flicker"] / max(base["flicker"], 1e-9),
                    seconds,
                )
                scores[label].append(row)
                line += f" {label} {row[0]:+.2f}/{row[1]:.2f}/{row[2]:.2f}"
            print(line, flush=True)
    for label, rows in scores.items():
        d, texture, flicker, seconds = np.mean(rows, axis=0)
        print(
            f"{label:11s} mean of {len(rows)}: {d:+.2f} dB vs Telea, texture {texture:.2f}, "
            f"flicker {flicker:.2f} x Telea, {seconds:.2f} s CPU/frame"
        )


if __name__ == "__main__":
    main()
