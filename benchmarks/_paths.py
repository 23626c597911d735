"""Where the benchmark scripts find the team's shared real clips (never copied into the repo)."""

from pathlib import Path

SHARED_CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"
