"""Patch synthesis: exactness on periodic textures, contracts, edge cases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

import vidfill
import vidfill.fill.patch as patch
from vidfill.fill.patch import fill_patch


def _tiled(height: int, width: int, period: int, seed: int = 0) -> np.ndarray:
    """A random ``period`` x ``period`` colour tile repeated over the image."""
    tile = np.random.default_rng(seed).integers(0, 256, (period, period, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    return tile[yy % period, xx % period]


def _smooth_tiled(height: int, width: int, period: int, seed: int = 0) -> np.ndarray:
    """A blurred random tile, repeated: periodic like a fabric or a brick wall."""
    tile = np.random.default_rng(seed).integers(0, 256, (period, period, 3), dtype=np.uint8)
    blurred = cv2.GaussianBlur(np.tile(tile, (3, 3, 1)), (0, 0), 1.0)
    tile = blurred[period : 2 * period, period : 2 * period]
    yy, xx = np.mgrid[0:height, 0:width]
    return tile[yy % period, xx % period]


def _stripes(height: int, width: int, period: int = 12) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    grey = np.where((xx + yy) % period < period // 2, 230, 30).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _box(shape: tuple[int, int], y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    hole = np.zeros(shape, bool)
    hole[y0:y1, x0:x1] = True
    return hole


@pytest.mark.parametrize("image", [_tiled(96, 128, 8), _stripes(96, 128)], ids=["tile", "stripes"])
def test_periodic_texture_is_restored(image: np.ndarray) -> None:
    hole = _box(image.shape[:2], 30, 70, 40, 90)
    out = fill_patch(image, hole)
    error = np.abs(out.astype(int) - image)[hole]
    # A periodic texture has an exact completion: nearly every pixel must find it.
    assert error.mean() < 2.0
    assert (error.max(axis=1) > 0).mean() < 0.02


def test_pixels_outside_the_hole_are_unchanged(rng: np.random.Generator) -> None:
    image = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    hole = _box(image.shape[:2], 10, 30, 20, 45)
    out = fill_patch(image, hole)
    assert out.dtype == np.uint8 and out.shape == image.shape
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert out is not image


def test_same_seed_same_result() -> None:
    image = _tiled(64, 80, 11, seed=3)
    hole = _box(image.shape[:2], 20, 44, 20, 60)
    first = fill_patch(image, hole, seed=5)
    np.testing.assert_array_equal(first, fill_patch(image, hole, seed=5))


def test_source_mask_is_respected() -> None:
    # A green striped field with a red band; the band is excluded from the sources.
    image = np.zeros((80, 100, 3), np.uint8)
    image[..., 1] = 120
    image[::4, :, 1] = 200
    image[:, 80:] = (255, 0, 0)
    hole = _box(image.shape[:2], 30, 50, 55, 85)  # also covers the red band's edge
    source = np.ones(image.shape[:2], bool)
    source[:, 78:] = False
    out = fill_patch(image, hole, source_mask=source)
    redness = out[hole][:, 0].astype(int) - out[hole][:, 1]
    assert redness.max() < 40


def test_border_and_several_holes() -> None:
    image = _smooth_tiled(60, 90, 10, seed=1)
    hole = np.zeros(image.shape[:2], bool)
    hole[:15, :20] = True  # corner
    hole[45:, 60:] = True  # opposite corner
    hole[25:35, 40:50] = True  # interior
    out = fill_patch(image, hole)
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert np.abs(out.astype(int) - image)[hole].mean() < 4.0


@pytest.mark.parametrize("shape", [(1, 1), (4, 5), (9, 9), (3, 40)])
def test_tiny_images(shape: tuple[int, int], rng: np.random.Generator) -> None:
    image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    hole = np.zeros(shape, bool)
    hole[shape[0] // 2, shape[1] // 2] = True
    out = fill_patch(image, hole)
    np.testing.assert_array_equal(out[~hole], image[~hole])


def test_hole_covering_almost_everything(rng: np.random.Generator) -> None:
    image = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    hole = np.ones(image.shape[:2], bool)
    hole[0, :5] = False
    out = fill_patch(image, hole)
    np.testing.assert_array_equal(out[~hole], image[~hole])
    everything = fill_patch(image, np.ones(image.shape[:2], bool))
    assert everything.shape == image.shape


def test_empty_hole_returns_a_copy(rng: np.random.Generator) -> None:
    image = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    out = fill_patch(image, np.zeros((20, 20), bool))
    np.testing.assert_array_equal(out, image)


def test_extra_sources_and_initial_guess() -> None:
    # The target shows only stripes; a second image shows the tile the hole hid.
    full = _tiled(60, 80, 8, seed=2)
    hole = _box(full.shape[:2], 20, 40, 25, 55)
    other = full.copy()
    out = fill_patch(full, hole, sources=[(other, np.ones(hole.shape, bool))])
    assert np.abs(out.astype(int) - full)[hole].mean() < 2.0
    again = fill_patch(full, hole, init=out)
    assert np.abs(again.astype(int) - out)[hole].mean() < 2.0


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError):
        fill_patch(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 11), bool))


def test_guide_steers_the_layout_and_texture_is_kept(rng: np.random.Generator) -> None:
    # Left half dark noise, right half bright noise; the hole straddles the edge.
    image = np.empty((60, 100, 3), np.uint8)
    image[:, :50] = rng.integers(40, 80, (60, 50, 1), dtype=np.uint8)
    image[:, 50:] = rng.integers(180, 220, (60, 50, 1), dtype=np.uint8)
    hole = _box(image.shape[:2], 20, 40, 38, 62)
    noise_std = float(image[:, :50].std())

    out = fill_patch(image, hole).astype(float)
    # The default (membrane) guide keeps the edge where the context puts it ...
    left, right = out[20:40, 38:47], out[20:40, 53:62]
    assert left.mean() < 100 and right.mean() > 160
    # ... and the sides are copied texture, not a flat average.
    assert left.std() > 0.6 * noise_std and right.std() > 0.6 * noise_std

    dark = fill_patch(image, hole, guide=np.full(image.shape, 60.0, np.float32))[hole]
    bright = fill_patch(image, hole, guide=np.full(image.shape, 200.0, np.float32))[hole]
    assert dark.mean() < 100 < 150 < bright.mean()


@pytest.mark.parametrize("image", [_tiled(96, 128, 8), _stripes(96, 128)], ids=["tile", "stripes"])
def test_synthesis_at_half_size_restores_a_periodic_texture(image: np.ndarray) -> None:
    # fine_iters=0: no search at full size, the half-size solution's matches
    # are read back there; the texture must still be exact, not blurred.
    hole = _box(image.shape[:2], 30, 70, 40, 90)
    out = fill_patch(image, hole, fine_iters=0)
    error = np.abs(out.astype(int) - image)[hole]
    assert error.mean() < 2.0
    assert (error.max(axis=1) > 0).mean() < 0.02


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Heights of the canvases PatchMatch searches, in call order."""
    heights: list[int] = []
    kernel = patch._patchmatch

    def counting(feat, *args):
        heights.append(feat.shape[0])
        return kernel(feat, *args)

    monkeypatch.setattr(patch, "_patchmatch", counting)
    return heights


