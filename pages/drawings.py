"""My drawings: the digits you labelled on the Draw page, as a personal test set."""

import streamlit as st

import ui
from lenet import analysis, plots
from lenet.feedback import FeedbackError
from lenet.store import StoreError
from ui.drawings_manage import manage

ui.require_router()


def on_delete(drawing_id: int) -> None:
    try:
        ui.feedback_store().delete(drawing_id)
    except FeedbackError as exc:
        ui.flash("drawings_message", "error", str(exc))


def model_rows(saved: list, names: list[str]) -> list[dict]:
    """Accuracy of each usable model on the drawings; a model that fails says so in its row."""
    truth = [d.digit for d in saved]
    rows = []
    for name in names:
        try:
            predicted = ui.drawing_predictions(name)
            card = ui.store().card(name)
        except StoreError as exc:
            rows.append({"model": name, "problem": str(exc)})
            continue
        right = sum(int(p) == t for p, t in zip(predicted, truth, strict=True))
        rows.append(
            {
                "model": name,
                "accuracy on your drawings (%)": round(right / len(saved) * 100, 1),
                "MNIST test accuracy (%)": round(card.accuracy * 100, 2),
            }
        )
    return rows


def drawings() -> None:
    st.title("My drawings")
    ui.show_flash("drawings_message")
    try:
        saved = ui.feedback_store().all()
        manage(len(saved))
        if not saved:
            st.info(
                "No drawings yet. On the Draw page, tell the studio whether a prediction was "
                "right: each answer saves the drawing here."
            )
            st.stop()
        counts = ui.feedback_store().counts()
        results(saved, counts)
    except FeedbackError as exc:
        st.error(str(exc))
        st.stop()


def results(saved: list, counts: list[int]) -> None:
    st.markdown(
        f"**{len(saved)} drawing{'s' if len(saved) != 1 else ''}**: "
        + ", ".join(f"{d}: {n}" for d, n in enumerate(counts))
    )
    rows = model_rows(saved, ui.usable_names())
    st.dataframe(rows, hide_index=True, width="stretch")
    names = [r["model"] for r in rows if "problem" not in r]
    if not names:
        st.info("No usable model to check your drawings with.")
        return
    name = st.selectbox("Model", names, key="drawings_model")
    predicted = ui.drawing_predictions(name)
    acc = next(r["accuracy on your drawings (%)"] for r in rows if r["model"] == name) / 100
    left, right = st.columns([3, 2], gap="large")
    confusion = analysis.confusion([d.digit for d in saved], predicted)
    left.markdown(f"**{name}: {acc:.1%} of your drawings right**")
    left.plotly_chart(
        plots.confusion_heatmap(confusion), key="drawings_cm", config={"displayModeBar": False}
    )
    wrong = [(d, int(p)) for d, p in zip(saved, predicted, strict=True) if p != d.digit]
    with right:
        st.markdown(f"**The {len(wrong)} it gets wrong**" if wrong else "**No mistakes.**")
        for d, p in wrong[:30]:
            a, b = st.columns([1, 3], vertical_alignment="center")
            a.image(plots.upscale(d.image, 2))
            b.markdown(f"#{d.id}: you drew **{d.digit}**, {name} says **{p}**")
            b.button("Delete", key=f"drawings_del_{d.id}", on_click=on_delete, args=(d.id,))


drawings()
