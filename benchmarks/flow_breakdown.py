"""Where the flow engine's masked error comes from, per clip and per fill class.

Runs the flow engine on the shared clips' blob completion cases (as
``flow_quality.py``) with provenance recording on (see
:data:`vidfill.engines.flow.PROVENANCE`), and splits each frame's hole
pixels by how they were filled: a neighbour chain, a distant frame, a chain
into a keyframe's copied or synthesised pixels, the keyframe's synthesis
itself, or the smooth leftover fill. Per class it prints

* ``share``: the share of all hole pixels (all frames) in the class;
* ``psnr``: PSNR over the class's pixels (pooled over frames);
* ``telea``: per-frame Telea's PSNR on the same pixels (the baseline);
* ``err``: the class's share of the squared error over all hole pixels;
* ``pooled``: how much the pooled masked PSNR (all hole pixels of all
  frames) would rise if the class's pixels were right (an oracle), in dB;
* ``cost``: the same for the clip's masked PSNR as ``flow_quality.py``
  computes it (mean over frames, each capped at 100 dB, so a class that
  fills whole frames' holes reads as a huge cost).

Then the copied pixels (first or second hand) by *age*: how many frames
back, through keyframes, their content was seen
(:attr:`vidfill.engines.flow.FlowEngine.provenance_age`), with share, PSNR
and Telea's PSNR per age bucket.

Usage::

    .venv/bin/python benchmarks/flow_breakdown.py --frames 40 --clips tennis,kite-surf \
        [--opt ring_chains=True]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _paths import SHARED_CLIPS
from flow_quality import _run, case_arguments, case_settings
from numpy.typing import NDArray

import vidfill.pipeline.run as pipeline_run
from vidfill.bench.cases import build_cases, load_clip
from vidfill.bench.run import mean_masked_psnr, pooled_masked_psnr
from vidfill.engines.base import get_engine
from vidfill.engines.flow import PROVENANCE
from vidfill.pipeline.windows import WindowSettings

CLIPS: Path = SHARED_CLIPS
#: Classes whose pixels were copied from observed content (first or second hand).
COPIED = [PROVENANCE[k] for k in ("local", "distant", "via keyframe local", "via keyframe distant")]
#: Age buckets (frames from where the copied content was observed, through keyframes).
AGES = [(0, 2.5), (2.5, 5.5), (5.5, 10.5), (10.5, 20.5), (20.5, 1e9)]


def run_with_provenance(
    frames: NDArray[np.uint8], masks: NDArray[np.bool_], options: dict
) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.float32]]:
    """The flow engine's output through the pipeline, its provenance and fill age, full frame.

    The pipeline crops each window to the hole's region: its region is
    caught on the way to place the engine's crop-sized record in the frame.
    Needs one window at full scale (40 frames at 432x240 are).
    """
    engine = get_engine("flow", **options)
    engine.record_provenance = True
    provenance = np.zeros(masks.shape, np.uint8)
    calls = []
    original = pipeline_run._fill_window

    def spy(engine_, context, pending, emit_count, region):  # type: ignore[no-untyped-def]
        filled = original(engine_, context, pending, emit_count, region)
        calls.append((region, len(context), engine_.provenance, engine_.provenance_age))
        return filled

    pipeline_run._fill_window = spy
    try:
        settings = WindowSettings.for_length(engine.preferred_window)
        out = np.stack(
            list(pipeline_run.fill_stream(iter(frames), iter(masks), engine, window=settings))
        )
    finally:
        pipeline_run._fill_window = original
    if len(calls) != 1 or calls[0][0].scale != 1.0 or calls[0][1] != 0:
        raise SystemExit("flow_breakdown needs a single full-scale window; use fewer frames")
    region, _, record, age = calls[0]
    provenance[(slice(None), *region.slices)] = record
    ages = np.zeros(masks.shape, np.float32)
    ages[(slice(None), *region.slices)] = age
    return out, provenance, ages


def breakdown(
    ours: NDArray[np.uint8],
    base: NDArray[np.uint8],
    truth: NDArray[np.uint8],
    masks: NDArray[np.bool_],
    provenance: NDArray[np.uint8],
) -> dict[str, tuple[float, ...]]:
    """Per class: share, PSNR, Telea's PSNR there, error share, pooled and mean oracle gains."""
    total = max(int(masks.sum()), 1)
    actual = mean_masked_psnr(ours, truth, masks)
    error = ((ours.astype(np.float64) - truth) ** 2).sum(axis=-1)
    total_error = max(float(error[masks].sum()), 1e-9)
    out: dict[str, tuple[float, ...]] = {}
    for name, code in dict(PROVENANCE, unlabelled=0).items():
        where = masks & (provenance == code)
        count = int(where.sum())
        if count == 0:
            continue
        err_share = float(error[where].sum()) / total_error
        oracle = np.where(where[..., None], truth, ours)
        out[name] = (
            count / total,
            pooled_masked_psnr(ours, truth, where),
            pooled_masked_psnr(base, truth, where),
            err_share,
            -10 * np.log10(max(1.0 - err_share, 1e-10)),
            mean_masked_psnr(oracle, truth, masks) - actual,
        )
    return out