def test_fine_iters_zero_runs_no_search_at_full_size(searched: list[int]) -> None:
    image = _smooth_tiled(96, 128, 10, seed=4)
    hole = _box(image.shape[:2], 20, 76, 30, 100)
    fill_patch(image, hole, fine_iters=0)
    assert searched and max(searched) < image.shape[0]
    searched.clear()
    fill_patch(image, hole)
    assert max(searched) == image.shape[0]


def test_fine_iters_do_not_apply_to_a_single_level_fill() -> None:
    # A hole a patch across has one pyramid level: it is the coarsest and is
    # searched whatever fine_iters says.
    image = _tiled(48, 64, 6, seed=7)
    hole = _box(image.shape[:2], 20, 25, 30, 35)
    out = fill_patch(image, hole, fine_iters=0)
    assert np.abs(out.astype(int) - image)[hole].mean() < 2.0


def test_kernels_are_compiled_into_the_on_disk_cache() -> None:
    # Every process that synthesises pays numba's start-up; without the disk
    # cache it would also recompile every kernel (seconds).
    kernels = [v for v in vars(patch).values() if isinstance(v, CPUDispatcher)]
    assert len(kernels) >= 5
    for kernel in kernels:
        assert type(kernel._cache).__name__ != "NullCache", kernel.py_func.__name__


@pytest.mark.slow
def test_a_second_process_loads_the_kernels_from_the_cache(tmp_path: Path) -> None:
    script = (
        "import numpy as np\n"
        "import vidfill.fill.patch as p\n"
        "img = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)\n"
        "hole = np.zeros((48, 64), bool); hole[14:34, 20:44] = True\n"
        "p.fill_patch(img, hole, fine_iters=0)\n"
        "s = p._patchmatch.stats\n"
        "print(sum(s.cache_misses.values()), sum(s.cache_hits.values()))\n"
    )
    # A cache of its own, so the first run has to compile; this checkout's
    # package first on the path.
    here = str(Path(vidfill.__file__).parents[1])
    path = os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=path)

    def run() -> list[int]:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        return [int(v) for v in done.stdout.split()]

    first = run()
    second = run()
    assert first[0] > 0 and first[1] == 0  # compiled, nothing to load yet
    assert second[1] > 0 and second[0] == 0  # loaded, nothing compiled


def test_search_pixels_bounds_the_searched_levels(searched: list[int]) -> None:
    image = _tiled(128, 160, 8, seed=6)
    hole = _box(image.shape[:2], 24, 104, 30, 130)  # 8000 px, three levels
    out = fill_patch(image, hole, fine_iters=0)
    assert sorted(set(searched)) == [32, 64]
    searched.clear()
    bounded = fill_patch(image, hole, fine_iters=0, search_pixels=1000)
    # Only the quarter-size level (500 px of hole) is searched; the half-size
    # one (2000 px) is read back like the finest: still the exact texture.
    assert set(searched) == {32}
    for result in (out, bounded):
        assert np.abs(result.astype(int) - image)[hole].mean() < 2.0
