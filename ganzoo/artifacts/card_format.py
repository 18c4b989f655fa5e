"""The format of model cards: YAML front matter the Hugging Face Hub reads, arXiv tags, Hub dataset ids.

Shared by the cards of published generators (:mod:`ganzoo.publish.card`) and
of evaluation networks (:mod:`ganzoo.evaluation.train_extractor`).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ganzoo.artifacts import yaml_emit

#: ganzoo dataset name -> its id on the Hugging Face Hub (datasets without one are not listed in ``datasets``).
HUB_DATASETS = {"mnist": "ylecun/mnist", "fashion-mnist": "zalando-datasets/fashion_mnist"}
_ARXIV = re.compile(r"arXiv:\s*(\d{4}\.\d{4,5})", re.IGNORECASE)


def arxiv_tags(papers: Iterable[str]) -> list[str]:
    """``arxiv:ID`` tags for the arXiv ids cited in ``papers``, in order, without repeats."""
    tags: list[str] = []
    for paper in papers:
        for arxiv_id in _ARXIV.findall(paper or ""):
            if f"arxiv:{arxiv_id}" not in tags:
                tags.append(f"arxiv:{arxiv_id}")
    return tags


def dataset_hub_id(dataset: str) -> str:
    """The dataset's Hub id where it has one, else ganzoo's own name (for ``model-index``)."""
    return HUB_DATASETS.get(dataset, dataset)


def front_matter(meta: Mapping[str, Any]) -> str:
    """``---`` fenced YAML front matter for ``meta``."""
    return "---\n" + yaml_emit.dump(meta) + "---\n"


def split_front_matter(text: str) -> tuple[str, str]:
    """(YAML text, body) of a card; the YAML text is empty when there is no front matter."""
    if not text.startswith("---\n"):
        return "", text
    end = text.find("\n---\n", 4)
    if end < 0:
        return "", text
    return text[4:end + 1], text[end + 5:]
