"""QM9 readers (qm9pack CSV files, the release's .xyz files), units, split."""

import ast
import csv
import importlib.util
import tarfile

import numpy as np
import pytest

from kernels.data import DataFormatError
from kernels.data.qm9 import (HARTREE_MEV, QM9_SIZE, TARGETS, egnn_split, read_qm9_csv,
                              read_qm9_xyz, split_indices)

HEADER = ("XYZ_file,Index,SMILES,InChi,N_atoms,Stoichiometry,Elements,XYZ_Ang,Mulliken_pop,"
          "Harmonic_Freq_cmi,RotA_GHz,RotB_GHz,RotC_GHz,Dipole_debye,Polarizability_bohr3,"
          "HOMO_au,LUMO_au,HOMO_LUMO_gap_au,R2_bohr2,ZPVE_au,InternalEnergy_0K_au,"
          "InternalEnergy_298K_au,Enthalphy_298K_au,GibbsFreeEnergy_298K_au,"
          "Heatcapacity_Cv_cal_mol_K").split(",")
# (index, elements, xyz text as qm9pack writes it, the 15 release properties A..Cv)
MOLS = [
    (1, ["C", "H", "H", "H", "H"],
     "[[-0.0126981359,1.0858041578,0.0080009958],[0.002150416,-0.0060313176,0.0019761204],"
     "[1.0117308433,1.4637511618,0.0002765748],[-0.540815069,1.4475266138,-0.8766437152],"
     "[-0.5238136345,1.4379326443,0.9063972942]]",
     [157.7118, 157.70997, 157.70699, 0.0, 13.21, -0.3877, 0.1171, 0.5048, 35.3641, 0.044749,
      -40.47893, -40.476062, -40.475117, -40.498597, 6.469]),
    (2, ["N", "H", "H", "H"],  # numbers written "1." and "0." as in 5 real rows
     "[[-0.0404260543,1.0241077531,0.0625637998],[0.,0.0125452063,-0.0273771593],"
     "[0.9157893661,1.,-0.0287577581],[-0.5202777357,1.3435321258,-0.7755426124]]",
     [293.60975, 293.54111, 191.39397, 1.6256, 9.46, -0.257, 0.0829, 0.3399, 26.1563, 0.034358,
      -56.525887, -56.523026, -56.522082, -56.544961, 6.316]),
    (4, ["O", "H", "H"],
     "[[-0.0343604951,0.9775395708,0.0076015923],[0.0647664923,0.0205721989,0.0015346341],"
     "[0.8717903737,1.3007924048,0.0006931336]]",
     [799.58812, 437.90386, 282.94545, 1.8511, 6.31, -0.2928, 0.0687, 0.3615, 19.0002, 0.021375,
      -76.404702, -76.401867, -76.400922, -76.422349, 6.002]),
]


def _csv_row(index, elements, xyz, props):
    counts = [elements.count(e) for e in "HCNOF"]
    els = "[" + ",".join(f"'{e}'" for e in elements) + "]"
    return [f"dsgdb9nsd_{index:06d}.xyz", str(index), "C", "InChI=1S/x", str(len(elements)),
            "[" + ",".join(map(str, counts)) + "]", els, xyz, "[0]", "[1]"] + \
        [repr(v) for v in props]


def write_csv(path, mols=MOLS, *, header=HEADER, tweak=None):
    rows = [_csv_row(*m) for m in mols]
    if tweak:
        tweak(rows)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xyz(folder, mols=MOLS):
    folder.mkdir(exist_ok=True)
    for index, elements, xyz, props in mols:
        pos = ast.literal_eval(xyz)
        lines = [str(len(elements)),
                 "\t".join(["gdb", str(index)] + [repr(v) for v in props])]
        for e, (x, y, z) in zip(elements, pos):
            lines.append(f"{e}\t{x!r}\t{y!r}\t{z!r}\t-0.1*^-3")
        lines += ["100.0\t200.0", "C\tC", "InChI=1S/x\tInChI=1S/x"]
        (folder / f"dsgdb9nsd_{index:06d}.xyz").write_text("\n".join(lines) + "\n")
    return folder


