"""QM9 (Ramakrishnan et al. 2014): 130,831 small organic molecules (H, C, N, O, F; ≤ 29 atoms)
with B3LYP/6-31G(2df,p) geometries and properties — the set EGNN and the seed paper split.

Two sources, one :class:`Molecules` value:

* :func:`read_qm9_csv` — the CSV files shipped inside the ``qm9pack`` wheel
  (``pip install 'groupkit[qm9]'``; its own loader needs ``pkg_resources``, so the files are
  read directly). Columns used: ``Index``, ``N_atoms``, ``Stoichiometry``, ``Elements`` (a
  Python list literal with single quotes), ``XYZ_Ang`` (a nested list; 5 rows write numbers as
  ``1.``, so it is parsed as a Python literal, not JSON) and the 12 target columns.
  Parsed once (about a minute), then read from the data cache.
* :func:`read_qm9_xyz` — the original release's ``dsgdb9nsd_NNNNNN.xyz`` files, from a folder or
  the ``dsgdb9nsd.xyz.tar.bz2`` archive, optionally without the molecules listed in
  ``uncharacterized.txt`` (the 3,054 that fail the consistency check).

Targets (``TARGETS``) are stored in the release's units: μ (D), α (bohr³), HOMO, LUMO, gap,
ZPVE, U₀, U, H, G (Hartree), ⟨R²⟩ (bohr²), C_v (cal/(mol K)). :meth:`Molecules.target` returns
them in the units papers quote (energies in meV, 1 Ha = 27,211.386 meV, CODATA 2018) and, as
EGNN does by default, with the atoms' reference values (``ATOM_REF``, from the release's
``atomref.txt``) subtracted from ZPVE, U₀, U, H, G and C_v.

:func:`egnn_split` is EGNN's split (from Cormorant): permute the 130,831 molecules, ordered by
index, with ``np.random.RandomState(0).permutation``; the first 100,000 train, the next
17,748 validate, the last 13,083 (= int(0.1·130,831)) test.

>>> split_indices(10, n_train=6)["test"].tolist()   # int(0.1·10) = 1 test molecule
[5]
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import math
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import DataFormatError, cache_file, load_arrays, log, params_digest, save_arrays

__all__ = ["Molecules", "TARGETS", "UNITS", "ATOM_REF", "HARTREE_MEV", "ELEMENTS",
           "read_qm9_csv", "read_qm9_xyz", "qm9pack_files", "egnn_split", "split_indices",
           "QM9_SIZE"]

HARTREE_MEV = 27211.386245988  #: 1 Hartree in meV (CODATA 2018)
ELEMENTS = ("H", "C", "N", "O", "F")  #: QM9's elements, in the order of its stoichiometry
_Z = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}
QM9_SIZE = 130831  #: molecules in the standard set (133,885 less 3,054 uncharacterized)

#: name → (qm9pack CSV column, release unit); the order of the release's property line
TARGETS = {
    "mu": ("Dipole_debye", "D"), "alpha": ("Polarizability_bohr3", "bohr^3"),
    "homo": ("HOMO_au", "Ha"), "lumo": ("LUMO_au", "Ha"), "gap": ("HOMO_LUMO_gap_au", "Ha"),
    "r2": ("R2_bohr2", "bohr^2"), "zpve": ("ZPVE_au", "Ha"), "U0": ("InternalEnergy_0K_au", "Ha"),
    "U": ("InternalEnergy_298K_au", "Ha"), "H": ("Enthalphy_298K_au", "Ha"),
    "G": ("GibbsFreeEnergy_298K_au", "Ha"), "Cv": ("Heatcapacity_Cv_cal_mol_K", "cal/(mol K)"),
}
#: units :meth:`Molecules.target` returns (as in EGNN's and the seed paper's tables)
UNITS = {k: ("meV" if u == "Ha" else u) for k, (_, u) in TARGETS.items()}
#: per-atom reference values (zpve, U0, U, H, G in Ha; Cv in cal/(mol K)), release's atomref.txt
ATOM_REF = {
    "zpve": dict.fromkeys(ELEMENTS, 0.0),
    "U0": {"H": -0.500273, "C": -37.846772, "N": -54.583861, "O": -75.064579, "F": -99.718730},
    "U": {"H": -0.498857, "C": -37.845355, "N": -54.582445, "O": -75.063163, "F": -99.717314},
    "H": {"H": -0.497912, "C": -37.844411, "N": -54.581501, "O": -75.062219, "F": -99.716370},
    "G": {"H": -0.510927, "C": -37.861317, "N": -54.598897, "O": -75.079532, "F": -99.733544},
    "Cv": dict.fromkeys(ELEMENTS, 2.981),
}
_NAMES = tuple(TARGETS)


@dataclass(frozen=True, eq=False)
class Molecules:
    """Molecules as flat arrays: ``index`` (M,) QM9 ids, ``n_atoms`` (M,), ``Z`` (A,) atomic
    numbers and ``pos`` (A, 3) Å of all atoms in order, ``targets`` (M, 12) in release units
    (columns as ``TARGETS``). Molecule i's atoms are ``offsets[i]:offsets[i+1]``.
    """

    index: np.ndarray
    n_atoms: np.ndarray
    Z: np.ndarray
    pos: np.ndarray
    targets: np.ndarray

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.n_atoms)])

    def __len__(self) -> int:
        return len(self.index)

    def molecule(self, i: int):
        """(Z (n,), positions (n, 3) Å) of molecule i."""
        o = self.offsets
        return self.Z[o[i]:o[i + 1]], self.pos[o[i]:o[i + 1]]

    def one_hot(self) -> np.ndarray:
        """(A, 5) one-hot atom types in the order H, C, N, O, F."""
        return (self.Z[:, None] == np.array([_Z[e] for e in ELEMENTS])).astype(np.float64)

    def egnn_features(self, charge_power: int = 2) -> np.ndarray:
        """EGNN's atom features (A, 5·(charge_power+1)): column t·(charge_power+1) + k is
        one_hot[t] · (Z/9)^k, k = 0..charge_power (15 columns for EGNN's charge_power 2)."""
        powers = (self.Z[:, None] / 9.0) ** np.arange(charge_power + 1)
        return (self.one_hot()[:, :, None] * powers[:, None, :]).reshape(len(self.Z), -1)

    def target(self, name: str, *, units: str = "paper", thermo: bool = True) -> np.ndarray:
        """Target ``name`` (M,). ``units="paper"``: energies in meV (``UNITS``), "release":
        as stored. ``thermo``: subtract the atoms' reference values (zpve, U0, U, H, G, Cv)."""
        if name not in TARGETS:
            raise KeyError(f"unknown QM9 target {name!r}; choose from {list(TARGETS)}.")
        if units not in ("paper", "release"):
            raise ValueError(f"units must be 'paper' or 'release'; got {units!r}.")
        y = self.targets[:, _NAMES.index(name)].copy()
        if thermo and name in ATOM_REF:
            per_atom = np.zeros(10)
            for e, v in ATOM_REF[name].items():
                per_atom[_Z[e]] = v
            y -= np.add.reduceat(per_atom[self.Z], self.offsets[:-1]) if len(self) else 0.0
        if units == "paper" and TARGETS[name][1] == "Ha":
            y *= HARTREE_MEV
        return y

    def subset(self, idx) -> Molecules:
        """The molecules at positions ``idx`` (in that order)."""
        idx = np.asarray(idx, dtype=np.int64)
        o = self.offsets
        atoms = np.concatenate([np.arange(o[i], o[i + 1]) for i in idx]) if len(idx) else \
            np.zeros(0, dtype=np.int64)
        return Molecules(self.index[idx], self.n_atoms[idx], self.Z[atoms], self.pos[atoms],
                         self.targets[idx])

    def sorted(self) -> Molecules:
        return self.subset(np.argsort(self.index, kind="stable"))


def split_indices(n: int, *, n_train: int = 100_000, seed: int = 0) -> dict[str, np.ndarray]:
    """EGNN's split of n molecules (positions 0..n−1): test int(0.1 n), validation the rest."""
    n_test = int(0.1 * n)
    n_valid = n - n_train - n_test
    if n_valid < 0:
        raise ValueError(f"{n} molecules cannot hold {n_train} training and {n_test} test ones.")
    perm = np.random.RandomState(seed).permutation(n)
    return {"train": perm[:n_train], "valid": perm[n_train:n_train + n_valid],
            "test": perm[n_train + n_valid:]}


def egnn_split(mols: Molecules) -> dict[str, Molecules]:
    """EGNN's train/valid/test split of the standard set (100,000 / 17,748 / 13,083)."""
    if len(mols) != QM9_SIZE:
        raise ValueError(f"EGNN's split is defined on the {QM9_SIZE:,} molecules of the "
                         f"standard set; got {len(mols):,}. Use split_indices(n, n_train=…) "
                         f"for another set.")
    mols = mols.sorted()
    return {k: mols.subset(v) for k, v in split_indices(QM9_SIZE).items()}


# ---------------------------------------------------------------- qm9pack CSV files
def qm9pack_files() -> list[Path]:
    """The three molecule CSV files inside the installed ``qm9pack`` wheel."""
    spec = importlib.util.find_spec("qm9pack")  # locate without importing (it needs setuptools)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("QM9 from CSV needs the qm9pack wheel: "
                                  "pip install 'groupkit[qm9]' (or pip install qm9pack).")
    d = Path(next(iter(spec.submodule_search_locations))) / "data"
    files = [d / f"qm9_part{k}.csv" for k in (1, 2, 3)]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(f"qm9pack is installed but lacks {missing}.")
    return files


