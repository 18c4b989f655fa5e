"""Inception-v3 features from a weights file the user gives -- never downloaded.

The FID and KID of papers are computed on the 2048-d pool features of
Inception-v3. ganzoo does not ship those weights (92 MB, and not its to
licence) and never fetches them; ``ganzoo eval --inception FILE`` uses a file
you already have:

* torchvision's ImageNet Inception-v3 weights, ``inception_v3_google-0cc3c7bd.pth``
  (what ``torchvision.models.inception_v3(weights="DEFAULT")`` downloads into
  ``~/.cache/torch/hub/checkpoints/``), read with ``torch.load(weights_only=True)``;
* or the same state dict as a ``.safetensors`` file.

Images in [-1, 1] are given three channels (grey images repeated), resized to
299 × 299 bilinearly, and fed as they are: Google's weights were trained on
inputs in [-1, 1], which is what torchvision's ``transform_input`` produces from
ImageNet-normalised input. Metric names carry ``inception-v3`` and the first
eight hex digits of the file's sha256, e.g. ``fid[inception-v3@0cc3c7bd]``.

Comparability: these are torchvision's Inception weights, ported from the
same Google release as the TF-Inception graph that the reference FID code
(TTUR, pytorch-fid) uses, but that graph differs in details (its own pooling
and resize); FIDs from the two are close, not identical. Compare numbers that
carry the same bracket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.errors import unreadable_file_reason
from ganzoo.evaluation.extractors import ExtractorError
from ganzoo.artifacts.weights import WeightsError, load_state_strictly, load_weights, sha256_file
from ganzoo.specs import FeatureExtractorSpec

NAME = "inception-v3"
INPUT_SIZE = 299
FEATURES = 2048
#: Images per forward pass: a batch of 100 at 299 px needs about 1.5 GB of activations.
BATCH_SIZE = 100


class InceptionFeatures(nn.Module):
    """torchvision's Inception-v3 up to its 2048-d average pool, reading images in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        from torchvision.models import inception_v3

        # aux_logits=True so that torchvision's file loads strictly; the aux head is unused in eval mode.
        self.net = inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=False)
        self.net.fc = nn.Identity()

    def features(self, images: Tensor) -> Tensor:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        elif images.shape[1] != 3:
            raise ExtractorError(
                f"Inception-v3 reads grey or RGB images, got {images.shape[1]} channels",
                "it was trained on ImageNet photographs",
                "evaluate a model of 1- or 3-channel images",
            )
        if images.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            images = F.interpolate(images, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        return self.net(images)


def inception_spec(path: Path, sha256: Optional[str] = None) -> FeatureExtractorSpec:
    """The extractor spec of a user's Inception weights file: its hash names the metrics.

    ``sha256``, when given, pins the file: another hash is refused.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ExtractorError(
            f"the Inception weights file {path} does not exist",
            "ganzoo never downloads Inception-v3; it uses a file you provide",
            "pass --inception the path of torchvision's inception_v3_google-0cc3c7bd.pth "
            "(or a .safetensors copy of its state dict)",
        )
    actual = sha256_file(path)
    if sha256 is not None and actual != sha256.lower():
        raise ExtractorError(
            f"the Inception weights file {path} has the wrong sha256",
            f"it hashes to {actual}, not {sha256.lower()}",
            "check that it is the file you meant, or drop --inception-sha256",
        )
    return FeatureExtractorSpec(
        name=NAME, summary=f"Inception-v3 pool features from {path.name}", build=InceptionFeatures,
        weights=str(path.resolve()), sha256=actual,
    )  # fmt: skip


def load_inception(spec: FeatureExtractorSpec, device: torch.device | str = "cpu") -> nn.Module:
    """The network of ``spec`` with its weights, strictly loaded, in eval mode on ``device``."""
    path = Path(spec.weights)
    state = _read_state(path)
    with torch.random.fork_rng(devices=[]):  # building draws initial weights: keep the caller's RNG untouched
        model = InceptionFeatures()
    # The 1000-class ImageNet head is not used (features are taken before it).
    state = {key: value for key, value in state.items() if not key.startswith("fc.")}
    # Files from before torch 0.4.1 lack batch norm's step counters; they are not weights.
    for key in model.net.state_dict():
        if key.endswith("num_batches_tracked"):
            state.setdefault(key, torch.tensor(0))
    try:
        load_state_strictly(model.net, state, "Inception-v3", path)
    except WeightsError as exc:
        raise ExtractorError(
            f"{path} does not hold torchvision's Inception-v3 weights",
            exc.why,
            "give torchvision's inception_v3_google-0cc3c7bd.pth (or a .safetensors copy of its state dict)",
        ) from None
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.eval().to(device)


def _read_state(path: Path) -> dict[str, Tensor]:
    """Tensors of a .safetensors or .pth state dict; a pickle that holds anything else is refused."""
    try:
        if path.suffix == ".safetensors":
            state, _ = load_weights(path)
        else:
            # weights_only: tensors and plain containers only, no code runs from the file.
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ExtractorError(
            f"{path} cannot be read as Inception-v3 weights",
            unreadable_file_reason(exc),
            "give torchvision's inception_v3_google-0cc3c7bd.pth or a .safetensors state dict",
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ExtractorError(f"{path} is not a state dict of tensors", "Inception weights are a flat name → tensor map",
                             "give torchvision's inception_v3_google-0cc3c7bd.pth")  # fmt: skip
    return {key.removeprefix("module."): value for key, value in state.items()}
