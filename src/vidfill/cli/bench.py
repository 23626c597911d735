"""``vidfill bench``: the evaluation benchmark."""

from __future__ import annotations

from vidfill.cli import app  # noqa: F401  # the command is registered here once implemented
