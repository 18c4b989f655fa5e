"""ACGAN (Odena, Olah, Shlens 2017, arXiv:1610.09585): a class-conditional DCGAN whose D also classifies.

The generator takes noise and a class label; the discriminator, which sees
no label, returns two heads from one convolutional body: a real/fake score
and class logits. Both networks are trained to make the class of real *and*
generated images recognisable:

* D minimises ``BCE(real scores, 1) + BCE(fake scores, 0)`` plus
  ``aux_weight * (CE(class logits of real, y) + CE(class logits of fake, c))``;
* G minimises ``BCE(fake scores, 1)`` (non-saturating) plus
  ``aux_weight * CE(class logits of fake, c)``,

where ``c`` is the class each fake was asked for. The objective reads the
discriminator's ``class_logits`` head and the generator's ``labels`` input by
name -- declared requirements the engine checks before training -- so it
pairs with any discriminator that declares that head.
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.objectives import Objective, Phase, PhaseContext, PhaseLoss, both, image_of
from ganzoo.specs import DataInfo
from ganzoo.zoo.conditional import LabelEncoder
from ganzoo.zoo.dcgan import BN_EPS, BN_MOMENTUM, generator_layers, init_weights, ladder
from ganzoo.zoo.layers import check_positive


class ConditionalDCGANGenerator(nn.Module):
    """DCGAN's generator fed ``[z, label code]``: a one-hot label (or learned embedding) beside the noise.

    Args:
        data: the images to generate (as :class:`ganzoo.zoo.dcgan.DCGANGenerator`); needs labels.
        latent_dim: size of the noise vector z.
        base_channels: feature maps of the last hidden layer.
        embed_dim: 0 for a one-hot label, else the size of a learned label embedding.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, data: DataInfo, latent_dim: int = 100, base_channels: int = 64, embed_dim: int = 0) -> None:
        super().__init__()
        check_positive(latent_dim=latent_dim, base_channels=base_channels)
        if data.num_classes < 2:
            raise ValueError(f"the conditional DCGAN generator needs labelled data, got num_classes={data.num_classes}")
        self.latent_dim = int(latent_dim)
        self.labels = LabelEncoder(data.num_classes, embed_dim)
        self.net = nn.Sequential(*generator_layers(self.latent_dim + self.labels.width, data, base_channels))
        init_weights(self)

    def forward(self, z: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        if labels is None:
            raise ValueError("the conditional DCGAN generator needs class labels: forward(z, labels)")
        h = torch.cat([z, self.labels(labels, z.dtype)], dim=1)
        return self.net(h.view(h.shape[0], h.shape[1], 1, 1))


class AuxiliaryClassifierDiscriminator(nn.Module):
    """DCGAN's discriminator body with two heads: ``{"score": (B,), "class_logits": (B, K)}``.

    Args:
        data: the images to judge; needs labels (K = ``data.num_classes``).
        base_channels: feature maps of the first layer, doubling at each step.
        batch_norm: batch norm after every convolution but the first (DCGAN's design).
        dropout: dropout after each hidden layer (the ACGAN paper's discriminator uses 0.5).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    #: Scores each sample on its own (batch norm, when switched on, is detected separately).
    independent_scores = True

    def __init__(self, data: DataInfo, base_channels: int = 64, batch_norm: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        check_positive(base_channels=base_channels)
        if data.num_classes < 2:
            raise ValueError(f"an auxiliary-classifier discriminator needs labelled data, got num_classes={data.num_classes}")
        channels, start, steps = ladder(data)
        width = base_channels
        # Not in-place: penalties differentiate through D twice.
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        for _ in range(steps - 1):
            layers.append(nn.Conv2d(width, width * 2, 4, 2, 1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(width * 2, eps=BN_EPS, momentum=BN_MOMENTUM))
            layers.append(nn.LeakyReLU(0.2))
            if dropout:
                layers.append(nn.Dropout(dropout))
            width *= 2
        self.body = nn.Sequential(*layers)
        self.score = nn.Conv2d(width, 1, start, 1, 0)
        self.classes = nn.Conv2d(width, data.num_classes, start, 1, 0)
        init_weights(self)

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> dict[str, Tensor]:
        h = self.body(x)
        return {"score": self.score(h).flatten(), "class_logits": self.classes(h).flatten(1)}


class ACGANObjective(Objective):
    """ACGAN's objective as two phases: ``D`` (adversarial + auxiliary classification), then ``G``.

    The fakes of D's last step (and the classes they were asked for) are
    reused by G's step, so G runs forward once per iteration.

    Args:
        aux_weight: weight of the classification terms against the adversarial ones (the paper weighs them equally).
        n_critic: discriminator steps per generator step.
    """

    networks = ("G", "D")
    requires_outputs = {"D": ("class_logits",)}
    requires_inputs = ("labels",)
    requires_labels = True
    probability_scores = True
    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, aux_weight: float = 1.0, n_critic: int = 1) -> None:
        if not aux_weight >= 0 or n_critic < 1:
            raise ValueError(f"need aux_weight >= 0 and n_critic >= 1, got {aux_weight} and {n_critic}")
        self.aux_weight, self.n_critic = float(aux_weight), int(n_critic)

    def phases(self) -> Sequence[Phase]:
        return [Phase("D", updates=("D",), repeat=self.n_critic, freeze=()), Phase("G", updates=("G",), new_batch=False)]

    def d_loss(self, ctx: PhaseContext) -> PhaseLoss:
        real, real_labels = ctx.batch["image"], ctx.batch["label"]
        inputs = ctx.inputs()
        keep_graph = ctx.last_repetition and not ctx.warmup  # G's step reuses these fakes
        with torch.set_grad_enabled(keep_graph):
            fake = image_of(ctx.generate(inputs))
        real_out, fake_out = both(ctx.nets["D"], real, fake.detach(), None)
        real_scores, fake_scores = real_out["score"].float(), fake_out["score"].float()
        adversarial = (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
                       + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))  # fmt: skip
        auxiliary = (F.cross_entropy(real_out["class_logits"].float(), real_labels)
                     + F.cross_entropy(fake_out["class_logits"].float(), inputs["labels"]))  # fmt: skip
        if keep_graph:
            ctx.scratch["fake"], ctx.scratch["labels"] = fake, inputs["labels"]
        return PhaseLoss(adversarial + self.aux_weight * auxiliary, terms={"adv": adversarial, "aux": auxiliary},
                         scores={"real": real_scores, "fake": fake_scores})  # fmt: skip

    def g_loss(self, ctx: PhaseContext) -> PhaseLoss:
        fake, labels = ctx.scratch.pop("fake"), ctx.scratch.pop("labels")
        out = ctx.nets["D"](fake, None)
        scores = out["score"].float()
        adversarial = F.softplus(-scores).mean()  # non-saturating: -log sigmoid(score)
        auxiliary = F.cross_entropy(out["class_logits"].float(), labels)
        return PhaseLoss(adversarial + self.aux_weight * auxiliary, terms={"adv": adversarial, "aux": auxiliary})
