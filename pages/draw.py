"""Draw: a digit on the canvas (or a photo of one) and every chosen model's answer, live."""

from typing import Any

import streamlit as st

import ui
from lenet import plots
from lenet.infer import Prediction, describe
from lenet.preprocess import to_mnist
from lenet.store import StoreError
from lenet.wording import plain
from ui.draw_explain import expanders
from ui.draw_feedback import feedback
from ui.draw_input import canvas_image, chosen_models, init_state

ui.require_router()

init_state()


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
    for name in chosen:
        try:
            answers[name] = describe(ui.predictor(name).predict(image28)[0])
        except StoreError as exc:
            st.error(plain(str(exc)))
    ui.prediction_cards(answers, bars=not st.session_state["draw_chart"])
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


def draw() -> bool:
    """The page; returns whether it read a drawing (a stroke's run, for ``ui.timed_run``)."""
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
        return False
    with left:
        st.image(plots.upscale(prep.image, 5), caption="What the models see (28x28)")
    if not chosen:
        right.info("Pick at least one model under Models.")
        return True
    with right:
        digit_like = ui.nondigit_notice(prep.image)  # one decision, above every card
        answers = cards(chosen, prep.image)
        if answers:
            chart(answers)
            predicted = {n: p.digit for n, p in answers.items()}
            feedback(predicted, prep.image, image, looks_like_digit=digit_like)
    expanders(chosen, image, prep)
    return True


with ui.timed_run("draw") as run:  # LENET_TIMING_LOG=path logs its time (bench_load.py)
    run.kind = "drawing" if draw() else "empty"
