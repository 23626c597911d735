"""End to end: a tiny synthetic clip folder through ``vidfill bench``; real clips load."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from vidfill.bench.cases import build_cases, load_clip
from vidfill.cli import app


def _write_clip(root: Path, name: str, rng: np.random.Generator, masks: str | None) -> None:
    texture = cv2.resize(
        rng.integers(0, 255, (12, 30, 3), dtype=np.uint8), (240, 96), interpolation=cv2.INTER_CUBIC
    )
    (root / name / "frames").mkdir(parents=True)
    if masks:
        (root / name / "masks").mkdir()
    for t in range(6):
        frame = texture[:, 2 * t : 2 * t + 160]  # a slow pan
        cv2.imwrite(str(root / name / "frames" / f"{t:05d}.png"), frame)
        if masks == "per-frame":
            mask = np.zeros((96, 160), np.uint8)
            mask[30:50, 40 + 4 * t : 70 + 4 * t] = 255
            cv2.imwrite(str(root / name / "masks" / f"{t:05d}.png"), mask)
    if masks == "static":
        mask = np.zeros((96, 160), np.uint8)
        mask[10:30, 10:40] = 255
        cv2.imwrite(str(root / name / "masks" / "static.png"), mask)


@pytest.fixture
def clips(tmp_path: Path, rng: np.random.Generator) -> Path:
    root = tmp_path / "clips"
    _write_clip(root, "plain", rng, None)
    _write_clip(root, "object", rng, "per-frame")
    _write_clip(root, "logo", rng, "static")
    return root


def test_bench_writes_a_report_with_the_frame_baseline(clips: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = ["bench", str(clips), "--methods", "frame", "--size", "128x72", "--out", str(out),
            "--families", "blob,box-small", "--truth-clips", "logo"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    markdown = (out / "report.md").read_text()
    assert report["settings"]["methods"] == ["frame"]
    assert report["settings"]["size"] == "128x72"
    cases = report["cases"]
    assert {c["case_id"] for c in cases} == {
        "plain/blob", "plain/box-small", "object/blob", "object/box-small", "object/real",
        "logo/blob", "logo/box-small", "logo/real",
    }
    kinds = {c["case_id"]: c["kind"] for c in cases}
    assert kinds["object/real"] == "removal" and kinds["logo/real"] == "completion"
    for case in cases:
        scores = case["results"]["frame"]
        assert scores["error"] is None
        assert math.isfinite(scores["ewarp"])
        if case["kind"] == "completion":
            assert 5 < scores["psnr"] < 100 and 0 < scores["ssim"] <= 1
        else:
            assert "psnr" not in scores
        assert set(case["attributes"]) == {
            "mask_size", "mask_motion", "camera_motion", "background_motion"
        }
    assert report["methods"]["frame"]["fps"] > 0
    assert report["perceptual"]["vfid"].startswith("not computed")
    assert "## Video completion, all cases" in markdown and "| frame |" in markdown
    assert (out / "sheets" / "worst_completion.png").is_file()


def test_same_seed_same_cases(clips: Path) -> None:
    clip = load_clip(clips / "object", size=(128, 72))
    first = build_cases(clip, ["blob-moving"], seed=3)
    again = build_cases(clip, ["blob-moving"], seed=3)
    np.testing.assert_array_equal(first[0].masks, again[0].masks)
    assert [c.kind for c in first] == ["completion", "removal"]
    as_truth = build_cases(clip, [], real_masks_are_holes=True)
    assert [(c.case_id, c.kind) for c in as_truth] == [("object/real", "completion")]
    blank = first[0].method_input()
    assert not blank[first[0].masks].any()  # nothing of the truth leaks into the hole


@pytest.mark.clips
def test_real_clip_loads_at_the_protocol_size(clips_dir: Path) -> None:
    clip = load_clip(clips_dir / "schoolgirls", max_frames=4)
    assert clip.frames.shape == (4, 240, 432, 3)
    assert clip.real_masks is not None and clip.real_masks.shape == (4, 240, 432)
    assert clip.motion.camera < 1.0  # a static camera


def test_unknown_method_is_a_user_error(clips: Path, tmp_path: Path) -> None:
    from vidfill.errors import EngineError

    result = CliRunner().invoke(app, ["bench", str(clips), "--methods", "frame,bogus"])
    assert isinstance(result.exception, EngineError)
    assert "bogus" in str(result.exception)
