"""Evaluate: where one model fails, from its stored test-set report."""

import streamlit as st

import ui
from lenet import analysis, plots
from lenet.data import DatasetError, load_mnist, local_source
from lenet.evaluate import evaluate_predictor
from lenet.store import StoreError
from lenet.wording import plain, plural

ui.require_router()

CELL_PX = 46  # the confusion table's rows and digit columns, px: "1131" and "0.3%" fit
LABEL_PX = 44  # its "true" column, px


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


def confusion(name: str) -> None:
    report = ui.report(name)
    left, right = st.columns([2, 1], gap="medium")
    with left:
        st.subheader("Confusion matrix")
        normalise = st.toggle("Share of each true digit", key="evaluate_normalise")
        # A table, not a chart: it shows without loading plotly.js (4.7 MB) in the browser.
        event = st.dataframe(
            ui.confusion_table(report.confusion_array, normalise),
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
            ui.image_grid(shown, lambda e: f"{e.true}→{e.predicted} {e.confidence:.0%}")


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
            fresh = evaluate_predictor(ui.predictor(name).predict, x_test, y_test)
            stored = ui.report(name)
            if ui.store().is_bundled(name):
                st.success(
                    f"Accuracy {fresh.accuracy:.4%} (stored {stored.accuracy:.4%}); "
                    "bundled models are read-only, so the store is unchanged."
                )
            else:
                ui.store().save_report(name, fresh)
                st.success(
                    f"Accuracy {fresh.accuracy:.4%} (was {stored.accuracy:.4%}); "
                    "the stored report is updated."
                )


evaluate()
