"""Datasets from installed packages only: nothing is downloaded at run time.

- ``mnist1d``: generated locally by ``mnist1d.data.make_dataset(get_dataset_args())``
  (4000 train / 1000 test sequences of length 40, 10 classes; Greydanus 2020).
- ``digits``: scikit-learn's bundled 8x8 digits, standardized with training statistics,
  fixed seeded stratified 75/25 split.
- ``multiscale``: scikit-learn's ``make_classification`` (fixed seed; 10 classes, 40
  features of which 20 informative and 10 redundant), each feature multiplied by a fixed
  scale between 0.1 and 100, three orders of magnitude, and *not* standardized: raw
  measurements in mixed units, the case normalization is meant to speed up.

Examples
--------
>>> d = load("digits")
>>> d.x_train.shape[1], d.n_classes
(64, 10)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Dataset", "load", "DATASETS"]

DATASETS = ("mnist1d", "digits", "multiscale")


@dataclass(frozen=True)
class Dataset:
    """A classification data set split into train and test arrays.

    Attributes
    ----------
    name : str
    x_train, x_test : ndarray of float, shape (samples, features)
    y_train, y_test : ndarray of int, shape (samples,)
    n_classes : int
        Labels lie in ``[0, n_classes)``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


@lru_cache(maxsize=None)
def _mnist1d():
    from mnist1d.data import get_dataset_args, make_dataset

    # make_dataset generates the data from its templates with a fixed seed; get_dataset
    # would download a pickle instead, which this project never does
    d = make_dataset(get_dataset_args())
    missing = {"x", "y", "x_test", "y_test"} - set(d)
    if missing:
        raise RuntimeError(f"mnist1d.make_dataset returned no {sorted(missing)}; this mnist1d version is not supported")
    return (np.asarray(d["x"], float), np.asarray(d["y"], int), np.asarray(d["x_test"], float),
            np.asarray(d["y_test"], int))


@lru_cache(maxsize=None)
def _digits(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x.astype(float), y, test_size=0.25, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(x_tr)
    return scaler.transform(x_tr), y_tr, scaler.transform(x_te), y_te


@lru_cache(maxsize=None)
def _multiscale():
    from sklearn.datasets import make_classification

    # the seed is fixed: one data set, generated the same way on every machine
    x, y = make_classification(n_samples=5000, n_features=40, n_informative=20, n_redundant=10, n_classes=10,
                               n_clusters_per_class=2, random_state=0)
    # one scale per feature, log-spaced over three orders of magnitude and dealt out in a fixed
    # shuffled order, so informative, redundant and noise features each get large and small ones
    scales = np.random.default_rng(0).permutation(np.logspace(-1, 2, x.shape[1]))
    x = x * scales
    return x[:4000], y[:4000], x[4000:], y[4000:]


def load(name: str, seed: int = 0) -> Dataset:
    """The data set ``name`` (one of :data:`DATASETS`) as arrays.

    Parameters
    ----------
    name : {"mnist1d", "digits", "multiscale"}
    seed : int, default 0
        Fixes the digits train/test split (mnist1d and multiscale have their own fixed split).

    Returns
    -------
    Dataset
        Fresh copies of the arrays: changing them does not change the cache.
    """
    if name == "mnist1d":
        parts = _mnist1d()
    elif name == "digits":
        parts = _digits(int(seed))
    elif name == "multiscale":
        parts = _multiscale()
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    parts = tuple(p.copy() for p in parts)
    return Dataset(name, *parts, n_classes=int(max(parts[1].max(), parts[3].max())) + 1)
