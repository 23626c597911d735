"""The GUI's pure logic: box geometry, frame display, and the arguments of remove()."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import textured_frames, write_folder
from vidfill.errors import EngineError, InputError, MaskError, OutputError
from vidfill.ui.logic import (
    DEFAULT_QUALITY,
    MIN_BOX_SIDE,
    QUALITIES,
    Form,
    FrameLoader,
    FrameRange,
    FrameReader,
    Interrupted,
    LoadedFrame,
    Region,
    build_remove_kwargs,
    canvas_to_frame_box,
    default_output,
    fit_scale,
    frame_to_canvas_box,
    is_video_output,
    ppm_bytes,
    preview_output,
    resume_question,
    scale_for_display,
)


def test_fit_scale_shrinks_large_frames_and_enlarges_small_ones_up_to_a_limit() -> None:
    assert fit_scale((1080, 1920), (960, 540)) == pytest.approx(0.5)
    assert fit_scale((48, 64), (960, 540)) == 4.0
    assert fit_scale((100, 100), (300, 200)) == 2.0


def test_a_drag_maps_to_frame_pixels_in_any_direction() -> None:
    # Half-size preview: canvas (10, 20)-(50, 60) is frame (20, 40)-(100, 120).
    assert canvas_to_frame_box((10, 20), (50, 60), 0.5, (200, 300)) == (20, 40, 80, 80)
    assert canvas_to_frame_box((50, 60), (10, 20), 0.5, (200, 300)) == (20, 40, 80, 80)
    assert canvas_to_frame_box((50, 20), (10, 60), 0.5, (200, 300)) == (20, 40, 80, 80)


def test_a_drag_covers_every_pixel_it_touched() -> None:
    # Enlarged 4x: canvas 5..11 touches frame pixels 1 and 2.
    assert canvas_to_frame_box((5, 5), (11, 11), 4.0, (48, 64)) == (1, 1, 2, 2)


def test_a_drag_leaving_the_image_is_clamped_to_the_frame() -> None:
    assert canvas_to_frame_box((-30, -30), (40, 40), 1.0, (48, 64)) == (0, 0, 40, 40)
    assert canvas_to_frame_box((50, 30), (500, 500), 1.0, (48, 64)) == (50, 30, 14, 18)


def test_a_click_or_a_drag_outside_the_image_is_no_box() -> None:
    assert canvas_to_frame_box((10, 10), (12, 30), 1.0, (48, 64)) is None
    assert canvas_to_frame_box((100, 100), (200, 200), 1.0, (48, 64)) is None


def test_a_sliver_is_widened_to_the_minimum_side_inside_the_frame() -> None:
    # Enlarged 4x: a 4-canvas-pixel drag covers one frame pixel.
    box = canvas_to_frame_box((4, 4), (8, 8), 4.0, (48, 64))
    assert box == (1, 1, MIN_BOX_SIDE, MIN_BOX_SIDE)
    # At the right edge the box moves inwards instead of leaving the frame.
    box = canvas_to_frame_box((252, 4), (256, 8), 4.0, (48, 64))
    assert box == (64 - MIN_BOX_SIDE, 1, MIN_BOX_SIDE, MIN_BOX_SIDE)


def test_frame_box_round_trips_through_the_canvas() -> None:
    box = (20, 40, 80, 80)
    x0, y0, x1, y1 = frame_to_canvas_box(box, 0.5)
    assert canvas_to_frame_box((x0, y0), (x1, y1), 0.5, (200, 300)) == box


def test_display_frame_is_a_ppm_of_the_scaled_frame() -> None:
    frame = textured_frames(1)[0]
    small = scale_for_display(frame, 0.5)
    assert small.shape == (24, 32, 3)
    big = scale_for_display(frame, 2.0)
    assert big.shape == (96, 128, 3) and np.array_equal(big[::2, ::2], frame)
    data = ppm_bytes(small)
    assert data.startswith(b"P6 32 24 255\n") and data.endswith(small.tobytes())


def test_frame_reader_gives_frame_n_forwards_and_backwards(tmp_path: Path) -> None:
    frames = textured_frames(6)
    reader = FrameReader(write_folder(tmp_path / "clip", frames))
    assert reader.frame_count == 6
    for index in (0, 3, 4, 4, 1, 5):
        assert np.array_equal(reader.read(index), frames[index])
    with pytest.raises(InputError):
        reader.read(6)
    reader.close()


def test_frame_reader_reports_a_missing_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        FrameReader(tmp_path / "nothing.mp4")


def test_default_output_sits_beside_the_input(tmp_path: Path) -> None:
    assert default_output(tmp_path / "holiday.mov") == tmp_path / "holiday_filled.mp4"
    folder = tmp_path / "frames"
    folder.mkdir()
    assert default_output(folder) == tmp_path / "frames_filled.mp4"
    assert preview_output(tmp_path / "a_filled.mp4") == tmp_path / "a_filled_preview.mp4"
    assert preview_output(tmp_path / "out") == tmp_path / "out_preview.mp4"


def test_kwargs_split_regions_into_static_and_tracked_boxes(tmp_path: Path) -> None:
    form = Form(
        input=tmp_path / "in.mp4",
        method="patch",
        regions=[Region((1, 2, 3, 4)), Region((5, 6, 7, 8), frame=12, track=True)],
        dilate=6,
    )
    kwargs = build_remove_kwargs(form)
    assert kwargs == {
        "input": tmp_path / "in.mp4",
        "output": tmp_path / "in_filled.mp4",
        "method": "patch",
        "boxes": [(1, 2, 3, 4)],
        "track_boxes": [((5, 6, 7, 8), 12)],
        "mask": None,
        "dilate": 6,
        "start": None,
        "end": None,
        "preview": False,
        "overwrite": False,
        # A video output: the default quality.
        "crf": 18,
        "lossless": False,
    }


def test_kwargs_for_a_preview_go_to_a_preview_file_that_may_be_replaced(tmp_path: Path) -> None:
    form = Form(input=tmp_path / "in.mp4", output=tmp_path / "out.mp4", mask=tmp_path / "m")
    kwargs = build_remove_kwargs(form, preview=True)
    assert kwargs["output"] == tmp_path / "out_preview.mp4"
    assert kwargs["preview"] is True and kwargs["overwrite"] is True
    assert kwargs["mask"] == tmp_path / "m" and kwargs["boxes"] == []


def test_kwargs_refuse_an_incomplete_form(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="open a video"):
        build_remove_kwargs(Form(regions=[Region((1, 1, 4, 4))]))
    with pytest.raises(MaskError, match="draw a rectangle"):
        build_remove_kwargs(Form(input=tmp_path / "in.mp4"))
    with pytest.raises(EngineError, match="unknown method"):
        build_remove_kwargs(Form(input="in.mp4", method="magic", regions=[Region((1, 1, 4, 4))]))
    with pytest.raises(MaskError, match="growth"):
        build_remove_kwargs(Form(input="in.mp4", dilate=-1, regions=[Region((1, 1, 4, 4))]))


def test_region_describes_itself() -> None:
    assert Region((1, 2, 3, 4)).describe() == "every frame  1,2 3x4"
    assert Region((1, 2, 3, 4), frame=7, track=True).describe() == "track  1,2 3x4 @ frame 7"


def test_frame_reader_gives_up_when_told_and_keeps_its_place(tmp_path: Path) -> None:
    frames = textured_frames(8)
    reader = FrameReader(write_folder(tmp_path / "clip", frames))
    asked: list[int] = []

    def stop_after_two() -> bool:
        asked.append(1)
        return len(asked) >= 2

    assert reader.read(6, stop=stop_after_two) is None
    # The stream is two frames in; reading on forwards continues from there.
    assert reader._next == 2
    assert np.array_equal(reader.read(6, stop=lambda: False), frames[6])
    reader.close()


def test_frame_loader_serves_the_latest_request(tmp_path: Path) -> None:
    frames = textured_frames(8)
    loader = FrameLoader(FrameReader(write_folder(tmp_path / "clip", frames)))
    try:
        for index in (1, 7, 4):
            loader.request(index)
        results: list[LoadedFrame] = []
        while not results or results[-1].index != 4:
            results.append(loader.results.get(timeout=30))
        # Earlier requests may have been served or dropped, but the last one is right.
        assert results[-1].frame is not None and np.array_equal(results[-1].frame, frames[4])
        loader.request(99)
        failed = loader.results.get(timeout=30)
        assert failed.index == 99 and failed.frame is None and "outside" in failed.error
    finally:
        loader.close()


def test_a_frame_range_includes_the_frame_it_ends_on() -> None:
    frames = FrameRange().starting_at(10).ending_at(40)
    assert frames == FrameRange(10, 40)
    # remove()'s end is the frame to stop before.
    assert frames.remove_arguments() == {"start": 10, "end": 41}
    assert frames.describe(120) == "Frames 10–40 (31 of 120)"
    assert FrameRange().remove_arguments() == {"start": None, "end": None}
    assert FrameRange().describe(120) == "All frames" and FrameRange().whole
    assert FrameRange(5).describe(120) == "Frames 5–119 (115 of 120)"
    assert FrameRange(5).describe() == "Frames 5–the end"
    assert FrameRange(None, 0).remove_arguments() == {"start": None, "end": 1}
    assert FrameRange(None, 9).describe(120) == "Frames 0–9 (10 of 120)"


def test_a_start_after_the_end_drops_the_end_and_vice_versa() -> None:
    assert FrameRange(10, 40).starting_at(50) == FrameRange(50, None)
    assert FrameRange(10, 40).starting_at(40) == FrameRange(40, 40)
    assert FrameRange(10, 40).ending_at(5) == FrameRange(None, 5)
    assert FrameRange(10, None).ending_at(10) == FrameRange(10, 10)
    with pytest.raises(MaskError, match="ends"):
        FrameRange(10, 5).remove_arguments()


def test_kwargs_carry_the_frame_range(tmp_path: Path) -> None:
    form = Form(input=tmp_path / "in.mp4", regions=[Region((1, 1, 4, 4))], frames=FrameRange(3))
    kwargs = build_remove_kwargs(form)
    assert (kwargs["start"], kwargs["end"]) == (3, None)
    # The preview overlays the masks on the same frames only.
    preview = build_remove_kwargs(form, preview=True)
    assert (preview["start"], preview["end"]) == (3, None)


@pytest.mark.parametrize(
    ("quality", "crf", "lossless"),
    [("standard (crf 18)", 18, False), ("high (crf 12)", 12, False), ("lossless", 18, True)],
)
def test_quality_maps_to_the_encoder_of_a_video_output(
    tmp_path: Path, quality: str, crf: int, lossless: bool
) -> None:
    form = Form(input=tmp_path / "in.mp4", regions=[Region((1, 1, 4, 4))], quality=quality)
    for name in ("out.mp4", "out.MKV", "out.mov"):
        form.output = tmp_path / name
        kwargs = build_remove_kwargs(form)
        assert (kwargs["crf"], kwargs["lossless"]) == (crf, lossless)
    # A frame folder and the throwaway preview get remove()'s defaults.
    form.output = tmp_path / "frames"
    assert "crf" not in build_remove_kwargs(form) and "lossless" not in build_remove_kwargs(form)
    form.output = tmp_path / "out.mp4"
    assert "crf" not in build_remove_kwargs(form, preview=True)


def test_quality_choices_start_with_removes_default_and_refuse_unknown_ones(
    tmp_path: Path,
) -> None:
    assert QUALITIES[DEFAULT_QUALITY] == {"crf": 18, "lossless": False}
    assert list(QUALITIES) == ["standard (crf 18)", "high (crf 12)", "lossless"]
    form = Form(input=tmp_path / "in.mp4", regions=[Region((1, 1, 4, 4))], quality="best")
    with pytest.raises(OutputError, match="unknown quality"):
        build_remove_kwargs(form)


def test_video_outputs_are_told_by_suffix(tmp_path: Path) -> None:
    assert is_video_output(tmp_path / "a.mp4") and is_video_output("b.MOV")
    assert not is_video_output(tmp_path / "frames") and not is_video_output("x.png.d")


def test_the_resume_question_says_what_is_kept_and_what_each_answer_does() -> None:
    same = resume_question(Interrupted(250, same_settings=True), "out.mp4", 1200)
    assert "out.mp4" in same and "250 of 1200 frames finished" in same
    assert "Yes: resume" in same and "No: start over" in same
    assert "250 frames finished" in resume_question(Interrupted(250, True), "out.mp4", None)
    other = resume_question(Interrupted(500, same_settings=False), "out.mp4", 1200)
    assert "500 of 1200" in other and "other settings" in other and "discard" in other
    assert "Yes: resume" not in other
