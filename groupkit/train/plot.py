"""Learning curves from a run's metrics (matplotlib, imported only when a plot is drawn)."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["plot_learning_curve"]


def plot_learning_curve(history, *, path=None, ax=None, log_scale: bool = True):
    """Plot train and validation loss against the step. ``history``: a FitResult, a list of
    metrics dicts, or the path of a metrics JSON-lines file. Draws on ``ax`` (or a new figure)
    and saves it to ``path`` when given; returns the figure."""
    if hasattr(history, "history"):
        history = history.history
    if isinstance(history, (str, Path)):
        history = [json.loads(line) for line in Path(history).read_text().splitlines()
                   if line.strip()]
    from matplotlib.figure import Figure  # lazily: plotting is optional

    if ax is None:
        fig = Figure(figsize=(6, 4))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for split, style in (("train", "-"), ("val", "o-")):
        pts = [(h["step"], h["loss"]) for h in history if h.get("split") == split]
        if pts:
            ax.plot(*zip(*pts), style, label=split, markersize=3)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if log_scale and all(h["loss"] > 0 for h in history if "loss" in h):
        ax.set_yscale("log")
    ax.legend()
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig
