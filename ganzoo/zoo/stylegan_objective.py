"""StyleGAN2's objective (Karras et al. 2020, arXiv:1912.04958) as four phases, two of them lazy.

* ``D``: the non-saturating logistic loss, ``softplus(D(G(z))) + softplus(-D(x))``.
* ``D_reg`` (every ``r1_interval`` iterations): R1, ``r1_gamma / 2 * E||grad_x D(x)||^2`` on
  real data (Mescheder et al. 2018).
* ``G``: ``softplus(-D(G(z)))``, on the fakes of D's last step.
* ``G_reg`` (every ``pl_interval`` iterations): path-length regularisation,
  ``pl_weight * (|J^T y| - a)^2`` for image-space noise ``y`` scaled by
  ``1/sqrt(H W)``, with ``a`` a running mean of the lengths (decay
  ``pl_decay``). ``J`` is taken with respect to the generator's ``"w"`` output
  when it returns one (a style-based generator's intermediate latents),
  else with respect to its noise input ``z``; it runs on a batch shrunk by
  ``pl_batch_shrink``.

A lazy phase runs every k-th iteration and the engine multiplies its loss by
k (``Phase.scale_by_interval``), so the regulariser's average strength is
that of running it every step -- StyleGAN2's "lazy regularisation". Works
with any generator and discriminator; ``pl_weight=0`` or ``r1_gamma=0`` drops
the phase.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F

from ganzoo.losses import per_sample_norm
from ganzoo.objectives import Objective, Phase, PhaseContext, PhaseLoss, image_of, scores_of


class StyleGAN2Objective(Objective):
    """Non-saturating logistic loss with lazy R1 (``D_reg``) and lazy path-length regularisation (``G_reg``).

    Args:
        r1_gamma: R1 weight gamma (StyleGAN2's FFHQ configs use 10; 0 = off).
        r1_interval: iterations between ``D_reg`` phases (16).
        pl_weight: path-length weight (2; 0 = off).
        pl_interval: iterations between ``G_reg`` phases (4).
        pl_decay: decay of the lengths' running mean (0.01).
        pl_batch_shrink: ``G_reg`` runs on ``batch / pl_batch_shrink`` samples (2).
        n_critic: discriminator steps per generator step (1).
    """

    networks = ("G", "D")
    probability_scores = True
    twice_differentiated = ("D", "G")  # R1 through D, path length through G

    def __init__(self, r1_gamma: float = 10.0, r1_interval: int = 16, pl_weight: float = 2.0, pl_interval: int = 4,
                 pl_decay: float = 0.01, pl_batch_shrink: int = 2, n_critic: int = 1) -> None:  # fmt: skip
        if r1_gamma < 0 or pl_weight < 0 or not 0 < pl_decay <= 1:
            raise ValueError(f"need r1_gamma >= 0, pl_weight >= 0 and 0 < pl_decay <= 1, got {r1_gamma}, {pl_weight}, {pl_decay}")
        if min(r1_interval, pl_interval, pl_batch_shrink, n_critic) < 1:
            raise ValueError("r1_interval, pl_interval, pl_batch_shrink and n_critic must be at least 1")
        self.r1_gamma, self.r1_interval = float(r1_gamma), int(r1_interval)
        self.pl_weight, self.pl_interval = float(pl_weight), int(pl_interval)
        self.pl_decay, self.pl_batch_shrink, self.n_critic = float(pl_decay), int(pl_batch_shrink), int(n_critic)
        self.pl_mean = torch.zeros(())  # the running mean of path lengths, checkpointed

    def phases(self) -> Sequence[Phase]:
        phases = [Phase("D", updates=("D",), repeat=self.n_critic, freeze=())]
        if self.r1_gamma:
            phases.append(Phase("D_reg", updates=("D",), every=self.r1_interval, new_batch=False))
        phases.append(Phase("G", updates=("G",), new_batch=False))
        if self.pl_weight:
            phases.append(Phase("G_reg", updates=("G",), every=self.pl_interval, new_batch=False))
        return phases

    def d_loss(self, ctx: PhaseContext) -> PhaseLoss:
        keep_graph = ctx.last_repetition and not ctx.warmup  # G's step reuses these fakes
        with torch.set_grad_enabled(keep_graph):
            fake = image_of(ctx.generate(ctx.inputs()))
        labels = ctx.batch.get("label")
        D = ctx.nets["D"]
        real_scores = scores_of(D(ctx.batch["image"], labels)).float()
        fake_scores = scores_of(D(fake.detach(), labels)).float()
        loss = F.softplus(fake_scores).mean() + F.softplus(-real_scores).mean()
        if keep_graph:
            ctx.scratch["fake"] = fake
        return PhaseLoss(loss, scores={"real": real_scores, "fake": fake_scores})

    def d_reg_loss(self, ctx: PhaseContext) -> PhaseLoss:
        real = ctx.batch["image"].detach().requires_grad_(True)
        scores = scores_of(ctx.nets["D"](real, ctx.batch.get("label")))
        penalty = per_sample_norm(ctx.input_grad(scores, real)).square().mean()
        return PhaseLoss(self.r1_gamma / 2 * penalty, terms={"r1": penalty})

    def g_loss(self, ctx: PhaseContext) -> PhaseLoss:
        scores = scores_of(ctx.nets["D"](ctx.scratch.pop("fake"), ctx.batch.get("label"))).float()
        return PhaseLoss(F.softplus(-scores).mean())

    def g_reg_loss(self, ctx: PhaseContext) -> PhaseLoss:
        inputs = ctx.inputs(max(1, ctx.batch_size // self.pl_batch_shrink))
        if "labels" in inputs and inputs["labels"] is not None:
            inputs["labels"] = inputs["labels"][: len(inputs["z"])]
        inputs["z"] = inputs["z"].detach().requires_grad_(True)
        out = ctx.generate(inputs)
        image = image_of(out)
        wrt = out["w"] if isinstance(out, Mapping) and "w" in out else inputs["z"]
        pixels = math.prod(image.shape[2:]) if image.dim() > 2 else image.shape[1]
        noise = torch.randn_like(image) / math.sqrt(pixels)
        grad = ctx.input_grad(image * noise, wrt)
        # |J^T y| per sample: over w's features, averaged over its layers when it has several (B, L, W).
        lengths = grad.square().sum(-1).mean(-1).sqrt() if grad.dim() == 3 else grad.flatten(1).square().sum(1).sqrt()
        self.pl_mean = self.pl_mean.to(lengths.device)
        mean = self.pl_mean.lerp(lengths.detach().mean(), self.pl_decay)
        self.pl_mean.copy_(mean)
        penalty = (lengths - mean).square().mean()
        return PhaseLoss(self.pl_weight * penalty, terms={"pl": penalty, "pl_mean": mean})

    def state_dict(self) -> dict[str, Any]:
        return {"pl_mean": self.pl_mean.detach().cpu().clone()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.pl_mean = torch.as_tensor(state["pl_mean"]).clone()
