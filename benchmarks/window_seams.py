"""Do fills jump at window boundaries? Temporal error on pairs that straddle a boundary vs inside.

Runs an engine through the orchestrator on shared clips with windows forced
short, records where windows end (the orchestrator's checkpoints), and
compares, for frame pairs (t, t+1), the flow-compensated change inside the
hole: pairs whose frames come from different windows (*straddle*) against
pairs from one window (*inside*). Two figures per pair, both inside the hole
at t over pixels the flow check keeps:

* flicker: mean absolute difference (0..255, over RGB);
* warping error: mean squared difference on 0..1 values, x10^-3 (E_warp of
  Lai et al. restricted to the hole).

Two kinds of case:

* *removal* (clips with real masks): no ground truth, so the flow is
  measured on the output itself;
* *completion* (``--completion`` clips with a synthetic mask family cut into
  intact frames): the flow comes from the ground truth, and whole-clip PSNR
  and masked PSNR against it show what the windows cost in quality.

``--single`` also runs each case as one window (no seams), the reference the
windowed figures should approach: once per phase, over the frames that
phase's windowed run sees. Each windowed run then also prints *matched*
figures: its error over the single run's on the very same pairs, for
straddling and inside pairs apart, and their quotient (*excess*). The
literal straddle/inside ratio also measures how hard the few pairs that
happen to straddle are (the single run's own ratio shows that part); the
excess leaves only what a boundary adds. A fade can shift a jump from the
straddling pair to the next ones, so *zone* compares the straddling pair
and the look-ahead pairs after it, together, with the pairs outside.

``--phases 3`` runs each case from 3 start offsets within the first window,
so boundaries fall on 3x as many (and different) frame pairs: per clip the
straddling pairs are few and their figure depends on where they fall.

``--fade 0,auto`` compares runs without and with the seam fade of
``fill_stream`` (``seam_frames``) in one invocation; a run ``0h9`` (or
``autoh9``) also hands over the first 9 frames of a window recurrently from
the last finished one (``handover_frames``).

Usage: python benchmarks/window_seams.py [--method flow] [--window 12] [--frames 80]
       [--names tennis,...] [--completion bikes,...] [--family blob-moving] [--single]
       [--fade 0,auto,0h9] [--phases 3]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from _paths import SHARED_CLIPS
from flow_quality import _options

from vidfill.bench.masks import make_masks
from vidfill.engines import get_engine
from vidfill.io.read import iter_frames, probe
from vidfill.masks import dilate
from vidfill.masks.sources import list_images, read_mask_image
from vidfill.metrics.image import masked_psnr, psnr
from vidfill.metrics.temporal import occlusion, reference_flow, warp
from vidfill.pipeline.run import fill_stream
from vidfill.pipeline.windows import WindowSettings

DEFAULT_CLIPS = SHARED_CLIPS
SIZE = (432, 240)


def load_frames(clip: Path, count: int) -> list[np.ndarray]:
    """The first ``count`` frames of a clip at 432x240."""
    return [
        cv2.resize(f, SIZE, interpolation=cv2.INTER_AREA)
        for _, f in zip(range(count), iter_frames(probe(clip / "frames")), strict=False)
    ]


def load_masks(clip: Path, count: int) -> list[np.ndarray]:
    """The clip's own per-frame masks at 432x240, dilated by 4 px."""
    return [
        dilate(
            cv2.resize(read_mask_image(p).view(np.uint8), SIZE, interpolation=cv2.INTER_NEAREST)
            > 0,
            4,
        )
        for p in list_images(clip / "masks")[:count]
    ]


@dataclass
class PairFlow:
    """Flow t -> t+1 and the pixels of t it is trusted on."""

    flow: np.ndarray
    valid: np.ndarray


def output_flow(a: np.ndarray, b: np.ndarray) -> PairFlow:
    """Flow measured on the output itself (removal: there is no ground truth)."""
    grey_a, grey_b = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    fwd, bwd = dis.calc(grey_a, grey_b, None), dis.calc(grey_b, grey_a, None)
    return PairFlow(fwd, ~occlusion(fwd, bwd))


def pair_errors(
    a: np.ndarray, b: np.ndarray, hole: np.ndarray, flow: PairFlow
) -> tuple[float, float]:
    """(flicker, warping error x1e3) of pair (a, b) inside ``hole`` on trusted pixels."""
    region = hole & flow.valid
    if not region.any():
        return float("nan"), float("nan")
    diff = warp(b, flow.flow)[region] - a[region].astype(np.float32)
    return float(np.abs(diff).mean()), float(((diff / 255.0) ** 2).mean() * 1e3)


