"""One job in its own process: ``python -m lenet.worker JOB_DIR --home HOME``.

Process plumbing around ``lenet.pipeline``: runs the job's recipe (train, fine-tune or
sweep), reports progress to ``progress.json`` a few times a second, stops within one compiled
chunk of batches when ``cancel`` appears (or when the server that started it dies), and on
success the recipe evaluates on the test set and saves the model to the store (atomically).
It always ends by writing ``result.json`` (done, failed, cancelled, or interrupted when the
server that started it went away), unless it is killed. It runs at a lower CPU priority
than the server (``lower_priority``), so pages stay responsive while it trains.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from lenet.files import pid_alive, write_json
from lenet.pipeline import JobProgress, JobResult

PROGRESS_EVERY_S = 0.25
PREPARE_AFTER_S = 2.0  # a warm worker idle this long prepares the quick run (lenet.train.prepare)
FULL_OR_READ_ONLY = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
WORKER_NICE = 10  # added to the server's niceness: the server's pages come first
SCRATCH_PREFIX = "lenet-worker-"  # + pid: each worker's own temporary folder
DEFAULT_CO2_COUNTRY = "FRA"  # CodeCarbon needs a grid; LENET_CO2_COUNTRY picks another


def lower_priority() -> None:
    """Make this process (and the threads it starts later) yield the CPU to the server.

    A nice value (+10 on the server's), not ``SCHED_IDLE``: idle scheduling starved training
    behind any other program on the machine (a browser, another job) and, measured with
    ``benchmarks/bench_load.py``, did not shorten the server's runs.
    """
    os.nice(WORKER_NICE)


def private_tmp() -> Path:
    """Give this process a temporary folder of its own, and remove those of dead workers.

    TensorFlow's autograph writes a ``__autograph_generated_file*.py`` into the temporary
    folder for each function it traces and removes them only at a normal interpreter exit,
    which a worker skips (``os._exit``: the teardown takes seconds). Before this, 2,943 of
    them had piled up in ``/tmp`` after a day of training here. The folder is set as
    ``tempfile``'s default for this process and removed by the caller at exit; one left by a
    killed worker is removed by the next worker that starts.

    Returns:
        The new folder.
    """
    base = Path(tempfile.gettempdir())
    for old in base.glob(f"{SCRATCH_PREFIX}*"):
        pid = old.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=base))
    tempfile.tempdir = str(folder)
    return folder


def _report(job_dir: Path, progress: JobProgress) -> None:
    write_json(job_dir / "progress.json", progress.to_dict(), indent=None)


def co2_grid() -> tuple[str, str | None]:
    """The electricity grid the CO2 figure assumes: (ISO 3166 alpha-3 country, region or None).

    ``LENET_CO2_COUNTRY`` (e.g. ``DEU``, ``USA``; default ``FRA``) and, for countries CodeCarbon
    knows by region, ``LENET_CO2_REGION`` (e.g. ``california``).
    """
    country = os.environ.get("LENET_CO2_COUNTRY", "").strip().upper() or DEFAULT_CO2_COUNTRY
    region = os.environ.get("LENET_CO2_REGION", "").strip().lower() or None
    return country, region


def _energy_tracker() -> tuple[Any, str]:
    """CodeCarbon's offline tracker and "" when available, else None and the reason."""
    try:
        from codecarbon import OfflineEmissionsTracker
    except ImportError:
        return None, "CodeCarbon is not installed"
    country, region = co2_grid()
    try:
        tracker = OfflineEmissionsTracker(
            country_iso_code=country, region=region, log_level="error", save_to_file=False
        )
    except Exception as exc:  # codecarbon probes hardware; any failure just means no estimate
        return None, f"CodeCarbon could not start for grid {country} ({exc})"
    return tracker, ""


def run_sweep_job(job_dir: Path, job: dict[str, Any], data: str | None) -> JobResult:
    """Run a sweep job's trials, reporting trials done and the best so far."""
    from lenet.data import load_mnist_kept
    from lenet.sweep import SweepError, SweepSettings, run_sweep, trials_table

    settings = SweepSettings(**job["sweep"])
    cancel = threading.Event()
    parent = os.getppid()
    done: list[float | None] = []

    def on_trial(trial: Any) -> None:
        done.append(trial.value)
        if (job_dir / "cancel").exists() or os.getppid() != parent:
            cancel.set()
        values = [v for v in done if v is not None]
        best = max(values) if values else None
        _report(
            job_dir,
            JobProgress(
                "sweeping", trials_done=len(done), trials=settings.trials, best_val_accuracy=best
            ),
        )

    _report(job_dir, JobProgress("loading data"))
    x_train, y_train, _, _ = load_mnist_kept(data)
    _report(job_dir, JobProgress("sweeping", trials=settings.trials))
    start = time.perf_counter()
    try:
        study = run_sweep(settings, (x_train, y_train), on_trial=on_trial, cancel=cancel)
    except SweepError as exc:  # storage, space or seed: its one sentence, not a class name
        return JobResult("failed", str(exc), study=settings.study_name)
    best = trials_table(study)[0] if study.trials else {}
    cancelled = (job_dir / "cancel").exists()
    return JobResult(
        "cancelled" if cancelled else "done",
        "cancelled; finished trials are kept in the study" if cancelled else "",
        study=settings.study_name,
        best_trial=best.get("trial"),
        best_val_accuracy=best.get("val_accuracy"),
        seconds=time.perf_counter() - start,
    )


def run(job_dir: Path, home: Path, data: str | None) -> JobResult:
    """Run one job (train, fine-tune or sweep) through ``pipeline``; returns its result."""
    from lenet.config import LeNetConfig
    from lenet.data import load_mnist_kept
    from lenet.pipeline import finetune_on_drawings, train_evaluate_save
    from lenet.store import ModelStore
    from lenet.train import Progress

    job = json.loads((job_dir / "job.json").read_text())
    if job.get("kind") == "sweep":
        return run_sweep_job(job_dir, job, data)
    config = LeNetConfig.from_dict(job["config"])
    store = ModelStore(home=home)
    cancel = threading.Event()
    parent = os.getppid()
    last = [0.0]
    first_report: list[float] = []  # when the first compiled chunk reported (after the trace)

    def on_progress(p: Progress) -> None:
        if (job_dir / "cancel").exists() or os.getppid() != parent:
            cancel.set()
        now = time.perf_counter()
        if not first_report:
            first_report.append(now)
        if p.kind == "epoch" or now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            _report(job_dir, JobProgress.of_training(p))

    _report(job_dir, JobProgress("loading data"))
    loading = time.perf_counter()
    mnist = load_mnist_kept(data)
    data_s = time.perf_counter() - loading
    tracker, energy_note = _energy_tracker()
    if tracker is not None:
        tracker.start()
    if job.get("kind") == "finetune":
        from lenet.feedback import FeedbackStore

        finetune = job.get("finetune") or {}
        drawings = FeedbackStore(home / "drawings.sqlite3").arrays()
        trained = finetune_on_drawings(
            store,
            finetune["base"],
            job["name"],
            config,
            mnist,
            drawings,
            finetune["holdout"],
            on_progress=on_progress,
            cancel=cancel,
        )
    else:
        trained = train_evaluate_save(
            store,
            job["name"],
            config,
            mnist,
            "trained in the studio",
            on_progress=on_progress,
            cancel=cancel,
        )
    energy_kwh = co2_kg = None
    if tracker is not None:
        co2_kg = tracker.stop()
        energy_kwh = getattr(
            getattr(tracker, "final_emissions_data", None), "energy_consumed", None
        )
    result = JobResult(
        seconds=trained.result.seconds,
        energy_kwh=energy_kwh,
        co2_kg=co2_kg,
        energy_note=energy_note,
        co2_grid="-".join(filter(None, co2_grid())),
        training_started=trained.training_started,  # the manager knows when it started us
        data_s=data_s,
        first_chunk_s=first_report[0] - loading - data_s if first_report else None,
    )
    if trained.card is None:
        if (job_dir / "cancel").exists():
            return replace(result, state="cancelled", error="cancelled; nothing was saved")
        return replace(
            result,
            state="interrupted",
            error="the server that started this run stopped while it trained; nothing was saved",
        )
    return replace(
        result,
        state="done",
        accuracy=trained.card.accuracy,
        model=trained.card.name,
        evaluation_s=trained.evaluation_s,
        save_s=trained.save_s,
        drawings=trained.drawings,
    )


def record(job_dir: Path, home: Path, data: str | None) -> int:
    """Run one job and write its ``result.json`` whatever happens; returns the exit code."""
    try:
        outcome = run(job_dir, home, data)
    except Exception as exc:  # any failure becomes a clear message in the job, not a hang
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, OSError) and exc.errno in FULL_OR_READ_ONLY:
            from lenet.jobs import storage_problem

            error = f"Nothing was saved: {storage_problem(exc, home)}."
        outcome = JobResult("failed", error)
    write_json(job_dir / "result.json", outcome.to_dict(), indent=None)
    return 0 if outcome.state == "done" else 1


