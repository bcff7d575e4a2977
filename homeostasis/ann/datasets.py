"""Datasets from installed packages only: nothing is downloaded at run time.

- ``mnist1d``: generated locally by ``mnist1d.data.make_dataset(get_dataset_args())``
  (4000 train / 1000 test sequences of length 40, 10 classes; Greydanus 2020).
- ``digits``: scikit-learn's bundled 8x8 digits, standardized with training statistics,
  fixed seeded stratified 75/25 split.

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

DATASETS = ("mnist1d", "digits")


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


def load(name: str, seed: int = 0) -> Dataset:
    """The data set ``name`` (one of :data:`DATASETS`) as arrays.

    Parameters
    ----------
    name : {"mnist1d", "digits"}
    seed : int, default 0
        Fixes the digits train/test split (mnist1d has its own fixed split).

    Returns
    -------
    Dataset
        Fresh copies of the arrays: changing them does not change the cache.
    """
    if name == "mnist1d":
        parts = _mnist1d()
    elif name == "digits":
        parts = _digits(int(seed))
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    parts = tuple(p.copy() for p in parts)
    return Dataset(name, *parts, n_classes=int(max(parts[1].max(), parts[3].max())) + 1)
