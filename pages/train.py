"""Train: launch runs from the browser, watch them live, cancel them, keep the results."""

import streamlit as st

import ui
from lenet.config import LeNetConfig
from lenet.data import local_source
from lenet.jobs import JobError
from lenet.presets import QUICK
from lenet.worker import co2_grid
from ui.finetune import finetune_section
from ui.runs import POLL_S, job_panel
from ui.train_form import form, load_preset

ui.require_router()


def submit(config: LeNetConfig) -> None:
    try:
        job = ui.job_manager().submit(config, st.session_state["train_name"])
    except (JobError, ValueError) as exc:
        ui.flash("train_message", "error", str(exc))
    else:
        ui.clear_flash("train_message")
        st.toast(f"{job.name}: {job.state}")


def estimate_text(config: LeNetConfig) -> str:
    guess = ui.job_manager().estimate(config)
    how = "as measured on this server" if guess.measured else "a guess until a run ends here"
    return (
        f"Estimated time: **about {ui.duration(guess.seconds)}**, "
        f"including {ui.duration(guess.overhead_s)} to start the worker and evaluate ({how})"
    )


def launch(config: LeNetConfig) -> None:
    left, mid, right = st.columns([2, 2, 1], vertical_alignment="bottom")
    if st.session_state.get("train_named_for") != config.config_id:
        st.session_state["train_name"] = f"run-{config.config_id}"  # follows the settings
        st.session_state["train_named_for"] = config.config_id
        ui.clear_flash("train_message")
    left.text_input("Model name", key="train_name")
    mid.markdown(estimate_text(config))
    right.button(
        "Start training", type="primary", key="train_start", on_click=submit, args=(config,)
    )
    ui.show_flash("train_message", keep=True)
    country, region = co2_grid()
    st.caption(
        f"Energy and CO₂ (with CodeCarbon) assume the electricity grid of {country}"
        + (f" ({region})" if region else "")
        + ": set `LENET_CO2_COUNTRY` (ISO code, e.g. DEU, USA) and `LENET_CO2_REGION` to yours."
    )
    if local_source() is None:
        st.warning(
            "MNIST is not on this machine (set `MNIST_PATH`): the run will try to download it."
        )


def train() -> None:
    st.title("Train a model")
    try:
        ui.job_manager().warm_up()  # a worker with TensorFlow loaded, before the click
    except JobError as exc:  # a home that cannot hold jobs (read-only, full)
        st.error(str(exc))
        st.stop()
    if "train_activation" not in st.session_state:
        load_preset(QUICK)  # the quick recipe: 99% in two epochs
    config = form()
    if config is not None:
        launch(config)
    finetune_section()
    st.subheader("Runs")
    try:
        active = any(not j.final for j in ui.job_manager().list())
    except JobError as exc:
        st.error(str(exc))
        return
    st.session_state["train_polling"] = active
    # Every half second while a run is active: a cancelled or finished run shows within 0.5 s
    # of its worker writing the result (the manager reaps it on each look).
    st.fragment(job_panel, run_every=POLL_S if active else None)()


train()
