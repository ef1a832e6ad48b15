"""Serving many sessions: the Draw page's per-stroke work must not repeat the store listing.

The model list (``ui.model_cards`` / ``ui.usable_names``) is read on every rerun of every
page; listing validates each entry's files and its ``.keras`` archive, which cost ~25 ms per
stroke here. It is cached, keyed on the files' modification times and sizes, so it is redone
only when something in the store changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import ui
from lenet.store import ModelStore

BUNDLED = Path(__file__).resolve().parents[1] / "assets" / "models"
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
    with ui.timed_run("draw"):
        pass
    with pytest.raises(KeyError), ui.timed_run("draw"):
        raise KeyError("interrupted")
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [(f[1], f[4]) for f in lines] == [("draw", "done"), ("draw", "KeyError")]
    assert all(float(f[2]) >= 0 and float(f[3]) >= 0 for f in lines)


def test_the_draw_page_logs_its_runs(stores, tmp_path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    log = tmp_path / "timing.log"
    monkeypatch.setenv("LENET_TIMING_LOG", str(log))
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60
    ).run()
    at.switch_page("pages/draw.py").run()
    assert not at.exception
    assert [line.split()[1] for line in log.read_text().splitlines()] == ["draw"]
