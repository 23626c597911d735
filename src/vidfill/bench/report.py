"""Writing the benchmark report: report.json, report.md, bar charts, contact sheets.

``report.md`` holds one table per attribute group with the methods side by
side and the best value of each row in bold. Pooling: PSNR, SSIM and PSNR
in the hole are means over all frames of the cases in a cell (the
protocol's frame pooling); every other metric is a mean over cases.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.bench.attributes import GROUPS
from vidfill.bench.cases import Case
from vidfill.compose import overlay_mask

if TYPE_CHECKING:  # run.py imports this module; only the type is needed here
    from vidfill.bench.run import BenchResult

#: Metric key -> (label, direction, format, scale). Direction: "max", "min" or "one"
#: (closest to 1 is best).
METRICS: dict[str, tuple[str, str, str, float]] = {
    "psnr": ("PSNR (dB) ↑", "max", "{:.2f}", 1.0),
    "ssim": ("SSIM ↑", "max", "{:.4f}", 1.0),
    "masked_psnr": ("PSNR in hole (dB) ↑", "max", "{:.2f}", 1.0),
    "ewarp": ("E_warp ×10⁻³ ↓", "min", "{:.3f}", 1e3),
    "flicker": ("flicker in hole ↓", "min", "{:.2f}", 1.0),
    "texture_ratio": ("texture ratio (→1)", "one", "{:.3f}", 1.0),
    "lpips": ("LPIPS ↓", "min", "{:.4f}", 1.0),
}
#: Metrics pooled over frames rather than cases.
FRAME_POOLED = frozenset({"psnr", "ssim", "masked_psnr"})
GROUP_METRICS = ("psnr", "ssim", "ewarp", "flicker")
REMOVAL_METRICS = ("ewarp", "flicker")
GROUP_TITLES = {
    "mask_size": "Mask size",
    "mask_motion": "Mask motion",
    "camera_motion": "Camera motion",
    "background_motion": "Background motion",
    "family": "Mask family",
}


# --------------------------------------------------------------------------- pooling


def pooled(cases: Iterable[dict[str, Any]], method: str, metric: str) -> float:
    """Pool one metric of one method over case records (see the module docstring).

    Cases where the method failed or the metric is missing / not finite are
    left out.
    """
    values, weights = [], []
    for case in cases:
        entry = case["results"].get(method, {})
        value = entry.get(metric)
        if value is None or not math.isfinite(value):
            continue
        values.append(value)
        weights.append(case["frames"] if metric in FRAME_POOLED else 1)
    if not values:
        return float("nan")
    return float(np.average(values, weights=weights))


def _best(values: list[float], direction: str) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    if direction == "max":
        return max(finite)
    if direction == "min":
        return min(finite)
    return min(finite, key=lambda v: abs(v - 1.0))


def _cells(values: list[float], direction: str, fmt: str, scale: float) -> list[str]:
    best = _best(values, direction)
    cells = []
    for value in values:
        if not math.isfinite(value):
            cells.append("–")
            continue
        text = fmt.format(value * scale)
        # Bold only a real winner: with one method (or all equal) nothing stands out.
        distinct = len({round(v, 12) for v in values if math.isfinite(v)}) > 1
        cells.append(f"**{text}**" if distinct and value == best else text)
    return cells


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# --------------------------------------------------------------------------- tables


def main_table(result: BenchResult) -> list[str]:
    """The overall completion table: metrics as rows, methods as columns."""
    methods = result.settings.methods
    completion = [c for c in result.cases if c["kind"] == "completion"]
    rows = []
    keys = [k for k in METRICS if k != "lpips" or any("lpips" in r for c in completion
                                                      for r in c["results"].values())]
    for key in keys:
        label, direction, fmt, scale = METRICS[key]
        values = [pooled(completion, m, key) for m in methods]
        rows.append([label, *_cells(values, direction, fmt, scale)])
    fps = [result.methods[m]["fps"] for m in methods]
    rows.append(["frames/s ↑", *_cells(fps, "max", "{:.1f}", 1.0)])
    peak = [result.methods[m]["peak_rss_mb"] for m in methods]
    rows.append(["peak RSS (MB) ↓", *_cells(peak, "min", "{:.0f}", 1.0)])
    return _table(["metric", *methods], rows)


def group_table(result: BenchResult, group: str) -> list[str]:
    """One attribute group: for each label, the group metrics with methods side by side."""
    methods = result.settings.methods
    completion = [c for c in result.cases if c["kind"] == "completion"]
    if group == "family":
        labels: tuple[str, ...] = tuple(dict.fromkeys(c["family"] for c in completion))
    else:
        labels = GROUPS[group]
    rows = []
    for value in labels:
        members = [c for c in completion if _label_of(c, group) == value]
        if not members:
            continue
        for index, key in enumerate(GROUP_METRICS):
            label, direction, fmt, scale = METRICS[key]
            values = [pooled(members, m, key) for m in methods]
            head = [value, str(len(members))] if index == 0 else ["", ""]
            rows.append([*head, label, *_cells(values, direction, fmt, scale)])
    return _table([GROUP_TITLES[group].lower(), "cases", "metric", *methods], rows)


def removal_table(result: BenchResult) -> list[str]:
    """Object removal (no ground truth): temporal metrics per clip."""
    methods = result.settings.methods
    removal = [c for c in result.cases if c["kind"] == "removal"]
    rows = []
    for case in removal:
        for index, key in enumerate(REMOVAL_METRICS):
            label, direction, fmt, scale = METRICS[key]
            values = [pooled([case], m, key) for m in methods]
            head = [case["clip"]] if index == 0 else [""]
            rows.append([*head, label, *_cells(values, direction, fmt, scale)])
    if removal:
        for index, key in enumerate(REMOVAL_METRICS):
            label, direction, fmt, scale = METRICS[key]
            values = [pooled(removal, m, key) for m in methods]
            head = [f"all {len(removal)}"] if index == 0 else [""]
            rows.append([*head, label, *_cells(values, direction, fmt, scale)])
    return _table(["clip", "metric", *methods], rows)


def clip_table(result: BenchResult) -> list[str]:
    """Completion per clip (all mask families pooled): PSNR and E_warp."""
    methods = result.settings.methods
    completion = [c for c in result.cases if c["kind"] == "completion"]
    rows = []
    for clip in dict.fromkeys(c["clip"] for c in completion):
        members = [c for c in completion if c["clip"] == clip]
        for index, key in enumerate(("psnr", "ewarp")):
            label, direction, fmt, scale = METRICS[key]
            values = [pooled(members, m, key) for m in methods]
            head = [clip, str(len(members))] if index == 0 else ["", ""]
            rows.append([*head, label, *_cells(values, direction, fmt, scale)])
    return _table(["clip", "cases", "metric", *methods], rows)


def _label_of(case: dict[str, Any], group: str) -> str:
    return case["family"] if group == "family" else case["attributes"][group]


# --------------------------------------------------------------------------- contact sheets


def contact_sheet(tiles: list[tuple[str, NDArray[np.uint8]]]) -> NDArray[np.uint8]:
    """Lay labelled RGB tiles side by side, each under a caption strip.

    Parameters
    ----------
    tiles : list of (caption, uint8 (H, W, 3))
        All the same size.

    Returns
    -------
    uint8 (H + 22, n * W, 3) RGB image.
    """
    strip = 22
    labelled = []
    for caption, image in tiles:
        canvas = np.full((image.shape[0] + strip, image.shape[1], 3), 255, np.uint8)
        canvas[strip:] = image
        cv2.putText(canvas, caption[:48], (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)
        labelled.append(canvas)
    return np.concatenate(labelled, axis=1)


class SheetKeeper:
    """Keeps the contact sheets of the best and worst cases seen so far.

    Completion cases are ranked by the mean whole-frame PSNR of the methods;
    removal cases by the mean flicker in the hole (worst = most flicker). Only
    the current best/worst images are kept, so memory stays small.
    """

    def __init__(self, methods: list[str]) -> None:
        self.methods = methods
        self._kept: dict[str, tuple[float, str, NDArray[np.uint8]]] = {}

    def offer(
        self, case: Case, record: dict[str, Any], outputs: dict[str, NDArray[np.uint8]]
    ) -> None:
        """Consider one finished case for the sheets."""
        if not outputs:
            return
        metric = "psnr" if case.kind == "completion" else "flicker"
        scores = [record["results"][m].get(metric) for m in outputs]
        scores = [s for s in scores if s is not None and math.isfinite(s)]
        if not scores:
            return
        score = float(np.mean(scores))
        if case.kind == "completion":
            self._consider("worst_completion", -score, case, outputs)
            self._consider("best_completion", score, case, outputs)
        else:
            self._consider("worst_removal", score, case, outputs)

    def _consider(
        self, slot: str, score: float, case: Case, outputs: dict[str, NDArray[np.uint8]]
    ) -> None:
        if slot in self._kept and self._kept[slot][0] >= score:
            return
        t = len(case.truth) // 2
        tiles = [(f"input + mask ({case.case_id}, frame {t})",
                  overlay_mask(case.truth[t], case.masks[t]))]
        if case.kind == "completion":
            tiles.append(("ground truth", case.truth[t]))
        tiles += [(method, outputs[method][t]) for method in self.methods if method in outputs]
        self._kept[slot] = (score, case.case_id, contact_sheet(tiles))

    def images(self) -> dict[str, NDArray[np.uint8]]:
        """Slot name -> sheet image (RGB)."""
        return {slot: image for slot, (_, _, image) in self._kept.items()}

    def case_ids(self) -> dict[str, str]:
        """Slot name -> the case it shows."""
        return {slot: case_id for slot, (_, case_id, _) in self._kept.items()}


# --------------------------------------------------------------------------- charts


def write_charts(result: BenchResult, folder: Path) -> list[str] | str:
    """One PNG bar chart per attribute group (PSNR and E_warp by label and method).

    Returns
    -------
    list of str or str
        The file names written, or a note when matplotlib is missing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "charts skipped: matplotlib is not installed (pip install 'vidfill[bench]')"
    methods = result.settings.methods
    completion = [c for c in result.cases if c["kind"] == "completion"]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for group in [*GROUPS, "family"]:
        labels = [
            v for v in (GROUPS.get(group) or dict.fromkeys(c["family"] for c in completion))
            if any(_label_of(c, group) == v for c in completion)
        ]
        if not labels:
            continue
        figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for axis, key in zip(axes, ("psnr", "ewarp"), strict=True):
            label, _, _, scale = METRICS[key]
            width = 0.8 / max(len(methods), 1)
            lowest = math.inf
            for index, method in enumerate(methods):
                heights = [
                    pooled([c for c in completion if _label_of(c, group) == v], method, key)
                    * scale
                    for v in labels
                ]
                lowest = min([lowest, *[h for h in heights if math.isfinite(h)]])
                positions = np.arange(len(labels)) + (index - (len(methods) - 1) / 2) * width
                axis.bar(positions, heights, width, label=method)
            axis.set_xticks(np.arange(len(labels)), labels, rotation=30 if len(labels) > 3 else 0)
            axis.set_title(label)
            if key == "psnr" and math.isfinite(lowest):
                # Differences of a dB or two are invisible on bars drawn from zero.
                axis.set_ylim(bottom=max(0.0, lowest - 5.0))
        axes[0].legend(fontsize=8)
        figure.suptitle(GROUP_TITLES[group])
        figure.tight_layout()
        name = f"{group}.png"
        figure.savefig(folder / name, dpi=90)
        plt.close(figure)
        written.append(f"charts/{name}")
    return written


