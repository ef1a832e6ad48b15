"""Draw: a digit on the canvas (or a photo of one) and every chosen model's answer, live."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

import ui
from lenet import plots
from lenet.feedback import FeedbackError
from lenet.infer import Prediction, describe
from lenet.inside import feature_maps, occlusion_saliency
from lenet.preprocess import MAX_PIXELS, fit_within, load_image, naive_resize, to_mnist
from lenet.store import StoreError
from lenet.wording import plain, with_article

ui.require_router()

DEFAULT_MODELS = ["lenet5-best", "lenet5-1998", "lenet5-bn-dropout"]
DEFAULT_STROKE = 20
STEP_TITLES = {
    "ink": "ink found",
    "cropped": "cropped",
    "scaled": "longer side 20 px",
    "centred": "centred by mass (28x28)",
}

if "draw_canvas_n" not in st.session_state:
    st.session_state["draw_canvas_n"] = 0
if "draw_stroke" not in st.session_state:
    st.session_state["draw_stroke"] = DEFAULT_STROKE
# Off at first: plotly's first load stalls the page (see README). Re-assigned on every run so
# the choice outlives the runs without a drawing, when the toggle is not on the page.
st.session_state["draw_chart"] = st.session_state.get("draw_chart", False)
for _key in ("draw_inside_open", "draw_how_open"):  # likewise the expanders' open state
    st.session_state[_key] = st.session_state.get(_key, False)


def clear_canvas() -> None:
    st.session_state["draw_canvas_n"] += 1  # a new key is the only way to clear the component


def keep_stroke() -> None:
    st.session_state["draw_stroke"] = st.session_state["draw_stroke_slider"]


def pen_slider() -> None:
    """The stroke width slider, showing the current width whenever its popover opens.

    A closed popover's slider is not mounted in the browser, which then shows the value the
    run sent, not the one the slider had; so the width lives in ``draw_stroke`` and is sent
    to the slider again on every run.
    """
    st.session_state["draw_stroke_slider"] = st.session_state["draw_stroke"]
    st.slider("Stroke width (px)", 6, 40, key="draw_stroke_slider", on_change=keep_stroke)


def on_upload() -> None:
    clear_canvas()  # the photo replaces the drawing; removing it gives an empty canvas


def uploaded_photo():  # type: ignore[no-untyped-def]
    """The uploaded photo as an array, or None (with the reason shown when it is unreadable).

    Decoded once per upload: later runs (every stroke, every widget) reuse it.
    """
    file = st.session_state.get("draw_upload")
    if file is None:
        st.session_state.pop("draw_photo", None)
        return None
    cached = st.session_state.get("draw_photo")
    if cached is None or cached[0] != file.file_id:
        try:
            cached = (file.file_id, load_image(file.getvalue(), name=file.name), None)
        except ValueError as exc:
            problem = str(exc)
            cached = (file.file_id, None, f"{problem[:1].upper()}{problem[1:]}.")
        st.session_state["draw_photo"] = cached
    _, photo, problem = cached
    if problem:
        st.error(plain(problem))
    return photo


def canvas_image():  # type: ignore[no-untyped-def]
    """The canvas, or the uploaded photo in its place, and the row of buttons under it.

    Returns:
        The image to read (None while the canvas is empty) and the photo's file name (None
        for a drawing).
    """
    photo = uploaded_photo()
    if photo is None:
        image = st_canvas(
            stroke_width=st.session_state["draw_stroke"],
            stroke_color="#ffffff",
            background_color="#000000",
            height=280,
            width=280,
            drawing_mode="freedraw",
            return_image_data=True,
            key=f"draw_canvas_{st.session_state['draw_canvas_n']}",
        ).image_data
    else:
        name = st.session_state["draw_upload"].name
        st.image(fit_within(photo, 280), caption=f"Your photo: {plain(name)}", width=280)
        image = photo
    row = st.container(horizontal=True)
    if photo is None:
        row.button("Clear", on_click=clear_canvas, icon=":material/ink_eraser:", key="draw_clear")
        # Settings live in popovers: their widgets load only when opened, which keeps the
        # canvas's first appearance fast (benchmarks/bench_startup.py).
        with row.popover(f"Pen: {st.session_state['draw_stroke']} px", icon=":material/stylus:"):
            pen_slider()
    label = "Upload a photo instead" if photo is None else "Change or remove the photo"
    with row.popover(label, icon=":material/upload:"):
        st.file_uploader(
            "A photo or scan of one digit",
            type=["png", "jpg", "jpeg"],
            key="draw_upload",
            on_change=on_upload,
            help=f"PNG or JPEG, up to {st.get_option('server.maxUploadSize')} MB and "
            f"{MAX_PIXELS / 1e6:.0f} megapixels (a 48 MP phone photo is fine).",
        )
    return image, (None if photo is None else st.session_state["draw_upload"].name)


def inside(chosen: list[str], image) -> None:  # type: ignore[no-untyped-def]
    a, b = st.columns(2)
    name = a.selectbox("Model", chosen, key="draw_inside_model")
    try:
        seen = feature_maps(ui.features(name), image)
        filters = ui.c1_filters(name)
    except StoreError as exc:
        st.error(plain(str(exc)))
        return
    top = int(seen.probabilities.argmax())
    digit = b.selectbox("Explain the digit", list(range(10)), index=top, key="draw_inside_digit")
    saliency = occlusion_saliency(ui.predictor(name), image, digit)
    left, mid, right = st.columns([1, 2, 2])
    left.image(
        plots.saliency_overlay(image, saliency, 5),
        caption=(
            f"Evidence for {digit} ({seen.probabilities[digit]:.0%}): hiding red parts lowers "
            "its probability, hiding blue parts raises it"
        ),
    )
    left.image(
        plots.map_grid(filters, columns=min(3, filters.shape[-1]), scale=12),
        caption=f"The {filters.shape[-1]} learned C1 filters",
    )
    mid.image(
        plots.map_grid(seen.c1, columns=3, scale=4),
        caption=f"C1: {seen.c1.shape[-1]} feature maps, {seen.c1.shape[0]}x{seen.c1.shape[1]}",
    )
    right.image(
        plots.map_grid(seen.c3, columns=4, scale=8 if seen.c3.shape[0] <= 10 else 5),
        caption=f"C3: {seen.c3.shape[-1]} feature maps, {seen.c3.shape[0]}x{seen.c3.shape[1]}",
    )


def how(model: str, image, prep) -> None:  # type: ignore[no-untyped-def]
    """The preprocessing steps, and the naive resize next to the faithful pipeline."""
    st.markdown(
        "MNIST digits were size-normalised to fit a 20x20 box (keeping the aspect "
        "ratio) and centred by their centre of mass in 28x28. The same is done here:"
    )
    for col, (step, img) in zip(st.columns(len(prep.steps)), prep.steps.items(), strict=False):
        col.image(
            plots.upscale(img, max(1, 112 // max(img.shape))),
            caption=STEP_TITLES.get(step, step),
        )
    naive = naive_resize(image)
    a, b = st.columns(2)
    for col, img, label in (
        (a, naive, "naive 28x28 resize"),
        (b, prep.image, "faithful pipeline"),
    ):
        pred = describe(ui.predictor(model).predict(img)[0])
        col.image(
            plots.upscale(img, 5),
            caption=f"{label}: {model} says {pred.digit} ({pred.confidence:.0%})",
        )


def save_feedback(digit: int, predictions: dict[str, int], image28, raw) -> None:  # type: ignore[no-untyped-def]
    try:
        ui.feedback_store().add(digit, image28, predictions, raw=raw)
    except (FeedbackError, ValueError) as exc:
        st.session_state["draw_feedback"] = ("error", f"Could not save the drawing: {exc}")
    else:
        st.session_state["draw_feedback"] = (
            "success",
            f"Saved as {with_article(digit)} in My drawings.",
        )
        clear_canvas()  # ready for the next one


def on_wrong(predictions: dict[str, int], image28, raw) -> None:  # type: ignore[no-untyped-def]
    digit = st.session_state.get("draw_wrong")
    if digit is not None:
        save_feedback(int(digit), predictions, image28, raw)
    st.session_state["draw_wrong"] = None


def feedback(predictions: dict[str, int], image28, raw) -> None:  # type: ignore[no-untyped-def]
    first_model, first = next(iter(predictions.items()))
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
        "Wrong, it was",
        list(range(10)),
        key="draw_wrong",
        on_change=on_wrong,
        args=(predictions, image28, raw),
    )


def draw() -> None:
    st.title("Draw a digit")
    ui.card_style()
    st.space(20)  # room for the canvas's hover toolbar, which floats above it
    if st.session_state.get("draw_feedback"):
        kind, text = st.session_state.pop("draw_feedback")
        (st.success if kind == "success" else st.error)(plain(text))
    names = ui.usable_names()
    if not names:
        st.info("No usable models. Train one with `python -m lenet train`.")
        st.stop()
    if "draw_models" not in st.session_state:
        st.session_state["draw_models"] = [n for n in DEFAULT_MODELS if n in names] or names[:1]
    # A stored choice may name a model deleted since; the widget only accepts current names.
    st.session_state["draw_models"] = [n for n in st.session_state["draw_models"] if n in names]
    chosen: list[str] = st.session_state["draw_models"]
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
        return
    with left:
        st.image(plots.upscale(prep.image, 5), caption="What the models see (28x28)")
    if not chosen:
        right.info("Pick at least one model under Models.")
        return
    answers: dict[str, Prediction] = {}
    with right:
        for row in range(0, len(chosen), 3):
            for col, name in zip(st.columns(3), chosen[row : row + 3], strict=False):
                with col:
                    try:
                        pred = describe(ui.predictor(name).predict(prep.image)[0])
                    except StoreError as exc:
                        st.error(plain(str(exc)))
                        continue
                    answers[name] = pred
                    ui.prediction_card(name, pred, bars=not st.session_state["draw_chart"])
        if answers:
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
            feedback({n: p.digit for n, p in answers.items()}, prep.image, image)
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


with ui.timed_run("draw"):  # LENET_TIMING_LOG=path logs its time (bench_load.py)
    draw()