def warm_up(data: str | None) -> None:
    """Do what every job needs first, before any job comes.

    TensorFlow and Keras imported, one tiny training step traced and run so TensorFlow's
    kernels and oneDNN's primitives exist, MNIST read (kept for the jobs) and the quick
    preset's run prepared. A dataset problem is left for the job to report.
    """
    import numpy as np

    from lenet.presets import QUICK
    from lenet.train import train

    x = np.zeros((64, 28, 28), np.uint8)
    y = np.arange(64, dtype=np.uint8) % 10
    # The quick preset's network (the Train page's default), so its kernels are the warm ones.
    train(QUICK.replace(epochs=1, batch_size=32, validation_split=0.5), (x, y))
    prepare_quick(data)  # reads MNIST too


def _kept_mnist(data: str | None) -> Any:
    """MNIST as the jobs will get it (kept in this process), or None where it is not at hand."""
    from lenet.data import DatasetError, load_mnist_kept, local_source

    if data is None and local_source() is None:  # never a download before a job asks
        return None
    try:
        return load_mnist_kept(data)
    except DatasetError:
        return None


def prepare_quick(data: str | None) -> None:
    """Build and trace the quick preset's run on MNIST now, so that run starts at once.

    The Train page starts from the quick preset, so the next job is most likely exactly that
    run (``lenet.train.prepare``); any other configuration is built as usual. Without MNIST at
    hand there is nothing to prepare.
    """
    from lenet.presets import QUICK
    from lenet.train import prepare

    mnist = _kept_mnist(data)
    if mnist is not None:
        prepare(QUICK, (mnist[0], mnist[1]))


