"""``vidfill gui`` without a display or without Tk: one clear line and status 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli
from vidfill.errors import DisplayError
from vidfill.ui.logic import check_display


@pytest.fixture
def has_tk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend Tkinter is installed, so these tests also run on a Python built without it."""
    monkeypatch.setattr("vidfill.ui.logic._tkinter_missing", lambda: False)


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.usefixtures("has_tk")
def test_gui_without_a_display_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert run_cli("gui") == 2
    line = error_line(capsys)
    assert line.startswith("vidfill: error: no display")
    assert "vidfill remove" in line


def test_gui_without_tkinter_exits_2_and_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # None in sys.modules makes `import tkinter` fail, as on a Python built without Tk.
    monkeypatch.setitem(sys.modules, "tkinter", None)
    assert run_cli("gui", "whatever.mp4") == 2
    line = error_line(capsys)
    assert line.startswith("vidfill: error: the GUI needs Tkinter")
    assert "python3-tk" in line


@pytest.mark.usefixtures("has_tk")
def test_gui_with_a_missing_input_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(sys, "platform", "linux")
    assert run_cli("gui", str(tmp_path / "missing.mp4")) == 2
    assert "no such file" in error_line(capsys)


@pytest.mark.usefixtures("has_tk")
def test_check_display_only_wants_display_on_x11_systems() -> None:
    check_display({"DISPLAY": ":0"}, "linux")
    check_display({}, "darwin")
    check_display({}, "win32")
    with pytest.raises(DisplayError, match="DISPLAY"):
        check_display({}, "linux")
    with pytest.raises(DisplayError):
        check_display({"DISPLAY": ""}, "freebsd13")


def test_gui_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--help") == 0
    assert "gui" in capsys.readouterr().out
