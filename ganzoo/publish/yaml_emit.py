"""A small YAML emitter for model-card front matter (block style, JSON-quoted scalars).

ganzoo does not depend on a YAML library for writing: front matter is plain
mappings, lists and scalars, and every scalar is written as JSON, which is
valid YAML 1.2 (double-quoted strings with JSON escapes, numbers, true/false,
null). The test suite parses the result with PyYAML, like the Hugging Face Hub does.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

_BARE_KEY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _key(key: str) -> str:
    return key if key and set(key) <= _BARE_KEY and not key[0] == "-" else json.dumps(key)


def _scalar(value: Any) -> str:
    if isinstance(value, float) and value != value:  # NaN is not JSON; YAML spells it .nan
        return ".nan"
    return json.dumps(value, ensure_ascii=False)


def dump(value: Mapping[str, Any]) -> str:
    """YAML text for a mapping of mappings, lists and JSON scalars."""
    lines: list[str] = []
    _emit_mapping(value, 0, lines)
    return "\n".join(lines) + "\n"


def _emit_mapping(mapping: Mapping[str, Any], indent: int, lines: list[str], first_prefix: str | None = None) -> None:
    for index, (key, value) in enumerate(mapping.items()):
        prefix = first_prefix if (first_prefix is not None and index == 0) else " " * indent
        if isinstance(value, Mapping) and value:
            lines.append(f"{prefix}{_key(str(key))}:")
            _emit_mapping(value, indent + 2, lines)
        elif isinstance(value, (list, tuple)) and value:
            lines.append(f"{prefix}{_key(str(key))}:")
            _emit_sequence(value, indent + 2, lines)
        else:
            empty = "{}" if isinstance(value, Mapping) else "[]" if isinstance(value, (list, tuple)) else _scalar(value)
            lines.append(f"{prefix}{_key(str(key))}: {empty}")


def _emit_sequence(items: Any, indent: int, lines: list[str]) -> None:
    for item in items:
        if isinstance(item, Mapping) and item:
            _emit_mapping(item, indent + 2, lines, first_prefix=" " * indent + "- ")
        elif isinstance(item, (list, tuple)) and item:
            lines.append(" " * indent + "-")
            _emit_sequence(item, indent + 2, lines)
        else:
            lines.append(" " * indent + "- " + _scalar(item))
