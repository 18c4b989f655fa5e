"""Evaluation metrics (mode coverage for 2-D benchmarks; image metrics come with `ganzoo eval`)."""
