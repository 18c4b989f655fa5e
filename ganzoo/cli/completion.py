"""Shell completion of registered names and published models, through click's ``shell_complete``.

Enable it once per shell (docs/guide.md, "Shell completion")::

    eval "$(_GANZOO_COMPLETE=bash_source ganzoo)"      # bash, in ~/.bashrc
    eval "$(_GANZOO_COMPLETE=zsh_source ganzoo)"       # zsh, in ~/.zshrc
    _GANZOO_COMPLETE=fish_source ganzoo | source       # fish, in ~/.config/fish/completions/ganzoo.fish

Completing reads the registry and the model folders: no torch is imported,
and a broken plugin only leaves its names out.
"""

from __future__ import annotations

from typing import Any, Callable

from click.shell_completion import CompletionItem


def _registered(kind: str) -> list[tuple[str, str]]:
    """(name, summary) of every registered entry of ``kind``."""
    from ganzoo.registry import get_registry

    return [(entry.name, entry.spec.summary) for entry in get_registry().list(kind)]


def _items(pairs: list[tuple[str, str]], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(name, help=summary) for name, summary in pairs if name.startswith(incomplete)]


def names(kind: str) -> Callable[[Any, Any, str], list[CompletionItem]]:
    """A ``shell_complete`` callback offering the registered names of ``kind`` (recipe, generator, logger ...)."""

    def complete(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
        return _items(_registered(kind), incomplete)

    return complete


def _looks_like_a_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or "/" in text and not text.startswith("hf:")


def models(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """Published model names (the zoo's and ``$GANZOO_MODEL_PATH``'s); the shell's own file names when none match.

    Run directories and model folders are paths, which the shell completes: a
    word that looks like a path (``runs/...``, ``./``) gets file names only.
    """
    from ganzoo.artifacts.store import iter_models

    files = CompletionItem(incomplete, type="file")  # first: the shell then falls back to file names
    if _looks_like_a_path(incomplete):
        return [files]
    found = sorted({name for name, _ in iter_models()})
    return [files] + [CompletionItem(name) for name in found if name.startswith(incomplete)]


def kinds(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """``ganzoo list``'s first word: a kind (plural), or else any registered name as a pattern."""
    from ganzoo.cli.list_cmd import PLURAL
    from ganzoo.registry import get_registry

    words = sorted(PLURAL.values())
    if any(word.startswith(incomplete) for word in words):
        return [CompletionItem(word) for word in words if word.startswith(incomplete)]
    return _items([(entry.name, entry.spec.summary) for entry in get_registry()], incomplete)


def pattern_names(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """``ganzoo list KIND``'s second word: the names of that kind."""
    from ganzoo.registry import normalise_kind

    kind = ctx.params.get("kind")
    try:
        return names(normalise_kind(kind))(ctx, param, incomplete) if kind else []
    except Exception:  # noqa: BLE001 -- an unknown kind completes nothing rather than failing
        return []


__all__ = ["kinds", "models", "names", "pattern_names"]
