"""groupkit: equivariant linear maps, MLPs and steerable kernels for arbitrary matrix groups.

Core (numpy, scipy, sympy only): groups, representations, the equivariant-basis solver, exact
solving, caches and the equivariance checker. ``groupkit.nn`` (PyTorch) is imported on demand.
"""

from .basis import EquivariantBasis
from .cache import cache_info, clear_caches, clear_disk_cache
from .catalogue import (
    C, D, GL, O, S, SL, SO, SO13, SU, U, Z, FullIcosahedral, FullOctahedral, FullTetrahedral,
    Icosahedral, Lorentz, Octahedral, RubiksCube, SO13p, Sp, Tetrahedral, Trivial,
    from_permutations, from_sympy,
)
from ._numeric import AmbiguousRankWarning, SolverError
from .groups import DirectProduct, Group, GroupError
from .reps import Alt, Rep, RepError, Scalar, Sym, T, UserRep, V, dual, direct_sum, hom, tensor
from .solver import equivariant_basis, equivariant_projector, solve
from .finite import A, PSL, Q8, Character, CharacterTable, character, characters, inner
from .clebsch import clebsch_gordan, coupling
from .interop import from_emlp, to_emlp
from .decompose import (
    Decomposition, DecompositionError, Irrep, NotCompletelyReducibleWarning, commutant, decompose,
)

from ._version import __version__

__all__ = [
    "__version__",
    "Group", "DirectProduct", "GroupError",
    "SO", "O", "SL", "GL", "SU", "U", "Sp", "Lorentz", "SO13p", "SO13", "S", "Z", "C", "D",
    "Trivial", "Tetrahedral", "Octahedral", "Icosahedral", "FullTetrahedral", "FullOctahedral",
    "FullIcosahedral", "RubiksCube", "from_permutations", "from_sympy",
    "Rep", "RepError", "V", "Scalar", "T", "Sym", "Alt", "UserRep",
    "direct_sum", "tensor", "dual", "hom",
    "solve", "equivariant_basis", "equivariant_projector", "EquivariantBasis",
    "SolverError", "AmbiguousRankWarning",
    "clear_caches", "clear_disk_cache", "cache_info",
    "A", "Q8", "PSL", "characters", "CharacterTable", "character", "Character", "inner",
    "clebsch_gordan", "coupling", "from_emlp", "to_emlp",
    "decompose", "Decomposition", "DecompositionError", "Irrep", "commutant",
    "NotCompletelyReducibleWarning",
]
