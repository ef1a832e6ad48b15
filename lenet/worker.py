"""One training job in its own process: ``python -m lenet.worker JOB_DIR --home HOME``.

Trains the job's config, reports progress to ``progress.json`` a few times a second, stops
within one compiled chunk of batches when ``cancel`` appears (or when the server that started
it dies), and on success evaluates on the test set and saves the model to the store
(atomically). It always ends by writing ``result.json`` (done, failed, cancelled, or interrupted
when the server that started it went away), unless it is killed. It runs at a lower CPU priority
than the server (``lower_priority``), so pages stay responsive while it trains.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from lenet.files import write_json

PROGRESS_EVERY_S = 0.25
FULL_OR_READ_ONLY = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
WORKER_NICE = 10  # added to the server's niceness: the server's pages come first
DEFAULT_CO2_COUNTRY = "FRA"  # CodeCarbon needs a grid; LENET_CO2_COUNTRY picks another


def lower_priority() -> None:
    """Make this process (and the threads it starts later) yield the CPU to the server.

    ``SCHED_IDLE`` where the OS has it (Linux): the worker runs only when the server's threads
    do not want the core, and a waking server thread preempts it at once. A nice value alone
    (+10, kept as the fallback and on top) still left the server waiting for the core at every
    wake-up: with a job training, its wall time per Draw run was about twice its CPU time
    (``benchmarks/bench_load.py``).
    """
    os.nice(WORKER_NICE)
    if hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # a platform or container that refuses it: the nice value stands
            pass


def _write(path: Path, data: dict[str, Any]) -> None:
    write_json(path, data, indent=None)


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


def run_sweep_job(job_dir: Path, job: dict[str, Any], data: str | None) -> dict[str, Any]:
    """Run a sweep job's trials, reporting trials done and the best so far."""
    from lenet.data import load_mnist
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
        _write(
            job_dir / "progress.json",
            {
                "phase": "sweeping",
                "trials_done": len(done),
                "trials": settings.trials,
                "best_val_accuracy": max(values) if values else None,
            },
        )

    _write(job_dir / "progress.json", {"phase": "loading data"})
    x_train, y_train, _, _ = load_mnist(data)
    _write(
        job_dir / "progress.json",
        {"phase": "sweeping", "trials_done": 0, "trials": settings.trials},
    )
    start = time.perf_counter()
    try:
        study = run_sweep(settings, (x_train, y_train), on_trial=on_trial, cancel=cancel)
    except SweepError as exc:  # storage, space or seed: its one sentence, not a class name
        return {"state": "failed", "error": str(exc), "study": settings.study_name}
    best = trials_table(study)[0] if study.trials else {}
    state = "cancelled" if (job_dir / "cancel").exists() else "done"
    return {
        "state": state,
        "error": "cancelled; finished trials are kept in the study" if state == "cancelled" else "",
        "study": settings.study_name,
        "best_trial": best.get("trial"),
        "best_val_accuracy": best.get("val_accuracy"),
        "seconds": time.perf_counter() - start,
    }


