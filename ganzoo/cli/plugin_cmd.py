"""``ganzoo plugin new NAME``: start a plugin distribution."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Folder to create the distribution in.")
def new_command(name: str, parent: Path) -> None:
    """Write a ready-to-install plugin distribution NAME/ that passes its own tests.

    \b
    Example:
      ganzoo plugin new my-gans && cd my-gans && pip install -e ".[test]" && python -m pytest
    """
    from ganzoo.scaffold import new_plugin

    folder = new_plugin(name, parent)
    click.echo(f"created {folder}: pip install -e '{folder}[test]' && python -m pytest {folder}")
