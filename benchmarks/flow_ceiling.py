"""The most a copy-and-paste fill could score on the blob protocol (an oracle ceiling, issue #7).

``flow_observability.py`` marks each blob-hole pixel *observable* when the
ground truth's own flow chains or homographies show its content outside the
hole in some other frame of the clip (colour-checked). A copy-and-paste
method, however good its reach, can at best put the truth there; what no frame
shows has to come from some other fill. This script scores, per clip, the
composites that bound it:

* ``flow``, ``telea``: the flow engine and the per-frame baseline
  (``--method frame``), as ``flow_quality.py`` runs them;
* ``obs+flow``, ``obs+telea``: the truth where observable, that output
  elsewhere;
* ``obs>telea``, ``obs>flow``: the truth where observable, and the rest
  filled by running Telea (per frame) or the flow engine again on input
  frames that hold the truth at the observable pixels and a hole only where
  nothing is observable (the rest's fill then starts from a nearer border,
  as a real copy-then-synthesise method's would);
* ``cp+telea``, ``cp+flow``, ``cp>telea``: the same with, instead of the
  truth, the truth's colour where the nearest observation lands (bilinear),
  what a copy with a perfect reach would paste.

The ``obs`` rows use the truth at observable pixels, the ``cp`` rows the
truth of other frames only (within the colour check's 12 grey levels); both
are upper bounds of copy-and-paste *given the oracle's reach*. The oracle
may miss content a better test would find, so they are not bounds of
everything imaginable. The clip's line gives the PSNR of the copies against
the truth (pooled over the observable pixels).

Per clip and output: whole-frame PSNR and masked PSNR (per frame, capped,
averaged, as ``completion_metrics``), masked PSNR minus Telea's, the share
of the output's masked squared error that lies in never-observable pixels
(``unseen``; 1 for every composite by construction) and the PSNR pooled over
those pixels. Then the means as ``flow_quality.py`` takes them: whole-frame
PSNR over its DAVIS clips, masked PSNR over all clips, and the clips whose
masked PSNR is below Telea's. ``--frames 1000`` runs whole clips (the
published protocol).

Usage::

    .venv/bin/python benchmarks/flow_ceiling.py --frames 40 --clips tennis,kite-surf
"""

from __future__ import annotations

import numpy as np
from _paths import SHARED_CLIPS
from flow_observability import UNSEEN, chain_distance, homography_distance
from flow_quality import DAVIS, _run, case_arguments, case_settings
from numpy.typing import NDArray

from vidfill.bench.cases import build_cases, load_clip
from vidfill.bench.run import mean_masked_psnr, mean_psnr, pooled_masked_psnr

CLIPS = SHARED_CLIPS
OUTPUTS = [
    "telea",
    "flow",
    "obs+telea",
    "obs+flow",
    "obs>telea",
    "obs>flow",
    "cp+telea",
    "cp+flow",
    "cp>telea",
]


def scores(
    output: NDArray[np.uint8],
    truth: NDArray[np.uint8],
    holes: NDArray[np.bool_],
    unseen: NDArray[np.bool_],
) -> dict[str, float]:
    """Whole-frame and masked PSNR as ``completion_metrics``, and the error in unseen pixels.

    ``output`` is already composited with the truth outside the holes.
    """
    error = ((output.astype(np.float64) - truth) ** 2).sum(axis=-1)
    total = float(error[holes].sum())
    return {
        "psnr": mean_psnr(output, truth),
        "masked": mean_masked_psnr(output, truth, holes),
        "unseen_share": float(error[unseen].sum()) / total if total > 0 else float("nan"),
        "unseen_psnr": pooled_masked_psnr(output, truth, unseen),
    }


def composites(
    truth: NDArray[np.uint8],
    holes: NDArray[np.bool_],
    observable: NDArray[np.bool_],
    copied: NDArray[np.uint8],
    options: dict,
) -> dict[str, NDArray[np.uint8]]:
    """The baseline, the engine and the oracle composites, each composited with the truth.

    ``copied`` holds the truth except at observable hole pixels, where it
    holds what a perfect-reach copy would paste.
    """

    def fill(method: str, where: NDArray[np.bool_], known: NDArray[np.uint8]) -> NDArray[np.uint8]:
        blanked = known.copy()
        blanked[where] = 0
        out, _ = _run(method, blanked, where, options if method == "flow" else {})
        return np.where(where[..., None], out, known)

    # The rerun's input: the truth wherever a copy could have put it.
    rest = holes & ~observable
    outputs = {"telea": fill("frame", holes, truth), "flow": fill("flow", holes, truth)}
    for name in ("telea", "flow"):
        outputs[f"obs+{name}"] = np.where(observable[..., None], truth, outputs[name])
    outputs["obs>telea"] = fill("frame", rest, truth)
    outputs["obs>flow"] = fill("flow", rest, truth)
    for name in ("telea", "flow"):
        outputs[f"cp+{name}"] = np.where(observable[..., None], copied, outputs[name])
    outputs["cp>telea"] = fill("frame", rest, copied)
    return outputs


