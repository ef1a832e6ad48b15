"""The Evaluate page's expander that evaluates a model again on the MNIST test set."""

from __future__ import annotations

import streamlit as st

from lenet.data import DatasetError, load_mnist, local_source
from lenet.evaluate import evaluate_predictor
from ui.models import predictor, report, store


def reevaluate(name: str) -> None:
    """Re-evaluate ``name`` on MNIST's test set; a user model's stored report is replaced."""
    source = local_source()
    with st.expander("Re-evaluate on the MNIST test set"):
        if source is None:
            st.caption(
                "Needs MNIST on this machine: set `MNIST_PATH`. The numbers above come "
                "from the report stored with the model."
            )
        elif st.button("Re-evaluate now", key="evaluate_rerun"):
            try:
                _, _, x_test, y_test = load_mnist(source)
            except DatasetError as exc:
                st.error(str(exc))
                return
            fresh = evaluate_predictor(predictor(name).predict, x_test, y_test)
            stored = report(name)
            if store().is_bundled(name):
                st.success(
                    f"Accuracy {fresh.accuracy:.4%} (stored {stored.accuracy:.4%}); "
                    "bundled models are read-only, so the store is unchanged."
                )
            else:
                store().save_report(name, fresh)
                st.success(
                    f"Accuracy {fresh.accuracy:.4%} (was {stored.accuracy:.4%}); "
                    "the stored report is updated."
                )
