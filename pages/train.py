"""Train: launch runs from the browser, watch them live, cancel them, keep the results."""

import time

import streamlit as st

import ui
from lenet import config as cfg
from lenet import plots
from lenet.config import SMALL_RUN, LeNetConfig
from lenet.data import local_source
from lenet.feedback import FeedbackError
from lenet.jobs import DEFAULT_OVERHEAD_S, Job, JobError, JobManager, estimate_seconds
from lenet.pipeline import JobResult
from lenet.store import StoreError
from lenet.wording import plural
from lenet.worker import co2_grid

ui.require_router()

FIELDS = (
    "activation",
    "pooling",
    "padding",
    "input_size",
    "optimizer",
    "learning_rate",
    "lr_schedule",
    "epochs",
    "batch_size",
    "train_subset",
    "seed",
    "aug_shift",
    "aug_rotation",
    "aug_zoom",
    "aug_shear",
    "aug_stroke",
)
# The form's number fields and what they accept. Streamlit's own min/max would keep the last
# valid value when a typed one is out of range (the field turns red and the run would use the
# old value), so the fields take any number and the page refuses the run, naming the field.
RANGES = {
    "train_blocks": ("Conv blocks", 1, 3),
    **{f"train_filters{i}": (f"Filters {i + 1}", 1, 256) for i in range(3)},
    "train_learning_rate": ("Learning rate", 1e-6, 1.0),
    "train_train_subset": ("Training images", 100, 60_000),
    "train_seed": ("Seed", 0, 2**31 - 1),
    "ft_lr": ("Learning rate (Adam)", 1e-5, 1e-2),
    "ft_images": ("MNIST images mixed in", 1000, 60_000),
}
POLL_S = 0.5
STATE_ICON = {
    "queued": ":material/hourglass_empty:",
    "running": ":material/directions_run:",
    "done": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/stop_circle:",
    "interrupted": ":material/warning:",
}


def load_preset(config: LeNetConfig) -> None:
    """Put a configuration into the form's widgets (fields without a widget ride along)."""
    st.session_state["train_base"] = config
    for name in FIELDS:
        st.session_state[f"train_{name}"] = getattr(config, name) or (
            60_000 if name == "train_subset" else getattr(config, name)
        )
    st.session_state["train_blocks"] = config.conv_blocks
    for i in range(3):
        st.session_state[f"train_filters{i}"] = (config.filters + (16, 16))[i]
        st.session_state[f"train_bn{i}"] = bool((config.batch_norm + (False,) * 3)[i])
        st.session_state[f"train_cdrop{i}"] = float((config.conv_dropout + (0.0,) * 3)[i])
    for i in range(2):
        st.session_state[f"train_ddrop{i}"] = float((config.dense_dropout + (0.0, 0.0))[i])
    st.session_state["train_dense"] = ", ".join(map(str, config.dense_units))


def on_preset() -> None:
    name = st.session_state["train_preset"]
    load_preset(SMALL_RUN if name == "small run (defaults)" else ui.store().config(name))


def on_dropout_shortcut() -> None:
    rate = st.session_state["train_dropout"]
    for key in [f"train_cdrop{i}" for i in range(3)] + ["train_ddrop0", "train_ddrop1"]:
        st.session_state[key] = rate


def out_of_range(keys: list[str]) -> str:
    """The first of ``keys`` whose number is outside ``RANGES``, as a sentence; else ""."""
    for key in keys:
        label, low, high = RANGES[key]
        value = st.session_state.get(key)
        if value is not None and not low <= value <= high:
            return f"{label} must be between {low:,} and {high:,} (it is {value:,}): not started."
    return ""


