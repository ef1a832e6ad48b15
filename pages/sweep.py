"""Sweep: the reference projects' hyperparameter searches, run locally and inspected here."""

import streamlit as st

import ui
from lenet.data import local_source
from lenet.jobs import JobError
from lenet.sweep import (
    SPACES,
    SweepError,
    SweepSettings,
    check_settings,
    describe_storage,
    storage_errors,
)
from lenet.wording import plain
from ui.study_view import study_view
from ui.sweep_progress import progress

ui.require_router()


def start() -> None:
    s = st.session_state
    settings = SweepSettings(
        space=s["sweep_space"],
        trials=int(s["sweep_trials"]),
        sampler=s["sweep_sampler"],
        storage=ui.sweep_storage(),
        study=s["sweep_study"].strip() or None,
        subset=int(s["sweep_subset"]),
        epochs=int(s["sweep_epochs"]) or None,
    )
    try:
        check_settings(settings)
        job = ui.job_manager().submit_sweep(settings)
    except (JobError, SweepError, ValueError) as exc:
        ui.flash("sweep_message", "error", str(exc))
    else:
        ui.clear_flash("sweep_message")
        st.toast(f"{plain(job.name)}: {job.state}")


def launch() -> None:
    with st.form("sweep_form", border=True):
        a, b, c = st.columns(3)
        a.selectbox(
            "Search space",
            list(SPACES),
            key="sweep_space",
            help=(
                "activation-bn-dropout: activation, batch norm per block, four dropout rates. "
                "blocks-filters-lr: conv blocks, filters, padding, learning rate, epochs, batch "
                "size. Your own space: `python -m lenet sweep --space FILE`."
            ),
        )
        b.selectbox("Sampler", ["random", "tpe", "grid"], key="sweep_sampler")
        c.number_input("Trials", 1, 200, 8, key="sweep_trials")
        a.number_input("Training images per trial", 300, 60_000, 3000, step=500, key="sweep_subset")
        b.number_input("Epochs per trial (0: the space's)", 0, 30, 2, key="sweep_epochs")
        c.text_input("Study name (default: the space's)", key="sweep_study")
        st.form_submit_button("Start sweep", type="primary", on_click=start)
    ui.show_flash("sweep_message", keep=True)
    if local_source() is None:
        st.warning(
            "MNIST is not on this machine (set `MNIST_PATH`): the sweep will try to download it."
        )
    st.caption(
        "Trials train on a stratified subset and are scored on a validation split of "
        "the training images; the test set is never used. Pruned trials stopped early "
        "because their validation accuracy fell below the median."
    )


def results() -> None:
    url = ui.sweep_storage()
    st.text(f"Studies live in {describe_storage(url)}.")
    try:
        studies = ui.studies()
        if not studies:
            st.info("No sweeps yet: start one above.")
            return
        name = st.selectbox("Study", studies, key="sweep_view")
        with storage_errors(url):
            study_view(name)
    except SweepError as exc:
        st.error(plain(str(exc)))


def sweep() -> None:
    st.title("Hyperparameter sweeps")
    try:
        ui.job_manager().warm_up()  # a worker with TensorFlow loaded, before the click
    except JobError:  # the page says so where it lists runs
        pass
    launch()
    active = any(not j.final and j.kind == "sweep" for j in ui.job_manager().list())
    st.fragment(progress, run_every=1.0 if active else None)()
    st.subheader("Results")
    results()


sweep()
