"""Bad inputs and outputs: a clear VidfillError naming the path, and nothing left behind."""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.io.media import pattern
from vidfill.errors import InputError, InputNotFoundError, OutputError, VidfillError
from vidfill.io import write as io_write
from vidfill.io.read import iter_frames, probe
from vidfill.io.write import check_output_path, open_output


def message(path: Path, text: str) -> str:
    """A regex matching exactly ``path: text``."""
    return "^" + re.escape(f"{path}: {text}") + "$"


# --- input --------------------------------------------------------------------------------------


def test_missing_input(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp4"
    with pytest.raises(InputNotFoundError, match=message(path, "no such file or folder")):
        probe(path)


def test_missing_input_is_also_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "nope")


def test_unreadable_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.mp4"
    path.write_bytes(b"x")
    # Tests may run as root, which chmod cannot lock out; pretend the check failed.
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(InputError, match=message(path, "cannot read the file (permission denied)")):
        probe(path)


def test_text_file_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "fake.mp4"
    path.write_text("this is not a video\n")
    expected = "not a video file FFmpeg can read (Invalid data found when processing input)"
    with pytest.raises(InputError, match=message(path, expected)):
        probe(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=message(path, "the file is empty")):
        probe(path)


def test_audio_only_file(tmp_path: Path) -> None:
    path = tmp_path / "song.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = 48000, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(InputError, match=message(path, "holds no video stream")):
        probe(path)


def test_zero_frames(tmp_path: Path) -> None:
    path = tmp_path / "none.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width = stream.height = 16
        out.start_encoding()
    expected = "holds no video frames (empty or cut-off file)"
    with pytest.raises(InputError, match=message(path, expected)):
        probe(path)


def test_folder_without_frames(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "readme.txt").write_text("no images here")
    expected = (
        "folder holds no png/jpg frames (looked for .bmp, .jpeg, .jpg, .png, .tif, .tiff, .webp "
        "files)"
    )
    with pytest.raises(InputError, match=message(folder, expected)):
        probe(folder)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_folder_frames_of_different_sizes(tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / f"a{suffix}"), np.zeros((10, 10, 3), np.uint8))
    cv2.imwrite(str(folder / f"b{suffix}"), np.zeros((10, 12, 3), np.uint8))
    expected = (
        f"frame is 12x10, but a{suffix} is 10x10; every frame of a folder must have the same size"
    )
    with pytest.raises(InputError, match=message(folder / f"b{suffix}", expected)):
        probe(folder)


def test_folder_with_a_broken_image(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "0001.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match=message(folder / "0001.png", "not a readable image")):
        probe(folder)


def test_image_replaced_after_probe_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(folder / name), np.zeros((8, 8, 3), np.uint8))
    info = probe(folder)
    cv2.imwrite(str(folder / "b.png"), np.zeros((9, 8, 3), np.uint8))
    with pytest.raises(InputError, match="b.png: frame is 8x9, the first frame is 8x8"):
        list(iter_frames(info))


# --- output path --------------------------------------------------------------------------------


def test_unsupported_output_extension(tmp_path: Path) -> None:
    path = tmp_path / "out.avi"
    expected = (
        "unsupported output extension '.avi'; use .mp4, .mkv, .mov or a folder name "
        "without an extension"
    )
    with pytest.raises(OutputError, match=message(path, expected)):
        check_output_path(path, [tmp_path / "in.mp4"], overwrite=False)


