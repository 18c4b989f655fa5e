"""A run's networks by name: their optimizers, grad scalers and EMAs, and their part of a checkpoint.

``G`` and ``D`` are the generator and discriminator; an objective may use
more (``Q``, ``G_ba``, ``D_a`` ...), each built from a registered component.
Every trained network has an optimizer of its own or shares another's (one
optimizer with a parameter group per network, as InfoGAN's Q shares G's);
each optimizer has its GradScaler (a no-op unless fp16). Networks marked
for it keep an exponential moving average, which is what the run samples from.

The checkpoint layout keeps contract 1's keys for G and D (``generator``,
``discriminator``, ``ema``, ``opt_g``, ``opt_d``, ``scaler_g``, ``scaler_d``),
so runs of earlier versions resume bit-exactly; other networks go under
``networks``, ``ema_networks``, ``optimizers`` and ``scalers`` by name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

import torch
from torch import nn

from ganzoo.engine.runtime import optimizer_kwargs
from ganzoo.errors import ConfigError

#: The checkpoint keys of G's and D's parts, as contract 1 named them.
LEGACY_KEYS = {"G": ("generator", "opt_g", "scaler_g"), "D": ("discriminator", "opt_d", "scaler_d")}


@dataclass
class Network:
    """One named network of a run.

    ``module`` is the plain network (what checkpoints and the EMA hold);
    ``run`` is what a phase that trains it calls (DDP-wrapped, compiled,
    behind the augmentation for discriminators); ``frozen_run`` is what a
    phase that freezes it calls -- the same without DDP, which would wait for
    gradients a frozen network never produces.
    """

    name: str
    kind: str  # "generator", "discriminator" or "network"
    module: nn.Module
    run: nn.Module
    frozen_run: nn.Module
    optimizer: Mapping[str, Any]  # {"share": name} or {"kind", "lr", "betas", "weight_decay"}
    ema: bool = False
    fixed: tuple[str, ...] = ()  # parameters that never train (FreezeD): no optimizer holds them, no gradient reaches them

    def trained_parameters(self) -> list[nn.Parameter]:
        """The parameters its optimizer steps: all but the ``fixed`` ones."""
        return [p for name, p in self.module.named_parameters() if name not in self.fixed]


def optimizer_settings(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every network's optimizer settings: G's and D's from ``train``, the others' from their entries.

    A network without settings of its own is trained like G (a generator or
    another network) or like D (a discriminator).
    """
    train = config["train"]
    like = {
        "generator": {"kind": train["optimizer"], "lr": train["lr_g"], "betas": list(train["betas_g"]),
                      "weight_decay": train.get("weight_decay_g", 0.0)},
        "discriminator": {"kind": train["optimizer"], "lr": train["lr_d"], "betas": list(train["betas_d"]),
                          "weight_decay": train.get("weight_decay_d", 0.0)},
    }  # fmt: skip
    settings = {"G": dict(like["generator"]), "D": dict(like["discriminator"])}
    for name, entry in (config.get("networks") or {}).items():
        own = dict(entry.get("optimizer") or {})
        settings[name] = own if "share" in own else {**like["discriminator" if entry["kind"] == "discriminator"
                                                          else "generator"], **own}  # fmt: skip
    return settings


def optimizer_owner(name: str, settings: Mapping[str, Mapping[str, Any]]) -> str:
    """The network whose optimizer trains ``name``: itself, or the end of its ``share`` chain."""
    seen = [name]
    while "share" in settings[seen[-1]]:
        target = settings[seen[-1]]["share"]
        if target not in settings:
            raise ConfigError(f"network {seen[-1]!r} shares the optimizer of {target!r}, which the run does not have",
                              f"its networks are {', '.join(settings)}", "name one of them in optimizer.share")  # fmt: skip
        if target in seen:
            raise ConfigError(f"networks {' -> '.join(seen + [target])} share optimizers in a circle",
                              "one network in a sharing chain must have an optimizer of its own",
                              "remove one optimizer.share")  # fmt: skip
        seen.append(target)
    return seen[-1]


def make_optimizer(params: Any, settings: Mapping[str, Any], device: torch.device, impl: str = "auto",
                   capturable: bool = False) -> torch.optim.Optimizer:  # fmt: skip
    """Adam or RMSprop over ``params`` with torch's fastest implementation for ``device``."""
    kind = settings["kind"]
    implementation = optimizer_kwargs(device, kind, impl, capturable=capturable)
    weight_decay = float(settings.get("weight_decay", 0.0))
    extra = {"weight_decay": weight_decay} if weight_decay else {}
    try:
        if kind == "rmsprop":
            # RMSprop as in the WGAN paper; betas[1] doubles as the smoothing constant.
            optimizer: torch.optim.Optimizer = torch.optim.RMSprop(params, lr=settings["lr"], alpha=settings["betas"][1],
                                                                   **extra, **implementation)  # fmt: skip
        else:
            optimizer = torch.optim.Adam(params, lr=settings["lr"], betas=tuple(settings["betas"]), **extra,
                                         **implementation)  # fmt: skip
    except RuntimeError as exc:  # e.g. a fused kernel this device lacks
        raise ConfigError(
            f"train.optimizer_impl {impl!r} does not work for {kind} on {device}",
            str(exc),
            "use train.optimizer_impl=auto",
        ) from None
    if capturable:
        # The warm-up steps before a CUDA graph's capture run uncaptured on purpose, and
        # torch would warn once that capturable=True is slower there. The flag that
        # silences it is torch's own (private) one-time-warning marker; an older or newer
        # torch without it just warns once.
        optimizer._warned_capturable_if_run_uncaptured = True  # type: ignore[attr-defined]
    return optimizer


