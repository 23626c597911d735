"""Running the benchmark: every method on every case, each method in its own process.

Each method runs in a dedicated worker process (``multiprocessing`` *spawn*
context) through the public API, ``vidfill.inpaint(frames, masks,
method=name)``. A separate process per method gives an honest peak memory
(the worker's own ``ru_maxrss``, not polluted by the benchmark or other
methods) and keeps a crashing method from taking the run down. Each worker
first fills a tiny warm-up clip so that one-off costs (imports, numba
compilation) do not count as runtime. Methods run one after another, never
in parallel, so timings do not compete for cores.

Metric pooling follows the published protocol: PSNR and SSIM are means over
every frame of every case (not means of per-video means), E_warp is the mean
of per-video values.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from vidfill.bench.attributes import THRESHOLDS
from vidfill.bench.cases import Case, Clip, build_cases, list_clips, load_clip
from vidfill.bench.masks import FAMILIES
from vidfill.errors import VidfillError
from vidfill.metrics import perceptual
from vidfill.metrics.image import masked_psnr, psnr, ssim, texture_ratio
from vidfill.metrics.temporal import FLOW_PRESET, masked_flicker, reference_flow, warping_error

#: Per-frame PSNR values are capped here before pooling, so one perfect frame
#: (PSNR = inf) cannot make a whole mean infinite.
PSNR_CAP = 100.0

#: Clips preferred by ``--quick``: small, fast, and one with real masks.
QUICK_CLIPS = ("carphone", "devil-sample", "schoolgirls")
QUICK_FRAMES = 12
#: Mask families of ``--quick``: still one of each size and motion label.
QUICK_FAMILIES = ("blob", "blob-moving", "box-small", "caption", "blob-fast")


@dataclass
class BenchSettings:
    """Everything that decides a benchmark's numbers; stored in report.json."""

    clips_dir: Path
    methods: list[str]
    size: tuple[int, int] = (432, 240)
    frames: int | None = None
    clips: list[str] | None = None
    families: list[str] = field(default_factory=lambda: list(FAMILIES))
    seed: int = 0
    quick: bool = False
    #: Clips whose real masks cut holes into intact frames: scored as completion.
    truth_clips: list[str] = field(default_factory=list)
    lpips_weights: Path | None = None
    i3d_weights: Path | None = None

    @classmethod
    def quick_preset(cls, clips_dir: Path, methods: list[str], **overrides: Any) -> BenchSettings:
        """The ``--quick`` preset: three small clips, 12 frames each, five mask families."""
        available = list_clips(clips_dir)
        chosen = [name for name in QUICK_CLIPS if name in available] or available[:3]
        values: dict[str, Any] = {
            "clips": chosen,
            "frames": QUICK_FRAMES,
            "families": list(QUICK_FAMILIES),
            "quick": True,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(clips_dir=clips_dir, methods=methods, **values)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready settings, with the protocol constants that matter."""
        values = asdict(self)
        for key in ("clips_dir", "lpips_weights", "i3d_weights"):
            values[key] = None if values[key] is None else str(values[key])
        values["size"] = f"{self.size[0]}x{self.size[1]}"
        values["protocol"] = {
            "frame_resize": "cv2.INTER_LINEAR",
            "mask_resize": "cv2.INTER_NEAREST, > 0",
            "mask_dilation": "3x3 cross, 4 iterations",
            "hole_pixels_in_method_input": "set to 0 (black)",
            "composite": "method output inside the hole, ground truth outside",
            "psnr": "whole frame, 0..255 RGB, mean over all frames of all cases",
            "psnr_cap_db": PSNR_CAP,
            "ssim": "skimage structural_similarity, win_size=65, channel_axis=-1, "
            "data_range=255, mean over all frames",
            "ewarp": f"Lai et al. 2018 with OpenCV DIS ({FLOW_PRESET}) flow instead of FlowNet2; "
            "completion: flow on ground truth; removal: flow on each method's own output; "
            "MSE on 0..1 values, mean of per-case values",
            "attribute_thresholds": THRESHOLDS,
        }
        return values


@dataclass
class MethodRun:
    """A method's output on one case, with its runtime."""

    frames: NDArray[np.uint8] | None
    seconds: float
    error: str | None = None


# --------------------------------------------------------------------------- workers


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        try:
            import psutil

            return psutil.Process().memory_info().rss / 2**20
        except ImportError:
            return float("nan")


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # not on POSIX: the current value is the best we have
        return _current_rss_mb()
    # ru_maxrss is in kilobytes on Linux (bytes on macOS, where this reads high).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(conn: Any, method: str) -> None:
    """Worker process body: warm up, then fill each ``(frames, masks)`` received."""
    import vidfill

    try:
        warm_frames = np.full((3, 48, 64, 3), 120, np.uint8)
        warm_masks = np.zeros((3, 48, 64), bool)
        warm_masks[:, 16:32, 20:40] = True
        for _ in vidfill.inpaint(warm_frames, warm_masks, method=method):
            pass
    except Exception as error:  # noqa: BLE001  # any failure is reported, not raised
        conn.send(("error", f"{type(error).__name__}: {error}", _current_rss_mb()))
        return
    conn.send(("ready", None, _current_rss_mb()))
    while True:
        job = conn.recv()
        if job is None:
            break
        frames, masks = job
        start = time.perf_counter()
        try:
            output = np.stack(list(vidfill.inpaint(frames, masks, method=method)))
            conn.send(("ok", output, time.perf_counter() - start))
        except Exception as error:  # noqa: BLE001
            message = f"{type(error).__name__}: {error}"
            conn.send(("error", message, time.perf_counter() - start))
    conn.send(("done", _peak_rss_mb(), _current_rss_mb()))


class MethodWorker:
    """A method running in its own process; see the module docstring."""

    def __init__(self, method: str) -> None:
        self.method = method
        context = mp.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_worker, args=(child, method), daemon=True)
        self._process.start()
        child.close()
        status, message, rss = self._conn.recv()
        self.idle_rss_mb = float(rss)
        self.startup_error = message if status == "error" else None
        self.peak_rss_mb = float("nan")

    def fill(self, frames: NDArray[np.uint8], masks: NDArray[np.bool_]) -> MethodRun:
        """Run the method on one case; errors come back as ``MethodRun.error``."""
        if self.startup_error is not None:
            return MethodRun(None, 0.0, self.startup_error)
        self._conn.send((frames, masks))
        try:
            status, payload, seconds = self._conn.recv()
        except EOFError:
            self.startup_error = "the method's process died (out of memory?)"
            return MethodRun(None, 0.0, self.startup_error)
        if status == "ok":
            return MethodRun(payload, float(seconds))
        return MethodRun(None, float(seconds), str(payload))

    def close(self) -> None:
        """Stop the worker and collect its peak memory."""
        if self.startup_error is None and self._process.is_alive():
            self._conn.send(None)
            try:
                _, peak, _ = self._conn.recv()
                self.peak_rss_mb = float(peak)
            except EOFError:
                pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()


