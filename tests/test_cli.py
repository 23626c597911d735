"""The command line: bad input gives one clear line, exit status 2, and no output."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import read_folder, run_cli, textured_frames, write_folder, write_mask


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "frames", textured_frames(6))


@pytest.fixture
def mask(tmp_path: Path) -> Path:
    hole = np.zeros((48, 64), bool)
    hole[10:20, 20:30] = True
    return write_mask(tmp_path / "mask.png", hole)


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name not in keep)


def test_remove_with_a_static_mask_changes_only_masked_pixels(
    tmp_path: Path, clip: Path, mask: Path
) -> None:
    out = tmp_path / "out"
    assert (
        run_cli(
            "remove",
            str(clip),
            "-m",
            str(mask),
            "-o",
            str(out),
            "-q",
            "--method",
            "frame",
            "--dilate",
            "0",
        )
        == 0
    )
    hole = np.zeros((48, 64), bool)
    hole[10:20, 20:30] = True
    for original, result in zip(read_folder(clip), read_folder(out), strict=True):
        assert np.array_equal(original[~hole], result[~hole])
    assert sorted(os.listdir(out)) == sorted(os.listdir(clip))


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda t, c, m: [str(t / "missing.mp4"), "-m", str(m)], "no such file"),
        (lambda t, c, m: [str(t / "empty"), "-m", str(m)], "no png/jpg frames"),
        (lambda t, c, m: [str(t / "notvideo.mp4"), "-m", str(m)], "not a video"),
        (lambda t, c, m: [str(c), "-m", str(t / "masks3")], "3 mask images for 6 frames"),
        (lambda t, c, m: [str(c), "-m", str(t / "small.png")], "mask is 32x16"),
        (lambda t, c, m: [str(c), "-m", str(t / "white.png")], "covers the whole frame"),
        (lambda t, c, m: [str(c), "--box", "100,100,5,5"], "outside the 64x48 frame"),
        (lambda t, c, m: [str(c), "--box", "1,2,3"], "X,Y,W,H"),
        (lambda t, c, m: [str(c)], "no mask given"),
        (lambda t, c, m: [str(c), "-m", str(m), "--method", "magic"], "unknown method"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    clip: Path,
    mask: Path,
    capsys: pytest.CaptureFixture[str],
    make_args,
    message: str,
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notvideo.mp4").write_text("this is text, not a video")
    masks3 = tmp_path / "masks3"
    masks3.mkdir()
    for index in range(3):
        write_mask(masks3 / f"{index:05d}.png", np.zeros((48, 64), bool))
    write_mask(tmp_path / "small.png", np.ones((16, 32), bool))
    write_mask(tmp_path / "white.png", np.ones((48, 64), bool))
    before = set(os.listdir(tmp_path))
    code = run_cli("remove", *make_args(tmp_path, clip, mask), "-o", str(tmp_path / "out.mp4"))
    assert code == 2
    line = error_line(capsys)
    assert line.startswith("vidfill: error: ")
    assert message in line
    assert leftovers(tmp_path, before) == []


def test_empty_mask_is_allowed_with_a_warning(
    tmp_path: Path, clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = write_mask(tmp_path / "empty.png", np.zeros((48, 64), bool))
    out = tmp_path / "out"
    assert run_cli("remove", str(clip), "-m", str(empty), "-o", str(out)) == 0
    assert "mask is empty" in capsys.readouterr().err
    for original, result in zip(read_folder(clip), read_folder(out), strict=True):
        assert np.array_equal(original, result)


def test_output_equal_to_input_is_refused(
    tmp_path: Path, clip: Path, mask: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(clip), "--overwrite") == 2
    assert "same path as an input" in error_line(capsys)
    assert len(os.listdir(clip)) == 6


def test_existing_output_needs_overwrite(
    tmp_path: Path, clip: Path, mask: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(out)) == 2
    assert "already exists" in error_line(capsys)
    assert out.read_bytes() == b"keep me"
    assert (
        run_cli(
            "remove",
            str(clip),
            "-m",
            str(mask),
            "-o",
            str(out),
            "-q",
            "--overwrite",
            "--method",
            "frame",
        )
        == 0
    )
    assert out.stat().st_size > 100


def test_unsupported_extension_and_unwritable_folder(
    tmp_path: Path, clip: Path, mask: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(tmp_path / "o.gif")) == 2
    assert "unsupported output extension" in error_line(capsys)
    assert (
        run_cli("remove", str(clip), "-m", str(mask), "-o", str(tmp_path / "nowhere" / "o.mp4"))
        == 2
    )
    assert "does not exist" in error_line(capsys)
    if os.geteuid() != 0:  # root can write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(locked / "o.mp4")) == 2
        assert "not writable" in error_line(capsys)


def test_start_and_end_leave_other_frames_untouched(tmp_path: Path, clip: Path, mask: Path) -> None:
    out = tmp_path / "out"
    assert (
        run_cli(
            "remove",
            str(clip),
            "-m",
            str(mask),
            "-o",
            str(out),
            "-q",
            "--method",
            "frame",
            "--start",
            "2",
            "--end",
            "4",
        )
        == 0
    )
    changed = [
        not np.array_equal(a, b) for a, b in zip(read_folder(clip), read_folder(out), strict=True)
    ]
    assert changed == [False, False, True, True, False, False]


def test_preview_tints_the_mask_instead_of_filling(tmp_path: Path, clip: Path, mask: Path) -> None:
    out = tmp_path / "preview"
    assert (
        run_cli(
            "remove", str(clip), "-m", str(mask), "-o", str(out), "-q", "--preview", "--dilate", "0"
        )
        == 0
    )
    original, result = read_folder(clip)[0], read_folder(out)[0]
    assert np.array_equal(original[:10], result[:10])
    assert result[12:18, 22:28, 0].mean() > original[12:18, 22:28, 0].mean()


def test_track_box_removes_a_moving_object_marked_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    background = np.full((96, 128, 3), 90, np.uint8)
    background += rng.integers(0, 20, background.shape, dtype=np.uint8)
    frames = []
    for index in range(8):
        frame = background.copy()
        x = 20 + 6 * index
        frame[30:54, x : x + 24] = (250, 40, 40)
        frame[38:46, x + 8 : x + 16] = (20, 200, 20)
        frames.append(frame)
    clip = write_folder(tmp_path / "frames", frames)
    out = tmp_path / "out"
    assert (
        run_cli(
            "remove",
            str(clip),
            "--track-box",
            "20,30,24,24@0",
            "-o",
            str(out),
            "-q",
            "--method",
            "frame",
        )
        == 0
    )
    results = read_folder(out)
    for index, result in enumerate(results):
        x = 20 + 6 * index
        object_pixels = result[32:52, x + 2 : x + 22].reshape(-1, 3).astype(int)
        # The red object is gone: its pixels now look like the grey background.
        assert np.abs(object_pixels - 100).mean() < 30
        assert np.array_equal(result[80:], frames[index][80:])


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("remove", "in.mp4", "-o", "out.mp4", "--no-such-option") == 2
    assert "No such option" in capsys.readouterr().err


def test_engine_options_reach_the_engine(
    tmp_path: Path, clip: Path, mask: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(out), "-q",
                   "--method", "frame", "-O", "radius=5") == 0
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(tmp_path / "o2"), "-q",
                   "--method", "frame", "-O", "nonsense=1") == 2
    assert "does not accept these options" in error_line(capsys)
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(tmp_path / "o3"), "-q",
                   "-O", "radius") == 2
    assert "KEY=VALUE" in error_line(capsys)
    # A value the engine cannot use is refused up front, not turned into NaN frames.
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(tmp_path / "o4"), "-q",
                   "-O", "alpha=0") == 2
    assert "alpha must be positive" in error_line(capsys)
    assert not (tmp_path / "o4").exists()


def test_start_does_not_make_a_static_mask_look_empty(
    tmp_path: Path, clip: Path, mask: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run_cli("remove", str(clip), "-m", str(mask), "-o", str(out), "--method", "frame",
                   "--start", "3") == 0
    assert "empty" not in capsys.readouterr().err
