"""``vidfill bench``: the evaluation benchmark (a thin layer over :mod:`vidfill.bench`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidfill.cli import app
from vidfill.engines import available_engines
from vidfill.errors import EngineError

_HELP = {
    "clips_dir": "Folder of clips: <name>/frames/*.jpg, optional <name>/masks/.",
    "methods": "Comma-separated methods to compare (default: all of "
    f"{', '.join(available_engines())}). The 'frame' baseline is always added.",
    "frames": "Use only the first N frames of each clip (default: all).",
    "size": "Protocol size WIDTHxHEIGHT every clip is resized to.",
    "out": "Report folder (report.json, report.md, charts/, sheets/).",
    "quick": "Three small clips, 12 frames, five mask families: a smoke run of about a minute.",
    "clips": "Comma-separated clip names to use (default: all).",
    "families": "Comma-separated synthetic mask families (default: all): blob, blob-moving, "
    "box-small, box-large, caption, logo, blob-fast.",
    "truth_clips": "Comma-separated clips whose real masks cut holes into intact frames "
    "(e.g. devil-sample,running-car): their real-mask case is scored against the frames as "
    "ground truth instead of as object removal.",
    "seed": "Seed of the synthetic masks; the same seed gives the same cases.",
    "lpips": "TorchScript LPIPS model (needs torch); never downloaded.",
    "i3d": "TorchScript I3D feature model for VFID (needs torch); never downloaded.",
}


def _names(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


@app.command("bench")
def bench_command(
    clips_dir: Annotated[Path, typer.Argument(help=_HELP["clips_dir"])],
    methods: Annotated[str | None, typer.Option(help=_HELP["methods"])] = None,
    frames: Annotated[int | None, typer.Option(help=_HELP["frames"])] = None,
    size: Annotated[str, typer.Option(help=_HELP["size"])] = "432x240",
    out: Annotated[Path, typer.Option(help=_HELP["out"])] = Path("bench-report"),
    quick: Annotated[bool, typer.Option(help=_HELP["quick"])] = False,
    clips: Annotated[str | None, typer.Option(help=_HELP["clips"])] = None,
    families: Annotated[str | None, typer.Option(help=_HELP["families"])] = None,
    seed: Annotated[int, typer.Option(help=_HELP["seed"])] = 0,
    truth_clips: Annotated[str | None, typer.Option(help=_HELP["truth_clips"])] = None,
    lpips_weights: Annotated[
        Path | None, typer.Option("--lpips-weights", help=_HELP["lpips"])
    ] = None,
    i3d_weights: Annotated[Path | None, typer.Option("--i3d-weights", help=_HELP["i3d"])] = None,
) -> None:
    """Score fill methods on CLIPS_DIR with the published protocol; write a report to --out."""
    from vidfill.bench import BenchSettings, run_bench
    from vidfill.bench.cases import parse_size
    from vidfill.bench.report import main_table, write_report

    chosen = _names(methods) or available_engines()
    unknown = sorted(set(chosen) - set(available_engines()))
    if unknown:
        raise EngineError(
            f"unknown method {', '.join(unknown)}; choose from {', '.join(available_engines())}"
        )
    options = {
        "size": parse_size(size),
        "frames": frames,
        "clips": _names(clips),
        "families": _names(families),
        "seed": seed,
        "truth_clips": _names(truth_clips),
        "lpips_weights": lpips_weights,
        "i3d_weights": i3d_weights,
    }
    options = {key: value for key, value in options.items() if value is not None}
    if quick:
        settings = BenchSettings.quick_preset(clips_dir, chosen, **options)
    else:
        settings = BenchSettings(clips_dir=clips_dir, methods=chosen, **options)
    result = run_bench(settings, progress=lambda line: typer.echo(line, err=True))
    paths = write_report(result, out)
    typer.echo("\n".join(main_table(result)))
    typer.echo(f"report: {paths['markdown']} and {paths['json']} ({result.seconds:.0f} s)")