# --------------------------------------------------------------------------- metrics


def _finite_mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def mean_psnr(output: NDArray[np.uint8], truth: NDArray[np.uint8]) -> float:
    """Whole-frame PSNR of each frame (capped at :data:`PSNR_CAP`), averaged over frames."""
    return float(np.mean([min(psnr(o, g), PSNR_CAP) for o, g in zip(output, truth, strict=True)]))


def mean_masked_psnr(
    output: NDArray[np.uint8], truth: NDArray[np.uint8], masks: NDArray[np.bool_]
) -> float:
    """PSNR inside each frame's mask (capped), averaged over the frames that have one."""
    return _finite_mean(
        [min(masked_psnr(o, g, m), PSNR_CAP) for o, g, m in zip(output, truth, masks, strict=True)]
    )


def pooled_masked_psnr(
    output: NDArray[np.uint8], truth: NDArray[np.uint8], where: NDArray[np.bool_]
) -> float:
    """PSNR over the ``where`` pixels of all frames together (capped; nan if none)."""
    rows = (-1, *output.shape[2:])
    value = masked_psnr(
        output.reshape(rows), truth.reshape(rows), where.reshape(-1, where.shape[-1])
    )
    return min(value, PSNR_CAP)


def completion_metrics(case: Case, output: NDArray[np.uint8], clip: Clip) -> dict[str, float]:
    """Metrics of a completion case; ``output`` is already composited with the truth."""
    truth, masks = case.truth, case.masks
    triples = list(zip(output, truth, masks, strict=True))
    return {
        "psnr": mean_psnr(output, truth),
        "ssim": float(np.mean([ssim(o, g) for o, g, _ in triples])),
        "masked_psnr": mean_masked_psnr(output, truth, masks),
        "ewarp": warping_error(output, clip.reference),
        "flicker": masked_flicker(output, masks, clip.reference),
        "texture_ratio": _finite_mean(
            [texture_ratio(o, g, m) for o, g, m in triples]
        ),
    }


