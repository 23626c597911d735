"""The user-supplied network engine: contract, padding, compositing, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.helpers import read_folder, textured_frames, write_folder

import vidfill
from vidfill.engines import get_engine
from vidfill.engines.torch_net import pad_to_multiple
from vidfill.errors import EngineError


def test_a_checkpoint_is_required() -> None:
    with pytest.raises(EngineError, match="checkpoint=PATH"):
        get_engine("torch")


def test_a_missing_network_file_or_torch_is_one_clear_error(tmp_path: Path) -> None:
    # Without torch the error names PyTorch; with it, the missing file.
    with pytest.raises(EngineError, match="PyTorch|not found"):
        get_engine("torch", checkpoint=str(tmp_path / "absent.pt"))


def test_padding_reaches_the_multiple_by_reflection() -> None:
    stack = np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)
    padded = pad_to_multiple(stack, 4)
    assert padded.shape == (2, 8, 8)
    assert np.array_equal(padded[:, :5, :6], stack)
    assert np.array_equal(padded[:, 5, :6], stack[:, 3])  # reflected about the last row


@pytest.fixture(params=["script", "export"])
def mean_fill_network(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A stand-in network in both file formats: fills each frame's hole with its mean colour."""
    torch = pytest.importorskip("torch")

    class MeanFill(torch.nn.Module):
        def forward(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
            torch._assert(frames.shape[-1] % 8 == 0, "width must be a multiple of 8")
            torch._assert(frames.shape[-2] % 8 == 0, "height must be a multiple of 8")
            known = 1.0 - masks
            mean = (frames * known).sum(dim=(-2, -1), keepdim=True) / known.sum(
                dim=(-2, -1), keepdim=True
            )
            return frames * known + mean * masks

    if request.param == "script":
        path = tmp_path / "mean_fill.pt"
        torch.jit.save(torch.jit.script(MeanFill()), str(path))
        return path
    frames = torch.rand(1, 2, 3, 16, 24)
    masks = torch.zeros(1, 2, 1, 16, 24)
    free = {1: torch.export.Dim.AUTO, 3: torch.export.Dim.AUTO, 4: torch.export.Dim.AUTO}
    program = torch.export.export(MeanFill(), (frames, masks), dynamic_shapes=(free, free))
    path = tmp_path / "mean_fill.pt2"
    torch.export.save(program, str(path))
    return path


def test_the_network_fills_only_hole_pixels(mean_fill_network: Path) -> None:
    engine = get_engine("torch", checkpoint=str(mean_fill_network), device="cpu")
    frames = np.stack(textured_frames(3, height=37, width=50))  # not multiples of 8
    holes = np.zeros(frames.shape[:3], bool)
    holes[:, 10:20, 12:30] = True
    out = engine.fill_window(frames, holes)
    assert out.shape == frames.shape and out.dtype == np.uint8
    assert np.array_equal(out[~holes], frames[~holes])
    for t in range(3):
        # The padded border repeats known pixels, so the mean is close, not exact.
        expected = frames[t][~holes[t]].mean(axis=0)
        assert np.abs(out[t][holes[t]].mean(axis=0) - expected).max() < 4.0


def test_remove_runs_the_network_through_the_orchestrator(
    tmp_path: Path, mean_fill_network: Path
) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(9, height=40, width=56))
    out = tmp_path / "out"
    vidfill.remove(
        clip, out, boxes=[(20, 10, 12, 12)], method="torch", dilate=0, window=4,
        checkpoint=str(mean_fill_network), device="cpu",
    )
    hole = np.zeros((40, 56), bool)
    hole[10:22, 20:32] = True
    results = read_folder(out)
    assert len(results) == 9
    for original, result in zip(read_folder(clip), results, strict=True):
        assert np.array_equal(original[~hole], result[~hole])
    # The first window's frames hold the network's flat colour; later windows
    # begin with the hand-over, which carries the panning texture in at the edge.
    assert np.ptp(results[0][hole].astype(int), axis=0).max() <= 1


def test_a_wrong_output_shape_is_an_engine_error(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")

    class Shrinks(torch.nn.Module):
        def forward(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
            return frames[..., :-1]

    path = tmp_path / "bad.pt"
    torch.jit.save(torch.jit.script(Shrinks()), str(path))
    engine = get_engine("torch", checkpoint=str(path), device="cpu")
    frames = np.zeros((2, 16, 16, 3), np.uint8)
    holes = np.zeros((2, 16, 16), bool)
    holes[:, 4:8, 4:8] = True
    with pytest.raises(EngineError, match="returned shape"):
        engine.fill_window(frames, holes)
