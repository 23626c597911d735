"""Quality of the patch engine against per-frame Telea on real clips.

Static synthetic masks (a box of about 6% of the frame, and a caption-like
mask made from rendered text) are blanked out of real clips whose frames are
the ground truth. Both methods run in the same process on the same inputs;
the table gives, inside the hole:

* PSNR against the ground truth (pooled over all frames);
* texture ratio: mean gradient magnitude of the result / of the ground truth
  (1 = as textured as reality, < 1 = blurred);
* flicker, the issue's definition: mean absolute change inside the hole
  between consecutive frames after flow compensation
  (:func:`vidfill.metrics.masked_flicker`: frame t+1 warped onto t with DIS
  flow measured on the ground truth, occlusions left out, the same flow for
  every method), with the ground truth's own for reference (resampling and
  flow error alone give it); and the raw change without compensation, which
  counts a fill that rightly moves with the camera as flicker; and the change
  after camera compensation only (one homography per pair, fitted to that
  flow by RANSAC): the flow inside the hole is the motion of whatever the
  truth shows there (people walking behind a box, a river), which a fill of
  the background should not follow, while the camera's it should.

Contact sheets (ground truth | Telea | patch, middle frame, around the hole)
are written to ``--sheets`` (default /tmp).

Usage::

    .venv/bin/python benchmarks/patch_quality.py [--frames 20] [--clips devil-sample,...]
        [--variant weak:guide_weight=0.3 ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from _paths import SHARED_CLIPS

from vidfill.engines.patch import PatchEngine
from vidfill.fill.patch import fill_patch
from vidfill.fill.spatial import fill_telea
from vidfill.flow.complete import fit_homography, homography_flow
from vidfill.metrics.temporal import (
    ReferenceFlow,
    inside_frame,
    masked_flicker,
    reference_flow,
    warp,
)

CLIPS = SHARED_CLIPS
STATIC = {"devil-sample", "schoolgirls", "carphone"}


def load(name: str, count: int) -> np.ndarray:
    files = sorted((CLIPS / name / "frames").glob("*.jpg"))[:count]
    return np.stack([cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files])


# Centres (fraction of height, of width) of a box that covers only background
# in the frames used (chosen by eye, before running any method): the truth is
# then something a fill can recover, not a person it would have to invent.
BACKGROUND_BOX = {
    "devil-sample": (0.55, 0.40),
    "schoolgirls": (0.45, 0.88),
    "rollerblade": (0.45, 0.85),
    "tennis": (0.35, 0.80),
}


def box_mask(
    height: int, width: int, share: float = 0.06, centre: tuple[float, float] = (0.55, 0.40)
) -> np.ndarray:
    """A box of ``share`` of the frame, 4:3, centred at ``centre`` (fractions)."""
    area = share * height * width
    bw = int(round(np.sqrt(area * 4 / 3)))
    bh = int(round(area / bw))
    y0 = int(height * centre[0] - bh / 2)
    x0 = int(width * centre[1] - bw / 2)
    mask = np.zeros((height, width), bool)
    mask[y0 : y0 + bh, x0 : x0 + bw] = True
    return mask


def caption_mask(height: int, width: int) -> np.ndarray:
    """Rendered caption text in the lower third, dilated like a real overlay mask."""
    canvas = np.zeros((height, width), np.uint8)
    scale = width / 430
    cv2.putText(
        canvas,
        "vidfill demo",
        (int(width * 0.12), int(height * 0.86)),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.3 * scale,
        255,
        max(2, int(3 * scale)),
        cv2.LINE_AA,
    )
    radius = max(2, int(round(2 * scale)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(canvas, kernel) > 0


def static_masks(name: str, height: int, width: int) -> dict[str, np.ndarray]:
    """The static masks of clip ``name``: box, caption, and the background box where it has one."""
    masks = {"box": box_mask(height, width), "caption": caption_mask(height, width)}
    # Where the background box is the default box, it is not run twice (it
    # would count twice in the mean).
    if BACKGROUND_BOX.get(name, (0.55, 0.40)) != (0.55, 0.40):
        masks["bg-box"] = box_mask(height, width, centre=BACKGROUND_BOX[name])
    return masks


def grad_mag(frame: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return np.hypot(gx, gy)


def camera_flows(reference: ReferenceFlow) -> np.ndarray:
    """Per pair, the flow of the camera alone: a homography fitted to the reference flow."""
    shape = reference.flows.shape[1:3]
    return np.stack([homography_flow(fit_homography(f), shape) for f in reference.flows])


def camera_flicker(result: np.ndarray, holes: np.ndarray, cameras: np.ndarray) -> float:
    """Mean absolute change in the hole after undoing the camera's motion (0..255)."""
    scores = []
    for t, flow in enumerate(cameras):
        region = holes[t] & inside_frame(flow)
        if region.any():
            diff = np.abs(warp(result[t + 1], flow) - result[t].astype(np.float32))
            scores.append(float(diff[region].mean()))
    return float(np.mean(scores)) if scores else 0.0


