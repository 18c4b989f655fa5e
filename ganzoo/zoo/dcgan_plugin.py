"""Registers the DCGAN and conditional MLP models and their recipes. Imports no torch.

The recipes' step counts are sized for a laptop: each default run takes two to
five minutes on 2 idle CPU cores. Measured per generator step (batch 64, torch
2.14): the DCGAN pair at ``base_channels`` 32 about 40 ms (80-90 ms at 64), the
same with WGAN-GP's 5 critic steps and penalty about 180 ms, the conditional
MLPs about 16 ms. ``base_channels`` is 32, half the usual 64, for that reason;
on a GPU pass ``--set generator.base_channels=64 --set
discriminator.base_channels=64`` and more ``--steps``.
"""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import DiscriminatorSpec, GeneratorSpec, RecipeSpec, lazy

DCGAN = "Radford, Metz, Chintala 2015, Unsupervised Representation Learning with DCGANs (arXiv:1511.06434)"
CGAN = "Mirza & Osindero 2014, Conditional Generative Adversarial Nets (arXiv:1411.1784)"
LSGAN = "Mao et al. 2017, Least Squares Generative Adversarial Networks (arXiv:1611.04076)"
WGAN_GP = "Gulrajani et al. 2017, Improved Training of Wasserstein GANs (arXiv:1704.00028)"
DIFFAUGMENT = "Zhao et al. 2020, Differentiable Augmentation for Data-Efficient GAN Training (arXiv:2006.10738)"
SNGAN = "Miyato et al. 2018, Spectral Normalization for Generative Adversarial Networks (arXiv:1802.05957)"

#: The CPU-sized DCGAN pair every DCGAN recipe starts from.
SMALL_DCGAN = {"generator": {"base_channels": 32}, "discriminator": {"base_channels": 32}}
#: Radford et al.'s optimiser: Adam, lr 2e-4, beta1 0.5.
DCGAN_ADAM = {"lr_g": 2e-4, "lr_d": 2e-4, "betas_g": [0.5, 0.999], "betas_d": [0.5, 0.999], "batch_size": 64}


@hookimpl
def ganzoo_generators():
    yield GeneratorSpec(
        name="dcgan-g",
        summary="DCGAN generator: transposed convs with BatchNorm+ReLU, tanh; 28, 32 or 64 px.",
        build=lazy("ganzoo.zoo.dcgan:DCGANGenerator"),
        defaults={"latent_dim": 100, "base_channels": 64},
        paper=DCGAN,
    )
    yield GeneratorSpec(
        name="cgan-mlp-g",
        summary="Conditional MLP generator: [z, one-hot y] -> LeakyReLU layers -> tanh image.",
        build=lazy("ganzoo.zoo.conditional:ConditionalMLPGenerator"),
        defaults={"latent_dim": 100, "hidden": [256, 512, 1024], "embed_dim": 0, "batch_norm": True},
        paper=CGAN,
        conditional=True,
    )


@hookimpl
def ganzoo_discriminators():
    yield DiscriminatorSpec(
        name="dcgan-d",
        summary="DCGAN discriminator: strided convs with LeakyReLU(0.2); optional BatchNorm / spectral norm.",
        build=lazy("ganzoo.zoo.dcgan:DCGANDiscriminator"),
        defaults={"base_channels": 64, "batch_norm": True, "spectral_norm": False},
        paper=DCGAN,
    )
    yield DiscriminatorSpec(
        name="cgan-mlp-d",
        summary="Conditional MLP discriminator: [flattened x, one-hot y] -> LeakyReLU layers with dropout.",
        build=lazy("ganzoo.zoo.conditional:ConditionalMLPDiscriminator"),
        defaults={"hidden": [512, 256], "embed_dim": 0, "dropout": 0.3},
        paper=CGAN,
        conditional=True,
    )


def _dcgan_recipe(name: str, summary: str, loss: str, dataset: str, train: dict, paper: str, expect: str,
                  discriminator: dict | None = None) -> RecipeSpec:  # fmt: skip
    params = {
        "generator": dict(SMALL_DCGAN["generator"]),
        "discriminator": {**SMALL_DCGAN["discriminator"], **(discriminator or {})},
        "train": train,
    }
    return RecipeSpec(
        name=name, summary=summary, generator="dcgan-g", discriminator="dcgan-d",
        loss=loss, dataset=dataset, params=params, paper=paper, expect=expect,
    )  # fmt: skip


