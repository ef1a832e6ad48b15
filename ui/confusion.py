"""The Evaluate page's confusion matrix, whose cells pick the mistakes shown beside it."""

from __future__ import annotations

import streamlit as st

from lenet import analysis
from ui.models import report as stored_report
from ui.tables import confusion_table
from ui.widgets import image_grid

CELL_PX = 46  # the confusion table's rows and digit columns, px: "1131" and "0.3%" fit
LABEL_PX = 44  # its "true" column, px


def confusion(name: str) -> None:
    """The confusion table (click a cell) and the mistakes of the picked true/predicted pair."""
    report = stored_report(name)
    left, right = st.columns([2, 1], gap="medium")
    with left:
        st.subheader("Confusion matrix")
        normalise = st.toggle("Share of each true digit", key="evaluate_normalise")
        # A table, not a chart: it shows without loading plotly.js (4.7 MB) in the browser.
        event = st.dataframe(
            confusion_table(report.confusion_array, normalise),
            hide_index=True,
            on_select="rerun",
            selection_mode="single-cell",
            key=f"evaluate_cm_{name}",
            row_height=CELL_PX,
            height=CELL_PX * 10 + 40,  # the header and ten rows, no scrolling
            width=LABEL_PX + CELL_PX * 10 + 2,  # square cells at any page width
            column_config={
                "true": st.column_config.TextColumn("true", width=LABEL_PX, pinned=True),
                **{str(d): st.column_config.Column(str(d), width=CELL_PX) for d in range(10)},
            },
        )
        st.caption(
            "Rows: the true digit; columns: the predicted one; the diagonal (greyed) holds "
            "the correct answers. Click a cell to see those test images."
        )
    with right:
        cell = analysis.cell_from_selection(event)
        if cell is None:  # a click on the selected cell clears it: the next click is new
            st.session_state.pop("evaluate_cell", None)
        elif cell != st.session_state.get("evaluate_cell"):
            st.session_state["evaluate_cell"] = cell  # a new click picks both digits
            st.session_state["evaluate_true"], st.session_state["evaluate_pred"] = cell
        a, b = st.columns(2)
        true = a.selectbox("True digit", ["any", *range(10)], key="evaluate_true")
        pred = b.selectbox("Predicted as", ["any", *range(10)], key="evaluate_pred")
        true_d, pred_d = (None if v == "any" else int(v) for v in (true, pred))
        if true_d is not None and true_d == pred_d:
            st.info(
                f"The diagonal holds the {report.confusion[true_d][true_d]:,} correct "
                "answers; pick an off-diagonal cell to see mistakes."
            )
            return
        shown, total = analysis.mistakes(report, true_d, pred_d)
        st.markdown(
            f"**{total} mistake{'s' if total != 1 else ''}**"
            + (f", showing {len(shown)}" if len(shown) < total else "")
        )
        with st.container(height=CELL_PX * 11 - 40, border=False):  # level with the table
            image_grid(shown, lambda e: f"{e.true}→{e.predicted} {e.confidence:.0%}")
