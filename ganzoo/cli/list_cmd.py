"""``ganzoo list [KIND] [PATTERN] [--json]``: what the installed plugins provide."""

from __future__ import annotations

import json
from typing import Any, Optional

import click

from ganzoo.cli import completion
from ganzoo.errors import UnknownNameError

PLURAL = {"recipe": "recipes", "generator": "generators", "discriminator": "discriminators", "network": "networks",
          "loss": "losses", "input": "inputs", "augment": "augmentations", "dataset": "datasets",
          "extractor": "extractors", "logger": "loggers", "command": "commands"}  # fmt: skip


def pretrained_models() -> dict[str, str]:
    """Published model name -> folder, for marking recipes that have pretrained weights (no torch)."""
    from ganzoo.artifacts.store import iter_models

    return {name: str(folder) for name, folder in iter_models()}


def entry_to_json(entry: Any, pretrained: dict[str, str] | None = None) -> dict[str, Any]:
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
        record.update(components=spec.components, params=dict(spec.params), paper=spec.paper, expect=spec.expect,
                      pretrained=(pretrained or {}).get(entry.name), networks=dict(spec.networks),
                      inputs=spec.inputs or None)  # fmt: skip
    elif entry.kind == "extractor":
        record.update(defaults=dict(spec.defaults), datasets=list(spec.datasets), weights=spec.weights,
                      sha256=spec.sha256, num_classes=spec.num_classes)  # fmt: skip
    elif entry.kind != "command":
        record.update(defaults=dict(spec.defaults), paper=spec.paper)
        for flag in ("conditional", "labelled", "inputs", "patch_scores"):
            if hasattr(spec, flag):
                record[flag] = getattr(spec, flag)
        if hasattr(spec, "outputs"):
            record["outputs"] = list(spec.outputs)
    return record


@click.command("list")
@click.argument("kind", required=False, shell_complete=completion.kinds)
@click.argument("pattern", required=False, shell_complete=completion.pattern_names)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables.")
def list_command(kind: Optional[str], pattern: Optional[str], as_json: bool) -> None:
    """List registered recipes, generators, discriminators, losses, datasets, extractors, loggers.

    KIND is one of recipes, generators, discriminators, networks, losses,
    inputs, augmentations, datasets, extractors, loggers, commands (singular works too). Recipes with pretrained
    weights (ganzoo sample RECIPE works at once) are marked with *. PATTERN is a glob on names, e.g. '*mnist*'.
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
    lone_pattern = False  # a single argument that is not a kind is read as a name pattern
    if kind is not None:
        try:
            kind = normalise_kind(kind)
        except UnknownNameError:
            if pattern is not None:
                raise
            kind, pattern = None, kind
            lone_pattern = True
    entries = registry.list(kind, pattern)
    if not entries and pattern is not None and not any(ch in pattern for ch in "*?["):
        # An exact word that nothing registers (a typo, usually): say so and suggest, as train does.
        known = {e.name for e in registry.list(kind, None)}
        if not lone_pattern:
            raise UnknownNameError(kind, pattern, known)
        import difflib

        from ganzoo.errors import ConfigError

        close = difflib.get_close_matches(pattern, sorted(known | set(PLURAL.values())), n=3, cutoff=0.5)
        raise ConfigError(
            f"{pattern!r} is neither a kind nor a registered name",
            f"did you mean {' or '.join(close)}?" if close else f"the kinds are {', '.join(PLURAL.values())}",
            "run 'ganzoo list' to see everything, or give a glob pattern such as '*mnist*'",
        )
    pretrained = pretrained_models() if any(e.kind == "recipe" for e in entries) else {}
    if as_json:
        payload = {"entries": [entry_to_json(e, pretrained) for e in entries], "problems": list(registry.problems)}
        click.echo(json.dumps(payload, indent=2))
        return
    _print_entries(entries, kind, pattern, pretrained)
    if not entries and lone_pattern:
        click.echo(f"({pattern!r} was read as a name pattern: it is not one of the kinds "
                   f"{', '.join(PLURAL.values())})")  # fmt: skip
    for problem in registry.problems:
        click.echo(f"warning: {problem}", err=True)


def _print_entries(entries: list[Any], kind: Optional[str], pattern: Optional[str], pretrained: dict[str, str]) -> None:
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
            rows = [[e.name + (" *" if e.name in pretrained else ""), e.spec.summary,
                     " / ".join(e.spec.components.values()), e.provider] for e in group]  # fmt: skip
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
    if any(e.name in pretrained for e in by_kind.get("recipe", [])):
        click.echo("* pretrained weights ship with ganzoo: try 'ganzoo sample NAME'")