def form() -> LeNetConfig | None:
    s = st.session_state
    st.selectbox(
        "Start from",
        ["small run (defaults)", *ui.usable_names()],
        key="train_preset",
        on_change=on_preset,
    )
    arch, reg, fit = st.columns(3, gap="large")
    with arch:
        st.markdown("**Architecture**")
        st.selectbox("Activation", cfg.ACTIVATIONS, key="train_activation")
        st.selectbox("Pooling", cfg.POOLINGS, key="train_pooling")
        st.selectbox("Padding", cfg.PADDINGS, key="train_padding")
        st.radio("Input size", cfg.INPUT_SIZES, key="train_input_size", horizontal=True)
        st.number_input("Conv blocks", step=1, key="train_blocks", help="1 to 3")
        blocks = min(max(int(s["train_blocks"]), 1), 3)  # the layout; a bad value is refused
        cols = st.columns(3)
        for i in range(blocks):
            cols[i].number_input(f"Filters {i + 1}", step=1, key=f"train_filters{i}")
            cols[i].checkbox("BN", key=f"train_bn{i}", help="batch normalisation in this block")
        st.text_input("Dense widths", key="train_dense", help="e.g. 120, 84")
    with reg:
        st.markdown("**Regularisation**")
        st.slider(
            "Dropout (sets every layer)",
            0.0,
            0.9,
            0.0,
            0.05,
            key="train_dropout",
            on_change=on_dropout_shortcut,
        )
        with st.expander("Dropout per layer"):
            for i in range(blocks):
                st.slider(f"after conv block {i + 1}", 0.0, 0.9, step=0.05, key=f"train_cdrop{i}")
            for i, label in enumerate(("after C5 (dense 1)", "after F6 (dense 2)")):
                st.slider(label, 0.0, 0.9, step=0.05, key=f"train_ddrop{i}")
        st.markdown("**Augmentation**")
        st.slider("Shift (fraction)", 0.0, 0.3, step=0.01, key="train_aug_shift")
        st.slider("Rotation (degrees)", 0.0, 45.0, step=1.0, key="train_aug_rotation")
        st.slider("Zoom", 0.0, 0.5, step=0.01, key="train_aug_zoom")
        st.slider("Shear (slant)", 0.0, 0.5, step=0.01, key="train_aug_shear")
        st.slider(
            "Stroke thickness change (probability)", 0.0, 1.0, step=0.05, key="train_aug_stroke"
        )
    with fit:
        st.markdown("**Training**")
        st.selectbox("Optimizer", cfg.OPTIMIZERS, key="train_optimizer")
        st.number_input("Learning rate", format="%.4f", key="train_learning_rate")
        st.selectbox("Schedule", cfg.LR_SCHEDULES, key="train_lr_schedule")
        st.slider("Epochs", 1, ui.job_manager().limits.max_epochs, key="train_epochs")
        st.select_slider("Batch size", [16, 32, 64, 128, 256, 512], key="train_batch_size")
        st.number_input("Training images (stratified subset)", step=1000, key="train_train_subset")
        st.number_input("Seed", step=1, key="train_seed")
    keys = ["train_blocks", *(f"train_filters{i}" for i in range(blocks))]
    problem = out_of_range([*keys, "train_learning_rate", "train_train_subset", "train_seed"])
    if problem:
        st.error(problem)
        return None
    try:
        dense = tuple(int(v) for v in s["train_dense"].replace(",", " ").split())
        values = {k: s[f"train_{k}"] for k in FIELDS}
        values["train_subset"] = (
            None if values["train_subset"] >= 60_000 else values["train_subset"]
        )
        return s["train_base"].replace(
            **values,
            filters=tuple(s[f"train_filters{i}"] for i in range(blocks)),
            batch_norm=tuple(s[f"train_bn{i}"] for i in range(blocks)),
            conv_dropout=tuple(s[f"train_cdrop{i}"] for i in range(blocks)),
            dense_units=dense,
            dense_dropout=tuple(s[f"train_ddrop{i}"] for i in range(2))[: len(dense)]
            + (0.0,) * max(0, len(dense) - 2),
        )
    except ValueError as exc:
        st.error(f"Invalid setting: {exc}")
        return None


def submit(config: LeNetConfig) -> None:
    try:
        job = ui.job_manager().submit(config, st.session_state["train_name"])
    except (JobError, ValueError) as exc:
        st.session_state["train_message"] = str(exc)
    else:
        st.session_state["train_message"] = ""
        st.toast(f"{job.name}: {job.state}")


def estimate_text(config: LeNetConfig) -> str:
    measured = ui.job_manager().measured_overhead_s()
    overhead = DEFAULT_OVERHEAD_S if measured is None else measured
    how = "a guess until a run ends here" if measured is None else "as measured on this server"
    return (
        f"Estimated time: **about {ui.duration(estimate_seconds(config, overhead))}**, "
        f"including {ui.duration(overhead)} to start the worker and evaluate ({how})"
    )


def launch(config: LeNetConfig) -> None:
    left, mid, right = st.columns([2, 2, 1], vertical_alignment="bottom")
    if st.session_state.get("train_named_for") != config.config_id:
        st.session_state["train_name"] = f"run-{config.config_id}"  # follows the settings
        st.session_state["train_named_for"] = config.config_id
        st.session_state["train_message"] = ""
    left.text_input("Model name", key="train_name")
    mid.markdown(estimate_text(config))
    right.button(
        "Start training", type="primary", key="train_start", on_click=submit, args=(config,)
    )
    if st.session_state.get("train_message"):
        st.error(st.session_state["train_message"])
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


