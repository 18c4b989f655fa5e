"""The files ganzoo writes and reads, below the engine, evaluation and publishing that all use them.

* :mod:`~ganzoo.artifacts.atomic`: atomic writes (a reader sees the old file or the new one);
* :mod:`~ganzoo.artifacts.checkpoint`: training checkpoints (``weights_only`` loads);
* :mod:`~ganzoo.artifacts.weights`: safetensors files and their checks; :mod:`~ganzoo.artifacts.finite`:
  refusing non-finite weights and samples;
* :mod:`~ganzoo.artifacts.store` and :mod:`~ganzoo.artifacts.hub`: where published models are found;
* :mod:`~ganzoo.artifacts.runs`: reading a training run's directory;
* :mod:`~ganzoo.artifacts.models`: a published model or a run, loaded (``ganzoo.load``);
* :mod:`~ganzoo.artifacts.sampling` and :mod:`~ganzoo.artifacts.pictures`: drawing from a loaded model,
  and the PNG grids and plots of samples;
* :mod:`~ganzoo.artifacts.card_format` and :mod:`~ganzoo.artifacts.yaml_emit`: model cards' front matter.

Nothing here imports the engine, evaluation, publishing or the CLI.
"""