def removal_metrics(case: Case, output: NDArray[np.uint8]) -> dict[str, float]:
    """Temporal metrics of a removal case, with flow measured on the output itself.

    There is no ground truth, and the input's flow follows the removed
    object, so the only neutral reference is the result's own motion.
    """
    reference = reference_flow(output)
    return {
        "ewarp": warping_error(output, reference),
        "flicker": masked_flicker(output, case.masks, reference),
    }


# --------------------------------------------------------------------------- the run


@dataclass
class BenchResult:
    """Everything the report is written from."""

    settings: BenchSettings
    methods: dict[str, dict[str, Any]]
    clips: dict[str, dict[str, Any]]
    cases: list[dict[str, Any]]
    perceptual: dict[str, Any]
    sheets: dict[str, NDArray[np.uint8]]
    seconds: float
    sheet_cases: dict[str, str] = field(default_factory=dict)


Progress = Callable[[str], None]


def run_bench(settings: BenchSettings, progress: Progress | None = None) -> BenchResult:
    """Run every method on every case of ``settings``; return all the numbers.

    Parameters
    ----------
    settings : BenchSettings
    progress : callable, optional
        Called with a one-line message per clip and case.

    Raises
    ------
    VidfillError
        For a missing clips folder, an unknown clip or mask family.
    """
    from vidfill.bench.report import SheetKeeper

    started = time.perf_counter()
    say = progress or (lambda message: None)
    available = list_clips(settings.clips_dir)
    names = settings.clips or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise VidfillError(f"{settings.clips_dir}: no clip named {', '.join(unknown)}")
    unknown_truth = sorted(set(settings.truth_clips) - set(available))
    if unknown_truth:  # names outside this run (--quick, --clips) are fine; typos are not
        raise VidfillError(f"{settings.clips_dir}: no clip named {', '.join(unknown_truth)}")
    bad_families = sorted(set(settings.families) - set(FAMILIES))
    if bad_families:
        raise VidfillError(
            f"unknown mask family {', '.join(bad_families)}; choose from {', '.join(FAMILIES)}"
        )
    # The baseline is always part of the comparison, and comes first in the tables.
    settings.methods = ["frame", *[m for m in dict.fromkeys(settings.methods) if m != "frame"]]
    lpips_model = perceptual.load_model(settings.lpips_weights)
    i3d_model = perceptual.load_model(settings.i3d_weights)
    features: dict[str, list[NDArray[np.float64]]] = {"truth": []}

    workers = {}
    for method in settings.methods:
        say(f"starting method {method}")
        workers[method] = MethodWorker(method)
    totals = {m: {"seconds": 0.0, "frames": 0, "errors": 0} for m in settings.methods}
    clips_info: dict[str, dict[str, Any]] = {}
    cases_out: list[dict[str, Any]] = []
    sheets = SheetKeeper(settings.methods)
    try:
        for name in names:
            say(f"clip {name}: loading and measuring flow")
            clip = load_clip(
                settings.clips_dir / name, size=settings.size, max_frames=settings.frames
            )
            clips_info[name] = {
                "source_size": f"{clip.source_size[0]}x{clip.source_size[1]}",
                "frames": len(clip.frames),
                "has_masks": clip.real_masks is not None,
                "camera_motion_px": clip.motion.camera,
                "background_motion_px": clip.motion.background,
                "pairs_used": int(clip.reference.used.sum()),
                "truth_ewarp": warping_error(clip.frames, clip.reference),
            }
            cases = build_cases(
                clip, settings.families, seed=settings.seed,
                real_masks_are_holes=name in settings.truth_clips,
            )
            for case in cases:
                say(f"  case {case.case_id}")
                record = _run_case(case, clip, workers, totals, lpips_model, i3d_model, features)
                cases_out.append(record["json"])
                sheets.offer(case, record["json"], record["outputs"])
    finally:
        for worker in workers.values():
            worker.close()

    methods_info = {}
    for method, worker in workers.items():
        total = totals[method]
        methods_info[method] = {
            "frames": total["frames"],
            "seconds": total["seconds"],
            "fps": total["frames"] / total["seconds"] if total["seconds"] > 0 else float("nan"),
            "idle_rss_mb": worker.idle_rss_mb,
            "peak_rss_mb": worker.peak_rss_mb,
            "errors": total["errors"],
            "startup_error": worker.startup_error,
        }
    return BenchResult(
        settings=settings,
        methods=methods_info,
        clips=clips_info,
        cases=cases_out,
        perceptual=_perceptual_summary(lpips_model, i3d_model, features, settings.methods),
        sheets=sheets.images(),
        seconds=time.perf_counter() - started,
        sheet_cases=sheets.case_ids(),
    )