_CSV_COLUMNS = ("Index", "N_atoms", "Stoichiometry", "Elements", "XYZ_Ang") + \
    tuple(c for c, _ in TARGETS.values())


def _literal(text: str):
    try:
        return json.loads(text)  # fast path; JSON lists of numbers are Python literals too
    except ValueError:
        return ast.literal_eval(text)


def _csv_rows(path: Path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise DataFormatError("empty file", path=path) from None
        missing = [c for c in _CSV_COLUMNS if c not in header]
        if missing:
            raise DataFormatError(f"missing columns {missing}", path=path, line=1)
        col = {c: header.index(c) for c in _CSV_COLUMNS}
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise DataFormatError(f"malformed CSV ({e})", path=path,
                                      line=reader.line_num) from None
            if len(row) != len(header):
                raise DataFormatError(f"{len(row)} fields, the header has {len(header)} "
                                      f"(truncated file?)", path=path, line=reader.line_num)
            yield reader.line_num, {c: row[i] for c, i in col.items()}


def _parse_csv_row(r: dict, path, line):
    def bad(msg):
        return DataFormatError(msg, path=path, line=line)
    try:
        index, n = int(r["Index"]), int(r["N_atoms"])
        elements = ast.literal_eval(r["Elements"])
        xyz = _literal(r["XYZ_Ang"])
        stoich = _literal(r["Stoichiometry"])
        y = [float(r[c]) for c, _ in TARGETS.values()]
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise bad(f"unparsable field ({type(e).__name__}: {e})") from None
    unknown = sorted({e for e in elements if e not in _Z}, key=str) \
        if isinstance(elements, list) else None
    if unknown:
        raise bad(f"unknown elements {unknown} (QM9 holds {', '.join(ELEMENTS)})")
    try:
        pos = np.asarray(xyz, dtype=np.float64)
    except (ValueError, TypeError):
        raise bad("XYZ_Ang is not a list of [x, y, z] triples") from None
    if not isinstance(elements, list) or pos.shape != (n, 3) or len(elements) != n:
        raise bad(f"N_atoms = {n} but Elements has {len(elements)} entries and XYZ_Ang shape "
                  f"{pos.shape}")
    if not np.isfinite(pos).all():
        raise bad("non-finite coordinates")
    if not all(math.isfinite(v) for v in y):
        raise bad("non-finite target value")
    counts = [elements.count(e) for e in ELEMENTS]
    if stoich != counts:
        raise bad(f"Stoichiometry {stoich} disagrees with Elements (counts {counts})")
    return index, np.array([_Z[e] for e in elements], dtype=np.int8), pos, y


def _assemble(rows) -> Molecules:
    if not rows:
        return Molecules(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8),
                         np.zeros((0, 3)), np.zeros((0, len(TARGETS))))
    index, Z, pos, y = zip(*rows)
    return Molecules(np.array(index, dtype=np.int64), np.array([len(z) for z in Z]),
                     np.concatenate(Z), np.concatenate(pos), np.array(y, dtype=np.float64))


