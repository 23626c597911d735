"""Writing finished frames to a video file or a folder of PNGs.

Nothing appears at the destination until every frame is written. A video is
encoded to a hidden temporary file next to the destination; if the input has
audio, a second pass copies that video and every audio stream of the source
(packet copy, no re-encode) into a second temporary file; the finished file is
then renamed onto the destination. A frame folder is written into a hidden
temporary folder and renamed the same way. Any failure, including Ctrl-C,
removes the temporary files, and inputs are only ever opened for reading.

Choices, measured with PyAV 18.1 (FFmpeg 8) on this project's test videos:

* Default: H.264 (libx264), CRF 18, ``yuv420p``. x264 cannot encode 4:2:0 at
  an odd width or height, and scaling or padding would change the output's
  size, so odd sizes are encoded as ``yuv444p`` (High 4:4:4 profile: plays in
  FFmpeg-based players such as VLC and mpv; many browsers and hardware
  decoders refuse it).
* ``lossless``: RGB in, RGB out, no colour conversion at all, so frames decode
  back bit-exact (tested). In .mkv it is FFV1 (``bgr0``); in .mp4/.mov, where
  H.264 is the expected codec, ``libx264rgb`` at QP 0 (``rgb24``). Measured on
  25 frames of bigbuckbunny 1280x720: FFV1 17.9 fps, 14.2 MB; libx264rgb at
  preset medium 5.8 fps, 14.2 MB; at ultrafast 64 fps, 22.8 MB. Either plays
  only in FFmpeg-based players. ``--codec ffv1`` or ``libx264rgb`` forces one.
* RGB is converted to YUV with the matrix and range the input is tagged with
  (the reader decoded with the same), and the output carries the input's
  colour tags; untagged input stays untagged. Frame folders are tagged BT.709.
* Timestamps: every frame gets the source's own pts in the source's time base,
  so 24000/1001 and variable frame rates come back unchanged. One exception:
  Matroska cannot start before 0, so when copied audio starts early (AAC
  priming, -21 ms) FFmpeg shifts every stream of an .mkv by that much; spacing
  and audio sync stay exact. .mkv also counts in milliseconds.
* Audio: every audio stream is packet-copied; a codec the container cannot
  hold (or that fails to mux, e.g. Opus in .mov) is transcoded to AAC, as is
  PCM for .mp4. Subtitle and data streams are not carried.
"""

from __future__ import annotations

import heapq
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.errors import OutputError
from vidfill.io.read import SWS_FLAGS, rate_from_float
from vidfill.types import VideoInfo

log = logging.getLogger("vidfill")

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov"})

# Audio codecs that common players handle inside MP4. FFmpeg 8 will also mux PCM or Vorbis into
# MP4, but many players then play silence, so those are transcoded to AAC instead.
_MP4_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"})
# Encoders whose "preset" option takes the x264-style names (ultrafast ... veryslow).
_NAMED_PRESETS = frozenset({"libx264", "libx264rgb", "libx265"})
_LOSSLESS_HINT = "--lossless works with --codec libx264 (the default), libx264rgb or ffv1"


def check_output_path(path: Path, inputs: list[Path], *, overwrite: bool) -> None:
    """Refuse outputs that would clobber an input, exist already, or cannot be written.

    Parameters
    ----------
    path : Path
        The requested output: a video file (.mp4, .mkv, .mov) or a folder
        (no extension) for PNG frames.
    inputs : list of Path
        Every file or folder the run reads (video, masks); None entries are skipped.
    overwrite : bool
        Whether an existing output may be replaced.

    Raises
    ------
    OutputError
        With a message naming ``path`` and the problem.
    """
    path = Path(path)
    if path.suffix and path.suffix.lower() not in VIDEO_SUFFIXES:
        raise OutputError(
            f"{path}: unsupported output extension {path.suffix!r}; "
            "use .mp4, .mkv, .mov or a folder name without an extension"
        )
    resolved = path.resolve()
    for source in inputs:
        if source is None:
            continue
        source = Path(source).resolve()
        if resolved == source:
            raise OutputError(f"{path}: output is the same path as an input; choose another")
        if resolved in source.parents:
            raise OutputError(f"{path}: output folder contains the input {source}")
        if source in resolved.parents:
            raise OutputError(f"{path}: output would be written inside the input folder {source}")
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise OutputError(f"{path}: already exists (pass --overwrite to replace it)")
        if path.suffix and path.is_dir():
            raise OutputError(f"{path}: is a folder; cannot replace it with a video file")
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {parent} is not writable")


