"""Evaluation metrics over feature tensors (torch only; ``ganzoo eval`` composes them).

One module per family, each a set of pure functions of tensors, imported on
demand (``import ganzoo.metrics`` imports neither torch nor the modules):

* :mod:`ganzoo.metrics.frechet` -- FID: Gaussian statistics in float64 and the
  Fréchet distance through an exact, real-valued square-root trace;
* :mod:`ganzoo.metrics.kernel` -- KID: unbiased polynomial-kernel MMD², mean and
  std over seeded random subsets;
* :mod:`ganzoo.metrics.manifold` -- precision / recall (k = 3) and density /
  coverage (k = 5) of k-NN manifolds, from blockwise distances;
* :mod:`ganzoo.metrics.classes` -- class histogram of generated samples: counts,
  classes covered, KL to uniform and to a reference, classifier confidence;
* :mod:`ganzoo.metrics.modes` -- mode coverage on 2-D Gaussian mixtures (VEEGAN / PacGAN).
"""
