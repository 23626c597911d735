"""probe() and iter_frames(): frame counts, timestamps, folders."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from av.stream import Disposition

from tests.io.media import pattern
from vidfill.io.read import iter_frames, probe, rate_from_float


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("clip.mp4", "libx264"),
        ("clip.mkv", "libx264"),
        ("clip.webm", "libvpx-vp9"),
        ("clip.avi", "mpeg4"),
        ("clip.mov", "libx264"),
        ("clip.ts", "libx264"),
        ("hevc10.mkv", "libx265"),
        ("prores10.mov", "prores_ks"),
        ("clip.mp4", "libsvtav1"),
    ],
)
def test_probe_counts_every_frame(video_factory, name: str, codec: str) -> None:
    pix_fmt = {"libx265": "yuv420p10le", "prores_ks": "yuv422p10le"}.get(codec, "yuv420p")
    path = video_factory(name, frames=7, codec=codec, pix_fmt=pix_fmt)
    info = probe(path)
    assert info.frame_count == 7
    assert (info.width, info.height) == (64, 48)
    frames = list(iter_frames(info))
    assert len(frames) == 7
    assert all(f.dtype == np.uint8 and f.shape == (48, 64, 3) for f in frames)


def test_stream_frames_is_zero_for_mkv_but_count_is_right(video_factory) -> None:
    # The case that makes counting packets necessary.
    path = video_factory("clip.mkv", frames=9)
    with av.open(str(path)) as container:
        assert container.streams.video[0].frames == 0
    assert probe(path).frame_count == 9


def test_probe_reads_ntsc_rate_and_timestamps(video_factory) -> None:
    path = video_factory("ntsc.mp4", frames=5, rate=Fraction(24000, 1001))
    info = probe(path)
    assert info.fps == Fraction(24000, 1001)
    times = [p * info.time_base for p in info.pts]
    assert times == [Fraction(1001 * i, 24000) for i in range(5)]


def test_probe_keeps_vfr_timestamps(video_factory) -> None:
    stamps = [0, 40, 120, 160, 280, 300]
    path = video_factory("vfr.mkv", frames=6, pts=stamps, time_base=Fraction(1, 1000))
    info = probe(path)
    assert [p * info.time_base for p in info.pts] == [Fraction(s, 1000) for s in stamps]
    assert info.frame_count == 6


def test_probe_reads_rotation_audio_and_colour(video_factory) -> None:
    path = video_factory("phone.mp4", rotation=90, audio="aac", colour=1)
    info = probe(path)
    assert info.rotation == 90
    assert info.has_audio
    assert (info.color_space, info.color_primaries, info.color_trc) == (1, 1, 1)


def test_decoded_colour_is_close_to_what_was_encoded(video_factory) -> None:
    path = video_factory("c.mp4", frames=2)
    first = next(iter_frames(probe(path)))
    # CRF 10 in the helper and 4:2:0 chroma: close on average, not exact.
    assert np.abs(first.astype(int) - pattern(0, 48, 64)).mean() < 6


def test_folder_frames_in_natural_order(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, name in enumerate(["f1.png", "f2.png", "f10.png"]):
        cv2.imwrite(str(folder / name), np.full((8, 6, 3), index * 50, np.uint8))
    (folder / "notes.txt").write_text("not a frame")
    info = probe(folder)
    assert info.frame_names == ("f1.png", "f2.png", "f10.png")
    assert (info.width, info.height, info.frame_count) == (6, 8, 3)
    assert info.fps == 25
    assert [int(f[0, 0, 0]) for f in iter_frames(info)] == [0, 50, 100]
    assert probe(folder, folder_fps=23.976).fps == Fraction(24000, 1001)


def test_folder_sizes_read_from_jpeg_headers(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(3):
        cv2.imwrite(str(folder / f"{index:03d}.jpg"), np.full((37, 51, 3), 90, np.uint8))
    info = probe(folder)
    assert (info.width, info.height) == (51, 37)
    assert next(iter_frames(info)).shape == (37, 51, 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (23.976, Fraction(24000, 1001)),
        (29.97, Fraction(30000, 1001)),
        (59.94, Fraction(60000, 1001)),
        (25.0, Fraction(25)),
        (12.5, Fraction(25, 2)),
        (Fraction(24000, 1001), Fraction(24000, 1001)),
    ],
)
def test_rate_from_float(value: float, expected: Fraction) -> None:
    assert rate_from_float(value) == expected


def test_cover_art_is_not_taken_for_the_video(tmp_path: Path) -> None:
    path = tmp_path / "cover.mp4"
    with av.open(str(path), "w") as out:
        cover = out.add_stream("mjpeg", rate=1)
        cover.width = cover.height = 32
        cover.pix_fmt = "yuvj420p"
        cover.disposition = Disposition.attached_pic
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        picture = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
        out.mux(cover.encode(picture))
        out.mux(cover.encode(None))
        for index in range(5):
            frame = av.VideoFrame.from_ndarray(pattern(index, 48, 64), format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    info = probe(path)
    assert (info.width, info.height, info.frame_count) == (64, 48, 5)
    assert [f.shape for f in iter_frames(info)] == [(48, 64, 3)] * 5


def test_pick_video_stream_skips_pictures_and_prefers_default() -> None:
    from types import SimpleNamespace

    from vidfill.io.read import _pick_video_stream

    def fake(*dispositions: Disposition) -> SimpleNamespace:
        streams = [SimpleNamespace(disposition=d) for d in dispositions]
        return SimpleNamespace(streams=SimpleNamespace(video=streams))

    none = Disposition(0)
    assert _pick_video_stream(fake(Disposition.attached_pic, none)) == 1
    assert _pick_video_stream(fake(none, Disposition.default)) == 1
    assert _pick_video_stream(fake(Disposition.attached_pic)) is None


def test_jpeg_exif_orientation_does_not_break_the_size_check(tmp_path: Path) -> None:
    import struct

    # A minimal EXIF block saying "rotate 90 degrees" (orientation 6).
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack("<I", 0)
    exif = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(2):
        ok, data = cv2.imencode(".jpg", np.full((10, 20, 3), 100, np.uint8))
        assert ok
        raw = data.tobytes()
        (folder / f"{index}.jpg").write_bytes(raw[:2] + app1 + raw[2:])
    info = probe(folder)
    assert (info.width, info.height) == (20, 10)
    assert [f.shape for f in iter_frames(info)] == [(10, 20, 3)] * 2


def test_raw_stream_without_timestamps_and_a_size_change(tmp_path: Path) -> None:
    from tests.io.media import make_video

    first = make_video(tmp_path / "a.h264", frames=3, size=(64, 48))
    second = make_video(tmp_path / "b.h264", frames=4, size=(32, 24))
    joined = tmp_path / "joined.h264"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    info = probe(joined)
    assert info.frame_count == 7
    # No timestamps in the file: frames are spaced at the nominal rate.
    assert [p * info.time_base for p in info.pts] == [Fraction(i, 25) for i in range(7)]
    # Frames after the size change come out at the first size, which masks and output expect.
    assert [f.shape for f in iter_frames(info)] == [(48, 64, 3)] * 7
