"""Report pooling and table formatting, on hand-made case records."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from vidfill.bench.report import main_table, pooled
from vidfill.bench.run import QUICK_FAMILIES, BenchSettings


def _case(frames: int, psnr: float, ewarp: float) -> dict:
    return {
        "kind": "completion",
        "family": "blob",
        "clip": "c",
        "frames": frames,
        "attributes": {},
        "results": {"frame": {"psnr": psnr, "ewarp": ewarp}, "flow": {"psnr": psnr + 1}},
    }


def test_psnr_pools_over_frames_and_ewarp_over_cases() -> None:
    cases = [_case(10, 30.0, 1e-3), _case(30, 34.0, 3e-3)]
    assert pooled(cases, "frame", "psnr") == pytest.approx((10 * 30 + 30 * 34) / 40)
    assert pooled(cases, "frame", "ewarp") == pytest.approx(2e-3)
    assert pooled(cases, "nobody", "psnr") != pooled(cases, "nobody", "psnr")  # nan


def test_main_table_bolds_the_best_method() -> None:
    result = SimpleNamespace(
        settings=SimpleNamespace(methods=["frame", "flow"]),
        cases=[_case(10, 30.0, 1e-3)],
        methods={
            "frame": {"fps": 100.0, "peak_rss_mb": 150.0},
            "flow": {"fps": 10.0, "peak_rss_mb": 300.0},
        },
    )
    lines = main_table(result)
    psnr_row = next(line for line in lines if line.startswith("| PSNR (dB)"))
    assert psnr_row == "| PSNR (dB) ↑ | 30.00 | **31.00** |"
    fps_row = next(line for line in lines if line.startswith("| frames/s"))
    assert "**100.0**" in fps_row


def test_quick_preset_prefers_the_small_clips(tmp_path: Path) -> None:
    for name in ("zebra", "carphone", "alpha", "schoolgirls"):
        (tmp_path / name / "frames").mkdir(parents=True)
    settings = BenchSettings.quick_preset(tmp_path, ["frame"])
    assert settings.clips == ["carphone", "schoolgirls"]
    assert settings.frames == 12 and settings.families == list(QUICK_FAMILIES)
    assert BenchSettings.quick_preset(tmp_path, ["frame"], frames=5).frames == 5
