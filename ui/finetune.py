"""The Train page's section that fine-tunes a stored model on the person's drawings."""

from __future__ import annotations

import streamlit as st

from lenet.feedback import FeedbackError
from lenet.jobs import JobError
from lenet.pipeline import finetune_config
from lenet.store import StoreError
from lenet.wording import plural
from ui.drawings import feedback_store
from ui.jobs import job_manager
from ui.messages import clear_flash, flash
from ui.models import store, usable_names
from ui.train_form import out_of_range


def submit_finetune() -> None:
    """Queue the fine-tune the section describes (a refusal is left as the page's message)."""
    s = st.session_state
    problem = out_of_range(["ft_lr", "ft_images"])
    if problem:
        flash("train_message", "error", problem)
        return
    try:
        base = s["ft_base"]
        config = finetune_config(
            store().config(base),
            epochs=int(s["ft_epochs"]),
            learning_rate=float(s["ft_lr"]),
            mnist_images=int(s["ft_images"]),
        )
        job = job_manager().submit_finetune(
            base, config, s["ft_name"], holdout=float(s["ft_holdout"])
        )
    except (JobError, StoreError, ValueError) as exc:
        flash("train_message", "error", str(exc))
    else:
        clear_flash("train_message")
        st.toast(f"{job.name}: {job.state}")


def finetune_section() -> None:
    """An expander to fine-tune a model on the saved drawings (at least four)."""
    with st.expander("Fine-tune a model on your drawings"):
        try:
            count = feedback_store().count()
        except FeedbackError as exc:
            st.error(str(exc))
            return
        if count < 4:
            st.info(
                f"You have {plural(count, 'saved drawing')}. Label at least 4 on the Draw page "
                "(a few per digit is better) to fine-tune a model on your handwriting."
            )
            return
        a, b, c = st.columns(3)
        base = a.selectbox("Model", usable_names(), key="ft_base")
        b.slider("Epochs", 1, 10, 3, key="ft_epochs")
        c.number_input("Learning rate (Adam)", value=3e-4, format="%.5f", key="ft_lr")
        a.number_input("MNIST images mixed in", value=10_000, step=1000, key="ft_images")
        b.slider("Share of drawings held out to measure", 0.1, 0.9, 0.3, key="ft_holdout")
        c.text_input("New model name", value=f"{base}-mine", key="ft_name")
        st.caption(
            f"{plural(count, 'drawing')}: the held-out share measures the model before and after; "
            "the rest are mixed into MNIST at about a fifth of the images."
        )
        st.button("Fine-tune", key="ft_start", on_click=submit_finetune)
