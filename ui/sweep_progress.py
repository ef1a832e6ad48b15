"""The Sweep page's running sweeps: a progress bar each, and the latest sweep's outcome."""

from __future__ import annotations

import streamlit as st

from lenet.wording import plain
from ui.jobs import job_manager


def progress() -> None:
    sweeps = [j for j in job_manager().list() if j.kind == "sweep"]
    for job in reversed([j for j in sweeps if not j.final]):
        p = job.progress
        name = plain(job.name)
        if job.state == "running" and p.phase == "sweeping":
            best = p.best_val_accuracy
            st.progress(
                p.fraction or 0.0,
                text=(
                    f"{name}: {p.trials_done}/{p.trials} trials"
                    + (f" · best validation accuracy {best:.2%}" if best is not None else "")
                ),
            )
        else:
            st.caption(f"{name}: {job.state} ({p.phase or 'starting'})")
    # Only the latest sweep's outcome: an older failure goes once a later sweep started.
    if sweeps and sweeps[-1].final:
        last = sweeps[-1]
        if last.state == "done":
            st.success(f"{plain(last.name)}: done; its trials are in the table below.")
        else:
            st.warning(f"{plain(last.name)}: {last.state}: {plain(last.error)}")