def main() -> None:
    args = case_arguments(__doc__.splitlines()[0]).parse_args()
    (width, height), options, names = case_settings(args)
    print(f"options: {options}")
    print(
        f"{'clip / class':30s} {'share':>6s} {'psnr':>6s} {'telea':>6s} {'err':>6s} "
        f"{'pooled':>7s} {'cost':>7s}"
    )
    pooled: dict[str, list[tuple[float, ...]]] = {}
    for name in names:
        clip = load_clip(CLIPS / name, size=(width, height), max_frames=args.frames)
        (case,) = build_cases(clip, ["blob"], seed=args.seed, removal=False)
        blanked = case.method_input()
        base, _ = _run("frame", blanked, case.masks, {})
        ours, provenance, age = run_with_provenance(blanked, case.masks, options)
        base = np.where(case.masks[..., None], base, case.truth)
        ours = np.where(case.masks[..., None], ours, case.truth)
        flow_db = mean_masked_psnr(ours, case.truth, case.masks)
        base_db = mean_masked_psnr(base, case.truth, case.masks)
        print(
            f"{name:30s} masked PSNR flow {flow_db:6.2f}  telea {base_db:6.2f}  "
            f"({flow_db - base_db:+.2f})"
        )
        for label, (share, db, telea_db, err, gain, cost) in breakdown(
            ours, base, case.truth, case.masks, provenance
        ).items():
            print(
                f"  {label:28s} {share:6.3f} {db:6.2f} {telea_db:6.2f} {err:6.3f} "
                f"{gain:7.2f} {cost:7.2f}",
                flush=True,
            )
            pooled.setdefault(label, []).append((share, err, gain, cost))
        copied = case.masks & np.isin(provenance, COPIED)
        for low, high in AGES:
            where = copied & (age >= low) & (age < high)
            if where.any():
                label = f"copied, age {low:g}-{high:g}"
                share = where.sum() / case.masks.sum()
                db, telea_db = (
                    pooled_masked_psnr(ours, case.truth, where),
                    pooled_masked_psnr(base, case.truth, where),
                )
                print(f"  {label:28s} {share:6.3f} {db:6.2f} {telea_db:6.2f}")
    print("mean over clips (a class absent from a clip counts 0): share, err, pooled, cost")
    for label, values in pooled.items():
        means = [sum(v[i] for v in values) / len(names) for i in range(4)]
        print(
            f"  {label:28s} {means[0]:6.3f} {'':13s} {means[1]:6.3f} {means[2]:7.2f} "
            f"{means[3]:7.2f}"
        )


if __name__ == "__main__":
    main()