def _umask() -> int:
    # The only portable way to read the umask is to set it and put it back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _give_normal_mode(path: Path, *, folder: bool) -> None:
    # mkstemp/mkdtemp create 0600/0700 entries; a finished output should get the mode any
    # ordinary file or folder would get under the user's umask.
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def _temp_file(path: Path, tag: str) -> Path:
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=f".{tag}{path.suffix}", dir=path.parent
        )
    except OSError as error:
        raise OutputError(f"{path}: cannot write in {path.parent} ({error.strerror})") from None
    os.close(handle)
    return Path(name)


def _replace(temp: Path, path: Path) -> None:
    """Move a finished file or folder onto ``path``, replacing what is there."""
    aside: Path | None = None
    old_is_folder = path.is_dir() and not path.is_symlink()
    if old_is_folder or (temp.is_dir() and (path.exists() or path.is_symlink())):
        # os.replace cannot replace a non-empty folder, nor a file by a folder: move the old
        # one aside first and delete it only once the new one is in place.
        aside = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.replace(path, aside / path.name)
    try:
        os.replace(temp, path)
    except OSError:
        if aside is not None:
            os.replace(aside / path.name, path)
            aside.rmdir()
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


class FolderWriter:
    """Write frames as PNG files into a folder that appears only when complete.

    Parameters
    ----------
    path : Path
        The destination folder.
    names : list of str
        File name of each frame, in order; frames beyond the list are named
        by index.
    """

    def __init__(self, path: Path, names: list[str]) -> None:
        self.path = Path(path)
        self.names = names
        self.index = 0
        try:
            self.temp = Path(
                tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
            )
        except OSError as error:
            raise OutputError(
                f"{self.path}: cannot write in {self.path.parent} ({error.strerror})"
            ) from None

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Write the next frame, ``uint8 (H, W, 3)`` RGB."""
        index = self.index
        name = self.names[index] if index < len(self.names) else f"{index:05d}.png"
        target = self.temp / name
        if not cv2.imwrite(str(target), cv2.cvtColor(_check_frame(frame), cv2.COLOR_RGB2BGR)):
            raise OutputError(f"{self.path}: could not write frame {name}")
        self.index += 1

    def finish(self) -> None:
        """Move the completed folder onto the destination."""
        if self.index == 0:
            raise OutputError(f"{self.path}: no frames were written")
        _give_normal_mode(self.temp, folder=True)
        _replace(self.temp, self.path)

    def abort(self) -> None:
        """Remove everything written so far."""
        shutil.rmtree(self.temp, ignore_errors=True)


def _check_frame(frame: NDArray[np.uint8], size: tuple[int, int] | None = None) -> NDArray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"a frame must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}")
    if size is not None and frame.shape[:2] != size:
        raise ValueError(f"frame is {frame.shape[1]}x{frame.shape[0]}, the video is "
                         f"{size[1]}x{size[0]}")
    return np.ascontiguousarray(frame)


#: Frames larger than 1080p get the shortest encoder look-ahead.
LARGE_FRAME_PIXELS = 1920 * 1088

#: x264/x265 rate-control look-ahead in frames, up to 1080p and above. x264
#: buffers about 3 MB per look-ahead frame at 1280x720 (4.5 bytes a pixel).
#: Its default of 40 held 179 MB at 720p and ~1.4 GB at 4K; 20 held 117 MB
#: (3 shared clips at 720p, crf 18: size -0.1%, PSNR -0.005 dB against 40).
#: The encoder exists only from the first written frame on, so every window
#: after the first carries it on top of its own peak; at 720p it was most of
#: what a long run's later windows held above the first's. 10 frames holds
#: 31 MB less than 20 (84 against 115 MB over the frames' own memory, 140
#: looped frames of tennis at 1280x720, preset medium) at the same rate and
#: distortion: size -2.1% / -1.4% / -1.2%, PSNR -0.041 / -0.046 / -0.025 dB
#: (tennis / car-shadow / bmx-trees, 120 looped frames at 720p, crf 18), where
#: the crf 17-19 curve of 20 frames gives -0.041 / -0.040 / -0.034 dB
#: for those sizes. 5 frames (68 MB) falls below that curve by 0.04-0.08 dB.
#: At 4K the encoder is the largest memory of a run: 607 MB with 10, 485 MB
#: with 5, for size -0.1% / -1.8% and PSNR -0.002 / -0.11 dB (30 looped
#: frames of bmx-trees / car-shadow at crf 18); memory comes first there.
#: x265's look-ahead was not measured below 20, its own default.
RC_LOOKAHEAD = {"libx264": (10, 5), "libx265": (20, 5)}

#: The default speed preset: x264/x265's "medium", or "faster" for frames
#: larger than 1080p, where encoding is most of a run's time (a small mask
#: on a 4K video: the engine works on a crop, the encoder on every pixel).
#: 30 frames of bmx-trees upscaled to 3840x2160, crf 18, look-ahead 5: medium
#: 16.0 s of CPU, 6.29 MB, 42.47 dB; faster 9.5 s, 6.29 MB, 42.43 dB;
#: veryfast 7.4 s, 6.03 MB, 42.24 dB (a /tmp script over PyAV).
DEFAULT_PRESET = "auto"
LARGE_FRAME_PRESET = "faster"


def encoder_preset(preset: str, width: int, height: int) -> str:
    """The x264-style preset ``preset`` names for a ``width`` x ``height`` video
    (:data:`DEFAULT_PRESET` ``"auto"`` resolved; any other name as given)."""
    if preset != DEFAULT_PRESET:
        return preset
    return LARGE_FRAME_PRESET if width * height > LARGE_FRAME_PIXELS else "medium"


def _encoder_settings(
    path: Path, codec: str, *, lossless: bool, width: int, height: int, crf: int, preset: str
) -> tuple[str, str, dict[str, str]]:
    """Pick encoder name, pixel format and options; raise OutputError when none fits."""
    preset = encoder_preset(preset, width, height)
    if lossless:
        if codec == "libx264" and path.suffix.lower() == ".mkv":
            # Same size as libx264rgb at preset medium and three times faster (measured).
            codec = "ffv1"
        if codec in ("libx264", "libx264rgb", "h264"):
            # QP 0 on RGB input: no colour conversion anywhere, so the round trip is exact.
            return "libx264rgb", "rgb24", {"qp": "0", "preset": preset}
        if codec == "ffv1":
            return "ffv1", "bgr0", {}
        raise OutputError(f"{path}: {_LOSSLESS_HINT}, not {codec}")
    try:
        encoder = av.Codec(codec, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        raise OutputError(f"{path}: unknown video encoder {codec!r}") from None
    if encoder.type != "video":
        raise OutputError(f"{path}: {codec!r} is not a video encoder")
    formats = [fmt.name for fmt in encoder.video_formats or ()]
    even = width % 2 == 0 and height % 2 == 0
    if "yuv420p" in formats and even:
        pix_fmt = "yuv420p"
    elif "yuv444p" in formats:
        # 4:2:0 needs even sizes; 4:4:4 keeps an odd size without scaling or padding.
        pix_fmt = "yuv444p"
    elif formats and even:
        pix_fmt = formats[0]
    else:
        raise OutputError(
            f"{path}: encoder {codec} cannot encode the odd frame size {width}x{height}; "
            "use --codec libx264 (the default) or ffv1"
        )
    context = av.CodecContext.create(encoder)
    private = {option.name for option in context.supported_options.private}
    options: dict[str, str] = {}
    if "crf" in private:
        options["crf"] = str(crf)
        if codec == "libvpx-vp9":
            options["b"] = "0"  # VP9 treats crf as a cap unless the bit rate is 0
    if "preset" in private and codec in _NAMED_PRESETS:
        options["preset"] = preset
    if codec in ("libx264", "libx265"):
        # The encoder's buffers are most of the memory a run holds besides the
        # window, and come on top of it from the first written frame on.
        lookahead = RC_LOOKAHEAD[codec][width * height > LARGE_FRAME_PIXELS]
        options[f"{codec[3:]}-params"] = f"rc-lookahead={lookahead}"
    return codec, pix_fmt, options


class VideoWriter:
    """Encode frames to a video file, keeping size, timing, rotation, colour and audio.

    Parameters
    ----------
    path : Path
        Destination (.mp4, .mkv or .mov).
    info : VideoInfo
        The input's description: frames get its timestamps, the output its
        rotation and colour tags, and its audio streams are copied.
    codec, crf, lossless, preset, fps
        See :func:`open_output`.
    first_index : int
        Index in the source of the first frame written: a segment of a
        longer output gets the timestamps of its place in the whole.
    encode_for : Path, optional
        The file this one is a segment of: its container, not ``path``'s,
        decides the encoder (lossless .mkv is FFV1).
    """

    def __init__(
        self,
        path: Path,
        info: VideoInfo,
        *,
        codec: str = "libx264",
        crf: int = 18,
        lossless: bool = False,
        preset: str = DEFAULT_PRESET,
        fps: float | None = None,
        first_index: int = 0,
        encode_for: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.info = info
        self.first_index = first_index
        self.index = first_index
        self.closed = False
        self.temps: list[Path] = []
        name, self.pix_fmt, options = _encoder_settings(
            Path(encode_for or self.path), codec, lossless=lossless, width=info.width,
            height=info.height, crf=crf, preset=preset,
        )
        if info.pts and info.time_base:
            if fps is not None:
                log.warning("--fps applies to frame folders; %s keeps its own timing", info.path)
            self.time_base = info.time_base
            shift = round(info.start_time / info.time_base)
            self.pts: tuple[int, ...] = tuple(stamp - shift for stamp in info.pts)
            self.step = info.last_duration or 1
            rate = info.fps
        else:
            rate = rate_from_float(fps) if fps else info.fps
            self.time_base = 1 / rate
            self.pts = ()
            self.step = 1
        # RGB encoders take the frames as they are; only YUV needs the matrix and range.
        self.to_yuv = self.pix_fmt.startswith("yuv")
        self.temp = _temp_file(self.path, "part")
        self.temps.append(self.temp)
        try:
            self.container = av.open(str(self.temp), mode="w", options=self._muxer_options())
            _check_holds(self.container, self.path, name)
            self.stream = self.container.add_stream(name, rate=rate)
            self.stream.width = info.width
            self.stream.height = info.height
            self.stream.pix_fmt = self.pix_fmt
            # The codec must count time in the source's units, or VFR timestamps that are not
            # multiples of 1/rate collide (measured: "Invalid argument" from the encoder).
            self.stream.codec_context.time_base = self.time_base
            self.stream.time_base = self.time_base
            self.stream.options = options
            if self.to_yuv:
                context = self.stream.codec_context
                context.colorspace = info.color_space
                context.color_range = info.color_range
                context.color_primaries = info.color_primaries
                context.color_trc = info.color_trc
            if info.sample_aspect_ratio:
                self.stream.codec_context.sample_aspect_ratio = info.sample_aspect_ratio
            if info.rotation:
                self.stream.set_display_rotation(info.rotation)
            self.container.start_encoding()
        except OutputError:
            self.abort()
            raise
        except (av.error.FFmpegError, ValueError) as error:
            self.abort()
            raise OutputError(
                f"{self.path}: cannot encode {info.width}x{info.height} video with {name} "
                f"({getattr(error, 'strerror', None) or error})"
            ) from None

    def _muxer_options(self) -> dict[str, str]:
        # Moving the index to the front lets players start before the whole file has loaded;
        # when an audio pass follows, that pass does it (rewriting twice would be wasted I/O).
        if self.path.suffix.lower() in (".mp4", ".mov") and not self._adds_audio:
            return {"movflags": "+faststart"}
        return {}

    @property
    def _adds_audio(self) -> bool:
        return self.info.has_audio and not self.info.is_folder

    def _timing(self, index: int) -> tuple[int, int]:
        """The pts and duration of frame ``index`` in ``self.time_base`` units."""
        if index < len(self.pts):
            pts = self.pts[index]
            following = self.pts[index + 1] if index + 1 < len(self.pts) else pts + self.step
            return pts, following - pts
        if self.pts:
            # More frames than the source had: continue at the last frame's spacing.
            return self.pts[-1] + (index - len(self.pts) + 1) * self.step, self.step
        return index, 1

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Encode the next frame, ``uint8 (H, W, 3)`` RGB."""
        rgb = _check_frame(frame, (self.info.height, self.info.width))
        video_frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if self.to_yuv:
            # The same matrix and range the reader decoded with, so colours come back unchanged.
            video_frame.colorspace = self.info.color_space
            video_frame = video_frame.reformat(
                format=self.pix_fmt,
                dst_color_range=self.info.color_range or None,
                interpolation=SWS_FLAGS,
            )
        pts, duration = self._timing(self.index)
        video_frame.pts = pts
        video_frame.time_base = self.time_base
        video_frame.duration = duration
        try:
            for packet in self.stream.encode(video_frame):
                self.container.mux(packet)
        except av.error.FFmpegError as error:
            raise OutputError(
                f"{self.path}: encoding frame {self.index} failed ({error})"
            ) from None
        self.index += 1

    def finish(self) -> None:
        """Flush the encoder, add the source's audio, and move the file onto the destination."""
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
        except av.error.FFmpegError as error:
            raise OutputError(f"{self.path}: finishing the video failed ({error})") from None
        self.container.close()
        self.closed = True
        if self.index == self.first_index:
            raise OutputError(f"{self.path}: no frames were written")
        deliver_video(self.temp, self.info, self.path, self.temps)

    def abort(self) -> None:
        """Remove the partial files."""
        try:
            if not self.closed and hasattr(self, "container"):
                self.closed = True
                self.container.close()
        except Exception:  # noqa: BLE001 - already failing; the cleanup below matters more
            pass
        finally:
            for temp in self.temps:
                temp.unlink(missing_ok=True)


