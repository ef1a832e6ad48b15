"""The Draw page's feedback: right or wrong, the answer saves the drawing to My drawings."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lenet.feedback import FeedbackError
from lenet.wording import with_article
from ui.draw_input import clear_canvas
from ui.drawings import feedback_store
from ui.messages import flash


def save_feedback(digit: int, predictions: dict[str, int], image28: Any, raw: Any) -> None:
    try:
        feedback_store().add(digit, image28, predictions, raw=raw)
    except (FeedbackError, ValueError) as exc:
        flash("draw_feedback", "error", f"Could not save the drawing: {exc}")
    else:
        flash("draw_feedback", "success", f"Saved as {with_article(digit)} in My drawings.")
        clear_canvas()  # ready for the next one


def on_wrong(predictions: dict[str, int], image28: Any, raw: Any) -> None:
    digit = st.session_state.get("draw_wrong")
    if digit is not None:
        save_feedback(int(digit), predictions, image28, raw)
    st.session_state["draw_wrong"] = None


def feedback(
    predictions: dict[str, int], image28: Any, raw: Any, *, looks_like_digit: bool = True
) -> None:
    """Ask whether the first model was right; either answer saves the drawing.

    For a drawing judged not a digit there is no "Right" to confirm: only the digit it was
    meant to be, if it was one.
    """
    first_model, first = next(iter(predictions.items()))
    if not looks_like_digit:
        st.markdown(
            "**If it is a digit after all, which one?** Your answer saves the drawing to My "
            "drawings, on this machine only."
        )
    else:
        st.markdown(
            f"**Was {first_model} right?** Your answer saves the drawing to My drawings, "
            "on this machine only."
        )
        st.button(
            f"Right, it is {with_article(first)}",
            key="draw_right",
            on_click=save_feedback,
            args=(first, predictions, image28, raw),
            icon=":material/check:",
        )
    st.pills(
        "Wrong, it was" if looks_like_digit else "It was",
        list(range(10)),
        key="draw_wrong",
        on_change=on_wrong,
        args=(predictions, image28, raw),
    )
