"""The Train page's list of runs: state, live progress, curves, results, Cancel."""

from __future__ import annotations

import time

import streamlit as st

from lenet.jobs import Job, JobError, JobManager
from lenet.pipeline import JobResult
from lenet.wording import plural
from ui.format import duration, energy_text, mass_text
from ui.jobs import job_manager

POLL_S = 0.5  # seconds between looks at the runs while one is active (see `curves`)
STATE_ICON = {
    "queued": ":material/hourglass_empty:",
    "running": ":material/directions_run:",
    "done": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/stop_circle:",
    "interrupted": ":material/warning:",
}


CANCEL_WAIT_S = 3.0  # a Cancel click waits this long at most for the worker to stop


def energy_line(r: JobResult) -> str:
    """A finished run's energy and CO2, or why they are unavailable."""
    if r.energy_kwh is None or r.co2_kg is None:
        return f"energy: unavailable ({r.energy_note or 'no estimate'})"
    grid = r.co2_grid or "FRA"
    return f"{energy_text(r.energy_kwh)}, {mass_text(r.co2_kg)} CO₂ (the {grid} electricity grid)"


def job_panel() -> None:
    """The latest eight runs; polled by the Train page while one is active."""
    manager = job_manager()
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
    """One bordered box per run: its state, progress or result, curves, a Cancel button."""
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
                        f"{p.images_per_s or 0.0:,.0f} images/s · {duration(p.eta_s)} left"
                    ),
                )
            elif job.state == "running":
                since = duration(time.time() - job.started) if job.started else "?"
                phase = p.phase or "starting"
                why = "; the worker loads TensorFlow first" if phase == "starting" else ""
                st.caption(f"{phase}… ({since} so far{why})")
            if p.history:
                curves(p.history)
            if job.state == "done":
                r = job.result
                energy = energy_line(r)
                if r.drawings:
                    d = r.drawings
                    st.info(
                        f"On your {plural(d.held_out, 'held-out drawing')}: {d.before:.0%} "
                        f"before fine-tuning, {d.after:.0%} after."
                    )
                st.success(
                    f"Saved as **{r.model}**: test accuracy {r.accuracy or 0.0:.2%}, "
                    f"trained in {duration(r.seconds)} · {energy}. It is on the "
                    "Draw, Evaluate and Compare pages now."
                )
            elif job.state in ("failed", "interrupted"):
                st.error(job.error)
            elif job.state == "cancelled":
                st.warning(job.error)


def curves(history: list[dict[str, float]]) -> None:
    """Loss and accuracy per epoch, training and validation, as two light line charts.

    Vega-Lite specs written here, not plotly nor ``st.line_chart``: the first plotly chart a
    browser draws holds its main thread for over a second (plotly.js being compiled), and
    ``st.line_chart`` builds its spec through Altair, about 0.1 s of the server's CPU per chart.
    This page draws them at every look at a running job (``POLL_S``), and on two cores that
    CPU is taken from the training run itself (the quick run trained 1.9x slower in Chromium).
    """
    left, right = st.columns(2)
    for column, metric in ((left, "loss"), (right, "accuracy")):
        rows = [
            {"epoch": h["epoch"], "series": series, metric: h[key]}
            for h in history
            for series, key in (("training", metric), ("validation", f"val_{metric}"))
            if isinstance(h.get(key), (int, float))
        ]
        column.vega_lite_chart(spec=curve_spec(metric, rows), height=220)


def curve_spec(metric: str, rows: list[dict[str, object]]) -> dict[str, object]:
    """A Vega-Lite line chart of ``metric`` by epoch, one line per series, data inline."""
    return {
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "axis": {"tickMinStep": 1}},
            "y": {"field": metric, "type": "quantitative", "scale": {"zero": False}},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "legend": {"orient": "bottom"},
            },
        },
    }
