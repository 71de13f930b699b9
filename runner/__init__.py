"""Hydra experiment runner for cleanlearn: ``python -m runner [overrides]``."""