def run(
    frames: list[np.ndarray],
    holes: list[np.ndarray],
    method: str,
    settings: WindowSettings,
    fade: int | None = None,
    options: dict[str, object] | None = None,
    handover: int = 0,
) -> tuple[list[np.ndarray], list[int]]:
    """The filled frames and the frame indices where a window's output starts.

    ``options`` are the engine's settings (``--opt key=value``, as ``flow_quality.py``);
    ``fade`` and ``handover`` go to ``fill_stream`` as ``seam_frames`` and ``handover_frames``.
    """
    boundaries: list[int] = []
    output = list(
        fill_stream(
            frames,
            holes,
            get_engine(method, **(options or {})),
            window=settings,
            max_side=None,
            on_checkpoint=boundaries.append,
            seam_frames=fade,
            handover_frames=handover,
        )
    )
    return output, boundaries


def pair_list(
    output: list[np.ndarray], holes: list[np.ndarray], flows: list[PairFlow] | None
) -> list[tuple[float, float]]:
    """(flicker, warping error) of every pair (t, t+1) of ``output``, inside ``holes[t]``."""
    pairs = []
    for t in range(len(output) - 1):
        flow = output_flow(output[t], output[t + 1]) if flows is None else flows[t]
        pairs.append(pair_errors(output[t], output[t + 1], holes[t], flow))
    return pairs


def seam_figures(labelled: list[tuple[list[tuple[float, float]], set[int]]]) -> dict[str, float]:
    """Mean flicker and warping error over inside and straddling pairs.

    ``labelled`` holds, per run, its pair figures and the frame indices where
    a window's output starts (pair t straddles when t + 1 is one); runs
    are pooled.
    """
    groups: dict[str, list[tuple[float, float]]] = {"inside": [], "straddle": []}
    for pairs, boundaries in labelled:
        for t, values in enumerate(pairs):
            groups["straddle" if t + 1 in boundaries else "inside"].append(values)
    figures = {}
    for group, values in groups.items():
        array = np.array(values, float).reshape(-1, 2)
        figures[f"flicker_{group}"] = float(np.nanmean(array[:, 0])) if len(array) else np.nan
        figures[f"ewarp_{group}"] = float(np.nanmean(array[:, 1])) if len(array) else np.nan
    figures["flicker_all"] = float(np.nanmean([v[0] for g in groups.values() for v in g]))
    figures["straddle_pairs"] = float(len(groups["straddle"]))
    return figures


def quality(
    output: list[np.ndarray], truth: list[np.ndarray], holes: list[np.ndarray]
) -> tuple[float, float]:
    """Mean PSNR and masked PSNR of the output against the ground truth."""
    whole = np.mean([psnr(o, t) for o, t in zip(output, truth, strict=True)])
    inside = np.mean(
        [masked_psnr(o, t, h) for o, t, h in zip(output, truth, holes, strict=True) if h.any()]
    )
    return float(whole), float(inside)


HEADER = (
    f"{'case':26s} {'run':6s} {'flk_in':>7s} {'flk_st':>7s} {'ratio':>6s} "
    f"{'ew_in':>7s} {'ew_st':>7s} {'ratio':>6s} {'flk_all':>7s} {'n_st':>4s} "
    f"{'psnr':>6s} {'mpsnr':>6s}"
)


def report(
    name: str, label: str, figures: dict[str, float], psnrs: tuple[float, float] | None
) -> None:
    """One line of the table."""
    f = figures
    line = (
        f"{name:26s} {label:6s} {f['flicker_inside']:7.3f} {f['flicker_straddle']:7.3f} "
        f"{f['flicker_straddle'] / f['flicker_inside']:6.2f} {f['ewarp_inside']:7.3f} "
        f"{f['ewarp_straddle']:7.3f} {f['ewarp_straddle'] / f['ewarp_inside']:6.2f} "
        f"{f['flicker_all']:7.3f} {int(f['straddle_pairs']):4d}"
    )
    if psnrs is not None:
        line += f" {psnrs[0]:6.2f} {psnrs[1]:6.2f}"
    print(line, flush=True)


