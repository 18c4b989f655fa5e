"""mkdocs hook: a public object on an API page without a docstring is a warning, so ``mkdocs build --strict`` fails.

mkdocstrings renders what it finds and stays silent about what is missing; this
hook walks, with griffe (mkdocstrings' own loader), every object that a
``::: module`` block on a page renders -- the module, its public functions and
classes, their public methods -- and names each one without a docstring.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("mkdocs.plugins.ganzoo_docstrings")

_DIRECTIVE = re.compile(r"^::: *([\w.]+)((?:\n[ \t]+.*)*)", re.MULTILINE)
_MEMBERS = re.compile(r"^[ \t]+members: *\[([^\]]*)\]", re.MULTILINE)


def _undocumented(obj, seen: set[str], only: list[str] | None = None) -> list[str]:
    import griffe

    missing = []
    if obj.path in seen:
        return missing
    seen.add(obj.path)
    if not (obj.docstring and obj.docstring.value.strip()):
        missing.append(obj.path)
    public = getattr(obj, "exports", None)  # a module's __all__, when it has one
    for name, member in obj.members.items():
        if name.startswith("_") or (only is not None and name not in only):
            continue
        if isinstance(member, griffe.Alias):
            # An imported name is documented where it is defined, unless the module exports it.
            if public is None or name not in public:
                continue
            try:
                member = member.final_target
            except Exception:  # noqa: BLE001 - an alias griffe cannot resolve is mkdocstrings' warning, not ours
                continue
        if member.kind.value in ("function", "class"):
            missing += _undocumented(member, seen)
    return missing


def on_page_markdown(markdown: str, page, config, files):  # noqa: ANN001 - mkdocs' hook signature
    import griffe

    for module_path, options in _DIRECTIVE.findall(markdown):
        package = module_path.split(".")[0]
        loaded = griffe.load(package, search_paths=["."], allow_inspection=False)
        obj = loaded[module_path[len(package) + 1:]] if module_path != package else loaded
        members = _MEMBERS.search(options)  # the page renders only these members of the object
        only = [m.strip() for m in members.group(1).split(",") if m.strip()] if members else None
        for path in _undocumented(obj, set(), only):
            log.warning("%s: %s has no docstring (the API reference would show it bare)", page.file.src_path, path)
    return markdown
