"""TensorBoard: every logged number as a scalar, every sample grid as an image (the extra ``tensorboard``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Mapping

from ganzoo.errors import ConfigError
from ganzoo.loggers import Logger, scalars

#: The sub-folder of the run directory that holds the event files.
TENSORBOARD_DIR = "tensorboard"


class TensorBoardLogger(Logger):
    """Writes ``RUN_DIR/tensorboard/events.out.tfevents.*`` through ``torch.utils.tensorboard``.

    Scalars are tagged with the stats line's keys (``d_loss``, ``g_loss``,
    ``d_real``, ``d_reg_r1``, ``g_info_cat``, ``kimg``, ``img_per_s`` ...),
    evaluations as ``eval/<metric>``, sample grids as ``samples``. View with
    ``tensorboard --logdir RUN_DIR`` (or a folder of runs). A resumed run hides
    the events an interrupted segment logged past its checkpoint (TensorBoard's
    ``purge_step``), as ``metrics.jsonl`` drops those lines.
    """

    def __init__(self, folder: str = TENSORBOARD_DIR, flush_secs: int = 30) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:  # torch's module needs the tensorboard package
            raise ConfigError(
                "--log tensorboard needs the tensorboard package, which is not installed",
                f"torch.utils.tensorboard could not be imported ({exc})",
                "pip install 'torch-ganzoo[tensorboard]' (or pip install tensorboard), or train without --log tensorboard",
            ) from None
        if not folder or Path(folder).is_absolute() or ".." in Path(folder).parts:
            raise ConfigError(f"the tensorboard logger's folder {folder!r} must be a folder inside the run directory",
                              "", "use a plain folder name such as 'tensorboard'")  # fmt: skip
        self._writer_type = SummaryWriter
        self.folder, self.flush_secs = folder, int(flush_secs)
        self.writer: Any = None

    def start(self, run_dir: Path, *, start_step: int, config: Mapping[str, Any]) -> None:
        # purge_step: events at or past it, from a segment that died after its last checkpoint, are hidden.
        self.writer = self._writer_type(log_dir=str(Path(run_dir) / self.folder), flush_secs=self.flush_secs,
                                        purge_step=start_step + 1 if start_step else None)  # fmt: skip

    def log_metrics(self, step: int, stats: Mapping[str, Any]) -> None:
        for key, value in scalars(stats).items():
            self.writer.add_scalar(key, value, step)

    def log_eval(self, step: int, scores: Mapping[str, Any]) -> None:
        for key, value in scalars(scores).items():
            self.writer.add_scalar(f"eval/{key}", value, step)

    def log_image(self, step: int, tag: str, png: bytes) -> None:
        import numpy as np
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            pixels = np.asarray(image.convert("RGB"))
        self.writer.add_image(tag, pixels, step, dataformats="HWC")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
