"""ganzoo-relativistic: the relativistic average GAN loss and a residual MLP generator, as a ganzoo plugin."""

__version__ = "0.1.0"
