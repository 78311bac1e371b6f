"""The learning-rate schedule shared by :func:`groupkit.train.fit` and the EMLP-paper trainer."""

from __future__ import annotations

import math

__all__ = ["learning_rate"]


def learning_rate(lr: float, step: int, total: int, warmup: int = 0) -> float:
    """The learning rate of step ``step`` (from 0) of ``total``: a cosine decay from ``lr`` to 0,
    multiplied by (step + 1) / warmup during the first ``warmup`` steps (a linear warm-up).

    >>> learning_rate(1.0, 0, 100), learning_rate(1.0, 50, 100), learning_rate(1.0, 0, 100, 4)
    (1.0, 0.5, 0.25)
    """
    rate = lr * 0.5 * (1 + math.cos(math.pi * step / max(total, 1)))
    return rate * min(1.0, (step + 1) / warmup) if warmup > 0 else rate
