"""Quality of the flow engine against the per-frame baseline on the shared clips.

Prints, per clip, whole-frame PSNR, masked PSNR and flow warping error for the
literature's stationary blob masks (hole blanked, ground truth known), and
E_warp / flicker inside the mask for the real object masks. Not a timed test.

Usage::

    .venv/bin/python benchmarks/flow_quality.py --frames 40 --clips tennis,bmx-trees \
        [--sheets /tmp/sheets] [--opt alpha=0.5 --opt flow_band=40]
"""

from __future__ import annotations

import argparse
import ast
import time
from pathlib import Path

import cv2
import numpy as np
from _paths import SHARED_CLIPS

import vidfill
from vidfill.bench.cases import build_cases, list_clips, load_clip
from vidfill.bench.run import completion_metrics, removal_metrics

CLIPS = SHARED_CLIPS
DAVIS = [
    "bmx-trees",
    "tennis",
    "dog-agility",
    "car-shadow",
    "motocross-jump",
    "kite-surf",
    "rollerblade",
]


def _options(pairs: list[str]) -> dict[str, object]:
    options: dict[str, object] = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    return options


def _run(method: str, frames: np.ndarray, masks: np.ndarray, options: dict) -> tuple:
    start = time.perf_counter()
    out = np.stack(list(vidfill.inpaint(frames, masks, method=method, **options)))
    return out, time.perf_counter() - start


def _sheet(path: Path, rows: list[np.ndarray]) -> None:
    """Side-by-side rows of frames (input | baseline | flow | truth) as one PNG."""
    image = np.concatenate([np.concatenate(r, axis=1) for r in rows], axis=0)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def case_arguments(description: str) -> argparse.ArgumentParser:
    """The options every flow benchmark over the blob cases takes (clips, frames, size, ...)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--clips", default=",".join(DAVIS + ["devil-sample", "schoolgirls"]))
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--size", default="432x240")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--opt", action="append", default=[], help="flow engine option k=v")
    return parser


def case_settings(args: argparse.Namespace) -> tuple[tuple[int, int], dict, list[str]]:
    """From :func:`case_arguments`' options: (width, height), engine options, and the
    requested clips that the shared folder holds."""
    width, height = (int(v) for v in args.size.split("x"))
    names = [c for c in args.clips.split(",") if c in list_clips(CLIPS)]
    return (width, height), _options(args.opt), names


def main() -> None:
    parser = case_arguments(__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=Path, default=None)
    parser.add_argument("--no-real", action="store_true", help="skip real-mask removal cases")
    args = parser.parse_args()
    (width, height), options, names = case_settings(args)
    if args.sheets:
        args.sheets.mkdir(parents=True, exist_ok=True)
    print(f"options: {options}")
    header = (
        f"{'case':28s} {'psnr f/o':>13s} {'mpsnr f/o':>13s} {'ewarp*1e3 f/o':>15s} "
        f"{'flicker f/o':>13s} {'fps f/o':>11s} {'texture f/o':>11s}"
    )
    print(header)
    completion = []
    for name in names:
        clip = load_clip(CLIPS / name, size=(width, height), max_frames=args.frames)
        for case in build_cases(clip, ["blob"], seed=args.seed, removal=not args.no_real):
            blanked = case.method_input()
            base, base_s = _run("frame", blanked, case.masks, {})
            ours, ours_s = _run("flow", blanked, case.masks, options)
            base = np.where(case.masks[..., None], base, case.truth)
            ours = np.where(case.masks[..., None], ours, case.truth)
            if case.kind == "completion":
                mb = completion_metrics(case, base, clip)
                mo = completion_metrics(case, ours, clip)
                completion.append((name, mb, mo))
                line = (
                    f"{case.case_id:28s} {mb['psnr']:6.2f}/{mo['psnr']:6.2f} "
                    f"{mb['masked_psnr']:6.2f}/{mo['masked_psnr']:6.2f} "
                    f"{1e3 * mb['ewarp']:7.3f}/{1e3 * mo['ewarp']:7.3f} "
                    f"{mb['flicker']:6.2f}/{mo['flicker']:6.2f}"
                )
                tail = f" {mb['texture_ratio']:5.2f}/{mo['texture_ratio']:5.2f}"
            else:
                mb = removal_metrics(case, base)
                mo = removal_metrics(case, ours)
                line = (
                    f"{case.case_id:28s} {'':13s} {'':13s} "
                    f"{1e3 * mb['ewarp']:7.3f}/{1e3 * mo['ewarp']:7.3f} "
                    f"{mb['flicker']:6.2f}/{mo['flicker']:6.2f}"
                )
                tail = ""
            n = len(blanked)
            print(f"{line} {n / base_s:5.1f}/{n / ours_s:5.1f}{tail}", flush=True)
            if args.sheets:
                picks = [n // 4, n // 2, (3 * n) // 4]
                rows = [[blanked[i], base[i], ours[i], case.truth[i]] for i in picks]
                tag = case.case_id.replace("/", "_")
                _sheet(args.sheets / f"{tag}.png", rows)
    davis = [(b, o) for name, b, o in completion if name in DAVIS]
    for label, group in (("DAVIS mean", davis), ("all mean", [(b, o) for _, b, o in completion])):
        if not group:
            continue
        mean = {
            k: (np.mean([b[k] for b, _ in group]), np.mean([o[k] for _, o in group]))
            for k in ("psnr", "masked_psnr", "ewarp", "flicker", "texture_ratio")
        }
        print(
            f"{label:28s} {mean['psnr'][0]:6.2f}/{mean['psnr'][1]:6.2f} "
            f"{mean['masked_psnr'][0]:6.2f}/{mean['masked_psnr'][1]:6.2f} "
            f"{1e3 * mean['ewarp'][0]:7.3f}/{1e3 * mean['ewarp'][1]:7.3f} "
            f"{mean['flicker'][0]:6.2f}/{mean['flicker'][1]:6.2f} {'':11s} "
            f"{mean['texture_ratio'][0]:5.2f}/{mean['texture_ratio'][1]:5.2f}"
        )


if __name__ == "__main__":
    main()