def serve(data: str | None, idle_s: float) -> int:
    """A warm worker: run the jobs the job manager sends, one at a time, until idle.

    Protocol (one JSON object per line): the manager writes ``{"argv": [...]}`` (this module's
    command-line arguments for one job) on stdin; this process answers ``{"ready": true}`` once
    warm and ``{"exit": CODE}`` after each job (whose ``result.json`` is then on disk). Each
    job's output goes to its own ``worker.log``. It exits after ``idle_s`` without a job, or
    when stdin closes (the server went away).
    """
    import select

    from lenet.presets import QUICK
    from lenet.train import is_prepared

    lower_priority()
    answers = os.fdopen(os.dup(1), "w", buffering=1)  # fd 1 and 2 go to each job's log
    warm_up(data)
    answers.write(json.dumps({"ready": True}) + "\n")
    prepared = is_prepared(QUICK)
    while True:
        # Prepare the quick run again only once no job is waiting: queued jobs go first.
        wait = idle_s if prepared else min(idle_s, PREPARE_AFTER_S)
        readable, _, _ = select.select([sys.stdin], [], [], wait)
        if not readable:
            if prepared or wait >= idle_s:
                return 0
            prepare_quick(data)
            prepared = True
            continue
        line = sys.stdin.readline()
        if not line:
            return 0
        args = _parser().parse_args(json.loads(line)["argv"])
        sys.stdout.flush()
        sys.stderr.flush()
        with open(args.job_dir / "worker.log", "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        code = record(args.job_dir, args.home, args.data)
        answers.write(json.dumps({"exit": code}) + "\n")
        # A quick run keeps its traced steps for the next; after another network's run,
        # prepare the quick run again once idle.
        prepared = is_prepared(QUICK)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lenet.worker")
    parser.add_argument("job_dir", type=Path, nargs="?")
    parser.add_argument("--home", type=Path)
    parser.add_argument("--data", default=None)
    parser.add_argument(
        "--warm", type=float, metavar="IDLE_S", help="serve jobs from stdin until idle this long"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the job in ``job_dir`` in this process (or, with ``--warm``, serve jobs)."""
    args = _parser().parse_args(argv)
    if args.warm is not None:
        return serve(args.data, args.warm)
    if args.job_dir is None or args.home is None:
        _parser().error("give JOB_DIR and --home, or --warm IDLE_S")
    lower_priority()
    return record(args.job_dir, args.home, args.data)


if __name__ == "__main__":
    scratch = private_tmp()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    shutil.rmtree(scratch, ignore_errors=True)
    # The result is on disk: skip TensorFlow's and CodeCarbon's slow teardown (seconds), so the
    # manager sees the process end at once.
    os._exit(code)
