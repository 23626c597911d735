"""Batches: one removal over several inputs, one result each, failures isolated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import read_folder, run_cli, textured_frames, write_folder, write_mask
from vidfill.batch import find_mask, output_name, plan_batch
from vidfill.errors import MaskError, OutputError

SHAPE = (48, 64)


def box_hole(x: int, y: int) -> np.ndarray:
    hole = np.zeros(SHAPE, bool)
    hole[y : y + 10, x : x + 10] = True
    return hole


@pytest.fixture
def clips(tmp_path: Path) -> list[Path]:
    return [
        write_folder(tmp_path / "in" / name, textured_frames(5, seed=seed))
        for seed, name in enumerate(("first", "second"))
    ]


def fill_args(*args: str) -> list[str]:
    return ["remove", *args, "-q", "--method", "frame", "--dilate", "0"]


def test_one_mask_removes_the_same_region_from_every_input(
    tmp_path: Path, clips: list[Path]
) -> None:
    mask = write_mask(tmp_path / "logo.png", box_hole(20, 10))
    out = tmp_path / "out"
    code = run_cli(*fill_args(*map(str, clips), "-m", str(mask), "-o", str(out)))
    assert code == 0
    hole = box_hole(20, 10)
    for clip in clips:
        results = read_folder(out / clip.name)
        originals = read_folder(clip)
        assert len(results) == len(originals)
        for original, result in zip(originals, results, strict=True):
            assert np.array_equal(original[~hole], result[~hole])
            assert not np.array_equal(original[hole], result[hole])


def test_a_missing_mask_fails_that_input_only(
    tmp_path: Path, clips: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    masks = tmp_path / "masks"
    masks.mkdir()
    write_mask(masks / "first.png", box_hole(5, 5))
    out = tmp_path / "out"
    code = run_cli(*fill_args(*map(str, clips), "--mask-dir", str(masks), "-o", str(out)))
    assert code == 2
    assert (out / "first").is_dir()
    assert not (out / "second").exists()
    err = capsys.readouterr().err
    assert "failed" in err and "second" in err and "1 done, 1 failed" in err


def test_a_rerun_skips_finished_outputs_unless_told_to_overwrite(
    tmp_path: Path, clips: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = fill_args(*map(str, clips), "--box", "20,10,10,10", "-o", str(out))
    assert run_cli(*args) == 0
    marker = out / "first" / "marker.txt"
    marker.write_text("kept")
    assert run_cli(*args) == 0
    assert marker.exists()  # skipped: the folder was not rewritten
    assert run_cli(*args, "--overwrite") == 0
    assert not marker.exists()


def test_output_names_keep_writable_containers() -> None:
    assert output_name(Path("a/clip.MOV")) == "clip.mov"
    assert output_name(Path("a/clip.mkv")) == "clip.mkv"
    assert output_name(Path("a/clip.avi")) == "clip.mp4"
    assert output_name(Path("a/clip.webm")) == "clip.mp4"


def test_plan_refuses_two_inputs_with_one_output(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="both be written"):
        plan_batch([tmp_path / "x/clip.mp4", tmp_path / "y/clip.avi"], tmp_path / "out")


def test_plan_refuses_a_file_as_output_folder(tmp_path: Path) -> None:
    (tmp_path / "out.txt").write_text("")
    with pytest.raises(OutputError, match="output folder"):
        plan_batch([tmp_path / "a.mp4", tmp_path / "b.mp4"], tmp_path / "out.txt")
    # A video name for several inputs is a mistake, not a folder to create.
    with pytest.raises(OutputError, match="output folder"):
        plan_batch([tmp_path / "a.mp4", tmp_path / "b.mp4"], tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_plan_refuses_both_mask_kinds(tmp_path: Path) -> None:
    with pytest.raises(MaskError, match="not both"):
        plan_batch([tmp_path / "a.mp4"], tmp_path / "out", mask="m.png", mask_dir=tmp_path)


def test_masks_are_found_by_name_folder_first(tmp_path: Path) -> None:
    (tmp_path / "clip").mkdir()
    (tmp_path / "clip.png").write_bytes(b"")
    (tmp_path / "other.mp4").write_bytes(b"")
    assert find_mask(tmp_path, Path("videos/clip.mp4")) == tmp_path / "clip"
    assert find_mask(tmp_path, Path("videos/other.mov")) == tmp_path / "other.mp4"
    with pytest.raises(MaskError, match="no mask named 'third'"):
        find_mask(tmp_path, Path("videos/third.mp4"))


def test_plan_refuses_to_write_over_an_input(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="replace its input"):
        plan_batch([tmp_path / "a.mp4", tmp_path / "b.mov"], tmp_path)