def evaluate(
    name: str,
    frames: list[np.ndarray],
    holes: list[np.ndarray],
    truth: list[np.ndarray] | None,
    args: argparse.Namespace,
    settings: WindowSettings,
    fades: list[tuple[int | None, int]],
) -> dict[str, dict[str, float]]:
    """Run one case windowed once per seam fade (and as one window with ``--single``).

    Prints a line per run and returns every run's figures by its label. All
    runs of a case use the same code and inputs back to back, so their
    figures compare directly. With ``--single``, each windowed run also
    gets ``matched`` figures: its error over the single-window run's error
    on the very same pairs, straddling and inside apart.
    """
    options = _options(args.opt)
    flows = None
    if truth is not None:
        ref = reference_flow(np.stack(truth))
        flows = [PairFlow(f, v) for f, v in zip(ref.flows, ref.valid, strict=True)]
    # Boundaries fall on other frames when the clip starts later: phases
    # pool more straddling pairs, at different places in the clip.
    first_emit = settings.length - settings.lookahead
    offsets = sorted({round(p * first_emit / args.phases) for p in range(args.phases)})
    results = {}
    singles: list[list[tuple[float, float]]] = []
    if args.single:
        # One single-window run per phase, over the same frames the windowed
        # phase sees: a run started later has less past to fill from, so the
        # reference must start there too for its pairs to be the same pairs.
        for offset in offsets:
            one = WindowSettings(len(frames) - offset + 1, 0, 0)
            single, _ = run(frames[offset:], holes[offset:], args.method, one, options=options)
            phase_flows = None if flows is None else flows[offset:]
            singles.append(pair_list(single, holes[offset:], phase_flows))
            if offset == 0:
                single_psnrs = quality(single, truth, holes) if truth else None
    phase_boundaries: list[set[int]] = []
    for fade, handover in fades:
        labelled = []
        for offset in offsets:
            output, boundaries = run(
                frames[offset:], holes[offset:], args.method, settings, fade, options, handover
            )
            phase_flows = None if flows is None else flows[offset:]
            labelled.append((pair_list(output, holes[offset:], phase_flows), set(boundaries)))
            if offset == 0:
                psnrs = quality(output, truth, holes) if truth else None
        if not phase_boundaries:
            phase_boundaries = [bounds for _, bounds in labelled]
        figures = seam_figures(labelled)
        label = fade_label(settings, fade, handover)
        report(name, label, figures, psnrs)
        if singles:
            figures.update(matched_figures(labelled, singles, settings.lookahead))
            report_matched(name, label, figures)
        results[label] = figures
    if singles:
        # The single runs' pairs, labelled as each windowed phase cut them:
        # the literal ratio with no seam at all.
        single_figures = seam_figures(list(zip(singles, phase_boundaries, strict=True)))
        report(name, "single", single_figures, single_psnrs)
        results["single"] = single_figures
    return results


def matched_figures(
    labelled: list[tuple[list[tuple[float, float]], set[int]]],
    singles: list[list[tuple[float, float]]],
    lookahead: int,
) -> dict[str, float]:
    """Windowed error over single-window error on the same pairs, per group.

    The straddle/inside ratio of one run mixes the seam with how hard the
    pairs that happen to straddle are; dividing each pair group by the
    single-window run's error on the same pairs leaves what the windows
    add. ``excess_*`` is the straddling group's matched ratio over the
    inside group's: 1.0 means a boundary costs no more than windowing does
    anywhere.

    A fade can move a jump off the straddling pair onto the next ones
    (which count as inside), so ``zone_*`` also gives the matched ratio of
    the straddling pair and the ``lookahead`` pairs after it together,
    over that of the pairs outside that zone: the whole seam, however it
    is spread.
    """
    sums: dict[tuple[str, int], list[float]] = {}
    for (pairs, boundaries), single in zip(labelled, singles, strict=True):
        for t, (values, reference) in enumerate(zip(pairs, single, strict=True)):
            in_zone = any(0 <= t + 1 - b <= lookahead for b in boundaries)
            groups = (
                "straddle" if t + 1 in boundaries else "inside",
                "zone" if in_zone else "away",
            )
            for group in groups:
                for key in range(2):
                    if np.isfinite(values[key]) and np.isfinite(reference[key]):
                        total = sums.setdefault((group, key), [0.0, 0.0])
                        total[0] += values[key]
                        total[1] += reference[key]
    figures = {}
    for group in ("inside", "straddle", "zone", "away"):
        for key, metric in enumerate(("flicker", "ewarp")):
            windowed, single = sums.get((group, key), [np.nan, np.nan])
            figures[f"matched_{metric}_{group}"] = windowed / single if single else np.nan
    for metric in ("flicker", "ewarp"):
        figures[f"excess_{metric}"] = (
            figures[f"matched_{metric}_straddle"] / figures[f"matched_{metric}_inside"]
        )
        figures[f"zone_{metric}"] = (
            figures[f"matched_{metric}_zone"] / figures[f"matched_{metric}_away"]
        )
    return figures


def report_matched(name: str, label: str, figures: dict[str, float]) -> None:
    """One line: windowed/single on the same pairs, inside and straddling."""
    f = figures
    print(
        f"{name:26s} {label:6s} matched to single: flicker in {f['matched_flicker_inside']:.3f} "
        f"st {f['matched_flicker_straddle']:.3f} excess {f['excess_flicker']:.3f} "
        f"zone {f['zone_flicker']:.3f}; "
        f"warping error in {f['matched_ewarp_inside']:.3f} st {f['matched_ewarp_straddle']:.3f} "
        f"excess {f['excess_ewarp']:.3f} zone {f['zone_ewarp']:.3f}",
        flush=True,
    )


