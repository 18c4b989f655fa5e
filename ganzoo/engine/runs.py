"""Reading a finished (or stopped) run directory back: its config and its generator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from torch import nn

from ganzoo.engine import checkpoint as ckpt
from ganzoo.engine.api import CONFIG_NAME, RUN_INFO_NAME, _read_run_config
from ganzoo.engine.health import refuse_non_finite
from ganzoo.errors import CheckpointError
from ganzoo.specs import DataInfo


def load_run_generator(run_dir: Path, *, info: DataInfo, ema: bool = True, registry: Any = None,
                       state: Optional[dict[str, Any]] = None) -> nn.Module:
    """The run's generator (its EMA when there is one and ``ema``), strictly loaded, in eval mode.

    ``info`` is the data the generator was built for (the run's dataset info).
    """
    import ganzoo

    run_dir = Path(run_dir)
    registry = registry or ganzoo.get_registry()
    config = _read_run_config(run_dir, registry)
    if state is None:  # a caller that needs the step or digest too passes the one it loaded
        state = ckpt.load_checkpoint(run_dir / ckpt.CHECKPOINT_NAME)
    spec = registry.get("generator", config["generator"]["name"])
    model = spec.build(info, **config["generator"]["params"])
    weights = state["ema"] if ema and state["ema"] else state["generator"]
    # Checkpoints are checked before they are written; one from an older ganzoo may not have been.
    refuse_non_finite(weights, "the generator's weights", run_dir / ckpt.CHECKPOINT_NAME, CheckpointError)
    model.load_state_dict(weights, strict=True)
    return model.eval()


def run_dataset_info(run_dir: Path, data_dir: Optional[Path] = None, registry: Any = None) -> DataInfo:
    """The DataInfo of a run's dataset: from its run.json, or (runs from before it was recorded there)
    by building the dataset, which reads its files."""
    import ganzoo
    from ganzoo.data import resolve_data_root

    try:
        recorded = json.loads((Path(run_dir) / RUN_INFO_NAME).read_text(encoding="utf-8"))["data"]
        return DataInfo.from_json(recorded)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    registry = registry or ganzoo.get_registry()
    config = _read_run_config(Path(run_dir))
    spec = registry.get("dataset", config["dataset"]["name"])
    return spec.build(resolve_data_root(data_dir), train=True, download=False, **config["dataset"]["params"]).info


__all__ = ["CONFIG_NAME", "load_run_generator", "run_dataset_info"]