def _run_case(
    case: Case,
    clip: Clip,
    workers: dict[str, MethodWorker],
    totals: dict[str, dict[str, Any]],
    lpips_model: Any,
    i3d_model: Any,
    features: dict[str, list[NDArray[np.float64]]],
) -> dict[str, Any]:
    blanked = case.method_input()
    results: dict[str, Any] = {}
    outputs: dict[str, NDArray[np.uint8]] = {}
    completion = case.kind == "completion"
    if completion and i3d_model is not None:
        features["truth"].append(perceptual.i3d_features(i3d_model, case.truth))
    for method, worker in workers.items():
        run = worker.fill(blanked, case.masks)
        entry: dict[str, Any] = {"seconds": run.seconds, "error": run.error}
        if run.frames is None or run.frames.shape != case.truth.shape:
            entry["error"] = run.error or f"output shape {getattr(run.frames, 'shape', None)}"
            totals[method]["errors"] += 1
            results[method] = entry
            continue
        # The protocol scores the composite: ground truth outside the hole, whatever
        # the method did there (the pipeline already guarantees this; cheap to enforce).
        output = np.where(case.masks[..., None], run.frames, case.truth)
        outputs[method] = output
        totals[method]["seconds"] += run.seconds
        totals[method]["frames"] += len(output)
        entry["fps"] = len(output) / run.seconds if run.seconds > 0 else float("nan")
        if completion:
            entry.update(completion_metrics(case, output, clip))
            if lpips_model is not None:
                entry["lpips"] = perceptual.lpips(lpips_model, output, case.truth)
            if i3d_model is not None:
                features.setdefault(method, []).append(
                    perceptual.i3d_features(i3d_model, output)
                )
        else:
            entry.update(removal_metrics(case, output))
        results[method] = entry
    record = {
        "case_id": case.case_id,
        "clip": case.clip,
        "kind": case.kind,
        "family": case.family,
        "seed": case.seed,
        "frames": len(case.truth),
        "attributes": case.attributes,
        "measures": case.measures,
        "results": results,
    }
    return {"json": record, "outputs": outputs}


def _perceptual_summary(
    lpips_model: Any,
    i3d_model: Any,
    features: dict[str, list[NDArray[np.float64]]],
    methods: list[str],
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "lpips": "per case (see results)" if lpips_model is not None else perceptual.NOT_COMPUTED,
    }
    if i3d_model is None:
        summary["vfid"] = perceptual.NOT_COMPUTED
        return summary
    truth = np.stack(features["truth"]) if features["truth"] else None
    vfid = {}
    for method in methods:
        rows = features.get(method, [])
        if truth is None or len(rows) < 2 or len(rows) != len(truth):
            vfid[method] = "not computed: needs at least 2 completed completion cases"
            continue
        vfid[method] = perceptual.frechet_distance(truth, np.stack(rows))
    summary["vfid"] = vfid
    return summary
