"""Draw: a digit on the canvas (or a photo of one) and every chosen model's answer, live."""

from typing import Any

import streamlit as st

import ui
from lenet import plots
from lenet.infer import Prediction, describe
from lenet.preprocess import to_mnist
from lenet.store import StoreError
from lenet.wording import plain
from ui.draw_explain import how, inside
from ui.draw_feedback import feedback
from ui.draw_input import canvas_image, init_state

ui.require_router()

# The most robust to the ways people draw first (benchmarks/bench_drawn.py), then two that saw
# MNIST alone.
DEFAULT_MODELS = ["lenet5-robust", "lenet5-best", "lenet5-1998"]

init_state()


def chosen_models(names: list[str]) -> list[str]:
    """The models picked (by default the bundled trio), less any deleted since."""
    if "draw_models" not in st.session_state:
        st.session_state["draw_models"] = [n for n in DEFAULT_MODELS if n in names] or names[:1]
    # A stored choice may name a model deleted since; the widget only accepts current names.
    st.session_state["draw_models"] = [n for n in st.session_state["draw_models"] if n in names]
    return st.session_state["draw_models"]


def prepared(image: Any, right: Any) -> Any:
    """The image as MNIST sees it, or None with a hint (empty canvas, nothing found)."""
    try:
        prep = None if image is None else to_mnist(image)
    except ValueError as exc:
        prep = None
        right.error(plain(str(exc)))
    if prep is None or prep.empty or prep.image is None:
        right.info(
            prep.reason
            if prep is not None and prep.reason
            else "Draw a digit on the black square: the models answer as you draw."
        )
        return None
    return prep


def cards(chosen: list[str], image28: Any) -> dict[str, Prediction]:
    """Each chosen model's answer as a card, three to a row; returns the answers."""
    answers: dict[str, Prediction] = {}
    for row in range(0, len(chosen), 3):
        for col, name in zip(st.columns(3), chosen[row : row + 3], strict=False):
            with col:
                try:
                    pred = describe(ui.predictor(name).predict(image28)[0])
                except StoreError as exc:
                    st.error(plain(str(exc)))
                    continue
                answers[name] = pred
                ui.prediction_card(name, pred, bars=not st.session_state["draw_chart"])
    return answers


def chart(answers: dict[str, Prediction]) -> None:
    st.toggle(
        "Interactive chart",
        key="draw_chart",
        help="All the models' probabilities in one plotly chart (hover for exact "
        "values). The browser takes about a second to load plotly the first time.",
    )
    if st.session_state["draw_chart"]:
        st.plotly_chart(
            plots.probability_bars({n: p.probabilities for n, p in answers.items()}),
            key="draw_probabilities",
            config={"displayModeBar": False},
        )


def expanders(chosen: list[str], image: Any, prep: Any) -> None:
    # Lazy expanders: their content is computed and sent only while they are open, so a
    # stroke with both closed costs neither the server nor the browser anything for them.
    inside_box = st.expander("Inside the network", key="draw_inside_open", on_change="rerun")
    if inside_box.open:
        with inside_box:
            inside(chosen, prep.image)
    how_box = st.expander("How the drawing becomes MNIST", key="draw_how_open", on_change="rerun")
    if how_box.open:
        with how_box:
            how(chosen[0], image, prep)


def draw() -> None:
    st.title("Draw a digit")
    ui.card_style()
    st.space(20)  # room for the canvas's hover toolbar, which floats above it
    ui.show_flash("draw_feedback")
    names = ui.usable_names()
    if not names:
        st.info("No usable models. Train one with `python -m lenet train`.")
        st.stop()
    chosen = chosen_models(names)
    left, right = st.columns([3, 4], gap="large")
    with right.popover(f"Models: {len(chosen)} of {len(names)}", icon=":material/tune:"):
        st.multiselect("Models", names, key="draw_models", max_selections=6)
    with left:
        image, photo_name = canvas_image()
    if photo_name is not None:
        right.info(
            plain(f"The answers below are for your photo, {photo_name}")
            + ", not for the canvas. Remove the photo under *Change or remove the photo* to "
            "draw again."
        )
    prep = prepared(image, right)
    if prep is None:
        return
    with left:
        st.image(plots.upscale(prep.image, 5), caption="What the models see (28x28)")
    if not chosen:
        right.info("Pick at least one model under Models.")
        return
    with right:
        answers = cards(chosen, prep.image)
        if answers:
            chart(answers)
            feedback({n: p.digit for n, p in answers.items()}, prep.image, image)
    expanders(chosen, image, prep)


with ui.timed_run("draw"):  # LENET_TIMING_LOG=path logs its time (bench_load.py)
    draw()
