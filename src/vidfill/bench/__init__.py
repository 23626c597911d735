"""``vidfill bench``: the field's evaluation benchmark, built in.

* :mod:`~vidfill.bench.masks`: seeded synthetic hole masks (the literature's
  random blob, boxes, captions, logos, fast blobs);
* :mod:`~vidfill.bench.cases`: clips at the protocol size, completion and
  removal cases;
* :mod:`~vidfill.bench.attributes`: DEVIL-style low/high labels;
* :mod:`~vidfill.bench.run`: every method in its own process, metrics;
* :mod:`~vidfill.bench.report`: report.json, report.md, charts, sheets.
"""

from vidfill.bench.run import BenchResult, BenchSettings, run_bench

__all__ = ["BenchResult", "BenchSettings", "run_bench"]
