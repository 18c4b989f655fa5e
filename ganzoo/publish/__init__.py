"""Publishing trained generators: safetensors weights, model cards, one-call reload.

* :mod:`ganzoo.artifacts.store` -- where published models live (``model_cards/``) and name look-up;
* :mod:`ganzoo.artifacts.weights` -- safetensors files with self-describing metadata, strict loading;
* :mod:`ganzoo.publish.card` -- the model card (Hugging Face-style YAML front matter);
* :mod:`ganzoo.publish.publish` -- ``ganzoo publish``: a run directory to a model folder;
* :mod:`ganzoo.artifacts.models` -- ``ganzoo.load(NAME_OR_PATH)``.
"""
