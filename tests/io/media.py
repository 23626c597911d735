"""Small synthetic videos for the io tests, made with PyAV (never committed)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def pattern(index: int, height: int, width: int) -> np.ndarray:
    """A frame that differs from its neighbours and has detail and flat parts."""
    y, x = np.mgrid[0:height, 0:width]
    frame = np.empty((height, width, 3), np.uint8)
    frame[..., 0] = (x * 4 + index * 9) % 256
    frame[..., 1] = (y * 5 + index * 3) % 256
    frame[..., 2] = ((x + y) * 2 + index * 17) % 256
    return frame


def make_video(
    path: Path,
    *,
    frames: int = 10,
    size: tuple[int, int] = (64, 48),
    rate: Fraction | int = 25,
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: str | None = None,
    audio_seconds: float | None = None,
    audio_tracks: int = 1,
    rotation: int = 0,
    colour: int | None = None,
    aspect: Fraction | None = None,
    audio_start: float = 0.0,
) -> Path:
    """Write a test video; returns ``path``.

    ``size`` is (width, height). ``pts``/``time_base`` give explicit (VFR)
    timestamps. ``audio`` names an audio encoder (``"aac"``, ``"pcm_s16le"``,
    ``"libopus"``...) for a 440 Hz stereo sine as long as the video unless
    ``audio_seconds`` says otherwise, on ``audio_tracks`` streams. ``colour``
    tags matrix, primaries and transfer with one FFmpeg enum value (1 = BT.709);
    ``aspect`` sets the sample (pixel) aspect ratio; ``audio_start`` delays
    the audio (seconds).
    """
    width, height = size
    rate = Fraction(rate)
    if time_base is None:
        time_base = 1 / rate
    if pts is None:
        pts = list(range(frames))
    with av.open(str(path), mode="w") as out:
        video = out.add_stream(codec, rate=rate)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        video.codec_context.time_base = time_base
        if codec.startswith("libx264"):
            video.options = {"preset": "ultrafast", "crf": "10"}
        if colour is not None:
            context = video.codec_context
            context.colorspace = context.color_primaries = context.color_trc = colour
            context.color_range = 1
        if rotation:
            video.set_display_rotation(rotation)
        if aspect is not None:
            video.codec_context.sample_aspect_ratio = aspect
        sounds = []
        if audio is not None:
            sounds = [
                out.add_stream(audio, rate=48000, layout="stereo") for _ in range(audio_tracks)
            ]
        for index, stamp in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(pattern(index, height, width), format="rgb24")
            if colour is not None:
                frame.colorspace = colour
            frame.pts, frame.time_base = stamp, time_base
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for sound in sounds:
            seconds = audio_seconds if audio_seconds is not None else float(
                (pts[-1] - pts[0]) * time_base + 1 / rate
            )
            _write_sine(out, sound, seconds, audio_start)
    return path


def _write_sine(
    out: av.container.OutputContainer, sound: av.AudioStream, seconds: float, begin: float
) -> None:
    sample_rate = 48000
    total = int(round(seconds * sample_rate))
    block = sound.codec_context.frame_size or 1024
    for start in range(0, total, block):
        count = min(block, total - start)
        t = (np.arange(start, start + count) / sample_rate).astype(np.float32)
        wave = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(np.stack([wave, wave])), format="fltp", layout="stereo"
        )
        frame.sample_rate = sample_rate
        frame.pts = start + round(begin * sample_rate)
        frame.time_base = Fraction(1, sample_rate)
        out.mux(sound.encode(frame))
    out.mux(sound.encode(None))


def read_all(path: Path) -> dict:
    """Every fact a round-trip test compares, read straight with PyAV."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames, stamps = [], []
        rotation = 0
        for frame in container.decode(video):
            frames.append(frame.to_ndarray(format="rgb24"))
            stamps.append(float(frame.pts * frame.time_base))
            rotation = frame.rotation
        audio = [
            {
                "codec": stream.codec_context.name,
                "duration": float(stream.duration * stream.time_base) if stream.duration else None,
                "channels": stream.codec_context.channels,
            }
            for stream in container.streams.audio
        ]
        return {
            "frames": frames,
            "times": stamps,
            "rotation": rotation,
            "audio": audio,
            "video_codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "colorspace": video.codec_context.colorspace,
            "duration": float(container.duration / av.time_base) if container.duration else None,
        }
