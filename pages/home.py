"""Home: what the studio is, and the models it has."""

import streamlit as st

import ui
from lenet.wording import plural

ui.require_router()


def home() -> None:
    st.title("lenet-studio")
    st.markdown(
        "See how a convolutional network's design choices change what it gets right. "
        "**Draw** a digit and watch several LeNet-5 variants answer live, from LeCun's 1998 "
        "network (scaled tanh, average pooling, sparse C3) to modern ReLU, batch-norm and "
        "dropout rewrites."
    )
    st.page_link("pages/draw.py", label="Draw a digit", icon=":material/draw:")
    st.subheader("Models")
    cards = ui.model_cards()
    if not cards:
        st.info(
            "No models found. Bundled models live in `assets/models/`; train your own "
            "with `python -m lenet train`."
        )
        st.stop()
    rows = [
        {
            "model": c.name,
            "source": "bundled" if c.bundled else "yours",
            "test accuracy": None if c.broken else c.accuracy * 100,
            "macro F1": None if c.broken else c.macro_f1,
            "parameters": None if c.broken else c.params,
            "size (KB)": None if c.broken else c.size_bytes / 1024,
            "train time (s)": None if c.broken else c.train_seconds,
            "about": c.error and f"⚠️ broken: {c.error}" or c.description,
        }
        for c in cards
    ]
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "test accuracy": st.column_config.NumberColumn(format="%.2f %%"),
            "macro F1": st.column_config.NumberColumn(format="%.4f"),
            "parameters": st.column_config.NumberColumn(format="localized"),
            "size (KB)": st.column_config.NumberColumn(format="%.0f"),
            "train time (s)": st.column_config.NumberColumn(format="%.0f"),
        },
    )
    broken = [c for c in cards if c.broken]
    if broken:
        st.warning(
            f"{plural(len(broken), 'model')} could not be read and are left out of the other "
            "pages: " + ", ".join(c.name for c in broken)
        )
    st.caption(
        "Test accuracy is measured once, on the 10,000 MNIST test images, after "
        "training; recipes were chosen on a validation split of the training images."
    )


home()