@hookimpl
def ganzoo_recipes():
    yield _dcgan_recipe(
        "dcgan-mnist",
        "DCGAN on MNIST (base_channels 32 for CPU), non-saturating loss, Adam 2e-4 / beta1 0.5.",
        loss="non-saturating",
        dataset="mnist",
        train={**DCGAN_ADAM, "steps": 4000},
        paper=DCGAN,
        expect="Recognisable, mostly sharp digits in about 3 minutes on 2 CPU cores (4000 steps, ~4 epochs).",
    )
    yield _dcgan_recipe(
        "dcgan-fashion",
        "DCGAN on Fashion-MNIST (base_channels 32 for CPU), non-saturating loss, Adam 2e-4 / beta1 0.5.",
        loss="non-saturating",
        dataset="fashion-mnist",
        train={**DCGAN_ADAM, "steps": 4000},
        paper=DCGAN,
        expect="Recognisable shirts, trousers, shoes and bags in about 3 minutes on 2 CPU cores.",
    )
    yield RecipeSpec(
        name="diffaugment-fashion-6k",
        summary="DCGAN on 6,000 Fashion-MNIST images (10 %) with DiffAugment; --set train.augment= trains without.",
        generator="dcgan-g",
        discriminator="dcgan-d",
        loss="non-saturating",
        dataset="fashion-mnist",
        params={**SMALL_DCGAN, "dataset": {"train_limit": 6000},
                "train": {**DCGAN_ADAM, "steps": 4000, "augment": "diffaugment"}},
        paper=f"{DIFFAUGMENT}; {DCGAN}",
        expect="Garments close to dcgan-fashion's although D sees a tenth of the data 42 times over; without the "
        "augmentation D memorises the 6,000 images and the samples degrade (FIDs of both in docs/zoo.md).",
    )
    yield _dcgan_recipe(
        "lsgan-mnist",
        "LSGAN on MNIST: the DCGAN pair (base_channels 32) trained with the least-squares loss.",
        loss="least-squares",
        dataset="mnist",
        train={**DCGAN_ADAM, "steps": 4000},
        paper=LSGAN,
        expect="Mostly recognisable digits, close to dcgan-mnist's, in about 3 minutes on 2 CPU cores (4000 steps).",
    )
    yield _dcgan_recipe(
        "wgan-gp-mnist",
        "WGAN-GP on MNIST: DCGAN pair (critic without BatchNorm), 5 critic steps, Adam 2e-4 (0.5, 0.9).",
        loss="wgan-gp",
        dataset="mnist",
        # Betas (0.5, 0.9) as in the authors' MNIST script (the paper's Algorithm 1 says (0, 0.9)); lr twice
        # their 1e-4 to fit a CPU budget: measured on 1500 steps, LeNet FID 100 against 190 with 1e-4, (0, 0.9).
        train={"steps": 1500, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "betas_g": [0.5, 0.9],
               "betas_d": [0.5, 0.9], "n_critic": 5, "sample_every": 500, "checkpoint_every": 500},
        discriminator={"batch_norm": False},
        paper=WGAN_GP,
        expect="Recognisable but rough digits in about 5 minutes on 2 CPU cores (1500 G steps = 7500 critic "
        "steps); WGAN-GP keeps improving for many more steps (--steps 5000+ on a GPU). "
        "d_loss is the negated Wasserstein estimate plus the penalty; it rises towards 0 as G improves.",
    )
    yield _dcgan_recipe(
        "hinge-sn-mnist",
        "SN-GAN on MNIST: DCGAN pair with a spectrally normalised discriminator and the hinge loss.",
        loss="hinge",
        dataset="mnist",
        train={"steps": 4000, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "betas_g": [0.0, 0.9],
               "betas_d": [0.0, 0.9]},
        discriminator={"spectral_norm": True, "batch_norm": False},
        paper=SNGAN,
        expect="Mostly recognisable digits, rougher than dcgan-mnist, in about 2 minutes on 2 CPU cores (4000 steps).",
    )
    yield RecipeSpec(
        name="cgan-mnist",
        summary="Conditional GAN on MNIST: MLP generator and discriminator fed one-hot class labels.",
        generator="cgan-mlp-g",
        discriminator="cgan-mlp-d",
        loss="non-saturating",
        dataset="mnist",
        # A 10x10 grid: the engine labels grid sample i with class i % 10, so column j shows digit j.
        params={"train": {**DCGAN_ADAM, "steps": 6000, "sample_every": 2000, "checkpoint_every": 2000,
                          "grid_size": 100}},
        paper=CGAN,
        expect="A 10x10 grid whose column j shows the digit j, in 2 to 4 minutes on 2 CPU cores (6000 steps).",
    )
