"""StyleGAN2's objective: lazy R1 and path length as phases with intervals, scaled by them."""

from __future__ import annotations

import pytest
import torch

from ganzoo.zoo.stylegan_objective import StyleGAN2Objective


def test_lazy_phases_run_on_their_intervals_and_are_scaled_by_them():
    phases = {p.name: p for p in StyleGAN2Objective(r1_interval=16, pl_interval=4).phases()}
    assert list(phases) == ["D", "D_reg", "G", "G_reg"]
    schedule = {name: [step for step in range(33) if phase.due(step)] for name, phase in phases.items()}
    assert schedule["D_reg"] == [0, 16, 32] and schedule["G_reg"] == list(range(0, 33, 4))
    assert schedule["D"] == schedule["G"] == list(range(33))
    assert (phases["D_reg"].gain, phases["G_reg"].gain, phases["D"].gain) == (16, 4, 1)
    assert not phases["D_reg"].new_batch and phases["D_reg"].updates == ("D",) and phases["G_reg"].updates == ("G",)


def test_switched_off_regularisers_drop_their_phases():
    assert [p.name for p in StyleGAN2Objective(r1_gamma=0, pl_weight=0).phases()] == ["D", "G"]
    with pytest.raises(ValueError):
        StyleGAN2Objective(r1_interval=0)


def test_the_path_length_mean_is_state_that_round_trips():
    objective = StyleGAN2Objective()
    objective.pl_mean = torch.tensor(1.5)
    restored = StyleGAN2Objective()
    restored.load_state_dict(objective.state_dict())
    assert float(restored.pl_mean) == 1.5
