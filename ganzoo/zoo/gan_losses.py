"""The classic adversarial objectives, as :class:`ganzoo.losses.GANLoss` subclasses.

Scores are D's raw outputs (logits for the cross-entropy losses). Every
objective is written in the form that is minimised, averaged over the batch.
The cross-entropy losses go through ``softplus`` / BCE-with-logits rather than
``log(sigmoid(.))``, which underflows to ``-inf`` once D is confident.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.losses import GANLoss, InputGrad, per_sample_norm


class MinimaxLoss(GANLoss):
    """The original, saturating GAN objective (Goodfellow et al. 2014, arXiv:1406.2661).

    ``min_G max_D E[log D(x)] + E[log(1 - D(G(z)))]`` with ``D = sigmoid(score)``:

    * D minimises ``BCE(D(x), 1 - s) + BCE(D(G(z)), 0)``;
    * G minimises ``E[log(1 - D(G(z)))] = -E[softplus(score)]``.

    G's gradient with respect to a fake score is ``-sigmoid(score)``, which
    vanishes when D confidently rejects the fakes -- the saturation the paper
    warns about early in training; :class:`NonSaturatingLoss` is the fix.

    Args:
        label_smoothing: one-sided label smoothing ``s`` (Salimans et al. 2016,
            arXiv:1606.03498): the real target is ``1 - s``, the fake target stays 0.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    probability_scores = True

    def __init__(self, label_smoothing: float = 0.0) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def d_objective(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        real_target = torch.full_like(real_scores, 1.0 - self.label_smoothing)
        real_term = F.binary_cross_entropy_with_logits(real_scores, real_target)
        fake_term = F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores))
        return real_term + fake_term

    def g_objective(self, fake_scores: Tensor) -> Tensor:
        # log(1 - sigmoid(t)) = -softplus(t), exact for any t.
        return -F.softplus(fake_scores).mean()


class NonSaturatingLoss(MinimaxLoss):
    """The non-saturating GAN loss (Goodfellow et al. 2014, arXiv:1406.2661, section 3).

    D's objective is the minimax one (see :class:`MinimaxLoss`); G instead
    maximises ``E[log D(G(z))]``, i.e. minimises ``E[softplus(-score)]``. Its
    gradient with respect to a fake score is ``-(1 - sigmoid(score))``, strong
    exactly when D rejects the fakes.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def g_objective(self, fake_scores: Tensor) -> Tensor:
        return F.softplus(-fake_scores).mean()


class LeastSquaresLoss(GANLoss):
    """Least-squares GAN (Mao et al. 2017, arXiv:1611.04076), eq. (2).

    * D minimises ``1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]``;
    * G minimises ``1/2 E[(D(G(z)) - c)^2]``.

    The defaults ``a=0, b=1, c=1`` are the paper's 0-1 coding used in its
    experiments; ``a=-1, b=1, c=0`` is its Pearson chi-squared variant.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, a: float = 0.0, b: float = 1.0, c: float = 1.0) -> None:
        self.a, self.b, self.c = float(a), float(b), float(c)

    def d_objective(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return 0.5 * (real_scores - self.b).pow(2).mean() + 0.5 * (fake_scores - self.a).pow(2).mean()

    def g_objective(self, fake_scores: Tensor) -> Tensor:
        return 0.5 * (fake_scores - self.c).pow(2).mean()


class _CriticLoss(GANLoss):
    """The Wasserstein critic objective shared by WGAN and WGAN-GP.

    The critic maximises ``E[D(x)] - E[D(G(z))]``, an estimate of the
    Wasserstein-1 distance when D is 1-Lipschitz; G minimises ``-E[D(G(z))]``.
    Both papers train the critic 5 times per generator step.
    """

    n_critic = 5

    def d_objective(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return fake_scores.mean() - real_scores.mean()

    def g_objective(self, fake_scores: Tensor) -> Tensor:
        return -fake_scores.mean()


class WassersteinLoss(_CriticLoss):
    """WGAN with weight clipping (Arjovsky et al. 2017, arXiv:1701.07875), Algorithm 1.

    Critic loss ``E[D(G(z))] - E[D(x)]``, generator loss ``-E[D(G(z))]``; after
    every critic update each of D's parameters is clipped to ``[-clip, clip]``
    (a crude way to keep D Lipschitz). The paper uses RMSprop with lr 5e-5.

    Args:
        clip: the clipping bound ``c`` (the paper's 0.01).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, clip: float = 0.01) -> None:
        if not clip > 0:
            raise ValueError(f"clip must be positive, got {clip}")
        self.clip = float(clip)

    @torch.no_grad()
    def after_discriminator_step(self, D: nn.Module) -> None:
        for param in D.parameters():
            param.clamp_(-self.clip, self.clip)


class WGANGPLoss(_CriticLoss):
    """WGAN with gradient penalty (Gulrajani et al. 2017, arXiv:1704.00028), Algorithm 1.

    The Wasserstein objective of :class:`WassersteinLoss` plus, instead of
    weight clipping, ``lambda * E[(||grad D(x_hat)||_2 - 1)^2]`` on random
    interpolates ``x_hat = eps * x + (1 - eps) * G(z)``, one ``eps ~ U[0, 1]``
    per sample. The norm is each sample's, over all its non-batch dimensions.
    The paper forbids batch norm in the critic: the penalty is per sample.

    Args:
        gp_weight: the penalty weight ``lambda`` (the paper's 10).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, gp_weight: float = 10.0) -> None:
        if not gp_weight >= 0:
            raise ValueError(f"gp_weight must be non-negative, got {gp_weight}")
        self.gp_weight = float(gp_weight)

    def penalty(
        self, D: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor], input_grad: InputGrad
    ) -> Optional[Tensor]:
        if self.gp_weight == 0:
            return None
        real = real.detach()
        # The fakes may come out of an fp16 autocast region; interpolate in real's precision.
        fake = fake.detach().to(real.dtype)
        eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
        eps = torch.rand(eps_shape, device=real.device, dtype=real.dtype)
        interpolates = torch.lerp(fake, real, eps).requires_grad_(True)
        grad = input_grad(D(interpolates, labels), interpolates)
        return self.gp_weight * (per_sample_norm(grad) - 1.0).pow(2).mean()


class HingeLoss(GANLoss):
    """Hinge loss (Lim & Ye 2017, arXiv:1705.02894; Miyato et al. 2018, arXiv:1802.05957).

    * D minimises ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``;
    * G minimises ``-E[D(G(z))]``.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def d_objective(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()

    def g_objective(self, fake_scores: Tensor) -> Tensor:
        return -fake_scores.mean()
