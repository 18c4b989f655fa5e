"""Evaluation metrics over feature tensors (torch only; ``ganzoo eval`` composes them).

* :mod:`ganzoo.metrics.frechet` -- FID (float64, eigen-decomposition square root);
* :mod:`ganzoo.metrics.kernel` -- KID (unbiased MMD², subsets, std);
* :mod:`ganzoo.metrics.manifold` -- precision / recall and density / coverage (k-NN manifolds);
* :mod:`ganzoo.metrics.classes` -- class histogram of generated samples;
* :mod:`ganzoo.metrics.modes` -- mode coverage on 2-D Gaussian mixtures (VEEGAN / PacGAN).
"""
