"""Fixtures for the io tests: synthetic videos written into ``tmp_path``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.io.media import make_video


@pytest.fixture
def video_factory(tmp_path: Path):
    """``make(name, **kwargs)`` writes a test video under ``tmp_path/src``."""
    source = tmp_path / "src"
    source.mkdir()

    def make(name: str, **kwargs: object) -> Path:
        return make_video(source / name, **kwargs)

    return make
