"""First-party plugins: the zoo's own models, losses, datasets and recipes."""
