"""Reading and writing video: the first and last stage of the data flow."""

from vidfill.io.read import iter_frames, probe
from vidfill.io.write import check_output_path, open_output

__all__ = ["check_output_path", "iter_frames", "open_output", "probe"]
