"""``ganzoo plugins [--json]``: every plugin, its distribution, hooks, contributions and status."""

from __future__ import annotations

import json
from typing import Any

import click


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")
def plugins_command(as_json: bool) -> None:
    """Show installed ganzoo plugins: version, hooks, what they add, status.

    Status is loaded, failed (with the error), blocked (GANZOO_BLOCKED_PLUGINS),
    disabled (GANZOO_DISABLE_PLUGIN_AUTOLOAD=1 skips third-party plugins) or
    superseded (an install of ganzoo under its former distribution name).
    """
    from ganzoo.plugins import get_plugin_manager
    from ganzoo.registry import get_registry

    registry = get_registry()  # building it also marks plugins whose hooks failed
    pm = get_plugin_manager()
    contributions: dict[str, list[str]] = {}
    for entry in registry:
        contributions.setdefault(entry.plugin, []).append(f"{entry.kind}:{entry.name}")

    def contributions_of(record: Any) -> list[str]:
        # Records of one entry-point name may repeat (a superseded install); only a loaded one contributed.
        return contributions.get(record.name, []) if record.status == "loaded" else []

    records = sorted(pm.records.values(), key=lambda r: (r.dist.lower(), r.name))
    if as_json:
        payload = [dict(r.to_json(), contributes=contributions_of(r)) for r in records]
        click.echo(json.dumps({"plugins": payload, "problems": list(registry.problems)}, indent=2))
        return
    from ganzoo.cli import console

    rows = []
    for r in records:
        adds = contributions_of(r)
        status = r.status + (f": {r.error}" if r.error else "")
        rows.append([r.name, r.provider, ", ".join(h.removeprefix("ganzoo_") for h in r.hooks), _summary(adds), status])
    columns = ["plugin", "distribution", "hooks", "contributes", "status"]
    if console.is_terminal():
        console.print_table("plugins", columns, rows)
    else:
        for row in rows:
            click.echo("  ".join(row))
    # A loaded plugin can still lose names to a clash with another: say so here too.
    for problem in registry.problems:
        click.echo(f"warning: {problem}", err=True)


def _summary(contributions: list[str]) -> str:
    """``3 recipes (a, b, c); 1 loss (x)`` -- what a plugin adds, by kind."""
    from ganzoo.cli.list_cmd import PLURAL

    by_kind: dict[str, list[str]] = {}
    for item in contributions:
        kind, _, name = item.partition(":")
        by_kind.setdefault(kind, []).append(name)
    parts = []
    for kind, names in by_kind.items():
        label = kind if len(names) == 1 else PLURAL.get(kind, kind + "s")
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        parts.append(f"{len(names)} {label} ({shown})")
    return "; ".join(parts) or "nothing"
