"""One training iteration captured once as a CUDA graph and replayed (``train.cuda_graphs``).

At the sizes of the zoo's networks a GPU iteration is a few hundred small
kernels, each cheaper to run than to launch from Python: on an H100,
dcgan-mnist at batch 64 kept the GPU busy for 12 % of the wall time. A CUDA
graph records the whole iteration -- every phase of the objective (the
n_critic discriminator steps, the generator step ...), the optimizers and the
EMAs -- and launches it again with one call (PyTorch's "whole-network
capture", torch.cuda.graphs). Objectives whose phases have intervals (lazy
regularisation) run eagerly: their iterations differ from one another.

What makes a replay train like the eager loop:

* The batches: each replay gathers and decodes its batches from indices that
  are copied into the graph's own index buffer first (one small copy per
  discriminator step), in the data order of :class:`BatchSource`.
* The random numbers: the noise generator is registered with the graph and the
  default CUDA generator (dropout) is registered by torch, so each replay
  draws fresh numbers and advances the generators as the eager code would;
  checkpoints save their states as usual.
* The optimizers are built with ``capturable=True`` (their step counts live on
  the GPU) from the first step, so warm-up and replays run the same kernels.

Only work the iteration does on the GPU is replayed: Python-side effects of
a loss hook would run once, at capture. So only components whose own class
declares ``cuda_graph_safe = True`` are captured (the zoo's own all do). A
capture that fails anyway (a declared component that waits for the host,
say) stops the run with a TrainingError that says how to resume it without
graphs: torch leaves a failed capture's generators and stream unusable in
that process.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch
from torch import Tensor

from ganzoo.data import InMemoryData
from ganzoo.errors import TrainingError

#: Eager iterations on a side stream before the capture, as torch's docs ask: they
#: create the optimizer state and let cuDNN choose its kernels outside the graph.
WARMUP_ITERATIONS = 3

Batch = dict[str, Tensor]
Iteration = Callable[[Callable[[int], Batch]], Any]


def graph_parts(networks: Any, objective: Any, sampler: Any, augment: Any) -> dict[str, Any]:
    """Everything a replay repeats, by the name a refusal gives it: networks, objective, input sampler, augmentation.

    A contract-1 loss is judged by its own class (the engine's adapter around it is tensor code).
    """
    from ganzoo.objectives import GANLossObjective

    parts: dict[str, Any] = {}
    for network in networks:
        label = {"G": "generator", "D": "discriminator"}.get(network.name, f"network {network.name}")
        parts[label] = network.module
    parts["loss"] = objective.legacy if isinstance(objective, GANLossObjective) else objective
    parts["input sampler"] = sampler
    if augment is not None:
        parts["augmentation"] = augment
    return parts


def graph_blocker(train: dict[str, Any], device: torch.device, data: Any, world_size: int,
                  components: dict[str, Any], uniform: bool = True) -> Optional[str]:  # fmt: skip
    """Why this run cannot replay its iterations as a CUDA graph; None when it can.

    ``components`` maps a name ("generator", "loss" ...) to each object a
    replay repeats; each must declare ``cuda_graph_safe = True`` (see
    :class:`ganzoo.losses.GANLoss`), since a replay repeats GPU work only.
    ``uniform`` says whether every iteration runs the same phases (a phase
    with an interval, such as lazy R1, makes iterations differ).
    """
    if not train["cuda_graphs"]:
        return "train.cuda_graphs is off"
    if device.type != "cuda":
        return "CUDA graphs exist on CUDA devices only"
    if world_size > 1:
        return "DistributedDataParallel synchronises gradients from hooks outside a graph"
    if train["precision"] == "fp16":
        return "fp16's GradScaler reads its overflow check on the host every step"
    if train["compile"]:
        return "compiled networks are not captured (--compile runs them through torch.compile instead)"
    if not uniform:
        return "the objective has phases with intervals (every > 1), so iterations differ from one another"
    if train.get("lr_schedule", "constant") != "constant":
        return "a learning-rate schedule changes the optimizers' step sizes every iteration"
    undeclared = [kind for kind, part in components.items() if not declares_graph_safe(part)]
    if undeclared:
        verb = "does" if len(undeclared) == 1 else "do"
        return f"the {' and '.join(undeclared)} {verb} not declare cuda_graph_safe = True"
    if not isinstance(data, InMemoryData) or not _same_cuda_device(data.x.device, device):
        return "batches are read outside the GPU (a streamed dataset, or train.data_on_device off)"
    if not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return f"torch {torch.__version__} cannot register a graph's noise generator (torch >= 2.5 can)"
    return None


def declares_graph_safe(part: Any) -> bool:
    """Whether ``part``'s own class sets ``cuda_graph_safe = True``.

    Not inherited on purpose: a subclass may add Python-side state (a step
    counter, a schedule) that its parent did not have, so it declares again.
    """
    return type(part).__dict__.get("cuda_graph_safe", False) is True


def _same_cuda_device(a: torch.device, b: torch.device) -> bool:
    """``cuda`` and ``cuda:0`` are one device when 0 is the current one (torch.device compares them unequal)."""
    if a.type != "cuda" or b.type != "cuda":
        return False
    current = torch.cuda.current_device()
    return (a.index if a.index is not None else current) == (b.index if b.index is not None else current)


class GraphedIteration:
    """Runs ``iteration`` eagerly a few times, then captures it once and replays it.

    ``iteration(real_batch)`` performs one training iteration, taking its
    ``d``-th discriminator batch from ``real_batch(d)``, and returns what the
    loop reads afterwards (losses, scores): after the capture those are the
    graph's output tensors, refilled by every replay.
    """

    def __init__(self, iteration: Iteration, data: InMemoryData, next_indices: Callable[[], Tensor],
                 batches_per_iteration: int, batch_size: int, generators: list[torch.Generator]) -> None:  # fmt: skip
        self.iteration, self.data, self.next_indices = iteration, data, next_indices
        self.batches_per_iteration, self.generators = batches_per_iteration, generators
        self.indices = torch.zeros(batches_per_iteration, batch_size, dtype=torch.long, device=data.x.device)
        self.graph: Optional[torch.cuda.CUDAGraph] = None
        self.outputs: Any = None
        self.device = data.x.device
        self.side_stream = torch.cuda.Stream(device=self.device)
        self.eager_calls = 0

    @property
    def status(self) -> str:
        """"replayed" once iterations run from the graph; otherwise why not (yet)."""
        if self.graph is not None:
            return "replayed"
        if self.eager_calls == 0:
            return "not used: no iteration ran"
        return f"not used: the run ended within the {WARMUP_ITERATIONS} eager warm-up iterations"

    def __call__(self) -> Any:
        """One training iteration: eager during warm-up, then replayed; a failed capture is a TrainingError."""
        # Streams and captures belong to the current device: make it the data's (cuda:N too).
        with torch.cuda.device(self.device):
            return self._run()

    def _run(self) -> Any:
        slices = [self.next_indices() for _ in range(self.batches_per_iteration)]
        if self.graph is None and self.eager_calls < WARMUP_ITERATIONS:
            self.eager_calls += 1
            side, current = self.side_stream, torch.cuda.current_stream(self.device)
            side.wait_stream(current)
            with torch.cuda.stream(side):
                outputs = self.iteration(lambda d: self.data.batch_fields(slices[d]))
            current.wait_stream(side)
            return outputs
        for d, indices in enumerate(slices):
            self.indices[d].copy_(indices, non_blocking=True)
        if self.graph is None:
            try:
                self._capture()
            except Exception as exc:
                # A failed capture leaves the registered generators mid-capture and the CUDA
                # context with an invalidated stream: the run cannot go on safely in this process.
                raise TrainingError(
                    "this run's training iteration could not be recorded as a CUDA graph",
                    f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} -- a component "
                    "that declares cuda_graph_safe = True reads a value back to the host or otherwise "
                    "cannot be captured",
                    "resume with --set train.cuda_graphs=false (the last checkpoint is intact), "
                    "and tell the component's author",
                ) from exc
        assert self.graph is not None
        self.graph.replay()
        return self.outputs

    def _capture(self) -> None:
        """Record one iteration, reading its batches from the index buffer; nothing runs until a replay."""
        graph = torch.cuda.CUDAGraph()
        for generator in self.generators:
            graph.register_generator_state(generator)
        with torch.cuda.graph(graph):
            outputs = self.iteration(lambda d: self.data.batch_fields(self.indices[d]))
        self.graph, self.outputs = graph, outputs
