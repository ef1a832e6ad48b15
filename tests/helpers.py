"""Helpers shared by test files (fixtures live in ``conftest.py``); test files import from here,
never from each other."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pytest
from PIL import Image

from lenet.config import LeNetConfig

if TYPE_CHECKING:
    from lenet.store import ModelStore

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_MNIST = FIXTURES / "mnist_small.npz"
# One epoch on 300 images: a job that trains in seconds.
QUICK = LeNetConfig(epochs=1, batch_size=64, train_subset=300, validation_split=0.1)


def full_mnist_path() -> Path | None:
    """The full MNIST from MNIST_PATH or the shared folder, or None (slow tests skip)."""
    env = os.environ.get("MNIST_PATH")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist.npz")
    return next((p for p in candidates if p.exists()), None)


@contextlib.contextmanager
def mounted_tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """A real filesystem of ``size`` (e.g. "1m") at ``mount``, unmounted afterwards.

    ``mount -t tmpfs`` needs root; where it fails the calling test skips and says why.
    """
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip() or 'not root'}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_disk(folder: Path, leave: int = 0) -> None:
    """Fill the filesystem of ``folder`` until ``leave`` bytes or fewer are free."""
    with open(folder / "filler", "wb") as f:
        chunk = b"\0" * 4096
        try:
            while True:
                stat = os.statvfs(folder)
                if stat.f_bavail * stat.f_frsize <= leave:
                    break
                f.write(chunk)
                f.flush()
        except OSError:
            pass


# --- the job manager ---


class StandInWorkers:
    """A ``JobManager`` launcher that starts ``sleep 60`` instead of a worker.

    Its jobs stay "running" with a live process and never progress, so a test can write their
    result files itself; ``shutdown()`` ends the processes, which stay listed in ``started``.
    """

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def __call__(
        self, cmd: list[str], env: dict[str, str], log: BinaryIO
    ) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(["sleep", "60"], stdout=log, stderr=subprocess.STDOUT)
        self.started.append(proc)
        return proc


def started_job(home: Path, name: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """The ``job.json`` of job ``name`` of ``home`` once it has left the queue (the app's pump
    thread starts it within half a second), or as it is after ``timeout_s``.

    Read from the file, not through a ``JobManager``: a manager's ``list()`` pumps, and would
    start the job itself with the real worker.
    """
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        jobs = [json.loads(f.read_text()) for f in (home / "jobs").glob("*/job.json")]
        job = next(j for j in jobs if j["name"] == name)
        if job["state"] != "queued" or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def write_job(home: Path, job_id: str, text: str | None) -> Path:
    """A job folder whose ``job.json`` holds ``text`` (None: a folder that cannot be read)."""
    folder = home / "jobs" / job_id
    folder.mkdir(parents=True)
    if text is None:
        (folder / "job.json").mkdir()  # cannot be read as a file
    else:
        (folder / "job.json").write_text(text)
    return folder


def good_job(job_id: str, name: str, **extra: Any) -> str:
    """The text of a valid, finished job's ``job.json``; ``extra`` overrides its fields."""
    return json.dumps(
        {"id": job_id, "name": name, "config": QUICK.to_dict(), "state": "done", "created": 1.0}
        | extra
    )


# --- the Draw page's canvas ---


def canvas_state(image: np.ndarray) -> dict:
    """What the drawable canvas puts in session state after a stroke: (280, 280, 4) RGBA."""
    buf = io.BytesIO()
    Image.fromarray(image, "RGBA").save(buf, format="PNG")
    data = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {
        "drawing": {"raw": {"objects": [{"type": "path"}]}, "data": data},
        "backgroundFit": None,
    }


def stroke_canvas(digit_28: np.ndarray) -> np.ndarray:
    """A 280x280 RGBA canvas with an MNIST digit drawn large, white on black."""
    grey = np.kron(digit_28, np.ones((8, 8), np.uint8))
    canvas = np.zeros((280, 280), np.uint8)
    canvas[28:252, 28:252] = grey
    return np.dstack([canvas, canvas, canvas, np.full_like(canvas, 255)])


# --- damaged model entries ---


def _lambda_keras(path: Path) -> None:
    """Rewrite a .keras archive so its model holds a Lambda layer."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"].append(
        {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "evil"}}
    )
    members["config.json"] = json.dumps(config).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buf.getvalue())


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


ENTRY_DAMAGE = {
    "empty tflite": ("model.tflite", lambda p: p.write_bytes(b"")),
    "truncated tflite": ("model.tflite", _truncate),
    "lambda layer": ("Lambda", _lambda_keras),
    "card of wrong types": ("card.json", lambda p: p.write_text('{"accuracy": "high"}')),
    "card a list": ("card.json", lambda p: p.write_text("[1, 2]")),
    "history of strings": ("history.json", lambda p: p.write_text('[{"loss": "low"}]')),
    "history an object": ("history.json", lambda p: p.write_text('{"loss": 1}')),
    "report of wrong types": ("report.json", lambda p: p.write_text('{"n": "many"}')),
    "report with a bad matrix": (
        "report.json",
        lambda p: p.write_text(
            json.dumps({**json.loads(p.read_text()), "confusion": [[1, 2], [3]]})
        ),
    ),
    "garbage config": ("config.json", lambda p: p.write_text("\x00\x01 not json")),
    "config of wrong types": ("config.json", lambda p: p.write_text('{"epochs": "ten"}')),
    "truncated filters": ("c1_filters.npy", _truncate),
}


def damage_entry(store: ModelStore, name: str, case: str) -> None:
    """Copy ``tiny`` to ``name`` and damage one of its files as ``case`` says."""
    shutil.copytree(store.path("tiny"), store.user_root / name)
    reason, damage = ENTRY_DAMAGE[case]
    file = reason if "." in reason else "model.keras"
    damage(store.user_root / name / file)


def visible(markdown: str) -> str:
    """What a reader sees of Streamlit markdown whose special characters were escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def wait_for(predicate: Any, timeout: float = 120.0) -> Any:
    """Poll ``predicate`` every 50 ms until it returns something true; that value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")