def check_encoder(
    path: Path,
    info: VideoInfo,
    *,
    codec: str = "libx264",
    lossless: bool = False,
    **_: Any,
) -> None:
    """Raise now the OutputError that encoding ``info``'s frames into ``path`` would raise.

    For outputs encoded in parts: the parts' container is not the
    destination's, so the destination's choice of encoder, and whether its
    container holds it, are checked before any work is done. The encoder is
    not opened: at 4K its buffers are hundreds of MB, and freed before the
    heap is bounded they stayed resident (+50 MB peak). Quality and speed
    settings do not change the choice and are ignored.
    """
    name, _, _ = _encoder_settings(
        Path(path), codec, lossless=lossless, width=info.width, height=info.height, crf=18,
        preset=DEFAULT_PRESET,
    )
    probe_file = _temp_file(Path(path), "check")
    try:
        with av.open(str(probe_file), mode="w") as container:
            _check_holds(container, Path(path), name)
    finally:
        probe_file.unlink(missing_ok=True)


def _check_holds(container: av.container.OutputContainer, path: Path, codec: str) -> None:
    """Refuse an encoder that the container of ``path`` cannot hold."""
    if codec not in container.supported_codecs:
        raise OutputError(f"{path}: a {path.suffix} file cannot hold {codec} video; use .mkv")


