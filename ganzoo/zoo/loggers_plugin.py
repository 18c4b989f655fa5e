"""Registers the first-party experiment loggers. Imports no torch: builders are lazy.

``metrics.jsonl`` is not a logger: every run writes it.
"""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import LoggerSpec, lazy

GANZOO_CONTRACT = "2.1"


@hookimpl
def ganzoo_loggers():
    yield LoggerSpec(
        name="tensorboard",
        summary="TensorBoard event files in RUN_DIR/tensorboard: every logged number and the sample grids.",
        build=lazy("ganzoo.zoo.tensorboard_logger:TensorBoardLogger"),
        defaults={"folder": "tensorboard", "flush_secs": 30},
    )
    yield LoggerSpec(
        name="csv",
        summary="RUN_DIR/metrics.csv (a row per logging step) and eval.csv, for spreadsheets and pandas.",
        build=lazy("ganzoo.zoo.csv_logger:CSVLogger"),
        defaults={"file": "metrics.csv", "eval_file": "eval.csv"},
    )
