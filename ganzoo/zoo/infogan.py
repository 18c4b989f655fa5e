"""InfoGAN (Chen et al. 2016, arXiv:1606.03657): latent codes a generator must keep recognisable.

The generator takes noise ``z`` and latent codes -- categorical ones (a
10-way code on MNIST) and continuous ones, uniform on [-1, 1]. A network
``Q`` reads the discriminator's features of a fake and predicts the codes it
was made from; G and Q together maximise a lower bound of the mutual
information between codes and images, so each code comes to control one
visible factor (the digit class, its slant, its width) without any labels.

The networks follow the paper's MNIST architecture (its appendix C.1): G is
``FC 1024 -> FC 7x7x128 -> deconv 64 -> deconv 1``; D is ``conv 64 -> conv 128
-> FC 1024`` with a score on top, and returns the 1024 features too; Q is
``FC 128 -> codes`` on those features. The objective (``infogan``) names them:

* D minimises the standard ``BCE(real, 1) + BCE(fake, 0)``;
* G and Q (which shares G's optimizer) minimise ``BCE(fake, 1) +
  cat_weight * CE(Q_cat, c) + cont_weight * MSE(Q_cont, c')``, D frozen.

As in common PyTorch implementations, D's body learns from the adversarial
loss alone; Q learns on top of its features.
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.objectives import Objective, Phase, PhaseContext, PhaseLoss, image_of
from ganzoo.specs import DataInfo
from ganzoo.zoo.dcgan import BN_EPS, BN_MOMENTUM, init_weights
from ganzoo.zoo.layers import check_positive


def _mnist_sized(data: DataInfo, who: str) -> tuple[int, int]:
    if data.modality != "image" or len(data.shape) != 3 or data.shape[1] != data.shape[2] or data.shape[1] % 4:
        raise ValueError(f"{who} makes square images whose side is a multiple of 4 (28 for MNIST), got {data.shape}")
    return data.shape[0], data.shape[1] // 4


class InfoGANGenerator(nn.Module):
    """``[z, one-hot categorical codes, continuous codes] -> FC -> FC -> deconv -> deconv -> tanh``.

    Args:
        data: the images to make (square, side a multiple of 4).
        latent_dim: noise size (the paper's 62 on MNIST).
        categorical: class counts of the categorical codes (the paper's ``[10]``).
        continuous: how many continuous codes (the paper's 2).
        width: channels of the smallest feature map (128); the FC layer is 8x wider.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, data: DataInfo, latent_dim: int = 62, categorical: Sequence[int] = (10,), continuous: int = 2,
                 width: int = 128) -> None:  # fmt: skip
        super().__init__()
        check_positive(latent_dim=latent_dim, width=width)
        channels, start = _mnist_sized(data, "the InfoGAN generator")
        self.latent_dim = int(latent_dim)
        self.categorical_codes = [int(k) for k in categorical]
        self.continuous_codes = int(continuous)
        self.start, self.width = start, int(width)
        inputs = self.latent_dim + sum(self.categorical_codes) + self.continuous_codes
        self.fc = nn.Sequential(
            nn.Linear(inputs, 8 * width, bias=False), nn.BatchNorm1d(8 * width, eps=BN_EPS, momentum=BN_MOMENTUM), nn.ReLU(),
            nn.Linear(8 * width, width * start * start, bias=False),
            nn.BatchNorm1d(width * start * start, eps=BN_EPS, momentum=BN_MOMENTUM), nn.ReLU(),
        )  # fmt: skip
        self.conv = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width // 2, eps=BN_EPS, momentum=BN_MOMENTUM), nn.ReLU(),
            nn.ConvTranspose2d(width // 2, channels, 4, 2, 1), nn.Tanh(),
        )  # fmt: skip
        init_weights(self)

    def forward(self, z: Tensor, codes_cat: Tensor, codes_cont: Tensor) -> Tensor:
        parts = [z] + [F.one_hot(codes_cat[:, i], k).to(z.dtype) for i, k in enumerate(self.categorical_codes)]
        h = self.fc(torch.cat(parts + [codes_cont.to(z.dtype)], dim=1))
        return self.conv(h.view(len(z), self.width, self.start, self.start))


class InfoGANDiscriminator(nn.Module):
    """``conv 64 -> conv 128 (BN) -> FC features (BN)`` and a score: ``{"score": (B,), "features": (B, F)}``.

    Args:
        data: the images to judge (square, side a multiple of 4).
        base_channels: channels of the first convolution (64); the second has twice as many.
        features: width of the feature layer Q reads (the paper's 1024).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, data: DataInfo, base_channels: int = 64, features: int = 1024) -> None:
        super().__init__()
        check_positive(base_channels=base_channels, features=features)
        channels, start = _mnist_sized(data, "the InfoGAN discriminator")
        self.feature_dim = int(features)
        self.body = nn.Sequential(
            nn.Conv2d(channels, base_channels, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(base_channels, 2 * base_channels, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * base_channels, eps=BN_EPS, momentum=BN_MOMENTUM), nn.LeakyReLU(0.1),
            nn.Flatten(),
            nn.Linear(2 * base_channels * start * start, features, bias=False),
            nn.BatchNorm1d(features, eps=BN_EPS, momentum=BN_MOMENTUM), nn.LeakyReLU(0.1),
        )  # fmt: skip
        self.score = nn.Linear(features, 1)
        init_weights(self)

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> dict[str, Tensor]:
        features = self.body(x)
        return {"score": self.score(features).flatten(), "features": features}


class QHead(nn.Module):
    """InfoGAN's Q on a discriminator's features: ``FC hidden (BN) -> categorical logits, continuous means``.

    Returns ``{"cat_logits": (B, sum(categorical)), "cont_mean": (B, continuous)}``.

    Args:
        data: unused (networks are built for a dataset; Q reads features).
        in_features: the width of the features it reads (the discriminator's ``features``).
        hidden: its hidden layer (the paper's 128).
        categorical: class counts of the categorical codes it predicts.
        continuous: how many continuous codes it predicts.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, data: DataInfo, in_features: int = 1024, hidden: int = 128, categorical: Sequence[int] = (10,),
                 continuous: int = 2) -> None:  # fmt: skip
        super().__init__()
        check_positive(in_features=in_features, hidden=hidden)
        self.categorical_codes = [int(k) for k in categorical]
        self.continuous_codes = int(continuous)
        self.body = nn.Sequential(nn.Linear(in_features, hidden, bias=False),
                                  nn.BatchNorm1d(hidden, eps=BN_EPS, momentum=BN_MOMENTUM), nn.LeakyReLU(0.1))  # fmt: skip
        self.out = nn.Linear(hidden, sum(self.categorical_codes) + self.continuous_codes)
        init_weights(self)

    def forward(self, features: Tensor) -> dict[str, Tensor]:
        out = self.out(self.body(features))
        split = sum(self.categorical_codes)
        return {"cat_logits": out[:, :split], "cont_mean": out[:, split:]}


class InfoGANObjective(Objective):
    """InfoGAN's objective: ``D`` adversarial; then ``G`` and ``Q`` on adversarial + information terms.

    Args:
        cat_weight: weight of the categorical codes' cross-entropy (the paper's lambda = 1).
        cont_weight: weight of the continuous codes' squared error (a Gaussian
            log-likelihood with fixed variance; smaller, as the paper advises).
        n_critic: discriminator steps per generator step.
    """

    networks = ("G", "D", "Q")
    requires_outputs = {"D": ("features",)}
    requires_inputs = ("codes_cat", "codes_cont")
    probability_scores = True
    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, cat_weight: float = 1.0, cont_weight: float = 0.1, n_critic: int = 1) -> None:
        if not (cat_weight >= 0 and cont_weight >= 0) or n_critic < 1:
            raise ValueError(f"need non-negative weights and n_critic >= 1, got {cat_weight}, {cont_weight}, {n_critic}")
        self.cat_weight, self.cont_weight, self.n_critic = float(cat_weight), float(cont_weight), int(n_critic)

    def phases(self) -> Sequence[Phase]:
        return [Phase("D", updates=("D",), repeat=self.n_critic, freeze=()),
                Phase("G", updates=("G", "Q"), new_batch=False)]  # fmt: skip

    def d_loss(self, ctx: PhaseContext) -> PhaseLoss:
        inputs = ctx.inputs()
        keep_graph = ctx.last_repetition and not ctx.warmup  # G's step reuses these fakes
        with torch.set_grad_enabled(keep_graph):
            fake = image_of(ctx.generate(inputs))
        D = ctx.nets["D"]
        real_scores = D(ctx.batch["image"], None)["score"].float()
        fake_scores = D(fake.detach(), None)["score"].float()
        loss = (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
                + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))  # fmt: skip
        if keep_graph:
            ctx.scratch["fake"], ctx.scratch["inputs"] = fake, inputs
        return PhaseLoss(loss, scores={"real": real_scores, "fake": fake_scores})

    def g_loss(self, ctx: PhaseContext) -> PhaseLoss:
        fake, inputs = ctx.scratch.pop("fake"), ctx.scratch.pop("inputs")
        out = ctx.nets["D"](fake, None)
        adversarial = F.softplus(-out["score"].float()).mean()  # non-saturating: -log sigmoid(score)
        predicted = ctx.nets["Q"](out["features"])
        logits, codes = predicted["cat_logits"].float(), inputs["codes_cat"]
        categorical = sum(F.cross_entropy(part, codes[:, i])
                          for i, part in enumerate(torch.split(logits, ctx.modules["Q"].categorical_codes, dim=1)))  # fmt: skip
        continuous = F.mse_loss(predicted["cont_mean"].float(), inputs["codes_cont"].float()) \
            if inputs["codes_cont"].shape[1] else torch.zeros((), device=fake.device)
        total = adversarial + self.cat_weight * categorical + self.cont_weight * continuous
        return PhaseLoss(total, terms={"adv": adversarial, "info_cat": categorical, "info_cont": continuous})