def join_segments(parts: Sequence[Path], info: VideoInfo, path: Path) -> None:
    """Join encoded segments (:func:`concat_videos`), add the audio, move it onto ``path``."""
    joined = _temp_file(path, "part")
    temps = [joined]
    try:
        concat_videos(parts, joined, rotation=info.rotation)
        deliver_video(joined, info, path, temps)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def deliver_video(video_file: Path, info: VideoInfo, path: Path, temps: list[Path]) -> None:
    """Add the source's audio to the encoded ``video_file``, then move it onto ``path``.

    ``temps`` lists the temporary files of the output; the audio pass adds
    its own, and all of them are removed once ``path`` is in place.
    """
    result = video_file
    if info.has_audio and not info.is_folder:
        result = _temp_file(path, "mux")
        temps.append(result)
        try:
            try:
                _mux_audio(video_file, info, result, transcode=False)
            except av.error.FFmpegError as error:
                # Some pairs the container claims to hold still fail at mux time (Opus in
                # .mov): AAC goes everywhere.
                log.info("%s: copying the audio failed (%s); transcoding to AAC", path, error)
                _mux_audio(video_file, info, result, transcode=True)
        except (av.error.FFmpegError, ValueError) as error:
            raise OutputError(
                f"{path}: could not copy the audio of {info.path} "
                f"({getattr(error, 'strerror', None) or error})"
            ) from None
    _give_normal_mode(result, folder=False)
    os.replace(result, path)
    for temp in temps:
        temp.unlink(missing_ok=True)


