"""Storage errors on a real full (or read-only) filesystem: one clear message, nothing left.

The filesystem is a 1 MiB tmpfs (``mount -t tmpfs``, which needs root); where it cannot be
mounted the tests skip and say why.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from lenet.feedback import FeedbackError, FeedbackStore
from lenet.files import write_atomic
from lenet.store import ModelStore, StoreError, clean_stale_temporaries
from tests.helpers import fill_disk as fill
from tests.helpers import mounted_tmpfs


@pytest.fixture()
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB filesystem, unmounted afterwards."""
    with mounted_tmpfs(tmp_path / "small", "1m") as where:
        yield where


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != "filler")


def test_saving_a_model_on_a_full_disk_is_one_sentence_and_leaves_nothing(small_fs, tiny_trained):
    result, report = tiny_trained
    store = ModelStore(home=small_fs / "home", bundled_root=None)
    store.user_root.mkdir(parents=True)
    fill(small_fs, leave=64 * 1024)  # room for a few files, not for a model
    with pytest.raises(StoreError, match="is full") as info:
        store.save("full", result.model, result.config, result.history, report, 1.0)
    assert "nothing was written" in str(info.value) and "\n" not in str(info.value)
    assert files_under(store.user_root) == []  # no hidden .full.tmp-* folder either
    assert store.list() == []


def test_saving_a_model_into_a_read_only_home_is_one_sentence(small_fs, tiny_trained):
    result, report = tiny_trained
    store = ModelStore(home=small_fs / "home", bundled_root=None)
    store.user_root.mkdir(parents=True)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    with pytest.raises(StoreError, match="read-only") as info:
        store.save("ro", result.model, result.config, result.history, report, 1.0)
    assert "nothing was written" in str(info.value)
    assert files_under(store.user_root) == []


def test_a_drawing_on_a_full_disk_is_a_feedback_error_and_loses_nothing(small_fs):
    store = FeedbackStore(small_fs / "drawings.sqlite3")
    store.add(1, np.zeros((28, 28), np.uint8), {})
    fill(small_fs)
    rng = np.random.default_rng(0)
    with pytest.raises(FeedbackError, match="disk is full") as info:
        for i in range(200):  # each drawing adds ~1 KB: the disk fills within a few
            store.add(i % 10, rng.integers(0, 256, (28, 28), dtype=np.uint8), {}, raw=None)
    assert "delete" not in str(info.value)
    saved = store.count()
    (small_fs / "filler").unlink()
    assert store.count() == saved and store.all()[0].digit == 1  # nothing half-written
    store.add(2, np.zeros((28, 28), np.uint8), {})  # and it works again once there is room
    store.close()


def test_an_import_on_a_full_disk_imports_nothing(small_fs):
    import io

    store = FeedbackStore(small_fs / "drawings.sqlite3")
    store.add(1, np.zeros((28, 28), np.uint8), {})
    fill(small_fs)
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    np.savez(
        buf,
        x_test=rng.integers(0, 256, (2000, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 2000, dtype=np.uint8),
    )
    with pytest.raises(FeedbackError, match="disk is full"):
        store.import_npz(buf.getvalue())
    (small_fs / "filler").unlink()
    assert store.count() == 1
    store.close()


def test_write_atomic_on_a_full_disk_keeps_the_old_file_and_no_temporary(small_fs):
    target = small_fs / "report.json"
    target.write_bytes(b"old")
    fill(small_fs)
    with pytest.raises(OSError):
        write_atomic(target, b"x" * 200_000)
    assert target.read_bytes() == b"old"
    assert files_under(small_fs) == ["report.json"]


def test_write_atomic_flushes_the_file_before_the_rename(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    write_atomic(tmp_path / "x.json", b"{}")
    assert events[:2] == ["fsync", "replace"] and events[-1] == "fsync"  # file, then folder


def test_stale_save_temporaries_are_cleaned_and_a_running_save_is_not(tmp_path):
    root = tmp_path / "models"
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead = finished.pid  # a process that has exited
    stale = [
        root / f".killed.tmp-{dead}-abc123",
        root / f".gone.del-{dead}",
        root / f".old-by-age.tmp-{os.getpid()}-x",
    ]
    running = root / f".running.tmp-{os.getpid()}-def456"
    only_copy = root / f".kept.old-{dead}"  # killed mid-replace: the entry itself is missing
    for folder in [*stale, running, only_copy]:
        folder.mkdir(parents=True)
        (folder / "model.keras").write_bytes(b"x")
    old = time.time() - 3600
    os.utime(stale[2], (old, old))
    removed = clean_stale_temporaries(root)
    assert sorted(removed) == sorted(p.name for p in stale)
    assert running.is_dir()
    assert (root / "kept" / "model.keras").is_file() and not only_copy.exists()


def test_the_store_cleans_stale_temporaries_when_it_starts(tmp_path):
    root = tmp_path / "home" / "models"
    finished = subprocess.Popen(["true"])
    finished.wait()
    (root / f".killed.tmp-{finished.pid}-abc").mkdir(parents=True)
    ModelStore(home=tmp_path / "home", bundled_root=None)
    assert list(root.iterdir()) == []


@pytest.mark.parametrize("how", ["full", "read-only"])
def test_cli_train_on_a_full_or_read_only_home_exits_2_with_one_sentence(small_fs, capsys, how):
    from lenet.cli import main
    from tests.helpers import SMALL_MNIST

    store = ModelStore(home=small_fs / "home", bundled_root=None)
    if how == "full":
        fill(small_fs)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    argv = ["train", "--data", str(SMALL_MNIST), "--epochs", "1", "--name", "nope"]
    assert main(argv, store) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert ("is full" if how == "full" else "read-only") in err[0]
    assert "Traceback" not in err[0]


def test_drawings_in_a_read_only_home_are_one_sentence(small_fs):
    home = small_fs / "home"
    home.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    with pytest.raises(FeedbackError, match="read-only") as info:
        FeedbackStore(home / "drawings.sqlite3")
    assert "delete" not in str(info.value)
    assert list(home.iterdir()) == []