def test_csv_reader_parses_positions_elements_and_targets(tmp_path):
    m = read_qm9_csv([write_csv(tmp_path / "a.csv")], cache=False)
    assert m.index.tolist() == [1, 2, 4] and m.n_atoms.tolist() == [5, 4, 3]
    Z, pos = m.molecule(1)
    assert Z.tolist() == [7, 1, 1, 1] and pos[1, 0] == 0.0 and pos[2, 1] == 1.0
    assert m.target("homo", units="release").tolist() == [-0.3877, -0.257, -0.2928]


def test_energies_in_mev_and_atom_references_subtracted(tmp_path):
    m = read_qm9_csv([write_csv(tmp_path / "a.csv")], cache=False)
    np.testing.assert_allclose(m.target("gap"), np.array([0.5048, 0.3399, 0.3615]) * 27211.386,
                               rtol=1e-7)
    # CH4: U0 − (U0(C) + 4 U0(H)) from the release's atomref table, in meV
    u0 = (-40.47893 - (-37.846772 + 4 * -0.500273)) * HARTREE_MEV
    assert m.target("U0")[0] == pytest.approx(u0, rel=1e-12)
    assert m.target("Cv")[2] == pytest.approx(6.002 - 3 * 2.981, rel=1e-12)
    assert m.target("mu").tolist() == [0.0, 1.6256, 1.8511]  # Debye, unchanged


def test_csv_and_xyz_readers_agree(tmp_path):
    a = read_qm9_csv([write_csv(tmp_path / "a.csv")], cache=False)
    b = read_qm9_xyz(write_xyz(tmp_path / "xyz"))
    np.testing.assert_array_equal(a.Z, b.Z)
    np.testing.assert_allclose(a.pos, b.pos, rtol=1e-15)
    np.testing.assert_allclose(a.targets, b.targets, rtol=1e-15)


def test_xyz_reader_reads_the_archive_and_skips_excluded(tmp_path):
    folder = write_xyz(tmp_path / "xyz")
    arch = tmp_path / "dsgdb9nsd.xyz.tar.bz2"
    with tarfile.open(arch, "w:bz2") as tar:
        for p in sorted(folder.iterdir()):
            tar.add(p, arcname=p.name)
    unchar = tmp_path / "uncharacterized.txt"
    unchar.write_text("header line\n   Index  x y\n       2  a b\n")
    m = read_qm9_xyz(arch, exclude=unchar)
    assert m.index.tolist() == [1, 4]


def _set(rows, r, col, value):
    rows[r][HEADER.index(col)] = value


@pytest.mark.parametrize("tweak, match, line", [
    (lambda rows: _set(rows, 1, "Elements", "['N','H','H','Cl']"), "unknown elements", 3),
    (lambda rows: _set(rows, 0, "XYZ_Ang", MOLS[0][2].replace("1.0858041578", "NaN")),
     "non-finite", 2),
    (lambda rows: _set(rows, 0, "XYZ_Ang", MOLS[0][2].replace("1.0858041578", "nan")),
     "unparsable", 2),
    (lambda rows: _set(rows, 2, "N_atoms", "4"), "N_atoms", 4),
    (lambda rows: _set(rows, 2, "HOMO_au", "abc"), "unparsable", 4),
    (lambda rows: rows[1].pop(), "fields", 3),
])
def test_csv_reader_rejects_bad_rows_naming_file_and_line(tmp_path, tweak, match, line):
    path = write_csv(tmp_path / "bad.csv", tweak=tweak)
    with pytest.raises(DataFormatError, match=match) as err:
        read_qm9_csv([path], cache=False)
    assert err.value.line == line and "bad.csv" in str(err.value)


