"""Training jobs that outlive a Streamlit script run: a queue, worker subprocesses, state on disk.

Each job is a folder ``LENET_HOME/jobs/<id>/``:

- ``job.json``: what to train and the job's state, written only by a manager;
- ``progress.json``: the latest progress, written only by the worker;
- ``result.json``: how the worker ended (done, failed, cancelled), written once by the worker;
- ``cancel``: present once someone asked to cancel; ``worker.log``: the worker's output.

Every write is atomic (temporary file + rename), so a reader never sees half a file. Each job
runs in its own process (``python -m lenet.worker``), so TensorFlow's memory is returned when it
ends and a crash cannot take the app down. A manager started after a restart marks jobs whose
worker is gone as ``interrupted``; several managers (the app, the CLI) can share one folder:
claiming a queued job is an exclusive file creation, so no job runs twice.

A job folder whose ``job.json`` cannot be read or is not a job is listed in ``broken`` with the
reason and otherwise left alone (never deleted); a full or read-only disk raises ``JobError``
with one sentence and leaves no half-made job behind.
"""

from __future__ import annotations

import builtins
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol, cast

from lenet.config import LeNetConfig
from lenet.files import lenet_home, pid_alive, read_json_or_none, write_json
from lenet.pipeline import JobProgress, JobResult
from lenet.store import ModelStore, StoreError, validate_name
from lenet.store import storage_problem as store_problem

State = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
FINAL: tuple[State, ...] = ("done", "failed", "cancelled", "interrupted")
CANCEL_GRACE_S = 10.0  # a worker that ignores the cancel file this long is killed
STALE_TMP_S = 600.0  # a ``.ID.tmp`` folder this old was left by a manager that crashed


class WorkerProcess(Protocol):
    """What the manager needs of a job's worker: a ``subprocess.Popen`` or a ``WarmJob``."""

    pid: int

    def poll(self) -> int | None: ...  # noqa: D102

    def wait(self, timeout: float | None = None) -> int: ...  # noqa: D102

    def kill(self) -> None: ...  # noqa: D102


# Starts a job's worker: (command, environment, log file opened for appending) -> its process.
Launcher = Callable[[list[str], dict[str, str], BinaryIO], WorkerProcess]


def launch_worker(cmd: list[str], env: dict[str, str], log: BinaryIO) -> subprocess.Popen[bytes]:
    """Start a worker process (the default ``Launcher``): output to ``log``, its own session.

    The worker watches its parent and stops when the server that started it dies.
    """
    return subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def storage_problem(exc: OSError, where: Path) -> str:
    """One sentence for a failed write under ``where``: full, read-only, or the OS's words."""
    return store_problem(exc, where) or f"cannot write to {where} ({exc.strerror or exc})"


class JobError(Exception):
    """A job that cannot be submitted or found; the message says why."""


@dataclass(frozen=True)
class Limits:
    """What one server accepts, so a shared machine stays usable."""

    max_epochs: int = 30
    max_train_images: int = 60_000
    max_queued: int = 5


@dataclass
class Job:
    """One training or sweep job, as stored in its folder's ``job.json``."""

    id: str
    name: str  # the model name the result is saved under
    config: dict[str, Any]
    state: State = "queued"
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    pid: int | None = None
    error: str = ""
    result: JobResult = field(default_factory=JobResult)  # how it ended: accuracy, energy...
    progress: JobProgress = field(default_factory=JobProgress)  # filled from progress.json
    kind: str = "train"  # or "sweep", "finetune"
    sweep: dict[str, Any] = field(default_factory=dict)  # SweepSettings fields, for sweeps
    finetune: dict[str, Any] = field(default_factory=dict)  # base model, held-out share

    @property
    def final(self) -> bool:
        """Whether the job has ended (done, failed, cancelled or interrupted)."""
        return self.state in FINAL


_REQUIRED = ("id", "name", "config", "state")
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "name": (str,),
    "config": (dict,),
    "state": (str,),
    "created": (int, float),
    "started": (int, float, type(None)),
    "finished": (int, float, type(None)),
    "pid": (int, type(None)),
    "error": (str,),
    "result": (dict,),
    "kind": (str,),
    "sweep": (dict,),
    "finetune": (dict,),
}