def test_output_equal_to_input(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    source.write_bytes(b"x")
    expected = "output is the same path as an input; choose another"
    with pytest.raises(OutputError, match=message(source, expected)):
        check_output_path(source, [source], overwrite=True)


def test_output_equal_to_input_through_another_spelling(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    source.write_bytes(b"x")
    other = tmp_path / "sub" / ".." / "in.mp4"
    (tmp_path / "sub").mkdir()
    with pytest.raises(OutputError, match="same path as an input"):
        check_output_path(other, [source], overwrite=True)


def test_output_folder_holding_the_input(tmp_path: Path) -> None:
    source = tmp_path / "frames" / "0001.png"
    source.parent.mkdir()
    source.write_bytes(b"x")
    expected = f"output folder contains the input {source}"
    with pytest.raises(OutputError, match=message(tmp_path, expected)):
        check_output_path(tmp_path, [source], overwrite=True)


def test_output_inside_input_folder(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    path = folder / "out.mp4"
    expected = f"output would be written inside the input folder {folder}"
    with pytest.raises(OutputError, match=message(path, expected)):
        check_output_path(path, [folder], overwrite=False)


def test_output_exists(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    path.write_bytes(b"old")
    expected = "already exists (pass --overwrite to replace it)"
    with pytest.raises(OutputError, match=message(path, expected)):
        check_output_path(path, [tmp_path / "in.mp4"], overwrite=False)
    check_output_path(path, [tmp_path / "in.mp4"], overwrite=True)


def test_output_folder_missing(tmp_path: Path) -> None:
    path = tmp_path / "no" / "out.mp4"
    expected = f"folder {tmp_path / 'no'} does not exist"
    with pytest.raises(OutputError, match=message(path, expected)):
        check_output_path(path, [tmp_path / "in.mp4"], overwrite=False)


def test_output_folder_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.mp4"
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    expected = f"folder {tmp_path} is not writable"
    with pytest.raises(OutputError, match=message(path, expected)):
        check_output_path(path, [tmp_path / "in.mp4"], overwrite=False)


def test_video_output_over_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    path.mkdir()
    expected = "is a folder; cannot replace it with a video file"
    with pytest.raises(OutputError, match=message(path, expected)):
        check_output_path(path, [tmp_path / "in.mp4"], overwrite=True)


def test_every_error_is_a_vidfill_error() -> None:
    for kind in (InputError, InputNotFoundError, OutputError):
        assert issubclass(kind, VidfillError)


# --- encoder choices ----------------------------------------------------------------------------


def test_unknown_codec(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mp4", frames=2))
    path = tmp_path / "out.mp4"
    with pytest.raises(OutputError, match=message(path, "unknown video encoder 'nope264'")):
        open_output(path, info, codec="nope264")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_lossless_with_a_lossy_only_codec(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mp4", frames=2))
    path = tmp_path / "out.mp4"
    expected = (
        "--lossless works with --codec libx264 (the default), libx264rgb or ffv1, not libvpx-vp9"
    )
    with pytest.raises(OutputError, match=message(path, expected)):
        open_output(path, info, codec="libvpx-vp9", lossless=True)


def test_odd_size_with_a_420_only_codec(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mkv", frames=2, size=(63, 47), pix_fmt="yuv444p"))
    path = tmp_path / "out.mkv"
    expected = (
        "encoder libsvtav1 cannot encode the odd frame size 63x47; "
        "use --codec libx264 (the default) or ffv1"
    )
    with pytest.raises(OutputError, match=message(path, expected)):
        open_output(path, info, codec="libsvtav1")


def test_codec_the_container_cannot_hold(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mp4", frames=2))
    path = tmp_path / "out.mp4"
    expected = "a .mp4 file cannot hold wmv2 video; use .mkv"
    with pytest.raises(OutputError, match=message(path, expected)):
        open_output(path, info, codec="wmv2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


# --- nothing left behind ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["out.mp4", "out.mkv", "out"])
@pytest.mark.parametrize("audio", [None, "aac"])
def test_failure_while_writing_leaves_nothing(
    video_factory, tmp_path: Path, target: str, audio: str | None
) -> None:
    info = probe(video_factory("in.mp4", frames=4, audio=audio))
    with (
        pytest.raises(RuntimeError, match="engine crashed"),
        open_output(tmp_path / target, info, preset="ultrafast") as writer,
    ):
        writer.write(pattern(0, 48, 64))
        raise RuntimeError("engine crashed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_failure_while_adding_audio_leaves_nothing(
    video_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = probe(video_factory("in.mp4", frames=2, audio="aac"))

    def broken(*args: object, **kwargs: object) -> None:
        raise av.error.ArgumentError(22, "Invalid argument")

    monkeypatch.setattr(io_write, "_mux_audio", broken)
    path = tmp_path / "out.mp4"
    with (
        pytest.raises(OutputError, match=re.escape(f"{path}: could not copy the audio of")),
        open_output(path, info, preset="ultrafast") as writer,
    ):
        writer.write(pattern(0, 48, 64))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


@pytest.mark.parametrize("target", ["out.mp4", "out"])
def test_no_frames_written(video_factory, tmp_path: Path, target: str) -> None:
    info = probe(video_factory("in.mp4", frames=2))
    path = tmp_path / target
    with (
        pytest.raises(OutputError, match=message(path, "no frames were written")),
        open_output(path, info, preset="ultrafast"),
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_wrong_frame_shape_is_a_programming_error(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mp4", frames=2))
    with (
        pytest.raises(ValueError, match="frame is 10x10, the video is 64x48"),
        open_output(tmp_path / "out.mp4", info) as writer,
    ):
        writer.write(np.zeros((10, 10, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_existing_output_kept_when_a_run_fails(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mp4", frames=2))
    path = tmp_path / "out.mp4"
    path.write_bytes(b"previous result")
    with pytest.raises(RuntimeError), open_output(path, info) as writer:
        writer.write(pattern(0, 48, 64))
        raise RuntimeError("stop")
    assert path.read_bytes() == b"previous result"
