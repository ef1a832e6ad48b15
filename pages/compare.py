"""Compare: two to six models side by side, and where two of them disagree."""

import streamlit as st

import ui
from lenet import analysis, plots
from lenet.store import StoreError
from lenet.wording import more_or_fewer, plural

ui.require_router()

DEFAULT = ["lenet5-1998", "lenet5-relu", "lenet5-best"]


def table(names: list[str]) -> None:
    store = ui.store()
    rows = analysis.compare_rows([store.card(n) for n in names], [store.config(n) for n in names])
    metrics, settings = analysis.split_compare_rows(rows)
    st.dataframe(ui.highlight_best(metrics, analysis.best_per_column(rows)), hide_index=True)
    if settings:
        st.dataframe(settings, hide_index=True, key="compare_settings")
    st.caption(
        "The best value of each metric is highlighted; below it, only the settings that differ "
        "between the models."
    )


def difference(names: list[str]) -> None:
    state = st.session_state
    state["compare_a"], state["compare_b"] = analysis.model_pair(
        names, state.get("compare_a"), state.get("compare_b"), state.get("compare_last_a")
    )
    a_col, b_col = st.columns(2)
    a = a_col.selectbox("Model A", names, key="compare_a")
    b = b_col.selectbox("Model B", [n for n in names if n != a], key="compare_b")
    state["compare_last_a"] = a
    ra, rb = ui.report(a), ui.report(b)
    left, right = st.columns([3, 2], gap="large")
    left.plotly_chart(
        plots.difference_heatmap(ra.confusion_array, rb.confusion_array, a, b), key="compare_diff"
    )
    left.caption(
        f"Red: {a} makes that mistake more often; blue: {b} does. {a} gets "
        + more_or_fewer(
            round((ra.accuracy - rb.accuracy) * ra.n), "test image", b, qualifier="right"
        )
        + "."
    )
    shown, total = analysis.disagreements(ra, rb)
    with right:
        st.markdown(
            f"**{plural(total, 'test image')}** where {a} and {b} give different answers"
            + (f" (showing {len(shown)})" if len(shown) < total else "")
        )
        ui.image_grid(shown, lambda e: f"{e.true}: A {e.predicted}, B {e.other_predicted}")


def exports(names: list[str]) -> None:
    rows = analysis.export_rows({n: ui.store().export_report(n) for n in names})
    if rows:
        st.subheader("Small-device export (TFLite)")
        st.dataframe(rows, hide_index=True, width="stretch")
        st.caption(
            "Sizes on disk; accuracy on the 10,000 MNIST test images; latency for one "
            "image, median on this CPU when exported (Keras: a compiled call)."
        )


def compare() -> None:
    st.title("Compare models")
    names = ui.usable_names()
    if len(names) < 2:
        st.info("Comparing needs at least two usable models.")
        st.stop()
    chosen = st.multiselect(
        "Models (2 to 6)",
        names,
        max_selections=6,
        key="compare_models",
        default=[n for n in DEFAULT if n in names] or names[:2],
    )
    if len(chosen) < 2:
        st.info("Pick at least two models.")
        st.stop()
    try:
        table(chosen)
        st.subheader("Training curves")
        st.plotly_chart(
            plots.training_curves({n: ui.store().history(n) for n in chosen}), key="compare_curves"
        )
        st.subheader("Accuracy per digit")
        st.plotly_chart(
            plots.per_class_accuracy(
                {n: [r["accuracy"] for r in ui.report(n).per_class] for n in chosen}
            ),
            key="compare_per_class",
        )
        st.subheader("Where two models differ")
        difference(chosen)
        exports(chosen)
    except (StoreError, OSError, ValueError) as exc:
        st.error(f"A model could not be read: {exc}")


compare()