# --------------------------------------------------------------------------- files


def _json_safe(value: Any) -> Any:
    """Replace NaN/inf (not valid JSON) by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _json_safe(value.item())
    return value


def write_report(result: BenchResult, folder: Path) -> dict[str, Path]:
    """Write report.json, report.md, charts/ and sheets/ into ``folder``.

    Returns
    -------
    dict
        ``{"json": path, "markdown": path}``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sheet_files = {}
    if result.sheets:
        (folder / "sheets").mkdir(exist_ok=True)
    for slot, image in result.sheets.items():
        name = f"sheets/{slot}.png"
        cv2.imwrite(str(folder / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        sheet_files[slot] = name
    charts = write_charts(result, folder / "charts")
    completion = [c for c in result.cases if c["kind"] == "completion"]
    summary = {
        m: {k: pooled(completion, m, k) for k in METRICS} for m in result.settings.methods
    }
    document = {
        "settings": result.settings.as_dict(),
        "seconds": result.seconds,
        "methods": result.methods,
        "summary_completion": summary,
        "clips": result.clips,
        "perceptual": result.perceptual,
        "charts": charts,
        "sheets": sheet_files,
        "sheet_cases": result.sheet_cases,
        "cases": result.cases,
    }
    json_path = folder / "report.json"
    json_path.write_text(json.dumps(_json_safe(document), indent=1))
    md_path = folder / "report.md"
    md_path.write_text("\n".join(markdown(result, charts, sheet_files)) + "\n")
    return {"json": json_path, "markdown": md_path}


def markdown(result: BenchResult, charts: list[str] | str, sheets: dict[str, str]) -> list[str]:
    """The lines of report.md."""
    settings = result.settings
    completion = [c for c in result.cases if c["kind"] == "completion"]
    removal = [c for c in result.cases if c["kind"] == "removal"]
    frames = sum(c["frames"] for c in completion)
    lines = [
        "# vidfill bench report",
        "",
        f"{len(result.clips)} clips at {settings.size[0]}x{settings.size[1]}, "
        f"{len(completion)} completion cases ({frames} frames), {len(removal)} removal cases; "
        f"methods: {', '.join(settings.methods)}; seed {settings.seed}"
        f"{'; --quick preset' if settings.quick else ''}; "
        f"frames per clip: {settings.frames or 'all'}; run took {result.seconds:.0f} s.",
        "",
        "Protocol: frames resized with INTER_LINEAR, masks NEAREST then dilated with a 3x3 cross "
        "4 times, hole pixels blanked in every method's input, scores on the composite. "
        "PSNR and SSIM (65x65 uniform window) are whole-frame and pooled over all frames, as the "
        "published tables; PSNR in the hole is not comparable to them. E_warp follows Lai et "
        "al. 2018 but with OpenCV DIS flow (the papers used FlowNet2/RAFT), so compare it only "
        "within this report. Per-frame PSNR is capped at 100 dB before pooling.",
        "",
        "## Video completion, all cases",
        "",
        *main_table(result),
        "",
    ]
    truth = [info["truth_ewarp"] for info in result.clips.values()
             if info["truth_ewarp"] is not None and math.isfinite(info["truth_ewarp"])]
    if truth:
        lines += [
            f"E_warp of the ground-truth clips themselves (the floor any method can reach): "
            f"{np.mean(truth) * 1e3:.3f} ×10⁻³ (mean over clips).",
            "",
        ]
    failures = {m: i for m, i in result.methods.items() if i["errors"] or i["startup_error"]}
    for method, info in failures.items():
        lines += [f"**{method}** failed on {info['errors']} case(s)"
                  f"{': ' + info['startup_error'] if info['startup_error'] else ''}.", ""]
    lines += [
        "Runtime is frames per second of `vidfill.inpaint` in the method's own process (after "
        "a warm-up), over all cases; peak RSS is that process's high-water mark (it includes "
        f"the interpreter and the clip it was given). LPIPS: {_note(result.perceptual['lpips'])}. "
        f"VFID: {_note(result.perceptual['vfid'])}.",
        "",
    ]
    for group in [*GROUPS, "family"]:
        lines += [f"## {GROUP_TITLES[group]}", "", *group_table(result, group), ""]
    lines += ["## Per clip", "", *clip_table(result), ""]
    if removal:
        lines += [
            "## Object removal (real masks, no ground truth)",
            "",
            "Temporal metrics only; the flow is measured on each method's own output.",
            "",
            *removal_table(result),
            "",
        ]
    lines += ["## Clips", ""]
    rows = [
        [name, info["source_size"], str(info["frames"]), f"{info['camera_motion_px']:.2f}",
         f"{info['background_motion_px']:.2f}", str(info["pairs_used"]),
         _format(info["truth_ewarp"], 1e3, "{:.3f}"), "yes" if info["has_masks"] else "no"]
        for name, info in result.clips.items()
    ]
    lines += _table(
        ["clip", "source size", "frames", "camera px/frame", "background px/frame",
         "pairs used", "truth E_warp ×10⁻³", "real masks"],
        rows,
    )
    lines += [
        "",
        "Motion is measured at the protocol size on DIS flow (affine fit = camera, residual = "
        "background); pairs across shot cuts (under 20% non-occluded pixels) are left out of "
        "every temporal metric.",
    ]
    lines += ["", "## Charts and contact sheets", ""]
    if isinstance(charts, str):
        lines.append(charts)
    else:
        lines += [f"![{Path(name).stem}]({name})" for name in charts]
    lines.append("")
    shown = getattr(result, "sheet_cases", {})
    lines += [
        f"- {slot.replace('_', ' ')} ({shown.get(slot, '?')}): ![{slot}]({name})"
        for slot, name in sheets.items()
    ]
    return lines


def _format(value: float | None, scale: float, fmt: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return fmt.format(value * scale)


def _note(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(
            f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items()
        )
    return str(value)
