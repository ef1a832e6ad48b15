"""The Draw page's feedback buttons and the My drawings page, under AppTest."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lenet.feedback import FeedbackStore
from tests.helpers import canvas_state, stroke_canvas

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture()
def fresh(app_home):
    """A home of two models (the app's caches are keyed on its path: nothing to clear)."""
    return app_home


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(f"pages/{page}.py").run()
    return at


def test_marking_a_prediction_saves_the_drawing(fresh, small_mnist):
    at = open_page("draw")
    at.multiselect(key="draw_models").set_value(["tiny", "other"]).run()
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()
    assert not at.exception
    at.button(key="draw_right").click().run()
    saved = FeedbackStore(fresh.home / "drawings.sqlite3").all()
    assert len(saved) == 1 and set(saved[0].predictions) == {"tiny", "other"}
    assert saved[0].digit == saved[0].predictions["tiny"] and saved[0].raw_png
    assert "Saved as a" in at.success[0].value
    assert at.session_state["draw_canvas_n"] == 1  # the canvas is cleared for the next one


def test_my_drawings_page_empty_then_filled(fresh, small_mnist):
    at = open_page("drawings")
    assert not at.exception and "No drawings yet" in at.info[0].value
    store = FeedbackStore(fresh.home / "drawings.sqlite3")
    x, y = small_mnist[2][:30], small_mnist[3][:30].copy()
    predicted = fresh.predictor("tiny").predict(x / 255.0).argmax(1)
    y[0] = (predicted[0] + 1) % 10  # one drawing labelled so that the model surely gets it wrong
    for image, digit in zip(x, y, strict=True):
        store.add(int(digit), image, {"tiny": 0})
    at = open_page("drawings")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**30 drawings**" in text
    counts = np.bincount(y, minlength=10)
    assert f"0: {counts[0]}" in text
    table = at.dataframe[0].value.set_index("model")
    assert table.loc["tiny", "accuracy on your drawings (%)"] == round(
        (predicted == y).mean() * 100, 1
    )
    wrong = int((predicted != y).sum())
    assert wrong >= 1
    at.selectbox(key="drawings_model").set_value("tiny").run()
    delete = [b for b in at.button if b.key and b.key.startswith("drawings_del_")]
    assert len(delete) == wrong
    delete[0].click().run()
    assert FeedbackStore(fresh.home / "drawings.sqlite3").count() == 29
    at.checkbox(key="drawings_sure").check().run()
    at.button(key="drawings_delete_all").click().run()
    assert FeedbackStore(fresh.home / "drawings.sqlite3").count() == 0


def test_a_corrupt_database_is_a_message(fresh):
    (fresh.home / "drawings.sqlite3").write_bytes(b"not a database at all" * 10)
    at = open_page("drawings")
    assert not at.exception and "drawings.sqlite3" in at.error[0].value


def test_a_lock_taken_after_the_app_opened_the_database_is_a_busy_message(
    fresh, small_mnist, monkeypatch
):
    import sqlite3

    monkeypatch.setenv("LENET_BUSY_TIMEOUT_S", "0.5")  # the page waits 0.5 s, not 5, for it
    store = FeedbackStore(fresh.home / "drawings.sqlite3")
    store.add(int(small_mnist[3][0]), small_mnist[2][0], {"tiny": 0})
    at = open_page("drawings")
    assert not at.exception and not at.error
    other = sqlite3.connect(fresh.home / "drawings.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program writing to it
    try:
        at.run()
        assert not at.exception
        assert "busy" in at.error[0].value and "delete" not in at.error[0].value
        assert "waited 0.5 s" in at.error[0].value
        draw = open_page("draw")  # the Draw page's "Right" button on the same locked file
        draw.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
        draw.run()
        draw.button(key="draw_right").click().run()
        assert not draw.exception
        assert any("busy" in e.value for e in draw.error)
    finally:
        other.execute("ROLLBACK")
        other.close()
    at.run()
    assert not at.exception and not at.error and "**1 drawing**" in at.markdown[0].value


def test_deleting_the_database_while_the_app_runs_starts_an_empty_one(fresh, small_mnist):
    at = open_page("draw")
    for n in range(2):  # the first answer opens the store; the second comes after the delete
        at.session_state[f"draw_canvas_{n}"] = canvas_state(stroke_canvas(small_mnist[2][n]))
        at.run()
        at.button(key="draw_right").click().run()
        assert not at.exception and not at.error
        assert FeedbackStore(fresh.home / "drawings.sqlite3").count() == 1
        if n == 0:
            (
                fresh.home / "drawings.sqlite3"
            ).unlink()  # SQLite: "attempt to write a readonly database"
    page = open_page("drawings")
    assert not page.exception and "**1 drawing**" in page.markdown[0].value
