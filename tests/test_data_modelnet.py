"""ModelNet-40 readers (resampled text files, HDF5 shards) and the generated stand-in."""

import numpy as np
import pytest

from kernels.data import DataFormatError
from kernels.data.modelnet import (read_modelnet_h5, read_modelnet_resampled, random_rotations,
                                   synthetic_shapes)

CLASSES = ["airplane", "night_stand"]
SHAPES = {"train": ["airplane_0001", "night_stand_0001", "night_stand_0002"],
          "test": ["airplane_0002"]}


def write_resampled(root, n=12, seed=0):
    g = np.random.default_rng(seed)
    root.mkdir(exist_ok=True)
    (root / "modelnet40_shape_names.txt").write_text("\n".join(CLASSES) + "\n")
    for split, shapes in SHAPES.items():
        (root / f"modelnet40_{split}.txt").write_text("\n".join(shapes) + "\n")
        for s in shapes:
            cls = s.rsplit("_", 1)[0]
            (root / cls).mkdir(exist_ok=True)
            rows = g.standard_normal((n, 6))
            (root / cls / f"{s}.txt").write_text(
                "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows) + "\n")
    return root


def test_resampled_reader_reads_points_normals_and_labels(tmp_path):
    root = write_resampled(tmp_path / "mn")
    pc = read_modelnet_resampled(root, "train", n_points=10)
    assert pc.points.shape == pc.normals.shape == (3, 10, 3)
    assert pc.labels.tolist() == [0, 1, 1] and pc.classes == tuple(CLASSES)
    first = np.loadtxt(root / "airplane" / "airplane_0001.txt", delimiter=",")[:10]
    np.testing.assert_array_equal(pc.points[0], first[:, :3])


@pytest.mark.parametrize("damage, match, line", [
    (lambda t: t.replace(",", ";", 1), "6 comma-separated", 1),
    (lambda t: "\n".join(t.splitlines()[:5]), "truncated", 6),
    (lambda t: t.split("\n", 2)[0] + "\nnan,0,0,0,0,1\n" + t.split("\n", 2)[2], "non-finite", 2),
    (lambda t: t.replace(",", ",x", 1), "unparsable", 1),
])
def test_resampled_reader_rejects_malformed_files(tmp_path, damage, match, line):
    root = write_resampled(tmp_path / "mn")
    p = root / "night_stand" / "night_stand_0002.txt"
    p.write_text(damage(p.read_text()))
    with pytest.raises(DataFormatError, match=match) as err:
        read_modelnet_resampled(root, "train", n_points=10)
    assert err.value.line == line and "night_stand_0002.txt" in str(err.value)


def test_resampled_reader_rejects_unknown_classes(tmp_path):
    root = write_resampled(tmp_path / "mn")
    (root / "modelnet40_test.txt").write_text("airplane_0002\nsofa_0001\n")
    with pytest.raises(DataFormatError, match="modelnet40_test.txt, line 2: .*'sofa'"):
        read_modelnet_resampled(root, "test", n_points=10)


def _write_h5(root, data, label, name="ply_data_train0.h5"):
    h5py = pytest.importorskip("h5py")
    root.mkdir(exist_ok=True)
    (root / "shape_names.txt").write_text("\n".join(CLASSES) + "\n")
    with h5py.File(root / name, "w") as f:
        f["data"], f["label"] = data, label


def test_h5_reader_reads_shards_in_order(tmp_path):
    g = np.random.default_rng(1)
    a, b = g.standard_normal((3, 16, 3)), g.standard_normal((2, 16, 3))
    _write_h5(tmp_path, a.astype(np.float32), np.array([[0], [1], [1]], np.uint8))
    _write_h5(tmp_path, b.astype(np.float32), np.array([[1], [0]], np.uint8),
              "ply_data_train1.h5")
    pc = read_modelnet_h5(tmp_path, "train")
    assert pc.points.shape == (5, 16, 3) and pc.labels.tolist() == [0, 1, 1, 1, 0]
    assert pc.normals is None
    np.testing.assert_array_equal(pc.points[3:], b.astype(np.float32))


def test_h5_reader_warns_when_only_some_shards_have_normals(tmp_path):
    h5py = pytest.importorskip("h5py")
    g = np.random.default_rng(2)
    a, b = g.standard_normal((2, 8, 3)), g.standard_normal((2, 8, 3))
    _write_h5(tmp_path, a, np.array([[0], [1]], np.uint8))
    _write_h5(tmp_path, b, np.array([[1], [0]], np.uint8), "ply_data_train1.h5")
    with h5py.File(tmp_path / "ply_data_train0.h5", "a") as f:
        f["normal"] = a / np.linalg.norm(a, axis=-1, keepdims=True)
    with pytest.warns(UserWarning, match="ply_data_train1.h5 have no 'normal'"):
        pc = read_modelnet_h5(tmp_path, "train")
    assert pc.normals is None and pc.points.shape == (4, 8, 3)


@pytest.mark.parametrize("data, label, match", [
    (np.zeros((2, 16, 2)), np.zeros((2, 1)), "data"),
    (np.full((2, 16, 3), np.nan), np.zeros((2, 1)), "non-finite"),
    (np.zeros((2, 16, 3)), np.array([[0], [5]]), "label 5"),
    (np.zeros((2, 16, 3)), np.zeros((3, 1)), "3 labels"),
])
def test_h5_reader_rejects_malformed_shards(tmp_path, data, label, match):
    _write_h5(tmp_path, data, label)
    with pytest.raises(DataFormatError, match=match) as err:
        read_modelnet_h5(tmp_path, "train")
    assert "ply_data_train0.h5" in str(err.value)


@pytest.mark.parametrize("kind, det", [("so3", 1.0), ("z", 1.0), ("none", 1.0)])
def test_random_rotations_are_rotations(kind, det):
    R = random_rotations(20, kind, rng=0)
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape),
                               atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), det, atol=1e-12)
    if kind == "z":
        np.testing.assert_allclose(R[:, 2], np.broadcast_to([0, 0, 1.0], (20, 3)), atol=1e-15)


def test_o3_rotations_include_reflections():
    d = np.linalg.det(random_rotations(200, "o3", rng=1))
    assert 50 < (d < 0).sum() < 150 and np.allclose(np.abs(d), 1)


def test_synthetic_stand_in_has_at_least_ten_labelled_classes():
    pytest.importorskip("trimesh")
    pc = synthetic_shapes(2, n_points=128, rng=0)
    assert len(pc.classes) >= 10 and len(pc) == 2 * len(pc.classes)
    assert np.bincount(pc.labels).tolist() == [2] * len(pc.classes)
    np.testing.assert_allclose(np.linalg.norm(pc.points, axis=2).max(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(pc.normals, axis=2), 1.0, rtol=1e-6)


def test_synthetic_rotation_moves_shapes_rigidly():
    pytest.importorskip("trimesh")
    a = synthetic_shapes(1, n_points=64, rng=3)
    b = synthetic_shapes(1, n_points=64, rng=3, rotation="so3")
    assert np.abs(a.points - b.points).max() > 0.1
    da = np.linalg.norm(a.points[:, :, None] - a.points[:, None], axis=-1)
    db = np.linalg.norm(b.points[:, :, None] - b.points[:, None], axis=-1)
    np.testing.assert_allclose(da, db, atol=1e-12)