def energy_text(r: JobResult) -> str:
    if r.energy_kwh is None or r.co2_kg is None:
        return f"energy: unavailable ({r.energy_note or 'no estimate'})"
    grid = r.co2_grid or "FRA"
    return (
        f"{ui.energy_text(r.energy_kwh)}, {ui.mass_text(r.co2_kg)} CO₂ "
        f"(the {grid} electricity grid)"
    )


CANCEL_WAIT_S = 3.0  # a Cancel click waits this long at most for the worker to stop


def job_panel() -> None:
    manager = ui.job_manager()
    try:
        jobs = list(reversed(manager.list()))[:8]
    except JobError as exc:
        st.error(str(exc))
        return
    for problem in manager.broken.values():
        st.warning(problem)
    show_jobs(manager, jobs)
    if st.session_state.get("train_polling") and all(j.final for j in jobs):
        # After the runs are on screen (a full rerun takes seconds on a loaded machine, and
        # "cancelled" must show at once): stop polling; "Start from" now lists a new model.
        st.session_state["train_polling"] = False
        st.rerun(scope="app")


def show_jobs(manager: JobManager, jobs: list[Job]) -> None:
    if not jobs:
        st.caption("No runs yet.")
    for job in jobs:
        p = job.progress
        with st.container(border=True):
            head, button = st.columns([5, 1], vertical_alignment="center")
            head.markdown(f"{STATE_ICON[job.state]} **{job.name}** · {job.state}")
            if not job.final and button.button("Cancel", key=f"train_cancel_{job.id}"):
                # The worker stops within a chunk: show "cancelled" as soon as it has, not a
                # poll later (if it takes longer, the next poll shows it).
                manager.cancel(job.id, wait_s=CANCEL_WAIT_S)
                st.rerun(scope="fragment")
            if job.state == "running" and p.training:
                st.progress(
                    p.fraction or 0.0,
                    text=(
                        f"epoch {p.epoch}/{p.epochs} · batch {p.batch}/{p.batches} · "
                        f"loss {p.loss or 0.0:.3f} · accuracy {p.accuracy or 0.0:.1%} · "
                        f"{p.images_per_s or 0.0:,.0f} images/s · {ui.duration(p.eta_s)} left"
                    ),
                )
            elif job.state == "running":
                since = ui.duration(time.time() - job.started) if job.started else "?"
                phase = p.phase or "starting"
                why = "; the worker loads TensorFlow first" if phase == "starting" else ""
                st.caption(f"{phase}… ({since} so far{why})")
            if p.history:
                st.plotly_chart(
                    plots.training_curves({job.name: p.history}), key=f"train_curves_{job.id}"
                )
            if job.state == "done":
                r = job.result
                energy = energy_text(r)
                if r.drawings:
                    d = r.drawings
                    st.info(
                        f"On your {plural(d.held_out, 'held-out drawing')}: {d.before:.0%} "
                        f"before fine-tuning, {d.after:.0%} after."
                    )
                st.success(
                    f"Saved as **{r.model}**: test accuracy {r.accuracy or 0.0:.2%}, "
                    f"trained in {ui.duration(r.seconds)} · {energy}. It is on the "
                    "Draw, Evaluate and Compare pages now."
                )
            elif job.state in ("failed", "interrupted"):
                st.error(job.error)
            elif job.state == "cancelled":
                st.warning(job.error)


def submit_finetune() -> None:
    s = st.session_state
    problem = out_of_range(["ft_lr", "ft_images"])
    if problem:
        s["train_message"] = problem
        return
    try:
        base = s["ft_base"]
        config = (
            ui.store()
            .config(base)
            .replace(
                optimizer="adam",
                learning_rate=float(s["ft_lr"]),
                lr_schedule="constant",
                epochs=int(s["ft_epochs"]),
                train_subset=int(s["ft_images"]),
            )
        )
        job = ui.job_manager().submit_finetune(
            base, config, s["ft_name"], holdout=float(s["ft_holdout"])
        )
    except (JobError, StoreError, ValueError) as exc:
        s["train_message"] = str(exc)
    else:
        s["train_message"] = ""
        st.toast(f"{job.name}: {job.state}")


def finetune_section() -> None:
    with st.expander("Fine-tune a model on your drawings"):
        try:
            count = ui.feedback_store().count()
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
        base = a.selectbox("Model", ui.usable_names(), key="ft_base")
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


def train() -> None:
    st.title("Train a model")
    try:
        ui.job_manager().warm_up()  # a worker with TensorFlow loaded, before the click
    except JobError as exc:  # a home that cannot hold jobs (read-only, full)
        st.error(str(exc))
        st.stop()
    if "train_activation" not in st.session_state:
        load_preset(SMALL_RUN)
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
