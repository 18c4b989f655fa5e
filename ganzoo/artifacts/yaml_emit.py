"""A small YAML emitter for model-card front matter (block style, JSON-quoted scalars).

ganzoo does not depend on a YAML library for writing: front matter is plain
mappings, lists and scalars, and every scalar is written as JSON, which is
valid YAML 1.2 (double-quoted strings with JSON escapes, numbers, true/false,
null), except the non-finite floats, which YAML spells ``.nan``/``.inf``.

Why not PyYAML's ``safe_dump``: the core install stays torch, torchvision,
pluggy, click, rich and safetensors, and PyYAML would join them for these 50
lines. The tests hold the emitter to the parsers that read cards: PyYAML's
``safe_load`` gives back exactly the structure written, for every shipped and
published card and for a corpus of awkward strings and numbers, and
``huggingface_hub.ModelCard`` parses every card (docs/model-cards.md).
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

# A key is written bare only when no YAML reader could take it for anything but that string: a letter first
# (not a number, 0x10, 1e3), and none of the words YAML 1.1 reads as booleans or null (PyYAML does).
_BARE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_RESERVED = frozenset("y n yes no on off true false null".split())


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) and key.lower() not in _RESERVED else _scalar(key)


# Characters YAML does not allow raw in a document, or reads as line breaks (U+0085, U+2028, U+2029).
_NOT_PRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]")


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN is not JSON; YAML spells it .nan
            return ".nan"
        if value in (float("inf"), float("-inf")):  # JSON's Infinity would be read as a string
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        # YAML 1.1 (PyYAML) reads 1e-300 as a string: its floats need a '.' before the exponent.
        mantissa, e, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    text = json.dumps(value, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if isinstance(value, str) else text


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