def _check_unique(mols: Molecules, where: str) -> Molecules:
    ids, counts = np.unique(mols.index, return_counts=True)
    if (counts > 1).any():
        raise DataFormatError(f"molecule index {int(ids[counts > 1][0])} appears more than "
                              f"once", path=where)
    return mols.sorted()


def read_qm9_csv(paths: Iterable | None = None, *, cache: bool = True) -> Molecules:
    """Molecules from qm9pack-format CSV files (default: :func:`qm9pack_files`), sorted by
    index; cached (keyed by the files' names, sizes and times) after the first read."""
    paths = [Path(p) for p in (qm9pack_files() if paths is None else paths)]
    key = params_digest({"kind": "qm9-csv", "v": 1, "files": [
        (str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in paths]})
    cached = cache_file(f"qm9-{key}.npz")
    if cache and (a := load_arrays(cached)) is not None:
        return Molecules(**a)
    rows = []
    for p in paths:
        for line, r in _csv_rows(p):
            rows.append(_parse_csv_row(r, p, line))
    mols = _check_unique(_assemble(rows), ", ".join(map(str, paths)))
    log.info("read %d QM9 molecules from %d CSV files", len(mols), len(paths))
    if cache:
        save_arrays(cached, {k: getattr(mols, k) for k in
                             ("index", "n_atoms", "Z", "pos", "targets")})
    return mols


# ---------------------------------------------------------------- original .xyz release
_XYZ_NAME = re.compile(r"dsgdb9nsd_(\d+)\.xyz$")


def _xyz_float(s: str) -> float:
    return float(s.replace("*^", "e"))  # the release writes Mathematica exponents, 1.2*^-6


def _parse_xyz(text: str, where: str):
    lines = text.splitlines()

    def bad(msg, line):
        return DataFormatError(msg, path=where, line=line)
    try:
        n = int(lines[0].strip())
    except (IndexError, ValueError):
        raise bad("first line must be the number of atoms", 1) from None
    if len(lines) < n + 5:
        raise bad(f"{len(lines)} lines; {n} atoms need {n + 5} (truncated file?)", len(lines))
    props = lines[1].split()
    if len(props) != 17 or props[0] != "gdb":
        raise bad(f"property line must be 'gdb', the index and 15 numbers; got {len(props)} "
                  f"fields", 2)
    try:
        index = int(props[1])
        vals = [_xyz_float(v) for v in props[2:]]
    except ValueError:
        raise bad("unparsable property", 2) from None
    # props: A B C mu alpha homo lumo gap r2 zpve U0 U H G Cv → the 12 targets
    y = vals[3:]
    Z, pos = [], []
    for k in range(n):
        f = lines[2 + k].split()
        if len(f) != 5:
            raise bad(f"atom line needs element, x, y, z, charge; got {len(f)} fields", 3 + k)
        if f[0] not in _Z:
            raise bad(f"unknown element {f[0]!r} (QM9 holds {', '.join(ELEMENTS)})", 3 + k)
        try:
            xyz = [_xyz_float(v) for v in f[1:4]]
        except ValueError:
            raise bad("unparsable coordinate", 3 + k) from None
        if not all(math.isfinite(v) for v in xyz):
            raise bad("non-finite coordinate", 3 + k)
        Z.append(_Z[f[0]])
        pos.append(xyz)
    if not all(math.isfinite(v) for v in y):
        raise bad("non-finite target value", 2)
    return index, np.array(Z, dtype=np.int8), np.array(pos).reshape(n, 3), y


def _excluded(exclude) -> set[int]:
    if exclude is None:
        return set()
    if isinstance(exclude, (str, Path)):
        out = set()
        with open(exclude) as f:  # uncharacterized.txt: a header, then "index ..." rows
            for line in f:
                tok = line.split()
                if tok and tok[0].isdigit():
                    out.add(int(tok[0]))
        return out
    return {int(i) for i in exclude}


def read_qm9_xyz(path, *, exclude=None, limit: int | None = None) -> Molecules:
    """Molecules from the release's ``dsgdb9nsd_*.xyz`` files in folder ``path`` or in the
    archive ``dsgdb9nsd.xyz.tar.bz2``; ``exclude``: ``uncharacterized.txt`` or indices to
    skip; ``limit``: read only the first that many files (by name)."""
    path = Path(path)
    skip = _excluded(exclude)
    rows = []
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if _XYZ_NAME.search(p.name))
        if not files:
            raise FileNotFoundError(f"{path}: no dsgdb9nsd_*.xyz files.")
        for p in files[:limit]:
            if int(_XYZ_NAME.search(p.name).group(1)) not in skip:
                rows.append(_parse_xyz(p.read_text(), str(p)))
    elif path.is_file():
        try:  # streamed in archive order: the bz2 archive is never held in memory whole
            with tarfile.open(path, mode="r|*") as tar:
                taken = 0
                for m in tar:
                    hit = _XYZ_NAME.search(m.name)
                    if not hit or not m.isfile():
                        continue
                    if limit is not None and taken >= limit:
                        break
                    taken += 1
                    if int(hit.group(1)) not in skip:
                        text = tar.extractfile(m).read().decode()
                        rows.append(_parse_xyz(text, f"{path}:{m.name}"))
        except tarfile.TarError as e:
            raise DataFormatError(f"not a readable tar archive ({e})", path=path) from None
    else:
        raise FileNotFoundError(f"{path}: no such folder or archive.")
    return _check_unique(_assemble(rows), str(path))
