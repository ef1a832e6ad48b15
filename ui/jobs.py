"""The app's job manager: one per server and ``LENET_HOME``, pumping in the background."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from lenet.jobs import JobError, JobManager, Launcher, launch_worker
from ui.models import store

_launcher: Launcher | None = None  # None: the app's own (a warm worker, or a process per job)


def use_launcher(launcher: Launcher | None) -> None:
    """Start workers with ``launcher`` from now on (None: the real worker process).

    The hook for tests, which start stand-ins (``tests.helpers.StandInWorkers``) instead of
    training; the current manager is dropped, so the next ``job_manager()`` uses it.
    """
    global _launcher
    _launcher = launcher
    _job_manager.clear()


@st.cache_resource(show_spinner=False, on_release=lambda m: m.stop_background())
def _job_manager(home: str, workers: int) -> JobManager:
    from lenet.warm import WarmLauncher, idle_seconds

    launcher: Launcher = _launcher or (
        WarmLauncher(slots=workers) if idle_seconds() > 0 else launch_worker
    )
    manager = JobManager(
        Path(home), workers=workers, data_path=os.environ.get("MNIST_PATH"), launcher=launcher
    )
    manager.start_background()
    return manager


def job_manager() -> JobManager:
    """The app's job manager (one per server and ``LENET_HOME``), pumping in the background.

    ``LENET_WORKERS`` sets how many jobs train at once (default 1). Jobs run in a warm worker
    (``lenet.warm``) unless ``LENET_WARM_IDLE_S=0``.
    """
    return _job_manager(str(store().home), int(os.environ.get("LENET_WORKERS", "1")))


def start_jobs() -> None:
    """Start the job manager with the server, so a queue left by a restart resumes at once.

    Cheap (no TensorFlow): it reads the jobs folder and starts the pump thread. A home that
    cannot hold jobs is reported by the Train and Sweep pages, not here.
    """
    try:
        job_manager()
    except JobError:
        pass
