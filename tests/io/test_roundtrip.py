"""Reading then writing keeps what the output must keep: timing, audio, size, rotation, colour."""

from __future__ import annotations

import hashlib
import logging
import os
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.io.media import make_video, pattern, read_all
from vidfill.io.read import iter_frames, probe
from vidfill.io.write import _encoder_settings, open_output


def roundtrip(source: Path, output: Path, **options: object) -> dict:
    """Probe, decode, write and read back ``output``."""
    info = probe(source, folder_fps=options.pop("folder_fps", 25.0))
    with open_output(output, info, preset="ultrafast", **options) as writer:
        for frame in iter_frames(info):
            writer.write(frame)
    return read_all(output) if output.suffix else {}


@pytest.mark.parametrize("rate", [Fraction(25), Fraction(24000, 1001)])
@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_rate_count_and_duration_kept(video_factory, tmp_path: Path, rate, suffix) -> None:
    source = video_factory("in.mp4", frames=12, rate=rate)
    result = roundtrip(source, tmp_path / f"out{suffix}")
    original = read_all(source)
    assert len(result["frames"]) == 12
    # .mkv counts in milliseconds, so 1001/24000 steps come back rounded to 1 ms.
    assert result["times"] == pytest.approx(original["times"], abs=0.0006)
    assert result["duration"] == pytest.approx(original["duration"], abs=0.002)
    assert probe(tmp_path / f"out{suffix}").fps == rate


@pytest.mark.parametrize(
    ("codec", "suffix", "expected"),
    [
        ("libx264", ".mp4", "h264"),
        ("libx265", ".mp4", "hevc"),
        ("libvpx-vp9", ".mkv", "vp9"),
        ("libsvtav1", ".mp4", "libdav1d"),
    ],
)
def test_codec_choice(
    video_factory, tmp_path: Path, codec: str, suffix: str, expected: str
) -> None:
    source = video_factory("in.mp4", frames=4, audio="aac")
    result = roundtrip(source, tmp_path / f"out{suffix}", codec=codec, crf=30)
    assert result["video_codec"] == expected
    assert len(result["frames"]) == 4
    # Matroska cannot start before 0, so FFmpeg shifts every stream by the AAC priming
    # (21 ms) when muxing into .mkv: spacing and audio sync stay exact.
    times = [t - result["times"][0] for t in result["times"]]
    assert times == pytest.approx(read_all(source)["times"], abs=1e-6)
    assert result["times"][0] < 0.025
    assert [a["codec"] for a in result["audio"]] == ["aac"]


@pytest.mark.parametrize("codec", ["libx264", "libx265"])
def test_encoder_look_ahead_is_bounded(codec: str) -> None:
    # The look-ahead buffers are the writer's largest memory, held from the
    # first frame on; the encoders' default of 40 frames is ~180 MB at 720p.
    small = {"libx264": 10, "libx265": 20}[codec]
    for (width, height), frames in (((1280, 720), small), ((3840, 2160), 5)):
        _, _, options = _encoder_settings(
            Path("out.mp4"), codec, lossless=False, width=width, height=height, crf=18,
            preset="medium",
        )
        assert options[f"{codec[3:]}-params"] == f"rc-lookahead={frames}"


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_vfr_timestamps_kept(video_factory, tmp_path: Path, suffix: str) -> None:
    stamps = [0, 40, 120, 160, 280, 300, 400]
    source = video_factory("vfr.mkv", frames=7, pts=stamps, time_base=Fraction(1, 1000))
    result = roundtrip(source, tmp_path / f"out{suffix}")
    assert result["times"] == pytest.approx([s / 1000 for s in stamps], abs=1e-6)


def test_audio_copied_with_same_duration(video_factory, tmp_path: Path) -> None:
    source = video_factory("talk.mp4", frames=10, audio="aac", audio_tracks=2)
    result = roundtrip(source, tmp_path / "out.mp4")
    original = read_all(source)
    assert [a["codec"] for a in result["audio"]] == ["aac", "aac"]
    for before, after in zip(original["audio"], result["audio"], strict=True):
        assert after["duration"] == pytest.approx(before["duration"], abs=1e-3)
    assert result["duration"] == pytest.approx(original["duration"], abs=1e-3)


