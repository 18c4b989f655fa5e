"""Evaluation: feature extractors, pinned metric names, ``ganzoo eval``.

* :mod:`ganzoo.evaluation.lenet` -- the small LeNet-style classifier ganzoo trains per dataset;
* :mod:`ganzoo.evaluation.extractors` -- loading an extractor after checking its file's sha256;
* :mod:`ganzoo.evaluation.evaluate` -- generating samples and computing every metric with its provenance;
* :mod:`ganzoo.evaluation.training` -- the evaluator the engine calls every ``train.eval_every`` steps.
"""
