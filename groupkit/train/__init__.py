"""Training for any model and any data: ``fit`` with checkpoints, resume, metrics and torchrun
data parallelism (imports torch; ``import groupkit`` does not import this package).

* :func:`fit`, :class:`FitResult` — the trainer (``groupkit.train.fit``).
* :class:`GraphBatch`, :class:`PointClouds`, :func:`collate_point_clouds`,
  :class:`PointCloudCollate`, :func:`as_dataset` — data and batches of point clouds.
* :func:`save_checkpoint`, :func:`load_checkpoint`, :func:`load_model_state`,
  :class:`CheckpointError` — checkpoint files.
* :func:`plot_learning_curve` — the learning curve of a run.
* :mod:`groupkit.train.distributed` — torchrun / DDP.
"""

from .checkpoint import CheckpointError, load_checkpoint, load_model_state, save_checkpoint
from .collate import (GraphBatch, PointCloudCollate, PointClouds, as_dataset,
                      collate_point_clouds)
from .fit import LOSSES, FitResult, default_forward, fit
from .plot import plot_learning_curve

__all__ = ["fit", "FitResult", "default_forward", "LOSSES",
           "GraphBatch", "PointClouds", "collate_point_clouds", "PointCloudCollate", "as_dataset",
           "save_checkpoint", "load_checkpoint", "load_model_state", "CheckpointError",
           "plot_learning_curve"]
