"""A warm worker: jobs run in a process that has TensorFlow imported and MNIST read already.

Starting a worker process per job costs seconds before the first batch (importing TensorFlow,
reading MNIST, the first trace). ``WarmLauncher`` is a ``lenet.jobs.Launcher`` that keeps one
``python -m lenet.worker --warm IDLE_S`` process per job slot, started ahead of time
(``prestart``, when the Train or Sweep page opens) or with the first job, reused for the next
jobs, and ended by its own idle timeout or when the server goes away (its stdin closes). Each
job gets a ``WarmJob`` handle that looks like the ``subprocess.Popen`` the manager expects: it
ends when the job's exit line comes, or with the process if that dies (killed, crashed): then
the job is reported as today, and the next job starts a fresh process.

The Draw page never starts one, so the server's own memory is unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from typing import IO, BinaryIO

DEFAULT_IDLE_S = 600.0  # a warm worker (~400 MB) ends after 10 minutes without a job


def idle_seconds() -> float:
    """Seconds a warm worker waits for a job: ``LENET_WARM_IDLE_S``, default 600.

    0 turns warm workers off (a fresh process per job, as the tests' stand-ins expect).
    """
    try:
        value = float(os.environ.get("LENET_WARM_IDLE_S", DEFAULT_IDLE_S))
    except ValueError:
        return DEFAULT_IDLE_S
    return max(0.0, value)


class _Process:
    """One warm worker process and the thread that reads its answers."""

    def __init__(self, cmd: list[str], env: dict[str, str], idle_s: float) -> None:
        self.proc = subprocess.Popen(
            [*cmd, "--warm", str(idle_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # each job's output goes to its own worker.log
            env=env,
            start_new_session=True,  # Ctrl-C in the server's terminal is the server's
        )
        self.ready = threading.Event()
        self.job: WarmJob | None = None  # the job it runs now
        self.lock = threading.Lock()
        threading.Thread(target=self._read, name="lenet-warm", daemon=True).start()

    def _read(self) -> None:
        out: IO[bytes] | None = self.proc.stdout
        assert out is not None
        for line in out:
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if answer.get("ready"):
                self.ready.set()
            elif "exit" in answer:
                with self.lock:
                    job, self.job = self.job, None
                if job is not None:
                    job.ended(int(answer["exit"]))

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, argv: list[str]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"argv": argv}) + "\n").encode())
        self.proc.stdin.flush()


class WarmJob:
    """A job running in a warm worker, seen as a process (``pid``, ``poll``, ``wait``, ``kill``).

    ``pid`` is the warm worker's: killing it (the manager does after a cancel that is not
    honoured in time) ends the job and that worker; the next job starts another.
    """

    def __init__(self, worker: _Process) -> None:  # noqa: D107
        self._worker = worker
        self.pid = worker.proc.pid
        self.returncode: int | None = None
        self._done = threading.Event()

    def ended(self, code: int) -> None:
        """The worker said the job ended with ``code``."""
        self.returncode = code
        self._done.set()

    def poll(self) -> int | None:
        """The job's exit code, or None while it runs (as ``Popen.poll``)."""
        if self.returncode is None and not self._worker.alive:
            self.returncode = self._worker.proc.returncode  # died with the job in it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the job's end (as ``Popen.wait``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("warm job", timeout or 0.0)
            self._done.wait(0.05)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        """Kill the warm worker, and so the job in it."""
        self._worker.proc.kill()


class WarmLauncher:
    """Runs each job in a kept-warm worker process (a ``lenet.jobs.Launcher``)."""

    def __init__(self, idle_s: float | None = None, slots: int = 1) -> None:
        """Keep warm workers.

        Args:
            idle_s: seconds a warm worker waits for a job before it ends (``idle_seconds()``).
            slots: how many warm workers ``prestart`` keeps at most (the manager's job slots).
        """
        self.idle_s = idle_seconds() if idle_s is None else idle_s
        self.slots = slots
        self._workers: list[_Process] = []
        self._lock = threading.Lock()

    def _base(self, cmd: list[str]) -> tuple[list[str], list[str]]:
        """Split ``python -m lenet.worker JOB_DIR --home H [--data D]``.

        Returns the command that starts a warm worker for that data, and the job's arguments.
        """
        at = cmd.index("lenet.worker") + 1
        argv = cmd[at:]
        data = argv[argv.index("--data") : argv.index("--data") + 2] if "--data" in argv else []
        return cmd[:at] + data, argv

    def _idle_worker(self, base: list[str], env: dict[str, str]) -> _Process:
        self._workers = [w for w in self._workers if w.alive]
        for worker in self._workers:
            if worker.job is None:
                return worker
        worker = _Process(base, env, self.idle_s)
        self._workers.append(worker)
        return worker

    def prestart(self, cmd: list[str], env: dict[str, str]) -> None:
        """Have an idle warm worker ready: start one unless one is free or every slot has one."""
        with self._lock:
            self._workers = [w for w in self._workers if w.alive]
            if any(w.job is None for w in self._workers) or len(self._workers) >= self.slots:
                return
            self._idle_worker(cmd, env)

    def __call__(self, cmd: list[str], env: dict[str, str], log: BinaryIO) -> WarmJob:
        """Run the job of ``cmd`` in a warm worker (started now if none is free)."""
        del log  # the warm worker opens the job's worker.log itself
        base, argv = self._base(cmd)
        with self._lock:
            worker = self._idle_worker(base, env)
            job = WarmJob(worker)
            with worker.lock:
                worker.job = job
            try:
                worker.send(argv)
            except OSError:  # it died between the check and the send: start a fresh one
                worker.proc.kill()
                worker = self._idle_worker(base, env)
                job = WarmJob(worker)
                with worker.lock:
                    worker.job = job
                worker.send(argv)
        return job

    def stop(self) -> None:
        """End every warm worker (tests; the server's own end closes their stdin)."""
        with self._lock:
            for worker in self._workers:
                if worker.proc.stdin is not None:
                    worker.proc.stdin.close()
            for worker in self._workers:
                try:
                    worker.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.proc.kill()
            self._workers = []
