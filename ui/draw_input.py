"""The Draw page's input: the canvas (or an uploaded photo in its place), its buttons, the models.

``streamlit_drawable_canvas`` is imported when the canvas is drawn: it cannot be imported
outside ``streamlit run`` or AppTest.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from lenet import preprocess
from lenet.preprocess import MAX_PIXELS, fit_within
from lenet.wording import plain

DEFAULT_STROKE = 20
# The most robust to the ways people draw first (benchmarks/bench_drawn.py), then two that saw
# MNIST alone.
DEFAULT_MODELS = ["lenet5-robust", "lenet5-best", "lenet5-1998"]


def init_state() -> None:
    """The Draw page's session state, on every run (each key is set only when missing)."""
    if "draw_canvas_n" not in st.session_state:
        st.session_state["draw_canvas_n"] = 0
    if "draw_stroke" not in st.session_state:
        st.session_state["draw_stroke"] = DEFAULT_STROKE
    # Off at first: plotly's first load stalls the page (see README). Re-assigned on every run so
    # the choice outlives the runs without a drawing, when the toggle is not on the page.
    st.session_state["draw_chart"] = st.session_state.get("draw_chart", False)
    for key in ("draw_inside_open", "draw_how_open"):  # likewise the expanders' open state
        st.session_state[key] = st.session_state.get(key, False)


def clear_canvas() -> None:
    """Clear the canvas on the next run."""
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


def uploaded_photo() -> Any:
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
            # Through the module, so a test can count the decodes.
            cached = (file.file_id, preprocess.load_image(file.getvalue(), name=file.name), None)
        except ValueError as exc:
            problem = str(exc)
            cached = (file.file_id, None, f"{problem[:1].upper()}{problem[1:]}.")
        st.session_state["draw_photo"] = cached
    _, photo, problem = cached
    if problem:
        st.error(plain(problem))
    return photo


def canvas_image() -> tuple[Any, str | None]:
    """The canvas, or the uploaded photo in its place, and the row of buttons under it.

    Returns:
        The image to read (None while the canvas is empty) and the photo's file name (None
        for a drawing).
    """
    photo = uploaded_photo()
    if photo is None:
        from streamlit_drawable_canvas import st_canvas

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


def chosen_models(names: list[str]) -> list[str]:
    """The models picked (by default the bundled trio), less any deleted since."""
    if "draw_models" not in st.session_state:
        st.session_state["draw_models"] = [n for n in DEFAULT_MODELS if n in names] or names[:1]
    # A stored choice may name a model deleted since; the widget only accepts current names.
    st.session_state["draw_models"] = [n for n in st.session_state["draw_models"] if n in names]
    return st.session_state["draw_models"]