def main() -> None:
    parser = case_arguments(__doc__.splitlines()[0])
    parser.set_defaults(
        clips="bmx-trees,tennis,dog-agility,car-shadow,motocross-jump,kite-surf,rollerblade,"
        "parkour-street,bikes,devil-sample,schoolgirls"
    )
    parser.add_argument(
        "--colour", type=float, default=12.0, help="colour check bound (grey levels)"
    )
    args = parser.parse_args()
    (width, height), options, names = case_settings(args)
    print(f"options: {options}; colour check {args.colour:g} grey levels; frames <= {args.frames}")
    print(
        f"{'clip / output':24s} {'psnr':>6s} {'mpsnr':>6s} {'vs tel':>6s} "
        f"{'unseen':>6s} {'unseen psnr':>11s}"
    )
    results: dict[str, dict[str, dict[str, float]]] = {}
    shares: dict[str, float] = {}
    for name in names:
        clip = load_clip(CLIPS / name, size=(width, height), max_frames=args.frames)
        (case,) = build_cases(clip, ["blob"], seed=args.seed, removal=False)
        holes, truth = case.masks, case.truth
        by_chain = np.zeros(truth.shape, np.float32)
        by_homog = np.zeros(truth.shape, np.float32)
        chain, _ = chain_distance(truth, holes, colour=args.colour, copies=by_chain)
        homog = homography_distance(truth, holes, colour=args.colour, copies=by_homog)
        observable = holes & (np.minimum(chain, homog) < UNSEEN)
        unseen = holes & ~observable
        shares[name] = float(observable.sum()) / max(int(holes.sum()), 1)
        # Paste from the nearer observation (the chain's on a tie).
        pasted = np.where((chain <= homog)[..., None], by_chain, by_homog)
        copied = np.where(observable[..., None], np.clip(np.rint(pasted), 0, 255), truth)
        copied = copied.astype(np.uint8)
        outputs = composites(truth, holes, observable, copied, options)
        results[name] = {k: scores(v, truth, holes, unseen) for k, v in outputs.items()}
        print(
            f"{name} ({len(truth)} frames): observable {shares[name]:.3f} of the hole "
            f"(chain {float((chain[holes] < UNSEEN).mean()):.3f}, "
            f"homography {float((homog[holes] < UNSEEN).mean()):.3f}); copies "
            f"{pooled_masked_psnr(copied, truth, observable):.2f} dB"
        )
        telea = results[name]["telea"]["masked"]
        for label in OUTPUTS:
            r = results[name][label]
            print(
                f"  {label:22s} {r['psnr']:6.2f} {r['masked']:6.2f} {r['masked'] - telea:+6.2f} "
                f"{r['unseen_share']:6.3f} {r['unseen_psnr']:11.2f}",
                flush=True,
            )
    davis = [n for n in names if n in DAVIS]
    print(f"mean observable share {np.mean(list(shares.values())):.3f} over {len(names)} clips")
    print(
        f"means: whole-frame PSNR over the {len(davis)} DAVIS clips ({','.join(davis)}); masked "
        f"PSNR and vs Telea over all {len(names)} clips; unseen share; clips below Telea"
    )
    for label in OUTPUTS:

        def mean(key: str, group: list[str], label: str = label) -> float:
            return float(np.mean([results[n][label][key] for n in group])) if group else np.nan

        gain = np.mean([results[n][label]["masked"] - results[n]["telea"]["masked"] for n in names])
        below = [n for n in names if results[n][label]["masked"] < results[n]["telea"]["masked"]]
        print(
            f"  {label:22s} {mean('psnr', davis):6.2f} {mean('masked', names):6.2f} "
            f"{gain:+6.2f} {mean('unseen_share', names):6.3f}  below Telea: "
            f"{','.join(below) if below else 'none'}"
        )


if __name__ == "__main__":
    main()