def concat_videos(parts: Sequence[Path], destination: Path, *, rotation: int = 0) -> None:
    """Join encoded video files, each starting on a keyframe, into ``destination`` by packet copy.

    The parts must come from one encoder setup and carry the timestamps of
    their place in the whole (see ``VideoWriter(first_index=...)``), so no
    frame is decoded or encoded again.
    """
    if not parts:
        raise OutputError(f"{destination}: no video to join")
    suffix = destination.suffix.lower()
    options = {"movflags": "+faststart"} if suffix in (".mp4", ".mov") else {}
    with av.open(str(parts[0])) as first, av.open(str(destination), "w", options=options) as out:
        video_out = out.add_stream_from_template(first.streams.video[0], opaque=True)
        if rotation:
            video_out.set_display_rotation(rotation)
        for part in parts:
            with av.open(str(part)) as source:
                for packet in source.demux(source.streams.video[0]):
                    if packet.dts is None and packet.pts is None:
                        continue  # the demuxer's end-of-stream marker
                    packet.stream = video_out
                    out.mux(packet)


def _audio_fits(container: av.container.OutputContainer, suffix: str, codec: str) -> bool:
    if suffix == ".mp4":
        return codec in _MP4_AUDIO
    return codec in container.supported_codecs


def _mux_audio(video_file: Path, info: VideoInfo, destination: Path, *, transcode: bool) -> None:
    """Write the video of ``video_file`` and every audio stream of the source into one file.

    Audio is copied packet by packet; a codec the container cannot hold (PCM
    or Vorbis in .mp4, say), or every stream when ``transcode`` is set, is
    transcoded to AAC. Packets of both inputs are
    merged in time order so the muxer never buffers a whole stream.
    """
    suffix = destination.suffix.lower()
    options = {"movflags": "+faststart"} if suffix in (".mp4", ".mov") else {}
    with (
        av.open(str(video_file)) as video_in,
        av.open(str(info.path)) as audio_in,
        av.open(str(destination), mode="w", options=options) as out,
    ):
        video_stream = video_in.streams.video[0]
        # opaque=True reuses the decoder it was opened with: a new encoder of that name may not
        # exist (AV1 decodes with libdav1d, which cannot encode).
        video_out = out.add_stream_from_template(video_stream, opaque=True)
        if info.rotation:
            video_out.set_display_rotation(info.rotation)
        routes: dict[int, _AudioRoute] = {}
        for stream in audio_in.streams.audio:
            # The codec's id name ("mp3"), not its decoder's ("mp3float").
            codec = stream.codec.canonical_name
            if not transcode and _audio_fits(out, suffix, codec):
                target = out.add_stream_from_template(stream)
                routes[stream.index] = _AudioRoute(
                    stream, target, recode=False, start=info.start_time
                )
            else:
                log.info("%s: transcoding %s audio to AAC for %s", info.path, codec, suffix)
                target = out.add_stream("aac", rate=stream.rate, layout=stream.layout.name)
                routes[stream.index] = _AudioRoute(
                    stream, target, recode=True, start=info.start_time
                )
            if stream.language:
                target.metadata["language"] = stream.language
        sources = [
            _timed(video_in.demux(video_stream)),
            _timed(audio_in.demux(*audio_in.streams.audio)),
        ]
        for _, _, packet in heapq.merge(*sources, key=lambda item: (item[0], item[1])):
            if packet.stream.type == "video":
                packet.stream = video_out
                out.mux(packet)
            else:
                routes[packet.stream.index].send(out, packet)
        for route in routes.values():
            route.close(out)


