"""pix2pix's and CycleGAN's objectives, as phases over named networks and batch fields.

pix2pix (Isola et al. 2017, arXiv:1611.07004): a conditional GAN on pairs.

* ``D`` judges (source, image) pairs stacked along channels, one score per
  patch: ``(BCE(D(s, y), 1) + BCE(D(s, G(s)), 0)) / 2`` -- halved, as the paper
  slows D down;
* ``G`` minimises ``BCE(D(s, G(s)), 1) + l1_weight * |G(s) - y|_1`` (lambda = 100).

CycleGAN (Zhu et al. 2017, arXiv:1703.10593): two generators, ``G`` (a -> b)
and ``G_ba`` (b -> a), and two discriminators, ``D`` (judges b) and ``D_a``
(judges a), with least-squares adversarial losses:

* ``G`` (updates both generators): ``(D(G(a)) - 1)^2 + (D_a(G_ba(b)) - 1)^2``
  plus ``cycle_weight * (|G_ba(G(a)) - a|_1 + |G(G_ba(b)) - b|_1)`` plus
  ``identity * cycle_weight * (|G(b) - b|_1 + |G_ba(a) - a|_1)``;
* ``D`` (updates both discriminators): ``((D(b) - 1)^2 + D(f_b)^2) / 2`` and the
  same for ``D_a``, where ``f_b`` and ``f_a`` come from a history of
  ``pool_size`` earlier fakes per discriminator (Shrivastava et al. 2017), which
  is checkpointed with the objective.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.objectives import Objective, Phase, PhaseContext, PhaseLoss, image_of


class Pix2PixObjective(Objective):
    """pix2pix: a conditional PatchGAN loss on (source, image) pairs plus ``l1_weight`` times the L1 to the target.

    Args:
        l1_weight: the weight of the L1 term (the paper's lambda = 100).
        n_critic: discriminator steps per generator step.
    """

    requires_fields = ("source",)
    requires_inputs = ("source",)
    accepts_patch_scores = True
    probability_scores = True
    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, l1_weight: float = 100.0, n_critic: int = 1) -> None:
        if l1_weight < 0 or n_critic < 1:
            raise ValueError(f"need l1_weight >= 0 and n_critic >= 1, got {l1_weight} and {n_critic}")
        self.l1_weight, self.n_critic = float(l1_weight), int(n_critic)

    def phases(self) -> Sequence[Phase]:
        return [Phase("D", updates=("D",), repeat=self.n_critic, freeze=()), Phase("G", updates=("G",), new_batch=False)]

    def d_loss(self, ctx: PhaseContext) -> PhaseLoss:
        source, real = ctx.batch["source"], ctx.batch["image"]
        keep_graph = ctx.last_repetition and not ctx.warmup  # G's step reuses these translations
        with torch.set_grad_enabled(keep_graph):
            fake = image_of(ctx.generate(ctx.inputs()))
        D = ctx.nets["D"]
        real_scores = D(torch.cat([source, real], 1), None).float()
        fake_scores = D(torch.cat([source, fake.detach()], 1), None).float()
        loss = 0.5 * (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
                      + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))  # fmt: skip
        if keep_graph:
            ctx.scratch["fake"] = fake
        return PhaseLoss(loss, scores={"real": real_scores, "fake": fake_scores})

    def g_loss(self, ctx: PhaseContext) -> PhaseLoss:
        source, real, fake = ctx.batch["source"], ctx.batch["image"], ctx.scratch.pop("fake")
        scores = ctx.nets["D"](torch.cat([source, fake], 1), None).float()
        adversarial = F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
        l1 = (fake.float() - real.float()).abs().mean()
        return PhaseLoss(adversarial + self.l1_weight * l1, terms={"adv": adversarial, "l1": l1})


class ImagePool:
    """A history of up to ``size`` generated images (Shrivastava et al. 2017, as CycleGAN uses it).

    ``query(images)`` returns a batch the discriminator learns from: while the
    pool fills, the new images themselves (and they are stored); once full,
    each image is, with probability 1/2, swapped for a stored one (which the
    new image replaces), else returned as it is. The random choices come from
    torch's random state, so a seeded run repeats them; the pool is state
    that checkpoints hold.
    """

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"the pool size must not be negative, got {size}")
        self.size = int(size)
        self.images: Optional[Tensor] = None
        self.count = 0

    @torch.no_grad()
    def query(self, images: Tensor) -> Tensor:
        images = images.detach()
        if self.size == 0:
            return images
        if self.images is None:
            self.images = torch.empty(self.size, *images.shape[1:], dtype=images.dtype, device=images.device)
        elif self.images.device != images.device:  # restored from a checkpoint on the CPU
            self.images = self.images.to(images.device)
        returned = images.clone()
        filling = min(self.size - self.count, len(images))
        if filling:
            self.images[self.count:self.count + filling] = images[:filling]
            self.count += filling
        rest = images[filling:]
        if len(rest):
            swap = torch.rand(len(rest), device=images.device) < 0.5
            slots = torch.randint(self.size, (len(rest),), device=images.device)
            returned[filling:] = torch.where(swap.view(-1, *([1] * (images.dim() - 1))), self.images[slots], rest)
            self.images[slots[swap]] = rest[swap]
        return returned

    def state_dict(self) -> dict[str, Any]:
        stored = self.images[: self.count].cpu().clone() if self.images is not None else torch.empty(0)
        return {"images": stored, "count": self.count}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.count = int(state["count"])
        stored = state["images"]
        if self.count:
            self.images = torch.empty(self.size, *stored.shape[1:], dtype=stored.dtype)
            self.images[: self.count] = stored
        else:
            self.images = None


def _lsgan(scores: Tensor, target: float) -> Tensor:
    return (scores.float() - target).square().mean()


class CycleGANObjective(Objective):
    """CycleGAN: least-squares GAN losses both ways, cycle consistency and identity terms, image pools.

    Args:
        cycle_weight: lambda, the weight of the cycle-consistency terms (the paper's 10).
        identity: the identity terms' weight as a fraction of lambda (the paper's 0.5).
        pool_size: fakes each discriminator's history keeps (the paper's 50).
    """

    networks = ("G", "D", "G_ba", "D_a")
    requires_fields = ("b",)
    requires_inputs = ("source",)
    accepts_patch_scores = True

    def __init__(self, cycle_weight: float = 10.0, identity: float = 0.5, pool_size: int = 50) -> None:
        if cycle_weight < 0 or identity < 0:
            raise ValueError(f"the weights must not be negative, got {cycle_weight} and {identity}")
        self.cycle_weight, self.identity = float(cycle_weight), float(identity)
        self.pools = {"b": ImagePool(pool_size), "a": ImagePool(pool_size)}

    def phases(self) -> Sequence[Phase]:
        # G first, then D on those fakes (through the pools), as the authors' training loop does.
        return [Phase("G", updates=("G", "G_ba")), Phase("D", updates=("D", "D_a"), new_batch=False)]

    def g_loss(self, ctx: PhaseContext) -> PhaseLoss:
        real_a, real_b = ctx.batch["image"], ctx.batch["b"]
        G, G_ba = ctx.nets["G"], ctx.nets["G_ba"]
        fake_b = image_of(ctx.generate(ctx.inputs()))
        fake_a = image_of(ctx.generate({"source": real_b}, "G_ba"))
        adversarial = _lsgan(ctx.nets["D"](fake_b, None), 1.0) + _lsgan(ctx.nets["D_a"](fake_a, None), 1.0)
        cycle = (G_ba(fake_b) - real_a).abs().mean() + (G(fake_a) - real_b).abs().mean()
        total = adversarial + self.cycle_weight * cycle
        terms = {"adv": adversarial, "cycle": cycle}
        if self.identity:
            identity = (G(real_b) - real_b).abs().mean() + (G_ba(real_a) - real_a).abs().mean()
            total = total + self.identity * self.cycle_weight * identity
            terms["identity"] = identity
        ctx.scratch["fake_b"], ctx.scratch["fake_a"] = fake_b.detach(), fake_a.detach()
        return PhaseLoss(total, terms=terms)

    def d_loss(self, ctx: PhaseContext) -> PhaseLoss:
        real_a, real_b = ctx.batch["image"], ctx.batch["b"]
        fake_b = self.pools["b"].query(ctx.scratch.pop("fake_b"))
        fake_a = self.pools["a"].query(ctx.scratch.pop("fake_a"))
        real_scores, fake_scores = ctx.nets["D"](real_b, None), ctx.nets["D"](fake_b, None)
        loss_b = 0.5 * (_lsgan(real_scores, 1.0) + _lsgan(fake_scores, 0.0))
        loss_a = 0.5 * (_lsgan(ctx.nets["D_a"](real_a, None), 1.0) + _lsgan(ctx.nets["D_a"](fake_a, None), 0.0))
        return PhaseLoss(loss_b + loss_a, terms={"b": loss_b, "a": loss_a},
                         scores={"real": real_scores.float(), "fake": fake_scores.float()})  # fmt: skip

    def state_dict(self) -> dict[str, Any]:
        return {f"pool_{name}": pool.state_dict() for name, pool in self.pools.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for name, pool in self.pools.items():
            pool.load_state_dict(state[f"pool_{name}"])