def _check_job(data: Any, folder: str) -> str:
    """Why ``data`` (a parsed job.json) is not the job of ``folder``; "" when it is."""
    if not isinstance(data, dict):
        return "its job.json is not a JSON object"
    unknown = sorted(set(data) - set(_FIELD_TYPES))
    if unknown:
        return f"its job.json has unknown field(s) {', '.join(unknown)}"
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        return f"its job.json lacks {', '.join(missing)}"
    for key, value in data.items():
        if not isinstance(value, _FIELD_TYPES[key]) or isinstance(value, bool):
            return f"its job.json field {key!r} has the wrong type ({type(value).__name__})"
    if data["state"] not in ("queued", "running", *FINAL):
        return f"its job.json has an unknown state {data['state']!r}"
    if data["id"] != folder:
        return f"its job.json names another job ({data['id']!r})"
    return ""


def _now() -> float:
    return time.time()


def _worker_result(data: Any) -> JobResult | None:
    """The result a worker wrote (a parsed ``result.json``) once it has ended, else None."""
    try:
        result = JobResult.from_dict(data)
    except ValueError:
        return None  # not written yet (or damaged: the process's exit decides)
    return result if result.state in FINAL else None


class JobManager:
    """Queue, start, watch and cancel training jobs under ``home/jobs``."""

    def __init__(
        self,
        home: Path | None = None,
        *,
        workers: int = 1,
        limits: Limits | None = None,
        data_path: str | None = None,
        launcher: Launcher = launch_worker,
    ) -> None:
        """Open (or create) the job folder and mark orphaned running jobs as interrupted.

        Args:
            home: ``LENET_HOME`` by default; jobs live in ``home/jobs``, models in the store.
            workers: how many jobs run at once.
            limits: what this manager accepts.
            data_path: MNIST for the workers (default: their ``MNIST_PATH`` / Keras).
            launcher: starts a worker process (tests start a stand-in instead).
        """
        self.home = Path(home) if home is not None else lenet_home()
        self.root = self.home / "jobs"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JobError(
                f"Training runs cannot be kept: {storage_problem(exc, self.home)}; "
                "set LENET_HOME to a writable folder."
            ) from exc
        self.broken: dict[str, str] = {}  # job folder -> why it is not a job (left in place)
        self.workers = max(1, int(workers))
        self.limits = limits or Limits()
        self.data_path = data_path
        self._launch = launcher
        self._procs: dict[str, WorkerProcess] = {}
        self._exiting: list[WorkerProcess] = []  # ended jobs whose process still exits
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._clean_stale_tmp()
        for job in self._load_all():
            if job.state == "running" and not pid_alive(job.pid):
                self._reap(job)  # finished while nobody watched, or interrupted

    def _clean_stale_tmp(self) -> None:
        """Remove ``.ID.tmp`` folders of submits that crashed half-way (never a job)."""
        for folder in self.root.glob(".*.tmp"):
            try:
                if _now() - folder.stat().st_mtime > STALE_TMP_S:
                    shutil.rmtree(folder)
            except OSError:
                continue

    # --- reading ---
    def _path(self, job_id: str) -> Path:
        if not job_id.isalnum():
            raise JobError(f"invalid job id {job_id!r}")
        return self.root / job_id

    def _load(self, job_id: str) -> Job:
        path = self._path(job_id) / "job.json"
        try:
            text = path.read_text()
        except FileNotFoundError as exc:
            raise JobError(f"no job {job_id!r}") from exc
        except OSError as exc:
            raise JobError(
                f"Job folder {path.parent} cannot be read ({exc.strerror or exc}); "
                "it is left as it is."
            ) from exc
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        problem = "its job.json is not JSON" if data is None else _check_job(data, job_id)
        if problem:
            raise JobError(
                f"Job folder {path.parent} is damaged: {problem}; it is left as it is "
                "(move it out of the jobs folder to be rid of this message)."
            )
        try:
            result = JobResult.from_dict(data.get("result", {}))
        except ValueError as exc:
            raise JobError(
                f"Job folder {path.parent} is damaged: its result is unreadable ({exc}); it is "
                "left as it is (move it out of the jobs folder to be rid of this message)."
            ) from exc
        progress = read_json_or_none(self._path(job_id) / "progress.json")
        return Job(**{**data, "result": result, "progress": JobProgress.from_dict(progress)})

    def _load_all(self) -> list[Job]:
        jobs, broken = [], {}
        try:
            folders = sorted(self.root.iterdir()) if self.root.is_dir() else []
        except OSError as exc:
            raise JobError(
                f"The jobs folder {self.root} cannot be read ({exc.strerror or exc})."
            ) from exc
        for folder in folders:
            if folder.name.startswith(".") or not folder.name.isalnum():
                continue  # a submit in progress (``.ID.tmp``) or not ours
            try:
                jobs.append(self._load(folder.name))
            except JobError as exc:
                if "no job" not in str(exc):
                    broken[folder.name] = str(exc)
        self.broken = broken
        return sorted(jobs, key=lambda j: j.created)

    def get(self, job_id: str) -> Job:
        """One job, fresh from disk (after updating states)."""
        self.pump()
        return self._load(job_id)

    def list(self) -> list[Job]:
        """Every job, oldest first, with states brought up to date."""
        self.pump()
        return self._load_all()

    # --- writing ---
    def _save(self, job: Job) -> None:
        data = asdict(job)  # the result record becomes its JSON object
        data.pop("progress")
        write_json(self._path(job.id) / "job.json", data)

    def _finish(
        self, job: Job, state: State, error: str = "", result: JobResult | None = None
    ) -> None:
        job.state, job.error, job.finished = state, error, _now()
        job.result = result or job.result
        self._save(job)

    def submit_finetune(
        self, base: str, config: LeNetConfig, name: str, holdout: float = 0.3
    ) -> Job:
        """Queue fine-tuning of stored model ``base`` on MNIST plus the person's drawings.

        ``config`` gives the epochs, learning rate and MNIST subset of the fine-tuning run;
        ``holdout`` of the drawings are kept out to measure before and after.

        Raises:
            JobError: if ``base`` is unknown, or as ``submit``.
        """
        try:
            ModelStore(home=self.home).card(base)
        except StoreError as exc:
            raise JobError(f"cannot fine-tune {base!r}: {exc}") from exc
        if not 0.1 <= holdout <= 0.9:
            raise JobError(f"holdout={holdout} is invalid: expected 0.1 to 0.9")
        return self.submit(
            config, name, kind="finetune", finetune={"base": base, "holdout": holdout}
        )

    def submit(
        self,
        config: LeNetConfig,
        name: str,
        *,
        kind: str = "train",
        finetune: dict[str, Any] | None = None,
    ) -> Job:
        """Queue a training run whose model will be saved as ``name``.

        Raises:
            ValueError: if the name is invalid.
            JobError: if a limit is exceeded or the name is taken (stored or queued).
        """
        validate_name(name)
        if config.epochs > self.limits.max_epochs:
            raise JobError(
                f"epochs={config.epochs} exceeds this server's limit of {self.limits.max_epochs}"
            )
        images = config.train_subset or 60_000
        if images > self.limits.max_train_images:
            raise JobError(
                f"train_subset={images} exceeds this server's limit of "
                f"{self.limits.max_train_images} training images"
            )

        def check(jobs: list[Job]) -> None:
            if any(j.name == name and j.state in ("queued", "running", "done") for j in jobs):
                raise JobError(f"a job already trains a model named {name!r}")
            try:
                ModelStore(home=self.home).path(name)
            except StoreError:
                return
            raise JobError(f"a model named {name!r} already exists: choose another name")

        return self._enqueue(
            check, name=name, config=config.to_dict(), kind=kind, finetune=finetune or {}
        )

    def submit_sweep(self, settings: Any) -> Job:
        """Queue a sweep (``lenet.sweep.SweepSettings``); it runs like a training job.

        Raises:
            JobError: if a limit is exceeded or the same study is already being swept.
        """
        from dataclasses import asdict as settings_dict

        from lenet.sweep import load_space, make_sampler

        make_sampler(settings.sampler, load_space(settings.space), settings.seed)
        study = settings.study or Path(settings.space).stem
        epochs = settings.epochs or 1
        if epochs > self.limits.max_epochs or settings.subset > self.limits.max_train_images:
            raise JobError("the sweep's epochs or subset exceed this server's limits")

        def check(jobs: list[Job]) -> None:
            if any(
                j.kind == "sweep" and j.sweep.get("study") == study and not j.final for j in jobs
            ):
                raise JobError(f"study {study!r} is already being swept here")

        return self._enqueue(
            check,
            name=f"sweep-{study}",
            config=LeNetConfig().to_dict(),
            kind="sweep",
            sweep={**settings_dict(settings), "study": study},
        )

    def _enqueue(self, check: Callable[[builtins.list[Job]], None], **fields: Any) -> Job:
        """Write a new queued job atomically, after the queue limit and ``check`` pass."""
        with self._lock:
            jobs = self._load_all()
            if sum(not j.final for j in jobs) >= self.limits.max_queued:
                raise JobError(
                    f"{self.limits.max_queued} jobs are already queued or running: "
                    "wait for one to finish or cancel one"
                )
            check(jobs)
            job = Job(id=f"{int(_now())}{secrets.token_hex(3)}", created=_now(), **fields)
            tmp = self.root / f".{job.id}.tmp"
            data = {k: v for k, v in asdict(job).items() if k != "progress"}
            try:
                tmp.mkdir()
                write_json(tmp / "job.json", data)
                os.replace(tmp, self._path(job.id))  # the job appears whole or not at all
            except OSError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                raise JobError(
                    f"The run was not queued: {storage_problem(exc, self.home)}; free some "
                    "space or set LENET_HOME to a writable folder."
                ) from exc
        self.pump()
        return self._load(job.id)

    def cancel(self, job_id: str, wait_s: float = 0.0) -> Job:
        """Cancel a queued job at once, or ask a running one to stop (within a second).

        Args:
            job_id: the job.
            wait_s: wait up to this long for a running job's worker to stop, checking every
                50 ms, so the caller can show "cancelled" the moment it has (the Train page)
                instead of at its next poll.

        Returns:
            The job: final if it stopped in time, else still running (and stopping).
        """
        with self._lock:
            job = self._load(job_id)
            if job.final:
                return job
            (self._path(job_id) / "cancel").touch()
            if job.state == "queued" and self._claim(job_id):
                self._finish(job, "cancelled", "cancelled before it started")
        self.pump()
        deadline = time.monotonic() + wait_s
        job = self.get(job_id)
        while not job.final and time.monotonic() < deadline:
            time.sleep(0.05)
            job = self.get(job_id)
        return job

    def _claim(self, job_id: str) -> bool:
        try:
            fd = os.open(self._path(job_id) / "claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return True

    # --- scheduling ---
    def pump(self) -> None:
        """Reap ended workers and start queued jobs while slots are free. Cheap; call often."""
        with self._lock:
            self._exiting = [proc for proc in self._exiting if proc.poll() is None]
            jobs = self._load_all()  # each folder read once; reaping updates these in place
            for job in jobs:
                if job.state == "running":
                    self._reap(job)
            running = sum(j.state == "running" for j in jobs)
            for job in jobs:
                if running >= self.workers:
                    break
                if job.state == "queued" and self._claim(job.id):
                    self._start(job)
                    running += 1

    def _worker_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])
            ),
        }

    def warm_up(self) -> None:
        """Have a warm worker ready now, when the launcher keeps them (``WarmLauncher``).

        The next job then skips TensorFlow's import and MNIST's read. Cheap to call on every
        page run; does nothing with the plain launcher.
        """
        prestart = getattr(self._launch, "prestart", None)
        if prestart is None:
            return
        cmd = [sys.executable, "-m", "lenet.worker"]
        if self.data_path:
            cmd += ["--data", self.data_path]
        with self._lock:
            prestart(cmd, self._worker_env())

    def _start(self, job: Job) -> None:
        folder = self._path(job.id)
        if (folder / "cancel").exists():
            self._finish(job, "cancelled", "cancelled before it started")
            return
        cmd = [sys.executable, "-m", "lenet.worker", str(folder), "--home", str(self.home)]
        if self.data_path:
            cmd += ["--data", self.data_path]
        env = self._worker_env()
        proc = None
        try:
            with open(folder / "worker.log", "ab") as log:
                proc = self._launch(cmd, env, log)
            job.state, job.started, job.pid = "running", _now(), proc.pid
            self._save(job)
        except OSError as exc:
            if proc is not None:
                proc.kill()
                proc.wait()
            self._finish(
                job, "failed", f"The run could not start: {storage_problem(exc, self.home)}."
            )
            return
        self._procs[job.id] = proc

    def _reap(self, job: Job) -> None:
        folder = self._path(job.id)
        proc = self._procs.get(job.id)
        code = proc.poll() if proc is not None else None
        result = _worker_result(read_json_or_none(folder / "result.json"))
        if result is not None:
            # The worker has said how it ended: show it now, even while its process still
            # exits (TensorFlow's teardown can take seconds); reap that process later.
            if proc is not None:
                self._procs.pop(job.id, None)
                if code is None:
                    self._exiting.append(proc)
            self._finish(job, cast(State, result.state), result.error, result)
            return
        if proc is not None and code is not None:
            self._procs.pop(job.id, None)
            self._finish(
                job, "failed", f"the worker process died (exit code {code}); nothing was saved"
            )
        elif proc is None and not pid_alive(job.pid):
            self._finish(
                job, "interrupted", "the server stopped while this job ran; nothing was saved"
            )
        elif (folder / "cancel").exists() and job.pid:
            asked = (folder / "cancel").stat().st_mtime
            if _now() - asked > CANCEL_GRACE_S:
                try:
                    os.kill(job.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def start_background(self, interval_s: float = 0.5) -> None:
        """Pump from a daemon thread, so jobs advance with no page open."""
        if self._thread is not None and self._thread.is_alive():
            return

        stop = self._stop

        def loop() -> None:
            while not stop.wait(interval_s):
                try:
                    self.pump()
                except (OSError, JobError):
                    continue  # a full disk or a damaged folder: the pages say so

        self._thread = threading.Thread(target=loop, name="lenet-jobs", daemon=True)
        self._thread.start()

    def stop_background(self) -> None:
        """Stop the pump thread only; running workers go on (a cache entry being dropped)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self._stop = threading.Event()

    def shutdown(self) -> None:
        """Stop the pump thread and kill this manager's workers (tests, CLI)."""
        self._stop.set()
        for proc in [*self._procs.values(), *self._exiting]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def measured_overhead_s(self, last: int = 5) -> float | None:
        """Median seconds recent runs here spent outside training, or None before the first.

        That is the worker's start-up (Python, TensorFlow, the data) up to its first training
        step, plus the test-set evaluation and the save, from the last ``last`` finished runs.
        """
        spans = [overhead for overhead, _ in self._measured(last)]
        return _median(spans) if spans else None

    def measured_speed(self, last: int = 5) -> float | None:
        """Median of training seconds measured here over the cost model's, or None before a run.

        Above 1 means this machine (as loaded as it was) trains slower than the model assumes.
        """
        ratios = [ratio for _, ratio in self._measured(last) if ratio is not None]
        return _median(ratios) if ratios else None

    def _measured(self, last: int) -> builtins.list[tuple[float, float | None]]:
        """(overhead s, training s / modelled s) of the last ``last`` finished training runs."""
        found: builtins.list[tuple[float, float | None]] = []
        for job in reversed(self._load_all()):
            begun, evaluated = job.result.training_started, job.result.evaluation_s
            if job.state != "done" or job.kind != "train" or not job.started:
                continue
            if not isinstance(begun, (int, float)):
                continue
            evaluated = float(evaluated or 0.0)
            ratio = None
            if job.finished:
                try:
                    modelled = training_seconds(LeNetConfig.from_dict(job.config))
                except (TypeError, ValueError):
                    modelled = 0.0
                trained = job.finished - evaluated - begun
                if modelled > 0 and trained > 0:
                    ratio = trained / modelled
            found.append((begun - job.started + evaluated, ratio))
            if len(found) == last:
                break
        return found

    def estimate(self, config: LeNetConfig) -> Estimate:
        """How long a run of ``config`` will take here, from the runs measured on this server.

        Before any run has ended here, the fixed guesses: a worker kept warm starts in about
        ``WARM_OVERHEAD_S``, a fresh one pays TensorFlow's import (``DEFAULT_OVERHEAD_S``).
        """
        found = self._measured(5)  # one read of the job folders for both parts
        spans = [span for span, _ in found]
        ratios = [ratio for _, ratio in found if ratio is not None]
        overhead = _median(spans) if spans else None
        speed = _median(ratios) if ratios else None
        measured = overhead is not None
        if overhead is None:
            warm = getattr(self._launch, "idle_s", 0) > 0
            overhead = WARM_OVERHEAD_S if warm else DEFAULT_OVERHEAD_S
        seconds = estimate_seconds(config, overhead, speed=speed or 1.0)
        return Estimate(seconds=seconds, overhead_s=overhead, measured=measured)

    def wait(self, job_id: str, timeout_s: float = 600.0, poll_s: float = 0.2) -> Job:
        """Block until the job ends (pumping meanwhile); returns it. For the CLI and tests."""
        deadline = _now() + timeout_s
        while _now() < deadline:
            job = self.get(job_id)
            if job.final:
                return job
            time.sleep(poll_s)
        raise JobError(f"job {job_id} did not finish within {timeout_s:.0f} s")


# A cost model fitted to runs on a 2-core laptop-class CPU (lenet5-relu 14k images/s,
# keras-lenet 2.4k, lenet5-1998 at batch 32 11k): seconds per image grow with the
# multiply-adds, each batch costs a fixed overhead, and a job pays TensorFlow's start-up,
# data loading and the final evaluation.
_S_PER_IMAGE, _S_PER_MMAC, _S_PER_BATCH, _S_FIXED = 30e-6, 60e-6, 1.3e-3, 12.0
DEFAULT_OVERHEAD_S = _S_FIXED  # start-up + evaluation until this server has measured its own
# A warm worker (lenet.warm) has TensorFlow and the data loaded: tracing, evaluation and the save.
WARM_OVERHEAD_S = 4.0


@dataclass(frozen=True)
class Estimate:
    """A run's expected wall time, and the part of it outside training."""

    seconds: float
    overhead_s: float  # start-up, evaluation and the save
    measured: bool  # from runs on this server (False: the fixed guesses)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def multiply_adds(config: LeNetConfig) -> int:
    """Multiply-adds of one forward pass (convolutions and dense layers)."""
    pooled = config.feature_map_sizes()  # side after each conv block's 2x2 pooling
    k, maps, total = config.kernel_size, 1, 0
    for side, filters in zip((config.input_size, *pooled[:-1]), config.filters, strict=True):
        out = side if config.padding == "same" else side - k + 1  # the convolution's output
        total += out * out * filters * k * k * maps
        maps = filters
    width = pooled[-1] ** 2 * maps
    for units in (*config.dense_units, 10):
        total += width * units
        width = units
    return total


def estimate_seconds(
    config: LeNetConfig, overhead_s: float | None = None, speed: float = 1.0
) -> float:
    """Rough wall time of a job for ``config`` on this kind of CPU (training + overheads).

    Args:
        config: the run.
        overhead_s: the worker's start-up plus the evaluation, as measured on this server
            (``JobManager.measured_overhead_s``); a fixed guess when None.
        speed: measured training seconds over the cost model's (``JobManager.measured_speed``).
    """
    fixed = _S_FIXED if overhead_s is None else overhead_s
    return speed * training_seconds(config) + fixed


def training_seconds(config: LeNetConfig) -> float:
    """The cost model's seconds of training alone for ``config`` (no start-up, no evaluation)."""
    images = round((config.train_subset or 60_000) * (1 - config.validation_split))
    per_image = _S_PER_IMAGE + _S_PER_MMAC * multiply_adds(config) / 1e6
    if config.augmented:
        per_image *= 1.2
    if any(config.batch_norm):
        per_image *= 1.3
    batches = -(-images // config.batch_size)
    return config.epochs * (images * per_image + batches * _S_PER_BATCH)
