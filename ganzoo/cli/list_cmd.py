"""``ganzoo list [KIND] [PATTERN] [--json]``: what the installed plugins provide."""

from __future__ import annotations

import json
from typing import Any, Optional

import click

from ganzoo.errors import UnknownNameError

PLURAL = {"recipe": "recipes", "generator": "generators", "discriminator": "discriminators",
          "loss": "losses", "dataset": "datasets", "command": "commands"}  # fmt: skip


def entry_to_json(entry: Any) -> dict[str, Any]:
    """The ``--json`` record of one registry entry (stable keys; see README)."""
    spec = entry.spec
    dist, _, version = entry.provider.partition("==")
    record: dict[str, Any] = {
        "kind": entry.kind,
        "name": entry.name,
        "summary": spec.summary,
        "provider": entry.provider,
        "distribution": dist,
        "version": version,
        "plugin": entry.plugin,
    }
    if entry.kind == "recipe":
        record.update(components=spec.components, params=dict(spec.params), paper=spec.paper, expect=spec.expect)
    elif entry.kind != "command":
        record.update(defaults=dict(spec.defaults), paper=spec.paper)
        for flag in ("conditional", "labelled"):
            if hasattr(spec, flag):
                record[flag] = getattr(spec, flag)
    return record


@click.command("list")
@click.argument("kind", required=False)
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables.")
def list_command(kind: Optional[str], pattern: Optional[str], as_json: bool) -> None:
    """List registered recipes, generators, discriminators, losses, datasets.

    KIND is one of recipes, generators, discriminators, losses, datasets,
    commands (singular works too). PATTERN is a glob on names, e.g. '*mnist*'.
    A lone argument that is not a kind is taken as a pattern.

    \b
    Examples:
      ganzoo list
      ganzoo list recipes
      ganzoo list '*mnist*'
      ganzoo list losses --json
    """
    from ganzoo.registry import get_registry, normalise_kind

    registry = get_registry()
    if kind is not None:
        try:
            kind = normalise_kind(kind)
        except UnknownNameError:
            if pattern is not None:
                raise
            kind, pattern = None, kind
    entries = registry.list(kind, pattern)
    if as_json:
        payload = {"entries": [entry_to_json(e) for e in entries], "problems": list(registry.problems)}
        click.echo(json.dumps(payload, indent=2))
        return
    _print_entries(entries, kind, pattern)
    for problem in registry.problems:
        click.echo(f"warning: {problem}", err=True)


def _print_entries(entries: list[Any], kind: Optional[str], pattern: Optional[str]) -> None:
    from ganzoo.cli import console

    if not entries:
        what = PLURAL[kind] if kind else "entries"
        click.echo(f"no {what} match {pattern!r}" if pattern else f"no {what} are registered")
        return
    by_kind: dict[str, list[Any]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    terminal = console.is_terminal()
    for k, group in by_kind.items():
        if k == "recipe":
            columns = ["name", "summary", "components (G / D / loss / data)", "provided by"]
            rows = [[e.name, e.spec.summary, " / ".join(e.spec.components.values()), e.provider] for e in group]
        else:
            columns = ["name", "summary", "provided by"]
            rows = [[e.name, e.spec.summary, e.provider] for e in group]
        if terminal:
            console.print_table(PLURAL[k], columns, rows)
        else:
            click.echo(f"{PLURAL[k]}:")
            width = max(len(row[0]) for row in rows)
            for row in rows:
                click.echo("  " + row[0].ljust(width) + "  " + "  ".join(row[1:]))
