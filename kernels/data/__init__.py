"""Data sets for the seed paper's experiments: charged N-body dynamics, QM9, ModelNet-40.
"""

from ._io import DataFormatError, data_dir
from .nbody import (NBodySplit, charged_nbody, initial_conditions, load_egnn_nbody,
                    save_egnn_nbody, simulate_charged)

__all__ = ["DataFormatError", "data_dir", "NBodySplit", "charged_nbody", "initial_conditions",
           "load_egnn_nbody", "save_egnn_nbody", "simulate_charged"]
