"""The job manager: real worker subprocesses training tiny models on the fixture data."""

import json
import os
import signal
import subprocess
import time

import pytest

from lenet.config import LeNetConfig
from lenet.jobs import JobError, JobManager, Limits
from lenet.store import ModelStore
from tests.conftest import SMALL_MNIST

QUICK = LeNetConfig(epochs=1, batch_size=64, train_subset=300, validation_split=0.1)
SLOW = LeNetConfig(epochs=30, batch_size=8, validation_split=0.1)  # minutes: to be stopped


@pytest.fixture()
def manager(tmp_path):
    m = JobManager(tmp_path, data_path=str(SMALL_MNIST))
    yield m
    m.shutdown()


def wait_for(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_job_trains_evaluates_and_saves(manager, tmp_path):
    job = manager.submit(QUICK, "quick")
    assert job.state == "running" and job.pid
    done = manager.wait(job.id, timeout_s=180)
    assert done.state == "done", done.error
    card = ModelStore(home=tmp_path, bundled_root=None).card("quick")
    assert done.result["accuracy"] == card.accuracy and done.result["seconds"] > 0
    assert len(done.progress["history"]) == 1


def test_queue_order_and_cancel_while_queued(manager):
    first = manager.submit(QUICK, "first")
    second = manager.submit(QUICK.replace(seed=1), "second")
    third = manager.submit(QUICK.replace(seed=2), "third")
    assert [first.state, second.state, third.state] == ["running", "queued", "queued"]
    cancelled = manager.cancel(third.id)
    assert cancelled.state == "cancelled" and cancelled.started is None
    a, b = manager.wait(first.id, 180), manager.wait(second.id, 180)
    assert a.state == b.state == "done"
    assert a.finished <= b.started
    assert manager.get(third.id).state == "cancelled"


def test_cancel_while_running_stops_quickly_and_saves_nothing(manager, tmp_path):
    job = manager.submit(SLOW, "slow")
    wait_for(lambda: manager.get(job.id).progress.get("phase") == "training")
    asked = time.time()
    manager.cancel(job.id)
    ended = manager.wait(job.id, timeout_s=30)
    assert ended.state == "cancelled" and "nothing was saved" in ended.error
    assert time.time() - asked < 5
    assert ModelStore(home=tmp_path, bundled_root=None).list() == []


def test_a_crashing_job_fails_with_its_reason(tmp_path):
    manager = JobManager(tmp_path, data_path=str(tmp_path / "missing.npz"))
    try:
        ended = manager.wait(manager.submit(QUICK, "crash").id, timeout_s=120)
    finally:
        manager.shutdown()
    assert ended.state == "failed" and "DatasetError" in ended.error
    assert "MNIST_PATH" in ended.error


def test_a_killed_worker_fails_and_leaves_nothing_half_saved(manager, tmp_path):
    job = manager.submit(SLOW, "killed")
    wait_for(lambda: manager.get(job.id).progress.get("phase") == "training")
    os.kill(job.pid, signal.SIGKILL)
    ended = manager.wait(job.id, timeout_s=30)
    assert ended.state == "failed" and "exit code -9" in ended.error
    models = tmp_path / "models"
    assert not models.exists() or list(models.iterdir()) == []


def test_state_survives_a_restart_and_orphans_become_interrupted(manager, tmp_path):
    queued_cfg = QUICK.replace(seed=5)
    job = manager.submit(SLOW, "orphan")
    queued = manager.submit(queued_cfg, "waiting")
    wait_for(lambda: manager.get(job.id).progress.get("phase") == "training")
    manager.shutdown()  # the server dies: its worker is killed with it
    restarted = JobManager(tmp_path, data_path=str(SMALL_MNIST))
    try:
        states = {j.name: j.state for j in restarted.list()}
        assert states["orphan"] == "interrupted"
        assert "server stopped" in restarted.get(job.id).error
        assert states["waiting"] in ("queued", "running")  # the queue goes on
        assert restarted.wait(queued.id, 180).state == "done"
    finally:
        restarted.shutdown()


def test_a_dead_worker_from_another_process_is_interrupted(tmp_path):
    proc = subprocess.Popen(["true"])
    proc.wait()
    folder = tmp_path / "jobs" / "123abc"
    folder.mkdir(parents=True)
    (folder / "job.json").write_text(
        json.dumps(
            {
                "id": "123abc",
                "name": "ghost",
                "config": QUICK.to_dict(),
                "state": "running",
                "created": 1.0,
                "started": 2.0,
                "pid": proc.pid,
            }
        )
    )
    assert JobManager(tmp_path).get("123abc").state == "interrupted"


@pytest.mark.parametrize(
    ("config", "name", "limits", "message"),
    [
        (QUICK.replace(epochs=50), "a", Limits(max_epochs=10), "epochs=50 exceeds"),
        (
            QUICK.replace(train_subset=20_000),
            "a",
            Limits(max_train_images=10_000),
            "train_subset=20000 exceeds",
        ),
        (
            QUICK.replace(train_subset=None),
            "a",
            Limits(max_train_images=10_000),
            "train_subset=60000 exceeds",
        ),
    ],
)
def test_limits_are_enforced(tmp_path, config, name, limits, message):
    manager = JobManager(tmp_path, limits=limits)
    with pytest.raises(JobError, match=message):
        manager.submit(config, name)
    assert manager.list() == []


def test_queue_limit_and_names(tmp_path, monkeypatch):
    monkeypatch.setattr(JobManager, "_start", lambda self, job: None)  # keep them all queued
    manager = JobManager(tmp_path, workers=1, limits=Limits(max_queued=2))
    try:
        manager.submit(SLOW, "one")
        with pytest.raises(JobError, match="already trains"):
            manager.submit(SLOW, "one")
        with pytest.raises(ValueError, match="invalid"):
            manager.submit(SLOW, "../one")
        manager.submit(SLOW, "two")
        with pytest.raises(JobError, match="2 jobs are already queued"):
            manager.submit(SLOW, "three")
    finally:
        manager.shutdown()
