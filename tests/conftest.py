"""Shared fixtures: the real clips folder, and small synthetic videos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

CLIPS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clips"


@pytest.fixture(scope="session")
def clips_dir() -> Path:
    """The shared real clips; tests using it skip when the folder is absent."""
    if not CLIPS_DIR.is_dir():
        pytest.skip(f"real clips not found at {CLIPS_DIR} (see DEVELOPERS.md)")
    return CLIPS_DIR


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