def run(job_dir: Path, home: Path, data: str | None) -> dict[str, Any]:
    """Train, evaluate and save one job; returns what goes into ``result.json``."""
    from lenet.config import LeNetConfig
    from lenet.data import load_mnist
    from lenet.evaluate import build_report
    from lenet.model import predict_proba
    from lenet.store import ModelStore
    from lenet.train import Progress, train

    job = json.loads((job_dir / "job.json").read_text())
    if job.get("kind") == "sweep":
        return run_sweep_job(job_dir, job, data)
    config = LeNetConfig.from_dict(job["config"])
    store = ModelStore(home=home)
    initial, finetune = None, job.get("finetune") or {}
    if job.get("kind") == "finetune":
        from lenet.feedback import FeedbackStore
        from lenet.finetune import split_drawings

        initial = store.load_model(finetune["base"])
        x_draw, y_draw = FeedbackStore(home / "drawings.sqlite3").arrays()
        (x_fit, y_fit), (x_held, y_held) = split_drawings(
            x_draw, y_draw, finetune["holdout"], config.seed
        )
        before = float((predict_proba(initial, x_held).argmax(1) == y_held).mean())
    cancel = threading.Event()
    parent = os.getppid()
    last = [0.0]

    def on_progress(p: Progress) -> None:
        if (job_dir / "cancel").exists() or os.getppid() != parent:
            cancel.set()
        now = time.perf_counter()
        if p.kind == "epoch" or now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            done = (p.epoch - 1) * p.batches + p.batch
            rate = done / max(p.elapsed_s, 1e-9)
            _write(
                job_dir / "progress.json",
                {
                    "phase": "training",
                    "epoch": p.epoch,
                    "epochs": p.epochs,
                    "batch": p.batch,
                    "batches": p.batches,
                    "loss": p.loss,
                    "accuracy": p.accuracy,
                    "images_per_s": p.images_per_s,
                    "elapsed_s": p.elapsed_s,
                    "eta_s": (p.epochs * p.batches - done) / rate if rate else None,
                    "history": p.history,
                },
            )

    _write(job_dir / "progress.json", {"phase": "loading data"})
    x_train, y_train, x_test, y_test = load_mnist(data)
    if initial is not None:
        from lenet.finetune import mix

        x_train, y_train = mix(x_train, y_train, x_fit, y_fit)
    tracker, energy_note = _energy_tracker()
    if tracker is not None:
        tracker.start()
    trained_at = time.time()
    result = train(
        config, (x_train, y_train), on_progress=on_progress, cancel=cancel, initial_model=initial
    )
    energy_kwh = co2_kg = None
    if tracker is not None:
        co2_kg = tracker.stop()
        energy_kwh = getattr(
            getattr(tracker, "final_emissions_data", None), "energy_consumed", None
        )
    base = {
        "seconds": result.seconds,
        "energy_kwh": energy_kwh,
        "co2_kg": co2_kg,
        "energy_note": energy_note,
        "co2_grid": "-".join(filter(None, co2_grid())),
        "training_started": trained_at,  # wall clock: the manager knows when it started us
    }
    if result.status != "completed":
        if (job_dir / "cancel").exists():
            return {"state": "cancelled", "error": "cancelled; nothing was saved", **base}
        return {
            "state": "interrupted",
            "error": "the server that started this run stopped while it trained; nothing was saved",
            **base,
        }
    _write(job_dir / "progress.json", {"phase": "evaluating", "history": result.history})
    evaluating = time.perf_counter()
    report = build_report(predict_proba(result.model, x_test), y_test, x_test)
    description = "trained in the studio"
    if initial is not None:
        after = float((predict_proba(result.model, x_held).argmax(1) == y_held).mean())
        base["drawings"] = {
            "before": before,
            "after": after,
            "held_out": len(y_held),
            "used": len(y_fit),
        }
        description = (
            f"fine-tuned from {finetune['base']} on {len(y_fit)} of your drawings: "
            f"{before:.0%} -> {after:.0%} on {len(y_held)} held out"
        )
    card = store.save(
        job["name"], result.model, config, result.history, report, result.seconds, description
    )
    base["evaluation_s"] = time.perf_counter() - evaluating  # test-set evaluation and the save
    return {"state": "done", "accuracy": card.accuracy, "model": card.name, **base}


def main(argv: list[str] | None = None) -> int:
    """Run the job in ``job_dir`` in this process; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m lenet.worker")
    parser.add_argument("job_dir", type=Path)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--data", default=None)
    args = parser.parse_args(argv)
    lower_priority()
    try:
        outcome = run(args.job_dir, args.home, args.data)
    except Exception as exc:  # any failure becomes a clear message in the job, not a hang
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, OSError) and exc.errno in FULL_OR_READ_ONLY:
            from lenet.jobs import storage_problem

            error = f"Nothing was saved: {storage_problem(exc, args.home)}."
        outcome = {"state": "failed", "error": error}
    _write(args.job_dir / "result.json", outcome)
    return 0 if outcome["state"] == "done" else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The result is on disk: skip TensorFlow's and CodeCarbon's slow teardown (seconds), so the
    # manager sees the process end at once.
    os._exit(code)
