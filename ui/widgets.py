"""Widgets shared by the pages: the sidebar, the model picker, a grid of small images."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lenet import plots
from lenet.analysis import Example
from ui.models import store, usable_names


def sidebar() -> None:
    """The sidebar of every page: what the app is and where your runs are saved."""
    with st.sidebar:
        st.caption(
            "LeNet-5 on MNIST, from the 1998 paper to modern variants. "
            "Bundled models work offline; your own runs are saved under "
            f"`{store().user_root}`."
        )


def model_picker(label: str, key: str, default: str | None = None) -> str | None:
    """A selectbox over the usable models; shows a hint and returns None when there are none."""
    names = usable_names()
    if not names:
        st.info(
            "No usable models yet: bundled ones live in `assets/models/`; train your own "
            "with `python -m lenet train`."
        )
        return None
    index = names.index(default) if default in names else 0
    return st.selectbox(label, names, index=index, key=key)


def image_grid(examples: list[Example], caption: Callable[[Example], str], width: int = 72) -> None:
    """Small 28x28 images with captions, wrapped in rows."""
    if not examples:
        st.caption("No images to show.")
        return
    st.image(
        [plots.upscale(e.image, 3) for e in examples],
        caption=[caption(e) for e in examples],
        width=width,
    )
