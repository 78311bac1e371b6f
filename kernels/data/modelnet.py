"""ModelNet-40 point clouds: the two standard file formats, and a generated stand-in.

* :func:`read_modelnet_resampled` — ``modelnet40_normal_resampled``: ``<class>/<id>.txt``
  with one ``x,y,z,nx,ny,nz`` line per point (10,000 per shape), the class list
  ``modelnet40_shape_names.txt`` and the split lists ``modelnet40_{train,test}.txt`` (one shape
  id such as ``night_stand_0012`` a line).
* :func:`read_modelnet_h5` — ``modelnet40_ply_hdf5_2048``: shards ``ply_data_{train,test}*.h5``
  with ``data`` (N, 2048, 3) and ``label`` (N, 1) (and ``normal`` when present), class names in
  ``shape_names.txt``. Needs ``h5py``.
* :func:`synthetic_shapes` — the stand-in used here (the real files are not reachable): 12
  classes of solids built with ``trimesh`` with random proportions, points sampled uniformly on
  their surfaces with normals, centred and scaled into the unit ball; optionally rotated
  (about z, in SO(3) or O(3)) — the rotated test sets of the seed paper's experiment.

All return :class:`PointClouds`. Malformed files raise :class:`DataFormatError` naming the file
and line; nothing is skipped silently.

>>> import pytest; _ = pytest.importorskip("trimesh")
>>> pc = synthetic_shapes(2, n_points=64, rng=0, rotation="so3")
>>> pc.points.shape, len(pc.classes), pc.labels[:4].tolist()
((24, 64, 3), 12, [0, 0, 1, 1])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import DataFormatError

__all__ = ["PointClouds", "read_modelnet_resampled", "read_modelnet_h5", "synthetic_shapes",
           "random_rotations", "SYNTHETIC_CLASSES"]


@dataclass(frozen=True, eq=False)
class PointClouds:
    """``points`` (S, P, 3), ``normals`` (S, P, 3) or None, ``labels`` (S,) int64 indices into
    ``classes`` (the class names)."""

    points: np.ndarray
    normals: np.ndarray | None
    labels: np.ndarray
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def features(self) -> np.ndarray:
        """Per-point input features (S, P, F): the normals, or (S, P, 0) without them."""
        if self.normals is None:
            return np.zeros(self.points.shape[:2] + (0,))
        return self.normals


# ----------------------------------------------------------- modelnet40_normal_resampled
def _names(path: Path) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing.")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _read_points(path: Path, n_points: int | None, ncols: int = 6) -> np.ndarray:
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing (listed in the split file).")
    rows = []
    with open(path) as f:
        for k, line in enumerate(f, start=1):
            if n_points is not None and len(rows) == n_points:
                break
            fields = line.strip().split(",")
            if len(fields) != ncols:
                raise DataFormatError(f"expected {ncols} comma-separated values "
                                      f"(x,y,z,nx,ny,nz); got {len(fields)}", path=path, line=k)
            try:
                row = [float(v) for v in fields]
            except ValueError:
                raise DataFormatError("unparsable number", path=path, line=k) from None
            if not np.isfinite(row).all():
                raise DataFormatError("non-finite value", path=path, line=k)
            rows.append(row)
    if n_points is not None and len(rows) < n_points:
        raise DataFormatError(f"{len(rows)} points, fewer than the {n_points} requested "
                              f"(truncated file?)", path=path, line=len(rows) + 1)
    return np.array(rows, dtype=np.float64).reshape(-1, ncols)


def read_modelnet_resampled(root, split: str = "train", *, n_points: int | None = 1024,
                            num_classes: int = 40) -> PointClouds:
    """Read ``split`` of ``modelnet40_normal_resampled`` at ``root``; the first ``n_points``
    points of each shape (None: all, which must then agree across shapes)."""
    root = Path(root)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    classes = _names(root / f"modelnet{num_classes}_shape_names.txt")
    index = {c: k for k, c in enumerate(classes)}
    list_path = root / f"modelnet{num_classes}_{split}.txt"
    points, labels = [], []
    for line_no, shape in enumerate(_names(list_path), start=1):
        cls = shape.rsplit("_", 1)[0]
        if cls not in index:
            raise DataFormatError(f"shape {shape!r} has unknown class {cls!r}", path=list_path,
                                  line=line_no)
        points.append(_read_points(root / cls / f"{shape}.txt", n_points))
        labels.append(index[cls])
    if len({len(p) for p in points}) > 1:
        raise DataFormatError("shapes have different numbers of points; pass n_points",
                              path=list_path)
    arr = np.stack(points) if points else np.zeros((0, n_points or 0, 6))
    return PointClouds(arr[..., :3], arr[..., 3:], np.array(labels, dtype=np.int64),
                       tuple(classes))


# ----------------------------------------------------------- modelnet40_ply_hdf5_2048
def read_modelnet_h5(root, split: str = "train") -> PointClouds:
    """Read the shards ``ply_data_{split}*.h5`` at ``root`` (in name order)."""
    try:
        import h5py
    except ImportError:
        raise ModuleNotFoundError("reading ModelNet's HDF5 shards needs h5py: "
                                  "pip install h5py (or 'groupkit[modelnet]').") from None
    root = Path(root)
    shards = sorted(root.glob(f"ply_data_{split}*.h5"))
    if not shards:
        raise FileNotFoundError(f"{root}: no ply_data_{split}*.h5 shards.")
    classes = _names(root / "shape_names.txt")
    pts, nrm, lab = [], [], []
    for p in shards:
        try:
            with h5py.File(p, "r") as f:
                if "data" not in f or "label" not in f:
                    raise DataFormatError(f"needs datasets 'data' and 'label'; has {list(f)}",
                                          path=p)
                data, label = np.asarray(f["data"]), np.asarray(f["label"])
                normal = np.asarray(f["normal"]) if "normal" in f else None
        except OSError as e:
            raise DataFormatError(f"not a readable HDF5 file ({e})", path=p) from None
        if data.ndim != 3 or data.shape[2] != 3:
            raise DataFormatError(f"'data' must be (N, points, 3); got {data.shape}", path=p)
        label = label.reshape(-1)
        if len(label) != len(data):
            raise DataFormatError(f"{len(label)} labels for {len(data)} shapes", path=p)
        bad = ~np.isfinite(data).all(axis=(1, 2))
        if bad.any():
            raise DataFormatError(f"non-finite coordinates in shape {int(np.argmax(bad))}",
                                  path=p)
        out = (label < 0) | (label >= len(classes))
        if out.any():
            k = int(np.argmax(out))
            raise DataFormatError(f"label {int(label[k])} of shape {k} is not a class index "
                                  f"(0..{len(classes) - 1})", path=p)
        if normal is not None and normal.shape != data.shape:
            raise DataFormatError(f"'normal' {normal.shape} must match 'data' {data.shape}",
                                  path=p)
        pts.append(data)
        lab.append(label)
        nrm.append(normal)
    lacking = [p.name for p, n in zip(shards, nrm) if n is None]
    if lacking and len(lacking) < len(shards):
        # a cloud set either has normals for every shape or none; say which shards break that
        warnings.warn(f"{root}: shards {', '.join(lacking)} have no 'normal' dataset, so the "
                      f"normals of all {len(shards)} {split} shards are dropped; add the "
                      f"normals to those shards to keep them.", stacklevel=2)
    normals = None if lacking else np.concatenate(nrm).astype(np.float64)
    return PointClouds(np.concatenate(pts).astype(np.float64), normals,
                       np.concatenate(lab).astype(np.int64), tuple(classes))


# ----------------------------------------------------------- generated stand-in
SYNTHETIC_CLASSES = ("box", "sphere", "cylinder", "cone", "capsule", "torus", "icosahedron",
                     "tube", "tetrahedron", "octahedron", "dumbbell", "table")


def random_rotations(n: int, kind: str = "so3", *, rng=None) -> np.ndarray:
    """n random matrices (n, 3, 3): "so3" uniform (Haar) rotations, "o3" those times a random
    sign (reflections half the time), "z" uniform rotations about the z axis, "none"."""
    g = np.random.default_rng(rng)
    if kind == "none":
        return np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
    if kind == "z":
        t = g.uniform(0, 2 * np.pi, n)
        c, s, o, z = np.cos(t), np.sin(t), np.ones(n), np.zeros(n)
        return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                         np.stack([z, z, o], -1)], 1)
    if kind not in ("so3", "o3"):
        raise ValueError(f"rotation must be 'none', 'z', 'so3' or 'o3'; got {kind!r}.")
    q, r = np.linalg.qr(g.standard_normal((n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]  # Haar measure
    q[np.linalg.det(q) < 0, :, 0] *= -1  # into SO(3)
    if kind == "o3":
        q = q * g.choice([-1.0, 1.0], n)[:, None, None]
    return q


def _solid(name: str, g):
    import trimesh
    from trimesh import creation

    u = lambda a, b: float(g.uniform(a, b))  # noqa: E731 - random proportions
    if name == "box":
        return creation.box(extents=[u(0.5, 2), u(0.5, 2), u(0.5, 2)])
    if name == "sphere":
        m = creation.icosphere(subdivisions=3)
        m.apply_scale([u(0.8, 1.2), u(0.8, 1.2), u(0.8, 1.2)])
        return m
    if name == "cylinder":
        return creation.cylinder(radius=u(0.3, 1), height=u(1, 3), sections=32)
    if name == "cone":
        return creation.cone(radius=u(0.4, 1), height=u(1, 2.5), sections=32)
    if name == "capsule":
        return creation.capsule(height=u(1, 2.5), radius=u(0.3, 0.6))
    if name == "torus":
        return creation.torus(major_radius=u(0.8, 1.2), minor_radius=u(0.15, 0.45))
    if name == "icosahedron":
        return creation.icosahedron()
    if name == "tube":
        r = u(0.5, 1)
        return creation.annulus(r_min=r * u(0.5, 0.8), r_max=r, height=u(0.5, 2.5), sections=32)
    if name in ("tetrahedron", "octahedron"):
        e = np.eye(3)
        v = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1.0]]) \
            if name == "tetrahedron" else np.concatenate([e, -e])
        m = trimesh.convex.convex_hull(v)
        m.apply_scale([u(0.7, 1.3), u(0.7, 1.3), u(0.7, 1.3)])
        return m
    if name == "dumbbell":
        a, r, L = u(0.3, 0.6), u(0.08, 0.2), u(1, 2)
        parts = [creation.icosphere(2, radius=a), creation.icosphere(2, radius=a),
                 creation.cylinder(radius=r, height=L)]
        parts[0].apply_translation([0, 0, L / 2])
        parts[1].apply_translation([0, 0, -L / 2])
        return trimesh.util.concatenate(parts)
    if name == "table":
        w, d, h, t = u(1, 2), u(0.6, 1.2), u(0.6, 1.2), u(0.05, 0.15)
        parts = [creation.box(extents=[w, d, t])]
        parts[0].apply_translation([0, 0, h])
        for sx in (-1, 1):
            for sy in (-1, 1):
                leg = creation.box(extents=[t, t, h])
                leg.apply_translation([sx * (w / 2 - t), sy * (d / 2 - t), h / 2])
                parts.append(leg)
        return trimesh.util.concatenate(parts)
    raise ValueError(f"unknown synthetic class {name!r}; choose from {SYNTHETIC_CLASSES}.")


def synthetic_shapes(n_per_class: int, *, n_points: int = 1024, rng=None,
                     rotation: str = "none", classes=SYNTHETIC_CLASSES) -> PointClouds:
    """``n_per_class`` shapes of each class, ``n_points`` surface points with outward normals,
    centred at the origin and scaled to radius 1, then rotated (``rotation``, see
    :func:`random_rotations`; train on "none", test on "so3" for the rotated benchmark).
    Needs ``trimesh``."""
    try:
        import trimesh  # noqa: F401
    except ImportError:
        raise ModuleNotFoundError("the synthetic ModelNet stand-in needs trimesh: "
                                  "pip install trimesh (or 'groupkit[modelnet]').") from None
    g = np.random.default_rng(rng)
    pts, nrm, lab = [], [], []
    for label, name in enumerate(classes):
        for _ in range(n_per_class):
            mesh = _solid(name, g)
            p, faces = trimesh.sample.sample_surface(mesh, n_points,
                                                     seed=int(g.integers(2**31)))
            p = p - p.mean(axis=0)
            pts.append(p / np.linalg.norm(p, axis=1).max())
            nrm.append(mesh.face_normals[faces])
            lab.append(label)
    R = random_rotations(len(lab), rotation, rng=g)
    points = np.einsum("sij,spj->spi", R, np.array(pts))
    normals = np.einsum("sij,spj->spi", R, np.array(nrm))
    return PointClouds(points, normals, np.array(lab, dtype=np.int64), tuple(classes))
