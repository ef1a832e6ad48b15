"""Warm workers: jobs reuse one process with TensorFlow loaded; a dead one is replaced."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from lenet.data import load_mnist, load_mnist_kept
from lenet.jobs import JobManager
from lenet.warm import WarmLauncher, idle_seconds
from tests.helpers import QUICK, SMALL_MNIST, wait_for

LONG = QUICK.replace(epochs=30, batch_size=8)  # minutes: to be cancelled or killed


@pytest.fixture()
def warm(tmp_path):
    launcher = WarmLauncher(idle_s=120)
    manager = JobManager(tmp_path, data_path=str(SMALL_MNIST), launcher=launcher)
    yield manager, launcher
    manager.shutdown()
    launcher.stop()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow  # a warm worker imports TensorFlow and trains
def test_jobs_reuse_one_warm_worker_started_before_the_click(warm):
    manager, launcher = warm
    manager.warm_up()
    manager.warm_up()  # idempotent: still one process
    assert len(launcher._workers) == 1
    pid = launcher._workers[0].proc.pid
    assert launcher._workers[0].ready.wait(120), "the warm worker never said it was ready"
    first = manager.submit(QUICK, "first")
    assert first.pid == pid
    done = manager.wait(first.id, timeout_s=120)
    assert done.state == "done", done.error
    second = manager.submit(QUICK.replace(seed=1), "second")
    assert second.pid == pid  # the same process: no second TensorFlow import
    assert manager.wait(second.id, timeout_s=120).state == "done"
    assert alive(pid)


@pytest.mark.slow  # a warm worker imports TensorFlow and trains
def test_cancel_stops_the_job_and_keeps_the_worker(warm):
    manager, launcher = warm
    job = manager.submit(LONG, "long")
    wait_for(lambda: manager.get(job.id).progress.training)
    asked = time.monotonic()
    manager.cancel(job.id)
    ended = wait_for(lambda: (j := manager.get(job.id)).final and j, timeout=30)
    assert ended.state == "cancelled"
    assert time.monotonic() - asked < 10  # within a chunk; the benchmark times it
    assert alive(job.pid)
    again = manager.submit(QUICK, "after-cancel")
    assert again.pid == job.pid
    assert manager.wait(again.id, timeout_s=120).state == "done"


@pytest.mark.slow  # a warm worker imports TensorFlow and trains
def test_a_killed_warm_worker_fails_its_job_and_is_replaced(warm):
    manager, launcher = warm
    job = manager.submit(LONG, "killed")
    wait_for(lambda: manager.get(job.id).progress.training)
    os.kill(job.pid, signal.SIGKILL)
    ended = wait_for(lambda: (j := manager.get(job.id)).final and j, timeout=30)
    assert ended.state == "failed" and "died" in ended.error and "nothing was saved" in ended.error
    fresh = manager.submit(QUICK, "fresh")
    assert fresh.pid != job.pid
    assert manager.wait(fresh.id, timeout_s=120).state == "done"


@pytest.mark.slow  # a warm worker imports TensorFlow
def test_a_warm_worker_ends_when_idle_and_when_the_server_goes(tmp_path):
    idle = WarmLauncher(idle_s=1)
    JobManager(tmp_path / "a", data_path=str(SMALL_MNIST), launcher=idle).warm_up()
    proc = idle._workers[0].proc
    assert proc.wait(timeout=120) == 0  # ready, then one idle second, then gone
    kept = WarmLauncher(idle_s=600)
    JobManager(tmp_path / "b", data_path=str(SMALL_MNIST), launcher=kept).warm_up()
    proc = kept._workers[0].proc
    assert kept._workers[0].ready.wait(120)
    proc.stdin.close()  # what the server's end does to the pipe
    assert proc.wait(timeout=30) == 0


def test_idle_seconds_reads_the_environment(monkeypatch):
    monkeypatch.setenv("LENET_WARM_IDLE_S", "0")
    assert idle_seconds() == 0
    monkeypatch.setenv("LENET_WARM_IDLE_S", "30")
    assert idle_seconds() == 30
    monkeypatch.setenv("LENET_WARM_IDLE_S", "soon")
    assert idle_seconds() == 600
    monkeypatch.delenv("LENET_WARM_IDLE_S")
    assert idle_seconds() == 600


def test_kept_mnist_is_read_once_read_only_and_reread_when_the_file_changes(tmp_path):
    path = tmp_path / "mnist.npz"
    x, y, xt, yt = load_mnist(SMALL_MNIST)
    np.savez(path, x_train=x, y_train=y, x_test=xt, y_test=yt)
    first = load_mnist_kept(path)
    assert load_mnist_kept(path)[0] is first[0]
    with pytest.raises(ValueError, match="read-only"):
        first[0][0, 0, 0] = 1
    np.savez(path, x_train=x[:500], y_train=y[:500], x_test=xt, y_test=yt)
    os.utime(path, ns=(time.time_ns() + 10**9,) * 2)
    assert len(load_mnist_kept(path)[0]) == 500