@pytest.mark.parametrize(
    ("name", "codec", "audio", "suffix", "expected"),
    [
        ("a.webm", "libvpx-vp9", "libopus", ".mp4", "opus"),  # copied across containers
        ("a.avi", "mpeg4", "mp3", ".mp4", "mp3float"),
        ("a.mov", "libx264", "pcm_s16le", ".mp4", "aac"),  # PCM in MP4 plays badly: AAC
        ("a.mov", "libx264", "pcm_s16le", ".mov", "pcm_s16le"),
        ("a.webm", "libvpx-vp9", "libopus", ".mov", "aac"),  # .mov cannot mux Opus
        ("a.mkv", "libx264", "libopus", ".mkv", "opus"),
    ],
)
def test_audio_from_other_containers(
    video_factory, tmp_path: Path, name, codec, audio, suffix, expected
) -> None:
    source = video_factory(name, frames=8, codec=codec, audio=audio, audio_seconds=0.32)
    result = roundtrip(source, tmp_path / f"out{suffix}")
    assert len(result["frames"]) == 8
    assert [a["codec"] for a in result["audio"]] == [expected]
    before = read_all(source)["audio"][0]["duration"]
    after = result["audio"][0]["duration"]
    if before is not None and after is not None:  # mkv/webm store no per-stream duration
        # A transcode may add or drop part of one AAC frame (21 ms).
        assert after == pytest.approx(before, abs=0.025)


def test_input_without_audio(video_factory, tmp_path: Path) -> None:
    result = roundtrip(video_factory("silent.mp4"), tmp_path / "out.mp4")
    assert result["audio"] == []
    assert len(result["frames"]) == 10


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_odd_size_kept_without_scaling(video_factory, tmp_path: Path, suffix: str) -> None:
    source = video_factory("odd.mkv", frames=4, size=(63, 47), pix_fmt="yuv444p")
    result = roundtrip(source, tmp_path / f"out{suffix}")
    assert result["frames"][0].shape == (47, 63, 3)
    assert result["pix_fmt"] == "yuv444p"
    original = read_all(source)["frames"]
    assert np.abs(result["frames"][0].astype(int) - original[0]).mean() < 3


@pytest.mark.parametrize(
    ("codec", "suffix", "expected"),
    [
        ("libx264", ".mp4", "h264"),  # libx264rgb
        ("libx264", ".mov", "h264"),
        ("libx264", ".mkv", "ffv1"),
        ("libx264rgb", ".mkv", "h264"),
        ("ffv1", ".mp4", "ffv1"),
    ],
)
def test_lossless_is_bit_exact(
    video_factory, tmp_path: Path, codec: str, suffix: str, expected: str
) -> None:
    info = probe(video_factory("in.mp4", frames=3, size=(33, 21), pix_fmt="yuv444p"))
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (21, 33, 3), dtype=np.uint8) for _ in range(3)]
    output = tmp_path / f"out{suffix}"
    with open_output(output, info, codec=codec, lossless=True, preset="ultrafast") as writer:
        for frame in frames:
            writer.write(frame)
    result = read_all(output)
    assert result["video_codec"] == expected
    back = result["frames"]
    assert len(back) == 3
    assert all(np.array_equal(a, b) for a, b in zip(frames, back, strict=True))


@pytest.mark.parametrize(
    ("rotation", "audio", "suffix"),
    [(90, None, ".mp4"), (90, "aac", ".mp4"), (270, "aac", ".mkv"), (180, None, ".mov")],
)
def test_rotation_kept(
    video_factory, tmp_path: Path, rotation: int, audio: str | None, suffix: str
) -> None:
    source = video_factory("phone.mp4", rotation=rotation, audio=audio)
    result = roundtrip(source, tmp_path / f"out{suffix}")
    assert result["rotation"] % 360 == rotation
    assert result["frames"][0].shape == (48, 64, 3)  # pixels stay as stored


