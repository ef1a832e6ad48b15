"""Serving many sessions: the Draw page's per-stroke work must not repeat the store listing.

The model list (``ui.model_cards`` / ``ui.usable_names``) is read on every rerun of every
page; listing validates each entry's files and its ``.keras`` archive, which cost ~25 ms per
stroke here. It is cached, keyed on the files' modification times and sizes, so it is redone
only when something in the store changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ui
from lenet.store import ModelStore
from tests.helpers import canvas_state, stroke_canvas

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "assets" / "models"
MODELS = ("lenet5-1998", "lenet5-relu")  # two small bundled entries


@pytest.fixture()
def stores(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A bundled root holding two models copied from assets, and an empty LENET_HOME."""
    if not all((BUNDLED / name / "model.keras").is_file() for name in MODELS):
        pytest.skip(f"{MODELS} are not bundled in assets/models")
    bundled = tmp_path / "bundled"
    for name in MODELS:
        shutil.copytree(BUNDLED / name, bundled / name)
    monkeypatch.setenv("LENET_BUNDLED", str(bundled))
    monkeypatch.setenv("LENET_HOME", str(tmp_path / "home"))
    ui.clear_store_cache()
    yield bundled, tmp_path / "home"
    ui.clear_store_cache()


@pytest.fixture()
def card_calls(monkeypatch):  # type: ignore[no-untyped-def]
    """Names whose entry was read and validated (``ModelStore.card``), in call order."""
    calls: list[str] = []
    real = ModelStore.card

    def counting(self: ModelStore, name: str):  # type: ignore[no-untyped-def]
        calls.append(name)
        return real(self, name)

    monkeypatch.setattr(ModelStore, "card", counting)
    return calls


def test_listing_is_validated_once_while_nothing_changes(stores, card_calls) -> None:
    for _ in range(3):  # three strokes' reruns
        assert ui.usable_names() == list(MODELS)
    assert sorted(card_calls) == sorted(MODELS)


def test_sessions_share_the_listing(stores, card_calls) -> None:
    first, second = ui.model_cards(), ui.model_cards()
    assert first == second
    assert first is not second  # each caller gets its own list to mutate
    assert len(card_calls) == len(MODELS)


def _edit_card(bundled: Path, home: Path) -> None:
    path = bundled / "lenet5-relu" / "card.json"
    card = json.loads(path.read_text())
    card["accuracy"] = 0.5
    path.write_text(json.dumps(card))


def _damage_archive_in_place(bundled: Path, home: Path) -> None:
    # Truncated where it lies: the folder's own modification time does not change.
    with (bundled / "lenet5-relu" / "model.keras").open("r+b") as f:
        f.truncate(100)


def _add_user_model(bundled: Path, home: Path) -> None:
    shutil.copytree(bundled / "lenet5-relu", home / "models" / "mine")


def _remove_entry(bundled: Path, home: Path) -> None:
    shutil.rmtree(bundled / "lenet5-1998")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_edit_card, {"lenet5-1998": "", "lenet5-relu": "0.5"}),
        (_damage_archive_in_place, {"lenet5-1998": "", "lenet5-relu": "broken"}),
        (_add_user_model, {"lenet5-1998": "", "lenet5-relu": "", "mine": ""}),
        (_remove_entry, {"lenet5-relu": ""}),
    ],
    ids=["card edited", "archive damaged in place", "user model added", "entry removed"],
)
def test_listing_follows_every_change_in_the_store(stores, change, expected) -> None:
    bundled, home = stores
    (home / "models").mkdir(parents=True)
    assert [c.name for c in ui.model_cards()] == list(MODELS)
    change(bundled, home)
    cards = {c.name: c for c in ui.model_cards()}
    assert sorted(cards) == sorted(expected)
    for name, mark in expected.items():
        if mark == "broken":
            assert cards[name].broken and "model.keras" in cards[name].error
        elif mark:
            assert not cards[name].broken and cards[name].accuracy == float(mark)
        else:
            assert not cards[name].broken, cards[name].error


def test_predictors_are_shared_between_calls(stores) -> None:
    assert ui.predictor("lenet5-relu") is ui.predictor("lenet5-relu")


def test_timed_run_logs_each_run_only_when_asked(tmp_path, monkeypatch) -> None:
    log = tmp_path / "timing.log"
    monkeypatch.delenv("LENET_TIMING_LOG", raising=False)
    with ui.timed_run("draw"):
        pass
    assert not log.exists()
    monkeypatch.setenv("LENET_TIMING_LOG", str(log))
    with ui.timed_run("draw") as run:
        run.kind = "drawing"
    with pytest.raises(KeyError), ui.timed_run("draw"):
        raise KeyError("interrupted")
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [(f[1], f[4], f[5]) for f in lines] == [
        ("draw", "done", "drawing"),
        ("draw", "KeyError", "-"),
    ]
    assert all(float(f[2]) >= 0 and float(f[3]) >= 0 for f in lines)


def test_the_draw_page_logs_its_runs(stores, tmp_path, monkeypatch) -> None:
    log = tmp_path / "timing.log"
    monkeypatch.setenv("LENET_TIMING_LOG", str(log))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/draw.py").run()
    assert not at.exception
    # A stroke's run says it read a drawing: the benchmark tells strokes from page loads.
    at.session_state["draw_canvas_0"] = canvas_state(
        stroke_canvas(np.eye(28, dtype=np.uint8) * 255)
    )
    at.run()
    assert not at.exception
    runs = [line.split() for line in log.read_text().splitlines()]
    assert [(f[1], f[5]) for f in runs] == [("draw", "empty"), ("draw", "drawing")]


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="no SCHED_BATCH on this platform")
def test_the_server_threads_run_under_batch_scheduling() -> None:
    # In a fresh interpreter: the policy is process-wide and inherited by later threads.
    code = """
import os, threading
os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))  # not what pytest's process has
from ui.scheduling import batch_scheduling
assert os.sched_getscheduler(0) == os.SCHED_OTHER
assert batch_scheduling() is True
assert batch_scheduling() is False  # once per process
seen = []
t = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
t.start(); t.join()
tasks = [os.sched_getscheduler(int(t)) for t in os.listdir("/proc/self/task")]
print(os.sched_getscheduler(0) == os.SCHED_BATCH, seen == [os.SCHED_BATCH],
      set(tasks) == {os.SCHED_BATCH})
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "True"]


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="no SCHED_BATCH on this platform")
def test_the_app_asks_for_batch_scheduling(stores) -> None:
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert os.sched_getscheduler(0) == os.SCHED_BATCH