def fade_label(settings: WindowSettings, fade: int | None, handover: int = 0) -> str:
    """``w12`` for the default fade, ``w12f0`` for an explicit one, ``w12f0h9`` with a hand-over."""
    return (
        f"w{settings.length}"
        + ("" if fade is None else f"f{fade}")
        + (f"h{handover}" if handover else "")
    )


def parse_fades(text: str) -> list[tuple[int | None, int]]:
    """``"0,auto,0h9"`` -> ``[(0, 0), (None, 0), (0, 9)]``: ``(seam_frames,
    handover_frames)`` of each run."""
    runs = []
    for item in filter(None, text.split(",")):
        fade, _, handover = item.partition("h")
        runs.append((None if fade == "auto" else int(fade), int(handover or 0)))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="flow")
    parser.add_argument("--window", type=int, default=12)
    parser.add_argument("--frames", type=int, default=80)
    parser.add_argument("--context", type=int, default=None)
    parser.add_argument("--lookahead", type=int, default=None)
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    parser.add_argument("--names", default="tennis,rollerblade,schoolgirls,kite-surf")
    parser.add_argument("--completion", default="", help="clips to cut synthetic holes into")
    parser.add_argument("--family", default="blob-moving", help="synthetic mask family")
    parser.add_argument("--single", action="store_true", help="also run as one window")
    parser.add_argument(
        "--phases",
        type=int,
        default=1,
        help="run each case from this many start offsets (more straddling pairs)",
    )
    parser.add_argument(
        "--fade",
        default="0h9",
        help="runs to compare (fill_stream's default: 0h9): seam_frames values, e.g. 0,auto "
        "(0: no fade; auto: the look-ahead); "
        "a suffix hN also hands over N frames (handover_frames), e.g. 0h9",
    )
    parser.add_argument("--opt", action="append", default=[], help="engine option k=v")
    args = parser.parse_args()
    settings = WindowSettings.for_length(args.window)
    if args.context is not None or args.lookahead is not None:
        settings = WindowSettings(
            args.window,
            settings.context if args.context is None else args.context,
            settings.lookahead if args.lookahead is None else args.lookahead,
        )
    print(f"method={args.method} window={settings}")
    print("flk: flicker (0..255); ew: hole warping error x1e3; in/st: inside/straddling pairs")
    print(HEADER)
    fades = parse_fades(args.fade)
    ratios: dict[tuple[str, str], list[float]] = {}
    matched: dict[tuple[str, str], list[float]] = {}
    cases = [(n, "removal") for n in args.names.split(",") if n] + [
        (n, "completion") for n in args.completion.split(",") if n
    ]
    for name, kind in cases:
        frames = load_frames(args.clips / name, args.frames)
        if kind == "removal":
            masks = load_masks(args.clips / name, args.frames)
            results = evaluate(name, frames, masks, None, args, settings, fades)
        else:
            seed = sum(map(ord, name))  # fixed per clip, so every run draws the same holes
            holes = list(make_masks(args.family, frames[0].shape[:2], len(frames), seed))
            blanked = [
                np.where(h[..., None], 0, f).astype(np.uint8)
                for f, h in zip(frames, holes, strict=True)
            ]
            case = f"{name}/{args.family}"
            results = evaluate(case, blanked, holes, frames, args, settings, fades)
        for label, figures in results.items():
            for key in ("flicker", "ewarp"):
                ratio = figures[f"{key}_straddle"] / figures[f"{key}_inside"]
                ratios.setdefault((label, key), []).append(ratio)
                for measure in ("matched_{}_inside", "matched_{}_straddle", "excess_{}", "zone_{}"):
                    if measure.format(key) in figures:
                        matched.setdefault((label, measure.format(key)), []).append(
                            figures[measure.format(key)]
                        )
    # "single" uses the same pairs as the windowed runs: the ratio with no
    # seams at all, i.e. how much harder the straddling pairs are anyway.
    for label in dict.fromkeys(label for label, _ in ratios):
        print(
            f"{label}: mean straddle/inside ratio: "
            f"flicker {np.mean(ratios[label, 'flicker']):.2f}, "
            f"warping error {np.mean(ratios[label, 'ewarp']):.2f}"
        )
    # The apples-to-apples figure: windowed over single on the same pairs.
    for label in dict.fromkeys(label for label, _ in matched):
        parts = [
            f"{key} {np.nanmean(matched[label, key]):.3f}"
            for key in (
                "matched_flicker_inside",
                "matched_flicker_straddle",
                "excess_flicker",
                "zone_flicker",
                "matched_ewarp_inside",
                "matched_ewarp_straddle",
                "excess_ewarp",
                "zone_ewarp",
            )
        ]
        print(f"{label}: mean windowed/single on the same pairs: " + ", ".join(parts))


if __name__ == "__main__":
    main()