@pytest.mark.parametrize("audio", [None, "aac"])
def test_pixel_aspect_ratio_kept(video_factory, tmp_path: Path, audio: str | None) -> None:
    source = video_factory("dv.mp4", frames=2, aspect=Fraction(8, 9), audio=audio)
    assert probe(source).sample_aspect_ratio == Fraction(8, 9)
    roundtrip(source, tmp_path / "out.mp4")
    assert probe(tmp_path / "out.mp4").sample_aspect_ratio == Fraction(8, 9)


def test_colour_tags_and_colours_kept(video_factory, tmp_path: Path) -> None:
    source = video_factory("hd.mp4", frames=3, colour=1)
    result = roundtrip(source, tmp_path / "out.mp4", crf=0)
    assert result["colorspace"] == 1
    original = read_all(source)["frames"]
    # Same matrix both ways: no shift beyond rounding (a BT.601/709 mix-up moves colours ~10).
    assert np.abs(result["frames"][1].astype(int) - original[1]).mean() < 2


def test_frame_folder_to_video(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    frames = [pattern(i, 40, 50) for i in range(6)]
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    result = roundtrip(folder, tmp_path / "out.mp4")
    assert len(result["frames"]) == 6
    assert result["times"] == pytest.approx([i / 25 for i in range(6)])
    assert result["colorspace"] == 1  # tagged BT.709
    result = roundtrip(folder, tmp_path / "ntsc.mp4", folder_fps=23.976)
    assert probe(tmp_path / "ntsc.mp4").fps == Fraction(24000, 1001)


def test_video_to_folder_names_and_pixels(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mp4", frames=3))
    frames = list(iter_frames(info))
    output = tmp_path / "out"
    with open_output(output, info) as writer:
        for frame in frames:
            writer.write(frame)
    assert sorted(p.name for p in output.iterdir()) == ["00000.png", "00001.png", "00002.png"]
    back = cv2.cvtColor(cv2.imread(str(output / "00001.png")), cv2.COLOR_BGR2RGB)
    assert np.array_equal(back, frames[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_folder_to_folder_keeps_stems(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for name in ["shot_a.jpg", "shot_b.jpg"]:
        cv2.imwrite(str(folder / name), np.full((10, 12, 3), 128, np.uint8))
    roundtrip(folder, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["shot_a.png", "shot_b.png"]


def test_output_gets_normal_permissions(video_factory, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        roundtrip(video_factory("in.mp4", frames=2, audio="aac"), tmp_path / "out.mp4")
        roundtrip(video_factory("in2.mp4", frames=2), tmp_path / "out2.mkv")
        roundtrip(video_factory("in3.mp4", frames=2), tmp_path / "folder")
    finally:
        os.umask(old)
    assert (tmp_path / "out.mp4").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "out2.mkv").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "folder").stat().st_mode & 0o777 == 0o755


def test_overwrite_replaces_file_and_folder(video_factory, tmp_path: Path) -> None:
    source = video_factory("in.mp4", frames=2)
    (tmp_path / "out.mp4").write_bytes(b"old")
    roundtrip(source, tmp_path / "out.mp4")
    assert len(read_all(tmp_path / "out.mp4")["frames"]) == 2
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.png").write_bytes(b"old")
    roundtrip(source, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["00000.png", "00001.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.mp4", "src"]


def test_folder_output_replaces_a_file(video_factory, tmp_path: Path) -> None:
    (tmp_path / "out").write_bytes(b"old file")
    roundtrip(video_factory("in.mp4", frames=2), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["00000.png", "00001.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_input_never_modified(video_factory, tmp_path: Path) -> None:
    source = video_factory("in.mp4", frames=4, audio="aac")
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    roundtrip(source, tmp_path / "out.mp4")
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in source.parent.iterdir()) == ["in.mp4"]


def test_fps_ignored_for_video_input(video_factory, tmp_path: Path, caplog) -> None:
    source = video_factory("in.mp4", frames=3, rate=30)
    with caplog.at_level(logging.WARNING, logger="vidfill"):
        result = roundtrip(source, tmp_path / "out.mp4", fps=12.0)
    assert result["times"] == pytest.approx([0, 1 / 30, 2 / 30])
    assert "keeps its own timing" in caplog.text


def test_more_frames_than_source_continue_the_clock(video_factory, tmp_path: Path) -> None:
    info = probe(video_factory("in.mp4", frames=2))
    with open_output(tmp_path / "out.mp4", info, preset="ultrafast") as writer:
        for index in range(4):
            writer.write(pattern(index, 48, 64))
    assert read_all(tmp_path / "out.mp4")["times"] == pytest.approx([0, 0.04, 0.08, 0.12])


def test_make_video_helper_writes_what_it_says(tmp_path: Path) -> None:
    path = make_video(tmp_path / "h.mp4", frames=3, audio="aac")
    facts = read_all(path)
    assert len(facts["frames"]) == 3 and facts["audio"][0]["codec"] == "aac"


@pytest.mark.parametrize("audio", [None, "aac"])
def test_mp4_index_at_the_front(video_factory, tmp_path: Path, audio: str | None) -> None:
    roundtrip(video_factory("in.mp4", frames=3, audio=audio), tmp_path / "out.mp4")
    data = (tmp_path / "out.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: streamable


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_late_starting_clock_is_moved_to_zero(video_factory, tmp_path: Path, suffix: str) -> None:
    # Camera .ts/.m2ts files start their clock anywhere; an .mp4 starting 5 s late would show
    # 5 s of nothing first. Both streams move by the same amount, so sync is kept.
    stamps = [5000 + 40 * i for i in range(10)]
    source = video_factory(
        "cam.mkv", frames=10, pts=stamps, time_base=Fraction(1, 1000), audio="aac",
        audio_start=5.0,
    )
    info = probe(source)
    assert info.start_time == pytest.approx(5.0, abs=0.03)
    result = roundtrip(source, tmp_path / f"out{suffix}")
    gap = 5.0 - float(info.start_time)
    assert result["times"] == pytest.approx([gap + 0.04 * i for i in range(10)], abs=1e-3)
    assert result["duration"] == pytest.approx(0.4 + gap, abs=0.03)


@pytest.mark.parametrize("colour", [None, 1])
def test_no_colour_drift_through_yuv(video_factory, tmp_path: Path, colour: int | None) -> None:
    # swscale's fast path darkens a YUV round trip by ~1 level; the io stage must not.
    info = probe(video_factory("in.mp4", frames=2, colour=colour))
    y, x = np.mgrid[0:48, 0:64]
    smooth = np.stack([x * 3 + 20, y * 4 + 30, (x + y) * 2 + 10], axis=-1).astype(np.uint8)
    with open_output(tmp_path / "out.mp4", info, crf=0, preset="ultrafast") as writer:
        writer.write(smooth)
    back = next(iter_frames(probe(tmp_path / "out.mp4"))).astype(int) - smooth
    # Measured: fast path -1.15 / 1.42 (untagged), -1.18 / 1.52 (BT.709); ours 0.27 / 0.67
    # and 0.44 / 0.76 (4:2:0 chroma on a gradient leaves some per-channel error).
    assert abs(back.mean()) < 0.6
    assert np.abs(back).mean() < 1.0


def test_the_automatic_preset_is_faster_only_above_1080p():
    from vidfill.io.write import DEFAULT_PRESET, encoder_preset

    assert encoder_preset(DEFAULT_PRESET, 1920, 1080) == "medium"
    assert encoder_preset(DEFAULT_PRESET, 3840, 2160) == "faster"
    # A preset the user names is kept at any size.
    assert encoder_preset("slow", 3840, 2160) == "slow"
    assert encoder_preset("ultrafast", 640, 480) == "ultrafast"