class NetworkSet:
    """The run's networks by name, with the optimizers, scalers and EMAs training needs.

    Call :meth:`prepare` once the networks that phases update are known.
    """

    def __init__(self, networks: Iterable[Network]) -> None:
        self.by_name: dict[str, Network] = {}
        for network in networks:
            self.by_name[network.name] = network
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        self.owner: dict[str, str] = {}
        self.emas: dict[str, nn.Module] = {}
        self.implementations: dict[str, dict[str, Any]] = {}  # per optimizer: the fused/foreach/capturable choice
        self._trainable = {name: True for name in self.by_name}
        self._ema_pairs: tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]] = ([], [], [], [])
        self.ema_beta = 0.0

    def __getitem__(self, name: str) -> Network:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_name.values())

    def names(self) -> list[str]:
        return list(self.by_name)

    def modules(self) -> dict[str, nn.Module]:
        """The plain networks by name."""
        return {name: network.module for name, network in self.by_name.items()}

    # -- set-up ---------------------------------------------------------------------------

    def prepare(self, *, trained: Iterable[str], settings: Mapping[str, Mapping[str, Any]], device: torch.device,
                impl: str, capturable: bool, precision: Any, ema_beta: float) -> None:  # fmt: skip
        """Build an optimizer (and scaler) per owner of a trained network, and the EMAs.

        Every network a phase updates is trained; a network that shares
        another's optimizer brings that optimizer in even when no phase names
        the owner itself.
        """
        trained = [name for name in self.by_name if name in set(trained)]
        owners: dict[str, list[str]] = {}
        for name in trained:
            owner = optimizer_owner(name, settings)
            self.owner[name] = owner
            owners.setdefault(owner, [])
            if name != owner:
                owners[owner].append(name)
        for owner, sharers in owners.items():
            groups = [{"params": self.by_name[owner].trained_parameters()}]
            groups += [{"params": self.by_name[name].trained_parameters()} for name in sharers]
            self.optimizers[owner] = make_optimizer(groups if sharers else groups[0]["params"], settings[owner], device,
                                                    impl, capturable=capturable)  # fmt: skip
            self.implementations[owner] = optimizer_kwargs(device, settings[owner]["kind"], impl, capturable=capturable)
            self.scalers[owner] = precision.grad_scaler()
        self.ema_beta = ema_beta
        self._base_lrs = {owner: [group["lr"] for group in opt.param_groups] for owner, opt in self.optimizers.items()}
        for network in self.by_name.values():
            if network.ema and ema_beta > 0:
                self.emas[network.name] = copy.deepcopy(network.module).eval().requires_grad_(False)
        self._ema_pairs = (
            [p for name, ema in self.emas.items() for p in ema.parameters()],
            [p for name in self.emas for p in self.by_name[name].module.parameters()],
            [b for name, ema in self.emas.items() for b in ema.buffers()],
            [b for name in self.emas for b in self.by_name[name].module.buffers()],
        )

    # -- training -------------------------------------------------------------------------

    def scale_learning_rates(self, factor: float) -> None:
        """Every optimizer's learning rates at ``factor`` times the configured ones (a schedule's step)."""
        for owner, optimizer in self.optimizers.items():
            for group, base in zip(optimizer.param_groups, self._base_lrs[owner]):
                group["lr"] = base * factor

    def set_trainable(self, frozen: Iterable[str]) -> None:
        """Parameters of ``frozen`` networks take no gradient, every other network's do (changes only what differs)."""
        frozen = set(frozen)
        for name, network in self.by_name.items():
            wanted = name not in frozen
            if self._trainable[name] != wanted:
                network.module.requires_grad_(wanted)
                if wanted and network.fixed:
                    parameters = dict(network.module.named_parameters())
                    for fixed in network.fixed:
                        parameters[fixed].requires_grad_(False)
                self._trainable[name] = wanted

    def callable(self, name: str) -> nn.Module:
        """What a phase calls for ``name`` now: the training wrapper, or the frozen one."""
        network = self.by_name[name]
        return network.run if self._trainable[name] else network.frozen_run

    @torch.no_grad()
    def update_emas(self) -> None:
        """ema = beta * ema + (1 - beta) * network; buffers (BatchNorm statistics) copied.

        One multi-tensor lerp over every EMA's parameters, as ``torch.optim.swa_utils`` does.
        """
        ema_params, params, ema_buffers, buffers = self._ema_pairs
        if ema_params:
            torch._foreach_lerp_(ema_params, params, 1.0 - self.ema_beta)
        for b_ema, b in zip(ema_buffers, buffers):
            b_ema.copy_(b)

    def sampling(self, name: str = "G") -> nn.Module:
        """The network to sample from: its EMA when it has one."""
        return self.emas.get(name, self.by_name[name].module)

    # -- checkpoints ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The networks' part of a checkpoint (see the module docstring for the layout)."""
        state: dict[str, Any] = {"networks": {}, "ema_networks": {}, "optimizers": {}, "scalers": {}}
        for name, network in self.by_name.items():
            weights = network.module.state_dict()
            if name in LEGACY_KEYS:
                state[LEGACY_KEYS[name][0]] = weights
            else:
                state["networks"][name] = weights
        state["ema"] = self.emas["G"].state_dict() if "G" in self.emas else {}
        state["ema_networks"] = {name: ema.state_dict() for name, ema in self.emas.items() if name != "G"}
        for name in ("G", "D"):
            state[LEGACY_KEYS[name][1]] = self.optimizers[name].state_dict() if name in self.optimizers else {}
            state[LEGACY_KEYS[name][2]] = self.scalers[name].state_dict() if name in self.scalers else {}
        state["optimizers"] = {owner: opt.state_dict() for owner, opt in self.optimizers.items() if owner not in LEGACY_KEYS}
        state["scalers"] = {owner: s.state_dict() for owner, s in self.scalers.items() if owner not in LEGACY_KEYS}
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output strictly: a network or optimizer missing on either side is an error."""
        saved_networks = dict(state.get("networks") or {})
        if set(saved_networks) != set(self.by_name) - set(LEGACY_KEYS):
            raise KeyError(f"the checkpoint holds networks {sorted(saved_networks)}, the run has "
                           f"{sorted(set(self.by_name) - set(LEGACY_KEYS))}")  # fmt: skip
        for name, network in self.by_name.items():
            network.module.load_state_dict(state[LEGACY_KEYS[name][0]] if name in LEGACY_KEYS else saved_networks[name])
        saved_emas = {**({"G": state["ema"]} if state.get("ema") else {}), **dict(state.get("ema_networks") or {})}
        if set(saved_emas) != set(self.emas):
            raise KeyError(f"the checkpoint holds EMAs of {sorted(saved_emas)}, the run keeps {sorted(self.emas)}")
        for name, ema in self.emas.items():
            ema.load_state_dict(saved_emas[name])
        saved_optimizers = {**{name: state[LEGACY_KEYS[name][1]] for name in LEGACY_KEYS if state.get(LEGACY_KEYS[name][1])},
                            **dict(state.get("optimizers") or {})}  # fmt: skip
        saved_scalers = {**{name: state[LEGACY_KEYS[name][2]] for name in LEGACY_KEYS if name in saved_optimizers},
                         **dict(state.get("scalers") or {})}  # fmt: skip
        if set(saved_optimizers) != set(self.optimizers):
            raise KeyError(f"the checkpoint holds optimizers of {sorted(saved_optimizers)}, the run trains "
                           f"{sorted(self.optimizers)}")  # fmt: skip
        for owner, optimizer in self.optimizers.items():
            optimizer.load_state_dict(_with_implementation(saved_optimizers[owner], self.implementations[owner]))
            _match_state_layouts(optimizer)
            self.scalers[owner].load_state_dict(saved_scalers[owner])


def _with_implementation(saved: dict[str, Any], implementation: Mapping[str, Any]) -> dict[str, Any]:
    """A saved optimizer state with this run's fused/foreach choice in its param groups.

    ``load_state_dict`` restores every param-group option, the implementation
    flags included, and places Adam's ``step`` counters by them (on the
    parameter's device for fused, on the CPU otherwise). Rewriting the flags
    before loading gives a run resumed on another device, or with another
    ``train.optimizer_impl``, its own kernels with their counters where those
    kernels expect them.
    """
    groups = []
    for group in saved["param_groups"]:
        group = dict(group)
        for flag in ("foreach", "fused", "capturable"):
            if flag in group:
                group[flag] = implementation.get(flag)
        groups.append(group)
    return {**saved, "param_groups": groups}


@torch.no_grad()
def _match_state_layouts(optimizer: torch.optim.Optimizer) -> None:
    """Give every per-parameter state tensor its parameter's memory layout.

    A checkpoint with contiguous conv weights (from an older ganzoo, or from
    MPS, where ganzoo does not use channels_last) resumed into channels_last
    ones, or the reverse, loads Adam's moments in the other layout. The fused
    Adam kernel walks a weight and its moments in memory order, so it would
    pair each element of the weight with another element's moments, silently.
    """
    for group in optimizer.param_groups:
        for param in group["params"]:
            for key, value in optimizer.state.get(param, {}).items():
                if isinstance(value, torch.Tensor) and value.shape == param.shape and value.stride() != param.stride():
                    optimizer.state[param][key] = torch.empty_like(param, dtype=value.dtype).copy_(value)

