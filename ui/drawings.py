"""Cached access to the person's saved drawings (``LENET_HOME/drawings.sqlite3``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st

from lenet.feedback import BUSY_TIMEOUT_S, FeedbackStore
from ui.models import predictor, store


def feedback_store() -> FeedbackStore:
    """The person's saved drawings (LENET_HOME/drawings.sqlite3).

    ``LENET_BUSY_TIMEOUT_S`` sets how long it waits for another program's lock (default
    ``lenet.feedback.BUSY_TIMEOUT_S``); the tests of a locked file shorten the wait.
    """
    busy_s = float(os.environ.get("LENET_BUSY_TIMEOUT_S", BUSY_TIMEOUT_S))
    return _feedback_store(str(store().home / "drawings.sqlite3"), busy_s)


@st.cache_resource(show_spinner=False)
def _feedback_store(path: str, busy_s: float) -> FeedbackStore:
    return FeedbackStore(path, busy_timeout=busy_s)


def drawings_npz() -> bytes:
    """All saved drawings as a Keras-layout ``.npz`` file's bytes (cached until they change)."""
    drawings = feedback_store()
    return _drawings_npz(str(drawings.path), drawings.revision())


@st.cache_data(show_spinner=False, max_entries=4)
def _drawings_npz(db: str, revision: tuple[int, int, int]) -> bytes:
    del db, revision  # the cache key
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drawings.npz"
        feedback_store().export_npz(path)
        return path.read_bytes()


def drawing_predictions(name: str) -> Any:
    """The digit a model predicts for each saved drawing, oldest first: (N,) int64.

    Cached until the drawings or the model change; the model sees the drawings in bounded
    batches.

    Raises:
        FeedbackError: the drawings database cannot be read.
        StoreError: the model cannot be loaded.
    """
    path = store().tflite_path(name)
    drawings = feedback_store()
    return _drawing_predictions(
        name, str(path), os.path.getmtime(path), str(drawings.path), drawings.revision()
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _drawing_predictions(
    name: str, path: str, mtime: float, db: str, revision: tuple[int, int, int]
) -> Any:
    del path, mtime, db, revision  # the cache key
    from lenet.evaluate import predict_digits

    x, _ = feedback_store().arrays()
    return predict_digits(x, predictor(name).predict)
