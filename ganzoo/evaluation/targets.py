"""What ``ganzoo eval`` evaluates: a run directory or a published model, and where results go.

A run directory's results are appended to ``RUN_DIR/eval.json`` (newest last);
``ganzoo publish`` copies the newest into the model card. A published model
is evaluated read-only (results are printed, or written to ``--out``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any, Optional, Sequence

import torch

import ganzoo
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.artifacts.atomic import atomic_write_bytes
from ganzoo.evaluation.evaluate import Evaluation, evaluate
from ganzoo.artifacts.store import is_run_dir, names_published_model

EVAL_FORMAT = "ganzoo-eval"
RUN_EVAL_NAME = "eval.json"




def evaluate_target(target: str | Path, *, n: int = 10_000, metrics: Optional[Sequence[str]] = None, seed: int = 0,
                    device: str = "cpu", data_dir: Any = None, registry: Any = None,
                    extractor: Any = None) -> tuple[Evaluation, dict[str, Any]]:
    """Evaluate a run directory (its EMA generator) or a published model; return the evaluation and its record.

    ``extractor``: a user's Inception-v3 spec for the image metrics (see :func:`evaluate`).

    The global RNG is left as it was (rebuilding networks would otherwise draw from it).
    """
    with torch.random.fork_rng(devices=[]):
        return _evaluate_target(target, n=n, metrics=metrics, seed=seed, device=device, data_dir=data_dir,
                                registry=registry, extractor=extractor)  # fmt: skip


def _evaluate_target(target: str | Path, *, n: int, metrics: Optional[Sequence[str]], seed: int, device: str,
                     data_dir: Any, registry: Any, extractor: Any) -> tuple[Evaluation, dict[str, Any]]:
    registry = registry or ganzoo.get_registry()
    device_ = torch.device(device)
    path = Path(target)
    from ganzoo.artifacts.models import load_model, load_run_model

    if is_run_dir(path) and not names_published_model(target):
        # One load for the weights and their digest: a run writing a new checkpoint meanwhile
        # cannot pair these metrics with other weights. The digest lets publish put them only
        # on the card of exactly these weights.
        state = ckpt.load_checkpoint(path / ckpt.CHECKPOINT_NAME)
        model = load_run_model(path, device=device_, registry=registry, data_dir=data_dir, state=state)
        measured = {"step": int(state["step"]), "weights_sha256": ckpt.weights_digest(ckpt.sampling_weights(state))}
        kind = "run"
    else:
        model = load_model(target, device=device_, registry=registry)
        measured = {}
        kind = "model"
    generator, info, config = model.generator, model.info, model.config
    dataset, params, conditional = config["dataset"]["name"], config["dataset"]["params"], model.conditional
    evaluation = evaluate(generator, info=info, dataset=dataset, dataset_params=params, n=n, metrics=metrics,
                          seed=seed, device=device_, data_dir=data_dir, registry=registry, conditional=conditional,
                          extractor=extractor, sampler=model.sampler, networks=dict(model.networks))  # fmt: skip
    record = {
        "target": str(target),
        "kind": kind,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "ganzoo_version": ganzoo.__version__,
        "torch_version": torch.__version__,
        "seconds": round(evaluation.seconds, 2),
        "primary": evaluation.primary,
        **measured,
        "metrics": [r.to_json() for r in evaluation.records],
    }
    return evaluation, record


def append_run_evaluation(run_dir: Path, record: dict[str, Any]) -> tuple[Path, Optional[Path]]:
    """Append ``record`` to ``RUN_DIR/eval.json`` atomically.

    Returns the file, and where an unreadable earlier ``eval.json`` was moved
    (``eval.json.unreadable-TIMESTAMP``, kept rather than overwritten), else None.
    """
    path = Path(run_dir) / RUN_EVAL_NAME
    set_aside = None
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if not (isinstance(data, dict) and isinstance(data.get("evaluations", []), list)):
            raise ValueError("not an eval.json object")
    except ValueError:  # bad JSON, bad UTF-8, or another layout: keep it, start afresh
        set_aside = path.with_name(f"{RUN_EVAL_NAME}.unreadable-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, set_aside)
        data = {}
    data = {"format": EVAL_FORMAT, "evaluations": list(data.get("evaluations") or []) + [record]}
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode())
    return path, set_aside
