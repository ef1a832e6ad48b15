"""Cached access to the model store: the listing, predictors, feature readers, reports.

Shared by all sessions of the server; each cache is keyed on the files it reads, so a model
saved, re-saved or damaged since is read again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import streamlit as st

from lenet.evaluate import Report
from lenet.infer import FeatureReader, Predictor
from lenet.store import ModelCard, ModelStore, StoreError


def store() -> ModelStore:
    """The model store (reads ``LENET_HOME`` and ``LENET_BUNDLED`` on each call, so tests can
    point them elsewhere)."""
    return ModelStore()


def _store_signature(model_store: ModelStore) -> str:
    """What listing the store depends on, as a digest: every entry's files, mtimes and sizes.

    A few dozen ``stat`` calls (~0.1 ms), against ~25 ms for validating the entries again. A
    file changed in place (truncated, rewritten) changes its own size or mtime, not its
    folder's, so files are looked at one by one. Hidden entries (saves in progress) are left
    out: the rename that finishes a save changes the root's listing. A digest, because
    Streamlit's hashing of a nested tuple as a cache key would cost ~5 ms itself.
    """
    signature: list[Any] = []
    for root in (model_store.bundled_root, model_store.user_root):
        if root is None:
            continue
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except OSError:  # no such folder (yet)
            signature.append((str(root), None))
            continue
        signature.append(str(root))
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            try:
                stats = [(f.name, f.stat()) for f in os.scandir(entry)]
                files = sorted((name, st.st_mtime_ns, st.st_size) for name, st in stats)
            except OSError:  # removed while we looked: the next call sees it gone
                files = []
            signature.append((entry.name, tuple(files)))
    return hashlib.blake2b(repr(signature).encode(), digest_size=16).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=8)
def _listed(home: str, bundled_root: str | None, signature: str) -> tuple[ModelCard, ...]:
    del signature  # part of the cache key: any change in the store lists it again
    root = Path(bundled_root) if bundled_root is not None else None
    return tuple(ModelStore(home=Path(home), bundled_root=root).list())


def model_cards() -> list[ModelCard]:
    """Every stored model, bundled first; broken entries carry their error.

    Shared by all sessions and validated again only when a file in the store changed, so a
    stroke on the Draw page does not re-check every archive.
    """
    model_store = store()
    bundled = model_store.bundled_root
    return list(
        _listed(
            str(model_store.home),
            None if bundled is None else str(bundled),
            _store_signature(model_store),
        )
    )


def clear_store_cache() -> None:
    """Forget the cached model listing (tests that swap the store's folders)."""
    _listed.clear()


def usable_names() -> list[str]:
    """Names of the stored models that load, bundled first."""
    return [c.name for c in model_cards() if not c.broken]


@st.cache_resource(show_spinner=False, max_entries=32)
def _predictor(path: str, mtime: float) -> Predictor:
    del mtime  # part of the cache key: a re-saved model gets a fresh predictor
    return Predictor.from_file(path)


def predictor(name: str) -> Predictor:
    """A cached TFLite predictor for a stored model.

    Raises:
        StoreError: if the model is missing or broken.
    """
    path = store().tflite_path(name)
    try:
        key = (str(path), os.path.getmtime(path))
        cached = _predictor(*key)
        if cached.failed:  # its interpreter raised once: reusing it can crash the server
            _predictor.clear(*key)
            cached = _predictor(*key)
        return cached
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot load {name!r}: {exc}") from exc


@st.cache_resource(show_spinner=False, max_entries=16)
def _features(path: str, mtime: float) -> FeatureReader:
    del mtime
    return store().features(Path(path).parent.name)  # a damaged file: StoreError


def features(name: str) -> FeatureReader:
    """A cached reader of the model's C1 and C3 feature maps."""
    path = store().tflite_path(name)
    return _features(str(path), os.path.getmtime(path))


@st.cache_data(show_spinner=False, max_entries=32)
def _filters(path: str, mtime: float) -> Any:
    del mtime
    import numpy as np

    return np.load(path)


def c1_filters(name: str) -> Any:
    """The model's learned first-layer filters, (k, k, filters)."""
    path = store().derived_path(name, "c1_filters.npy")
    return _filters(str(path), os.path.getmtime(path))


@st.cache_data(show_spinner=False, max_entries=64)
def _report(path: str, mtime: float) -> Report:
    del mtime  # a re-evaluated report replaces the cached one
    return store().report(Path(path).name)


def report(name: str) -> Report:
    """The stored report of a model (cached until the file changes)."""
    path = store().path(name)
    return _report(str(path), (path / "report.json").stat().st_mtime)
