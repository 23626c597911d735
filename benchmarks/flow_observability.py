"""How much of each blob hole is observable somewhere in the window (an oracle), per fill class.

Issue #7 asks whether the flow engine's invented and leftover fills (see
``flow_breakdown.py``) hide content that some other frame does show. This
script answers it on the *ground truth*, which the engine never sees:

* **chain test**: DIS flow (``medium``) forward and backward between the
  truth's neighbours, at full size. Every hole pixel of every frame follows
  the truth's flow one frame at a time, forward and backward, each step
  passing the same forward-backward test as the engine
  (:func:`vidfill.flow.check.fb_consistent`), until it lands on a pixel more
  than 1 px outside that frame's hole (what the engine may copy from).
* **homography test**: every other frame aligned to the frame by one
  homography fitted (ORB + RANSAC) on the truth outside both holes; a hole
  pixel is observable where it maps more than 1 px outside the other
  frame's hole.

Either test must also pass a colour check: the truth's colour at the pixel
and at the landing point (both smoothed with a 3x3 box) differ by at most
``--colour`` grey levels (mean over RGB), so that a chain that drifted or a
homography that does not hold there (parallax, a moving object) does not
count. The nearest such frame gives the pixel's *distance*.

Per clip it first prints the engine's masked PSNR (as ``flow_quality.py``)
and what it would gain if the invented and leftover pixels that are
observable were right (the most a longer reach could give), and if all
invented and leftover pixels were right; in brackets the same for PSNR pooled
over all hole pixels of all frames (the mean over frames caps each frame at
100 dB, so a frame whose whole hole is invented reads as a huge gain).
Then, per clip and over the clips, the share of hole pixels observable
(by chain, by chain without the colour check: ``nocol``, by homography, by
either), then, per provenance class of the
engine's own fill (``flow_breakdown.run_with_provenance``), the share of
that class observable by either test, its median distance and how it splits
over distance buckets.

Usage::

    .venv/bin/python benchmarks/flow_observability.py --frames 40 --clips tennis,kite-surf
"""

from __future__ import annotations

import cv2
import numpy as np
from _paths import SHARED_CLIPS
from flow_breakdown import run_with_provenance
from flow_quality import case_arguments, case_settings
from numpy.typing import NDArray

from vidfill.bench.cases import build_cases, load_clip
from vidfill.bench.run import mean_masked_psnr, pooled_masked_psnr
from vidfill.engines.flow import PROVENANCE
from vidfill.flow.check import fb_consistent, sample_bilinear
from vidfill.flow.estimate import pair_flows

#: Frames between a pixel and where it is seen, as buckets (inclusive bounds).
DISTANCES = [(1, 2), (3, 5), (6, 10), (11, 20), (21, 10**6)]
#: No observation (the distance maps hold this).
UNSEEN = 10**6 + 1


def _allowed(holes: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Where a copy may land: more than 1 px outside each frame's hole (as the engine's sources)."""
    kernel = np.ones((3, 3), np.uint8)
    return np.stack([cv2.dilate(h.astype(np.uint8), kernel) == 0 for h in holes])


def _smoothed(frames: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Frames as float32 after a 3x3 box blur, for colour checks that tolerate sub-pixel offsets."""
    return np.stack([cv2.blur(f.astype(np.float32), (3, 3)) for f in frames])


