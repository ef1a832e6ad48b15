"""Evaluate: where one model fails, from its stored test-set report."""

import streamlit as st

import ui
from lenet import analysis, plots
from lenet.data import DatasetError, load_mnist, local_source
from lenet.evaluate import evaluate_predictor
from lenet.store import StoreError
from lenet.wording import plural

ui.require_router()


def headline(name: str) -> None:
    card, report = ui.store().card(name), ui.report(name)
    cols = st.columns(7)
    cols[0].metric("Accuracy", f"{report.accuracy:.2%}")
    cols[1].metric("Macro precision", f"{report.macro_precision:.4f}")
    cols[2].metric("Macro recall", f"{report.macro_recall:.4f}")
    cols[3].metric("Macro F1", f"{report.macro_f1:.4f}")
    cols[4].metric("Parameters", ui.short_count(card.params))
    cols[5].metric("Size", ui.short_bytes(card.size_bytes))
    cols[6].metric("Training", f"{card.train_seconds:,.0f} s")
    st.caption(
        f"{card.description or 'Your model'} · {report.n:,} test images · "
        f"{plural(len(report.misclassified), 'mistake')}"
    )


def confusion(name: str) -> None:
    report = ui.report(name)
    left, right = st.columns([3, 2], gap="large")
    with left:
        normalise = st.toggle("Share of each true digit", key="evaluate_normalise")
        event = st.plotly_chart(
            plots.confusion_heatmap(report.confusion_array, normalise),
            on_select="rerun",
            selection_mode="points",
            key=f"evaluate_cm_{name}",
            config={"displayModeBar": False},
        )
        st.caption("Click a cell to see those test images.")
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
        ui.image_grid(shown, lambda e: f"{e.true}→{e.predicted} {e.confidence:.0%}")


def classification(name: str) -> None:
    report = ui.report(name)
    left, right = st.columns([2, 3], gap="large")
    left.dataframe(
        analysis.classification_rows(report),
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.4f") for c in ("precision", "recall", "F1")
        },
    )
    with right:
        st.plotly_chart(
            plots.per_class_accuracy({name: [r["accuracy"] for r in report.per_class]}),
            key="evaluate_per_class",
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
    tabs = st.tabs(["Confusion matrix", "Per digit", "Training curves", "Test samples"])
    with tabs[0]:
        confusion(name)
    with tabs[1]:
        classification(name)
    with tabs[2]:
        history = ui.store().history(name)
        st.plotly_chart(plots.training_curves({name: history}), key="evaluate_curves")
    with tabs[3]:
        ui.image_grid(
            analysis.samples(ui.report(name)),
            lambda e: f"{'✓' if e.true == e.predicted else '✗'} {e.predicted} (true {e.true})",
        )
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
