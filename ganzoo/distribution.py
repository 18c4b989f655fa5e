"""ganzoo's distribution name, and the name it had before.

The import name and the console script are ``ganzoo``; the distribution on
PyPI is ``torch-ganzoo``, because ``ganzoo`` there is an unrelated package from
2018 (which also imports as ``ganzoo``: do not install both). Models
published before the rename record their components' provider as
``ganzoo==0.1.0``; :func:`canonical_provider` reads that as this project, so
that an install hint never points at the unrelated package.

This module imports nothing heavy: ``ganzoo --help`` reads it.
"""

from __future__ import annotations

import functools
from typing import Optional

#: The distribution name: ``pip install torch-ganzoo``.
DISTRIBUTION_NAME = "torch-ganzoo"
#: Names this project's distribution had before; providers recorded under them mean this project.
FORMER_NAMES = ("ganzoo",)


def normalise(dist_name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503): lower case, runs of ``-_.`` as one ``-``."""
    import re

    return re.sub(r"[-_.]+", "-", dist_name).lower()


def is_own(dist_name: str) -> bool:
    """Whether ``dist_name`` is this project's distribution (under its current name)."""
    return normalise(dist_name) == normalise(DISTRIBUTION_NAME)


def canonical_provider(provider: str) -> str:
    """``dist==version`` with a former name of this project replaced by the current one.

    >>> canonical_provider("ganzoo==0.1.0")
    'torch-ganzoo==0.1.0'
    >>> canonical_provider("ganzoo-relativistic==0.3.1")
    'ganzoo-relativistic==0.3.1'
    """
    dist, sep, version = str(provider).partition("==")
    if normalise(dist) in FORMER_NAMES:
        return f"{DISTRIBUTION_NAME}{sep}{version}"
    return str(provider)


@functools.cache
def project_url() -> Optional[str]:
    """The project's address from the installed package metadata (``[project.urls]``), or None.

    Model cards link it only when it is there: ganzoo never invents an address.
    """
    import importlib.metadata as metadata

    try:
        urls = metadata.metadata(DISTRIBUTION_NAME).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    by_label = {}
    for line in urls:
        label, _, url = line.partition(",")
        by_label[label.strip().lower()] = url.strip()
    for label in ("homepage", "repository", "source", "documentation"):
        if by_label.get(label):
            return by_label[label]
    return next(iter(by_label.values()), None)
