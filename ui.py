"""Streamlit glue shared by the pages: cached loaders and the sidebar. Only the app imports it."""

from __future__ import annotations

import os

import streamlit as st

from lenet.infer import Prediction, Predictor
from lenet.store import ModelCard, ModelStore, StoreError


def store() -> ModelStore:
    """The model store (reads ``LENET_HOME`` on each call, so tests can point it elsewhere)."""
    return ModelStore()


def model_cards() -> list[ModelCard]:
    """Every stored model, bundled first; broken entries carry their error."""
    return store().list()


def usable_names() -> list[str]:
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
        return _predictor(str(path), os.path.getmtime(path))
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot load {name!r}: {exc}") from exc


def sidebar() -> None:
    with st.sidebar:
        st.caption(
            "LeNet-5 on MNIST, from the 1998 paper to modern variants. "
            "Bundled models work offline; your own runs are saved under "
            f"`{store().user_root}`."
        )


CARD_CSS = """
<style>
.lenet-card {border: 1px solid #e5e7eb; border-radius: 14px; padding: 10px 14px 4px 14px;
             background: linear-gradient(180deg, #fafaff 0%, #ffffff 60%);}
.lenet-card .name {font-weight: 600; color: #374151; font-size: 0.95rem;}
.lenet-card .digit {font-size: 4.2rem; font-weight: 800; line-height: 1.0; color: #4f46e5;}
.lenet-card .conf {color: #6b7280; font-size: 0.95rem; margin-left: 0.4rem;}
.lenet-card .unsure {color: #b45309; font-size: 0.9rem; font-weight: 600;}
</style>
"""


def prediction_card(name: str, pred: Prediction) -> None:
    """A model's answer: the digit large, its confidence, the top two when unsure."""
    unsure = (
        (
            f"<div class='unsure'>Unsure: {pred.digit} ({pred.confidence:.0%}) or "
            f"{pred.runner_up} ({pred.runner_up_confidence:.0%})</div>"
        )
        if pred.unsure
        else ""
    )
    st.markdown(
        f"{CARD_CSS}<div class='lenet-card'><div class='name'>{name}</div>"
        f"<span class='digit' data-testid='prediction-{name}'>{pred.digit}</span>"
        f"<span class='conf'>{pred.confidence:.1%} confident</span>{unsure}</div>",
        unsafe_allow_html=True,
    )
