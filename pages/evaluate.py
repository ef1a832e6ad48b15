"""Evaluate: where one model fails, from its stored test-set report."""

import streamlit as st

import ui
from lenet import analysis, plots
from lenet.store import StoreError
from lenet.wording import plain, plural
from ui.confusion import confusion
from ui.reevaluate import reevaluate

ui.require_router()


def headline(name: str) -> None:
    card, report = ui.store().card(name), ui.report(name)
    # Tiles as wide as their value, wrapping to a second row when the page is narrow: a
    # fixed grid of seven columns cut the accuracy to "99.5..." at laptop width.
    with st.container(horizontal=True, horizontal_alignment="distribute", key="evaluate_headline"):
        for label, value in (
            ("Accuracy", f"{report.accuracy:.2%}"),
            ("Macro precision", f"{report.macro_precision:.4f}"),
            ("Macro recall", f"{report.macro_recall:.4f}"),
            ("Macro F1", f"{report.macro_f1:.4f}"),
            ("Parameters", ui.short_count(card.params)),
            ("Size", ui.short_bytes(card.size_bytes)),
            ("Training", f"{card.train_seconds:,.0f} s"),
        ):
            st.metric(label, value, width="content")
    st.caption(
        f"{plain(card.description) or 'Your model'} · {report.n:,} test images · "
        f"{plural(len(report.misclassified), 'mistake')}"
    )


def classification(name: str) -> None:
    # st.table, not st.dataframe: all fifteen rows show, with no scrolling.
    with st.container(key="evaluate_report"):
        rows = analysis.classification_rows(ui.report(name))
        st.table(ui.number_table(rows, {"precision": 4, "recall": 4, "F1": 4}), hide_index=True)


def details(name: str) -> None:
    """The report, then the charts: each tab runs only while it is open (plotly.js loads
    with the first chart someone opens, not with the page)."""
    tabs = st.tabs(
        ["Classification report", "Accuracy per digit", "Training curves", "Test samples"],
        key="evaluate_tab",
        on_change="rerun",
    )
    if tabs[0].open:
        with tabs[0]:
            classification(name)
    if tabs[1].open:
        report = ui.report(name)
        tabs[1].plotly_chart(
            plots.per_class_accuracy({name: [r["accuracy"] for r in report.per_class]}),
            key="evaluate_per_class",
        )
    if tabs[2].open:
        tabs[2].plotly_chart(
            plots.training_curves({name: ui.store().history(name)}), key="evaluate_curves"
        )
    if tabs[3].open:
        with tabs[3]:
            ui.image_grid(
                analysis.samples(ui.report(name)),
                lambda e: f"{'✓' if e.true == e.predicted else '✗'} {e.predicted} (true {e.true})",
            )


def downloads(name: str) -> None:
    files = ui.store().export_files(name)
    labels = {
        "model.keras": "Keras",
        "model.tflite": "TFLite float",
        "model_int8.tflite": "TFLite int8",
    }
    cols = st.columns(4, vertical_alignment="center")
    cols[0].markdown("**Download**")
    for col, (filename, path) in zip(cols[1:], files.items(), strict=False):
        col.download_button(
            f"{labels[filename]} ({ui.short_bytes(path.stat().st_size)})",
            path.read_bytes(),
            file_name=f"{name}-{filename}",
            key=f"evaluate_download_{filename}",
            icon=":material/download:",
        )
    if "model_int8.tflite" not in files:
        st.caption(f"No int8 model yet: `python -m lenet export --model {name} --int8`.")


def evaluate() -> None:
    st.title("Evaluate a model")
    name = ui.model_picker("Model", key="evaluate_model", default="lenet5-best")
    if name is None:
        st.stop()
    try:
        headline(name)
    except (StoreError, OSError, ValueError) as exc:
        st.error(f"{name} cannot be read: {exc}")
        st.stop()
    confusion(name)
    details(name)
    downloads(name)
    reevaluate(name)


evaluate()