def chain_distance(
    truth: NDArray[np.uint8],
    holes: NDArray[np.bool_],
    *,
    colour: float,
    copies: NDArray[np.float32] | None = None,
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Per hole pixel, frames to the nearest observation along the truth's flow chains.

    Returns two maps ``(T, H, W)``: with the colour check and without it
    (``UNSEEN`` where no chain lands on observed content, and outside holes).
    ``copies`` (``(T, H, W, 3)``), when given, receives at each colour-checked
    hole pixel the truth's colour where its nearest chain lands: what a copy
    with a perfect reach would paste (``flow_ceiling.py``).
    """
    count, height, width = holes.shape
    grey = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in truth])
    forward, backward = pair_flows(grey, preset="medium")
    allowed = _allowed(holes)
    smooth = _smoothed(truth)
    checked = np.full(holes.shape, UNSEEN, np.int32)
    plain = np.full(holes.shape, UNSEEN, np.int32)
    for t in range(count):
        pasted = None if copies is None else copies[t]
        ys, xs = np.nonzero(holes[t])
        if len(ys) == 0:
            continue
        here = sample_bilinear(smooth[t], xs.astype(np.float32), ys.astype(np.float32))
        best_checked = np.full(len(ys), UNSEEN, np.int32)
        best_plain = np.full(len(ys), UNSEEN, np.int32)
        for step in (1, -1):
            x = xs.astype(np.float32)
            y = ys.astype(np.float32)
            alive = np.ones(len(ys), bool)
            s = t
            while alive.any() and 0 <= s + step < count:
                pair = s if step == 1 else s - 1
                follow, check = forward[pair], backward[pair]
                if step == -1:
                    follow, check = check, follow
                rows = np.flatnonzero(alive)
                f = sample_bilinear(follow, x[rows], y[rows])
                qx, qy = x[rows] + f[:, 0], y[rows] + f[:, 1]
                g = sample_bilinear(check, qx, qy)
                valid, _ = fb_consistent(f, g)
                valid &= (qx >= 0) & (qx <= width - 1) & (qy >= 0) & (qy <= height - 1)
                s += step
                x[rows], y[rows] = qx, qy
                alive[rows[~valid]] = False
                rows, qx, qy = rows[valid], qx[valid], qy[valid]
                ry = np.clip(np.rint(qy), 0, height - 1).astype(np.intp)
                rx = np.clip(np.rint(qx), 0, width - 1).astype(np.intp)
                landed = allowed[s, ry, rx]
                rows, qx, qy = rows[landed], qx[landed], qy[landed]
                alive[rows] = False
                distance = abs(s - t)
                best_plain[rows] = np.minimum(best_plain[rows], distance)
                there = sample_bilinear(smooth[s], qx, qy)
                agree = np.abs(there - here[rows]).mean(axis=1) <= colour
                if pasted is not None:
                    # The backward pass may find a nearer landing than the forward one.
                    nearer = agree & (distance < best_checked[rows])
                    landing = sample_bilinear(truth[s], qx[nearer], qy[nearer])
                    pasted[ys[rows[nearer]], xs[rows[nearer]]] = landing
                best_checked[rows[agree]] = np.minimum(best_checked[rows[agree]], distance)
        checked[t, ys, xs] = best_checked
        plain[t, ys, xs] = best_plain
    return checked, plain


def _homographies(
    truth: NDArray[np.uint8], holes: NDArray[np.bool_]
) -> dict[tuple[int, int], NDArray[np.float64]]:
    """Homographies t -> s for every pair of frames, from ORB matches outside both holes."""
    orb = cv2.ORB_create(nfeatures=1500)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
    features = []
    kernel = np.ones((9, 9), np.uint8)
    for frame, hole in zip(truth, holes, strict=True):
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        # ORB's descriptors reach ~15 px: keep them off the hole's content.
        keep = (cv2.dilate(hole.astype(np.uint8), kernel, iterations=2) == 0).astype(np.uint8)
        points, descriptors = orb.detectAndCompute(grey, keep)
        features.append((np.float32([p.pt for p in points]), descriptors))
    out: dict[tuple[int, int], NDArray[np.float64]] = {}
    for t in range(len(truth)):
        for s in range(t + 1, len(truth)):
            (pa, da), (pb, db) = features[t], features[s]
            if da is None or db is None or len(pa) < 8 or len(pb) < 8:
                continue
            matches = matcher.match(da, db)
            if len(matches) < 8:
                continue
            a = pa[[m.queryIdx for m in matches]]
            b = pb[[m.trainIdx for m in matches]]
            matrix, inliers = cv2.findHomography(a, b, cv2.RANSAC, 2.0)
            if matrix is None or inliers.sum() < 12:
                continue
            out[(t, s)] = matrix
            out[(s, t)] = np.linalg.inv(matrix)
    return out


def homography_distance(
    truth: NDArray[np.uint8],
    holes: NDArray[np.bool_],
    *,
    colour: float,
    copies: NDArray[np.float32] | None = None,
) -> NDArray[np.int32]:
    """Per hole pixel, frames to the nearest frame a colour-checked homography shows it in.

    ``copies``, when given, receives the truth's colour where the pixel maps
    in that frame (as :func:`chain_distance`).
    """
    count, height, width = holes.shape
    allowed = _allowed(holes)
    smooth = _smoothed(truth)
    matrices = _homographies(truth, holes)
    out = np.full(holes.shape, UNSEEN, np.int32)
    for t in range(count):
        ys, xs = np.nonzero(holes[t])
        if len(ys) == 0:
            continue
        here = sample_bilinear(smooth[t], xs.astype(np.float32), ys.astype(np.float32))
        points = np.stack([xs, ys], axis=1).astype(np.float64)[:, None, :]
        best = np.full(len(ys), UNSEEN, np.int32)
        for s in sorted(range(count), key=lambda s: abs(s - t)):
            if s == t or (t, s) not in matrices:
                continue
            open_ = np.flatnonzero(best == UNSEEN)
            if len(open_) == 0:
                break
            mapped = cv2.perspectiveTransform(points[open_], matrices[(t, s)])[:, 0]
            qx, qy = mapped[:, 0].astype(np.float32), mapped[:, 1].astype(np.float32)
            inside = (qx >= 0) & (qx <= width - 1) & (qy >= 0) & (qy <= height - 1)
            ry = np.clip(np.rint(qy), 0, height - 1).astype(np.intp)
            rx = np.clip(np.rint(qx), 0, width - 1).astype(np.intp)
            there = sample_bilinear(smooth[s], qx, qy)
            agree = np.abs(there - here[open_]).mean(axis=1) <= colour
            hit = inside & allowed[s, ry, rx] & agree
            best[open_[hit]] = abs(s - t)
            if copies is not None:
                copies[t, ys[open_[hit]], xs[open_[hit]]] = sample_bilinear(
                    truth[s], qx[hit], qy[hit]
                )
        out[t, ys, xs] = best
    return out


def _bucket_shares(distance: NDArray[np.int32]) -> list[float]:
    total = max(len(distance), 1)
    return [float(((distance >= lo) & (distance <= hi)).sum()) / total for lo, hi in DISTANCES]


def main() -> None:
    parser = case_arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--colour", type=float, default=12.0, help="colour check bound (grey levels)"
    )
    args = parser.parse_args()
    (width, height), options, names = case_settings(args)
    buckets = " ".join(f"{f'{lo}-{hi}' if hi < 10**6 else f'{lo}+':>6s}" for lo, hi in DISTANCES)
    print(f"options: {options}; colour check {args.colour:g} grey levels")
    print(
        f"{'clip / class':28s} {'share':>6s} {'chain':>6s} {'nocol':>6s} {'homog':>6s} "
        f"{'either':>6s} {'median':>6s} | either, by distance {buckets}"
    )
    totals: dict[str, list[float]] = {}
    ceiling_sum = [0.0] * 6
    for name in names:
        clip = load_clip(CLIPS / name, size=(width, height), max_frames=args.frames)
        (case,) = build_cases(clip, ["blob"], seed=args.seed, removal=False)
        holes = case.masks
        chain, plain = chain_distance(case.truth, holes, colour=args.colour)
        homog = homography_distance(case.truth, holes, colour=args.colour)
        output, provenance, _ = run_with_provenance(case.method_input(), holes, options)
        output = np.where(holes[..., None], output, case.truth)
        either = np.minimum(chain, homog)
        groups = {"all": holes}
        for label, code in PROVENANCE.items():
            groups[label] = holes & (provenance == code)
        # The engine's two kinds of made-up content, together.
        invented = [PROVENANCE[k] for k in ("synthesised", "via keyframe synth")]
        leftover = [PROVENANCE[k] for k in ("leftover", "via keyframe leftover")]
        groups["invented (all)"] = holes & np.isin(provenance, invented)
        groups["leftover (all)"] = holes & np.isin(provenance, leftover)
        made_up = groups["invented (all)"] | groups["leftover (all)"]
        actual = [
            mean_masked_psnr(output, case.truth, holes),
            pooled_masked_psnr(output, case.truth, holes),
        ]
        ceilings = []
        for right in (made_up & (either < UNSEEN), made_up):
            oracle = np.where(right[..., None], case.truth, output)
            ceilings.append(mean_masked_psnr(oracle, case.truth, holes) - actual[0])
            ceilings.append(pooled_masked_psnr(oracle, case.truth, holes) - actual[1])
        print(
            f"{name}: masked PSNR {actual[0]:.2f} dB (pooled {actual[1]:.2f}); observable "
            f"invented and leftover pixels right {ceilings[0]:+.2f} (pooled {ceilings[1]:+.2f}), "
            f"all of them right {ceilings[2]:+.2f} (pooled {ceilings[3]:+.2f})"
        )
        ceiling_sum = [a + b for a, b in zip(ceiling_sum, [*actual, *ceilings], strict=True)]
        total = max(int(holes.sum()), 1)
        for label, where in groups.items():
            count = int(where.sum())
            if count == 0:
                continue
            d = either[where]
            seen = d < UNSEEN
            row = [
                count / total,
                float((chain[where] < UNSEEN).mean()),
                float((plain[where] < UNSEEN).mean()),
                float((homog[where] < UNSEEN).mean()),
                float(seen.mean()),
            ]
            median = float(np.median(d[seen])) if seen.any() else float("nan")
            shares = _bucket_shares(d)
            title = name if label == "all" else f"  {label}"
            print(
                f"{title:28s} "
                + " ".join(f"{v:6.3f}" for v in row)
                + f" {median:6.1f} | {'':20s}"
                + " ".join(f"{v:6.3f}" for v in shares),
                flush=True,
            )
            # Over clips, as shares of all hole pixels (a class absent counts 0).
            totals.setdefault(label, [0.0] * (len(row) + len(shares)))
            scaled = [row[0]] + [v * row[0] for v in row[1:]] + [v * row[0] for v in shares]
            totals[label] = [a + b / len(names) for a, b in zip(totals[label], scaled, strict=True)]
    mean = [v / max(len(names), 1) for v in ceiling_sum]
    print(
        f"mean over clips: masked PSNR {mean[0]:.2f} dB (pooled {mean[1]:.2f}); observable "
        f"invented and leftover pixels right {mean[2]:+.2f} (pooled {mean[3]:+.2f}), all of "
        f"them right {mean[4]:+.2f} (pooled {mean[5]:+.2f})"
    )
    print("mean over clips, as shares of ALL hole pixels: class share, observable by chain,")
    print("chain without colour check, homography, either; then either by distance bucket")
    for label, values in totals.items():
        print(
            f"  {label:26s} "
            + " ".join(f"{v:6.3f}" for v in values[:5])
            + f" {'':6s} | {'':20s}"
            + " ".join(f"{v:6.3f}" for v in values[5:])
        )


CLIPS = SHARED_CLIPS

if __name__ == "__main__":
    main()
