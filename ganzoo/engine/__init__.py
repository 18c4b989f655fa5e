"""The training engine: configuration, the loop, precision, checkpoints, distribution."""
