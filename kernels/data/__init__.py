"""Data sets for the seed paper's experiments: charged N-body dynamics, QM9, ModelNet-40.

* :mod:`kernels.data.nbody` — EGNN's charged-particle system: simulator (cached) and a loader
  for the ``.npy`` files of EGNN's generator.
* :mod:`kernels.data.qm9` — QM9 from the ``qm9pack`` CSV files or the release's ``.xyz`` files;
  the 12 targets with units; EGNN's split.
* :mod:`kernels.data.modelnet` — the two ModelNet-40 file formats and a trimesh stand-in.
* :mod:`kernels.data.graphs` — samples (positions, features, target) and their collation into
  graph batches.

Generated data are cached under :func:`data_dir` (``$GROUPKIT_DATA_DIR`` overrides it;
``GROUPKIT_CACHE=0`` turns the cache off, as for the basis cache).
Malformed files raise :class:`DataFormatError`, naming the file and line.
"""

from ._io import DataFormatError, data_dir
from .graphs import GraphBatch, GraphCollate, GraphDataset, full_graph
from .modelnet import (PointClouds, random_rotations, read_modelnet_h5,
                       read_modelnet_resampled, synthetic_shapes)
from .nbody import (NBodySplit, charged_nbody, initial_conditions, load_egnn_nbody,
                    save_egnn_nbody, simulate_charged)
from .qm9 import Molecules, egnn_split, read_qm9_csv, read_qm9_xyz, split_indices

__all__ = ["DataFormatError", "data_dir", "NBodySplit", "charged_nbody", "initial_conditions",
           "load_egnn_nbody", "save_egnn_nbody", "simulate_charged", "Molecules",
           "read_qm9_csv", "read_qm9_xyz", "egnn_split", "split_indices", "PointClouds",
           "read_modelnet_resampled", "read_modelnet_h5", "synthetic_shapes",
           "random_rotations", "GraphDataset", "GraphCollate", "GraphBatch", "full_graph"]
