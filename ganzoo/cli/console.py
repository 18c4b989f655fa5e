"""The one place that imports rich: tables, the progress bar, terminal detection."""

from __future__ import annotations

import sys
from typing import Any, Iterable, Mapping, Optional, Sequence

from ganzoo.engine.report import PlainReporter, Reporter, format_stats


def is_terminal() -> bool:
    """Whether stdout is an interactive terminal (rich output) or a pipe/file (plain)."""
    return sys.stdout.isatty()


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A rich table on a terminal."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def print_error(text: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(text, style="yellow", markup=False, highlight=False)


class RichReporter(Reporter):
    """A live progress bar: step/total, images/s, ETA, D and G losses, D(x), D(G(z))."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.console = Console()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[stats]}"),
            console=self.console,
        )
        self.task: Optional[Any] = None
        self.total = 0

    def start(self, total_steps: int, start_step: int, description: str) -> None:
        self.total = total_steps
        self.progress.start()
        self.task = self.progress.add_task(description, total=total_steps, completed=start_step, stats="")

    def update(self, stats: Mapping[str, Any]) -> None:
        line = format_stats(stats, self.total).split(" | ", 1)[-1]
        self.progress.update(self.task, completed=stats["step"], stats=line)

    def message(self, text: str) -> None:
        self.progress.console.print(text)

    def close(self) -> None:
        self.progress.stop()


def make_reporter() -> Reporter:
    """Rich progress on a terminal, plain lines otherwise."""
    return RichReporter() if is_terminal() else PlainReporter()
