"""The Train page's list of runs: state, live progress, curves, results, Cancel."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from lenet import plots
from lenet.jobs import Job, JobError, JobManager
from lenet.wording import plural
from ui.format import duration, energy_text, mass_text
from ui.jobs import job_manager

POLL_S = 0.5  # seconds between looks at the runs while one is active
STATE_ICON = {
    "queued": ":material/hourglass_empty:",
    "running": ":material/directions_run:",
    "done": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/stop_circle:",
    "interrupted": ":material/warning:",
}


def energy_line(r: dict[str, Any]) -> str:
    """A finished run's energy and CO2, or why they are unavailable."""
    if r.get("energy_kwh") is None or r.get("co2_kg") is None:
        return f"energy: unavailable ({r.get('energy_note') or 'no estimate'})"
    grid = r.get("co2_grid") or "FRA"
    return (
        f"{energy_text(r['energy_kwh'])}, {mass_text(r['co2_kg'])} CO₂ "
        f"(the {grid} electricity grid)"
    )


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
                manager.cancel(job.id)
                st.rerun(scope="fragment")
            if job.state == "running" and p.get("phase") == "training":
                done = ((p["epoch"] - 1) * p["batches"] + p["batch"]) / (p["epochs"] * p["batches"])
                st.progress(
                    min(done, 1.0),
                    text=(
                        f"epoch {p['epoch']}/{p['epochs']} · batch {p['batch']}/{p['batches']} · "
                        f"loss {p['loss']:.3f} · accuracy {p['accuracy']:.1%} · "
                        f"{p['images_per_s']:,.0f} images/s · {duration(p.get('eta_s'))} left"
                    ),
                )
            elif job.state == "running":
                since = duration(time.time() - job.started) if job.started else "?"
                phase = p.get("phase") or "starting"
                why = "; the worker loads TensorFlow first" if phase == "starting" else ""
                st.caption(f"{phase}… ({since} so far{why})")
            if p.get("history"):
                st.plotly_chart(
                    plots.training_curves({job.name: p["history"]}), key=f"train_curves_{job.id}"
                )
            if job.state == "done":
                r = job.result
                energy = energy_line(r)
                if r.get("drawings"):
                    d = r["drawings"]
                    st.info(
                        f"On your {plural(d['held_out'], 'held-out drawing')}: {d['before']:.0%} "
                        f"before fine-tuning, {d['after']:.0%} after."
                    )
                st.success(
                    f"Saved as **{r['model']}**: test accuracy {r['accuracy']:.2%}, "
                    f"trained in {duration(r['seconds'])} · {energy}. It is on the "
                    "Draw, Evaluate and Compare pages now."
                )
            elif job.state in ("failed", "interrupted"):
                st.error(job.error)
            elif job.state == "cancelled":
                st.warning(job.error)
