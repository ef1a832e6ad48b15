"""The Draw page's expanders: inside the network, and how a drawing becomes MNIST."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lenet import plots
from lenet.infer import describe
from lenet.inside import feature_maps, occlusion_saliency
from lenet.preprocess import naive_resize
from lenet.store import StoreError
from lenet.wording import plain
from ui.models import c1_filters, features, predictor

STEP_TITLES = {
    "ink": "ink found",
    "cropped": "cropped",
    "thinned": "pen thinned to the digit's size",
    "scaled": "longer side 20 px",
    "centred": "centred by mass (28x28)",
}


def inside(chosen: list[str], image: Any) -> None:
    """One model's C1/C3 feature maps, its C1 filters and the evidence for a digit."""
    a, b = st.columns(2)
    name = a.selectbox("Model", chosen, key="draw_inside_model")
    try:
        seen = feature_maps(features(name), image)
        filters = c1_filters(name)
    except StoreError as exc:
        st.error(plain(str(exc)))
        return
    top = int(seen.probabilities.argmax())
    digit = b.selectbox("Explain the digit", list(range(10)), index=top, key="draw_inside_digit")
    saliency = occlusion_saliency(predictor(name), image, digit)
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
        plots.map_grid(seen.c1, columns=3, scale=4 if seen.c1.shape[0] > 12 else 8),
        caption=f"C1: {seen.c1.shape[-1]} feature maps, {seen.c1.shape[0]}x{seen.c1.shape[1]}",
    )
    right.image(
        plots.map_grid(seen.c3, columns=4, scale=_c3_scale(seen.c3.shape[0])),
        caption=f"C3: {seen.c3.shape[-1]} feature maps, {seen.c3.shape[0]}x{seen.c3.shape[1]}",
    )


def _c3_scale(side: int) -> int:
    """Pixels per map pixel for C3 maps: 4x4 maps (a block that pools first) drawn larger."""
    return 16 if side <= 4 else 8 if side <= 10 else 5


def how(model: str, image: Any, prep: Any) -> None:
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
        pred = describe(predictor(model).predict(img)[0])
        col.image(
            plots.upscale(img, 5),
            caption=f"{label}: {model} says {pred.digit} ({pred.confidence:.0%})",
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