class _AudioRoute:
    """One source audio stream on its way into the output: packet copy or AAC transcode."""

    def __init__(
        self,
        source: av.audio.stream.AudioStream,
        target: av.stream.Stream,
        *,
        recode: bool,
        start: Fraction,
    ) -> None:
        self.source = source
        self.target = target
        self.recode = recode
        self.start = start
        # The same shift the video got, in this stream's units.
        self.shift = round(start / source.time_base) if source.time_base else 0
        self.last_dts: int | None = None
        self.next_pts: int | None = None

    def send(self, out: av.container.OutputContainer, packet: av.Packet) -> None:
        """Mux one source packet (or the frames it decodes to)."""
        if self.recode:
            for frame in packet.decode():
                self._encode(out, frame)
            return
        if self.shift:
            if packet.pts is not None:
                packet.pts -= self.shift
            if packet.dts is not None:
                packet.dts -= self.shift
        if packet.dts is not None:
            # Muxers reject a dts that does not increase; AVI and some MKV audio has such
            # repeats. Nudge it forward by one tick, as the ffmpeg command line does.
            if self.last_dts is not None and packet.dts <= self.last_dts:
                packet.dts = self.last_dts + 1
                if packet.pts is not None and packet.pts < packet.dts:
                    packet.pts = packet.dts
            self.last_dts = packet.dts
        packet.stream = self.target
        out.mux(packet)

    def _encode(self, out: av.container.OutputContainer, frame: av.AudioFrame) -> None:
        # Decoded timestamps can step backwards (the reason a copy failed); counting samples
        # from the first frame gives the encoder the continuous clock it needs.
        if self.next_pts is None:
            start = frame.pts * frame.time_base - self.start if frame.pts is not None else 0
            self.next_pts = round(start * frame.sample_rate)
        frame.pts = self.next_pts
        frame.time_base = Fraction(1, frame.sample_rate)
        self.next_pts += frame.samples
        out.mux(self.target.encode(frame))

    def close(self, out: av.container.OutputContainer) -> None:
        """Flush decoder and encoder of a transcoded stream."""
        if not self.recode:
            return
        for frame in self.source.decode(None):
            self._encode(out, frame)
        out.mux(self.target.encode(None))