def metrics(
    result: np.ndarray,
    truth: np.ndarray,
    holes: np.ndarray,
    reference: ReferenceFlow,
    cameras: np.ndarray,
) -> dict[str, float]:
    hole = holes[0]
    diff = result[:, hole].astype(np.float64) - truth[:, hole]
    psnr = 10 * np.log10(255.0**2 / max((diff**2).mean(), 1e-9))
    g_res = np.mean([grad_mag(f)[hole].mean() for f in result])
    g_gt = np.mean([grad_mag(f)[hole].mean() for f in truth])
    grey = result.astype(np.float32).mean(axis=3)
    raw = float(np.abs(np.diff(grey, axis=0))[:, hole].mean()) if len(result) > 1 else 0.0
    flicker = masked_flicker(result, holes, reference) if len(result) > 1 else 0.0
    camera = camera_flicker(result, holes, cameras)
    return {
        "psnr": psnr,
        "texture": g_res / max(g_gt, 1e-9),
        "flicker": flicker,
        "camera": camera,
        "raw": raw,
    }


def sheet(truth, telea, patch, hole, path: Path) -> None:
    """Middle frame, cropped around the hole with a margin: truth | Telea | patch."""
    ys, xs = np.nonzero(hole)
    pad = 24
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, hole.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, hole.shape[1])
    t = len(truth) // 2
    tiles = [a[t, y0:y1, x0:x1] for a in (truth, telea, patch)]
    gap = np.full((y1 - y0, 4, 3), 255, np.uint8)
    row = np.concatenate([tiles[0], gap, tiles[1], gap, tiles[2]], axis=1)
    cv2.imwrite(str(path), cv2.cvtColor(row, cv2.COLOR_RGB2BGR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--clips", default="devil-sample,schoolgirls,rollerblade,tennis")
    parser.add_argument("--masks", default="box,bg-box,caption")
    parser.add_argument("--source-gap", type=int, default=5)
    parser.add_argument("--sheets", type=Path, default=Path("/tmp"))
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME:key=value,... fill_patch options (engine_KEY: PatchEngine's), compared "
        "in the same run (repeatable; the default settings always run as 'default')",
    )
    args = parser.parse_args()
    variants = {"default": {}}
    for spec in args.variant:
        name, _, opts = spec.partition(":")
        variants[name] = {
            k: _value(v) for k, v in (kv.split("=", 1) for kv in opts.split(",") if kv)
        }
    # Pay the numba JIT (or cache load) before any timing.
    fill_patch(np.zeros((32, 32, 3), np.uint8), np.eye(32, dtype=bool))

    header = (
        f"{'clip':13s} {'mask':7s} {'variant':9s} {'hole%':>5s} | {'PSNR tel':>8s} "
        f"{'PSNR pat':>8s} {'dPSNR':>6s} | {'tex tel':>7s} {'tex pat':>7s} | {'flk gt':>6s} "
        f"{'flk tel':>7s} {'flk pat':>7s} {'ratio':>5s} | {'cam gt':>6s} {'cam tel':>7s} "
        f"{'cam pat':>7s} {'ratio':>5s} | {'raw tel':>7s} {'raw pat':>7s} "
        f"{'ratio':>5s} | {'s/frame':>7s}"
    )
    print(header)
    print("-" * len(header))
    rows: dict[str, list] = {name: [] for name in variants}
    for name in args.clips.split(","):
        truth = load(name, args.frames)
        count, height, width = truth.shape[:3]
        # One flow for every method: measured on the ground truth, as the
        # bench does for E_warp, so no method is judged by its own motion.
        reference = reference_flow(truth)
        cameras = camera_flows(reference)
        masks = static_masks(name, height, width)
        for mask_name in args.masks.split(","):
            if mask_name not in masks:
                continue
            hole = masks[mask_name]
            holes = np.repeat(hole[None], count, axis=0)
            blank = truth.copy()
            blank[holes] = 0  # nothing of the truth may leak into a fill
            telea = np.stack([fill_telea(f, hole) for f in blank])
            mt = metrics(telea, truth, holes, reference, cameras)
            mg = metrics(truth, truth, holes, reference, cameras)
            for variant, options in variants.items():
                # Options named engine_* go to the engine, the rest to fill_patch.
                settings = {k[7:]: v for k, v in options.items() if k.startswith("engine_")}
                fill = {k: v for k, v in options.items() if not k.startswith("engine_")}
                settings.setdefault("source_gap", args.source_gap)
                engine = PatchEngine(**settings, fill_options=fill)
                start = time.process_time()
                patch = engine.fill_window(blank, holes)
                per_frame = (time.process_time() - start) / count
                mp = metrics(patch, truth, holes, reference, cameras)
                ratio = mp["flicker"] / max(mt["flicker"], 1e-9)
                raw = mp["raw"] / max(mt["raw"], 1e-9)
                cam = mp["camera"] / max(mt["camera"], 1e-9)
                print(
                    f"{name:13s} {mask_name:7s} {variant:9s} {100 * hole.mean():5.1f} | "
                    f"{mt['psnr']:8.2f} {mp['psnr']:8.2f} {mp['psnr'] - mt['psnr']:+6.2f} | "
                    f"{mt['texture']:7.2f} {mp['texture']:7.2f} | {mg['flicker']:6.2f} "
                    f"{mt['flicker']:7.2f} {mp['flicker']:7.2f} {ratio:5.2f} | {mg['camera']:6.2f} "
                    f"{mt['camera']:7.2f} {mp['camera']:7.2f} {cam:5.2f} | {mt['raw']:7.2f} "
                    f"{mp['raw']:7.2f} {raw:5.2f} | {per_frame:7.2f}",
                    flush=True,
                )
                suffix = "" if variant == "default" else f"_{variant}"
                sheet(
                    truth,
                    telea,
                    patch,
                    hole,
                    args.sheets / f"vidfill_patch_{name}_{mask_name}{suffix}.png",
                )
                rows[variant].append(
                    (
                        mp["psnr"] - mt["psnr"],
                        mp["texture"],
                        ratio,
                        cam,
                        raw,
                        per_frame,
                        mg["flicker"] / max(mt["flicker"], 1e-9),
                        mg["camera"] / max(mt["camera"], 1e-9),
                    )
                )
    print("-" * len(header))
    for variant, got in rows.items():
        if not got:
            continue
        # The targets, over all cases: dPSNR >= -0.5, texture ratio
        # 0.75..1.25, flicker ratio (patch / Telea, flow-compensated) <= 0.5.
        d, tex, flk, cam, raw, sec, gt_flk, gt_cam = np.mean(got, axis=0)
        print(
            f"{variant}: mean of {len(got)} cases: dPSNR {d:+.2f} dB, texture ratio {tex:.2f}, "
            f"flicker ratio {flk:.2f} (camera-compensated {cam:.2f}, raw {raw:.2f}), "
            f"{sec:.2f} s/frame"
        )
    if any(rows.values()):
        # The truth is sharp, so resampling and flow error make it "flicker"
        # too; a blur (Telea) is steadier than reality under these measures.
        print(
            f"ground truth itself: flicker ratio {gt_flk:.2f} "
            f"(camera-compensated {gt_cam:.2f}) against Telea"
        )


def _value(text: str) -> object:
    """A command-line option value: int, float, or the string itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


if __name__ == "__main__":
    main()
