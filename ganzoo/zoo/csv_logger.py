"""CSV files of a run's numbers, for a spreadsheet or pandas: ``metrics.csv`` and ``eval.csv``."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Mapping, Optional

from ganzoo.artifacts.atomic import atomic_write_bytes
from ganzoo.errors import ConfigError
from ganzoo.loggers import Logger, scalars


class CSVTable:
    """One CSV file with a ``step`` column first and a column per key ever logged.

    A key that appears later (a lazy phase's first loss, an augmentation's
    ``p``) rewrites the file with the wider header, earlier rows left empty
    there; otherwise each row is appended.
    """

    def __init__(self, path: Path, start_step: int) -> None:
        self.path = Path(path)
        self.columns: list[str] = ["step"]
        self.rows: list[dict[str, Any]] = []
        if self.path.is_file():  # a resumed run: keep the rows up to its checkpoint, as metrics.jsonl does
            with self.path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                self.columns = list(reader.fieldnames or ["step"])
                for row in reader:
                    try:
                        if int(row["step"]) <= start_step:
                            self.rows.append(row)
                    except (KeyError, TypeError, ValueError):
                        continue
            self._rewrite()

    def add(self, step: int, values: Mapping[str, float]) -> None:
        row = {"step": step, **values}
        self.rows.append(row)
        new = [key for key in values if key not in self.columns]
        if new or not self.path.is_file():
            self.columns += new
            self._rewrite()
            return
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            csv.DictWriter(handle, self.columns).writerow(row)

    def _rewrite(self) -> None:
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, self.columns)
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write_bytes(self.path, buffer.getvalue().encode("utf-8"))


class CSVLogger(Logger):
    """``RUN_DIR/metrics.csv``: a row per logging step, a column per key of the stats line;
    ``RUN_DIR/eval.csv``: a row per evaluation during training."""

    def __init__(self, file: str = "metrics.csv", eval_file: str = "eval.csv") -> None:
        for name in (file, eval_file):
            if not name or Path(name).name != name:
                raise ConfigError(f"the csv logger's file name {name!r} must be a plain file name",
                                  "its files are written into the run directory", "use e.g. metrics.csv")  # fmt: skip
        self.file, self.eval_file = file, eval_file
        self.metrics: Optional[CSVTable] = None
        self.evals: Optional[CSVTable] = None
        self.run_dir: Optional[Path] = None
        self.start_step = 0

    def start(self, run_dir: Path, *, start_step: int, config: Mapping[str, Any]) -> None:
        self.run_dir, self.start_step = Path(run_dir), start_step
        self.metrics = CSVTable(self.run_dir / self.file, start_step)
        if (self.run_dir / self.eval_file).is_file():
            self.evals = CSVTable(self.run_dir / self.eval_file, start_step)

    def log_metrics(self, step: int, stats: Mapping[str, Any]) -> None:
        assert self.metrics is not None, "start() was not called"
        self.metrics.add(step, scalars(stats))

    def log_eval(self, step: int, scores: Mapping[str, Any]) -> None:
        assert self.run_dir is not None, "start() was not called"
        if self.evals is None:  # created with the first evaluation: a run without any has no eval.csv
            self.evals = CSVTable(self.run_dir / self.eval_file, self.start_step)
        self.evals.add(step, scalars(scores))
