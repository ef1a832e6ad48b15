"""A page of prediction cards with fixed probabilities, laid out as on the Draw page.

The browser tests open it with ``?models=N&case=NAME`` to check that every label stays inside
its card, whatever the probabilities: real models rarely spread their answers this much.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: ui, lenet

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

import ui  # noqa: E402
from lenet.infer import describe  # noqa: E402

CASES = {
    "spread": [0.12, 0.11, 0.1, 0.1, 0.1, 0.1, 0.09, 0.09, 0.1, 0.09],  # ten labels
    "sure": [1.0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "split": [0.0, 0.0, 0.0, 0.0, 0.45, 0.4, 0.15, 0.0, 0.0, 0.0],
    "edges": [0.33, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.33, 0.34],
}

st.set_page_config(layout="wide")  # as app.py
st.sidebar.caption("A sidebar as wide as the app's.")
n = int(st.query_params.get("models", "3"))
probabilities = np.array(CASES[st.query_params.get("case", "spread")], np.float32)
ui.card_style()  # as pages/draw.py, before the cards
left, right = st.columns([3, 4], gap="large")  # as pages/draw.py
left.markdown("The canvas would be here.")
with right:
    ui.prediction_cards({f"model-number-{i}": describe(probabilities) for i in range(n)})