def test_csv_reader_rejects_a_truncated_file(tmp_path):
    path = write_csv(tmp_path / "cut.csv")
    text = path.read_text()
    path.write_text(text[: len(text) - 60])  # cut inside the last row
    with pytest.raises(DataFormatError, match="cut.csv, line 4"):
        read_qm9_csv([path], cache=False)


def test_csv_reader_rejects_missing_columns(tmp_path):
    path = write_csv(tmp_path / "cols.csv", header=[h.replace("HOMO_au", "HOMO") for h in HEADER])
    with pytest.raises(DataFormatError, match=r"line 1: missing columns \['HOMO_au'\]"):
        read_qm9_csv([path], cache=False)


def test_duplicate_molecules_are_rejected(tmp_path):
    with pytest.raises(DataFormatError, match="index 1 appears more than once"):
        read_qm9_csv([write_csv(tmp_path / "a.csv"), write_csv(tmp_path / "b.csv")],
                     cache=False)


@pytest.mark.parametrize("damage, match", [
    (lambda t: t.replace("\nC\t", "\nCl\t", 1), "unknown element"),
    (lambda t: "\n".join(t.splitlines()[:4]), "truncated"),
    (lambda t: t.replace("0.0080009958", "NaN"), "non-finite"),
])
def test_xyz_reader_rejects_malformed_files(tmp_path, damage, match):
    folder = write_xyz(tmp_path / "xyz")
    p = folder / "dsgdb9nsd_000001.xyz"
    p.write_text(damage(p.read_text()))
    with pytest.raises(DataFormatError, match=match) as err:
        read_qm9_xyz(folder)
    assert "dsgdb9nsd_000001.xyz" in str(err.value)


def test_csv_cache_returns_the_same_molecules(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPKIT_DATA_DIR", str(tmp_path / "cache"))
    path = write_csv(tmp_path / "a.csv")
    first, second = read_qm9_csv([path]), read_qm9_csv([path])
    assert list((tmp_path / "cache").glob("qm9-*.npz"))
    np.testing.assert_array_equal(first.pos, second.pos)


def test_egnn_split_sizes_and_disjointness():
    s = split_indices(QM9_SIZE)
    assert [len(s[k]) for k in ("train", "valid", "test")] == [100_000, 17_748, 13_083]
    assert np.array_equal(np.sort(np.concatenate(list(s.values()))), np.arange(QM9_SIZE))


def test_egnn_split_needs_the_standard_set(tmp_path):
    m = read_qm9_csv([write_csv(tmp_path / "a.csv")], cache=False)
    with pytest.raises(ValueError, match="130,831"):
        egnn_split(m)


def test_targets_are_the_twelve_standard_ones():
    assert list(TARGETS) == ["mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H",
                             "G", "Cv"]


@pytest.mark.skipif(importlib.util.find_spec("qm9pack") is None, reason="needs qm9pack")
def test_the_first_rows_of_the_qm9pack_files_parse(tmp_path):
    from kernels.data.qm9 import qm9pack_files
    head = tmp_path / "head.csv"
    with open(qm9pack_files()[0]) as f:
        head.write_text("".join(next(f) for _ in range(201)))
    m = read_qm9_csv([head], cache=False)
    assert len(m) == 200 and m.index[0] == 1 and set(np.unique(m.Z)) <= {1, 6, 7, 8, 9}


def test_egnn_features_are_one_hot_times_charge_powers(tmp_path):
    m = read_qm9_csv([write_csv(tmp_path / "a.csv")], cache=False)
    f = m.egnn_features(2)
    assert f.shape == (12, 15)
    # atom 0 is carbon (type 1, Z = 6): columns 3, 4, 5 hold 1, 6/9, (6/9)²
    np.testing.assert_allclose(f[0], np.eye(15)[3] + 6 / 9 * np.eye(15)[4]
                               + (6 / 9) ** 2 * np.eye(15)[5], rtol=1e-15)