def _timed(packets: Iterator[av.Packet]) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """Packets with their decode time in seconds, for merging; skips flush packets."""
    order = 0
    last = Fraction(-(10**9))
    for packet in packets:
        if not packet.size:
            continue
        # Matroska stores only pts, so many of its packets come without a dts.
        stamp = packet.dts if packet.dts is not None else packet.pts
        if stamp is not None and packet.time_base is not None:
            last = stamp * packet.time_base
        order += 1
        yield last, order, packet


class OutputWriter:
    """Context manager over a folder or video writer: finishes on success, aborts on error."""

    def __init__(self, writer: FolderWriter | VideoWriter) -> None:
        self.writer = writer

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Write the next frame, ``uint8 (H, W, 3)`` RGB."""
        self.writer.write(frame)

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.writer.abort()
            return
        try:
            self.writer.finish()
        except BaseException:
            self.writer.abort()
            raise


def frame_names(info: VideoInfo) -> list[str]:
    """PNG names for the output frames: the input frame's stem, else a zero-padded index."""
    if not info.frame_names:
        digits = max(5, len(str(info.frame_count - 1)))
        return [f"{index:0{digits}d}.png" for index in range(info.frame_count)]
    names = [Path(name).stem + ".png" for name in info.frame_names]
    if len(set(names)) < len(names):
        # a.jpg and a.png would both become a.png: keep the old extension in the name instead.
        names = [name.replace(".", "_") + ".png" for name in info.frame_names]
    return names


def open_output(
    path: str | Path,
    info: VideoInfo,
    *,
    codec: str = "libx264",
    crf: int = 18,
    lossless: bool = False,
    preset: str = DEFAULT_PRESET,
    fps: float | None = None,
) -> OutputWriter:
    """Open ``path`` for writing frames shaped like ``info``.

    Parameters
    ----------
    path : str or Path
        A path with a video extension (.mp4, .mkv, .mov) gets an encoded
        video with the input's timing, rotation, colour tags and audio; any
        other path becomes a folder of PNG frames named like the input frames
        (``00000.png``... for a video input).
    info : VideoInfo
        The input, from :func:`vidfill.io.read.probe`.
    codec : str
        FFmpeg video encoder (``libx264``, ``libx265``, ``libvpx-vp9``,
        ``libsvtav1``, ``ffv1``...).
    crf : int
        Constant rate factor, for encoders that have one.
    lossless : bool
        Encode bit-exact RGB: FFV1 in .mkv, libx264rgb at QP 0 in .mp4/.mov
        (``codec="ffv1"`` or ``"libx264rgb"`` picks one explicitly).
    preset : str
        x264/x265 speed preset; ``"auto"`` (:func:`encoder_preset`) is "medium",
        or "faster" above 1080p.
    fps : float, optional
        Frame rate for an input without timestamps (a frame folder); ignored,
        with a warning, for a video input, which keeps its own timing.

    Returns
    -------
    OutputWriter
        A context manager with ``write(frame)``; leaving it normally puts the
        output in place, leaving it with an exception removes everything.

    Raises
    ------
    OutputError
        If the encoder is unknown or cannot encode this size into this container,
        or the destination folder cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return OutputWriter(
            VideoWriter(path, info, codec=codec, crf=crf, lossless=lossless, preset=preset, fps=fps)
        )
    return OutputWriter(FolderWriter(path, frame_names(info)))
