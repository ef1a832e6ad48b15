import numpy as np
import pytest

from lenet import analysis
from lenet.evaluate import build_report


def report(y, pred, images):
    probs = np.full((len(y), 10), 0.01)
    probs[np.arange(len(y)), pred] = 0.91
    return build_report(probs, y, images)


def test_disagreements_use_both_galleries_and_count_all():
    y = np.array([1, 2, 3, 4, 5])
    images = np.arange(5 * 784, dtype=np.uint8).reshape(5, 28, 28) % 255
    a = report(y, np.array([1, 7, 3, 4, 6]), images)  # wrong on 1 and 4
    b = report(y, np.array([1, 7, 8, 4, 5]), images)  # wrong on 1 and 2
    shown, total = analysis.disagreements(a, b)
    assert total == 2  # index 1: both say 7 (agree); 2 and 4 differ
    assert [(e.index, e.predicted, e.other_predicted) for e in shown] == [(2, 3, 8), (4, 6, 5)]
    np.testing.assert_array_equal(shown[0].image, images[2])


def test_cell_from_selection_reads_a_table_cell():
    cells = lambda *c: {"selection": {"rows": [], "columns": [], "cells": list(c)}}  # noqa: E731
    assert analysis.cell_from_selection(cells([5, "3"])) == (5, 3)
    assert analysis.cell_from_selection(cells([5, "true"])) is None  # the label column
    assert analysis.cell_from_selection(cells([5, "true"], [2, "7"])) == (2, 7)
    assert analysis.cell_from_selection(cells()) is None
    assert analysis.cell_from_selection(None) is None


def test_compare_rows_split_into_metrics_and_the_settings_that_differ():
    rows = [
        {"model": "a", "test accuracy (%)": 99.0, "macro F1": 0.99, "activation": "relu"},
        {"model": "b", "test accuracy (%)": 98.0, "macro F1": 0.98, "activation": "tanh"},
    ]
    metrics, settings = analysis.split_compare_rows(rows)
    assert metrics == [
        {"model": "a", "test accuracy (%)": 99.0, "macro F1": 0.99},
        {"model": "b", "test accuracy (%)": 98.0, "macro F1": 0.98},
    ]
    assert settings == [{"setting": "activation", "a": "relu", "b": "tanh"}]
    assert analysis.split_compare_rows([{"model": "a", "macro F1": 0.9}])[1] == []


def test_best_per_column_and_export_rows():
    rows = [
        {
            "test accuracy (%)": 99.1,
            "macro F1": 0.99,
            "parameters": 60_000,
            "size (KB)": 300,
            "train time (s)": 50,
        },
        {
            "test accuracy (%)": 99.5,
            "macro F1": 0.995,
            "parameters": 90_000,
            "size (KB)": 400,
            "train time (s)": 600,
        },
    ]
    best = analysis.best_per_column(rows)
    assert best == {
        "test accuracy (%)": 99.5,
        "macro F1": 0.995,
        "parameters": 60_000,
        "size (KB)": 300,
        "train time (s)": 50,
    }
    export = {
        "keras_kb": 400.0,
        "float_kb": 340.0,
        "int8_kb": 96.0,
        "keras_accuracy": 0.9953,
        "float_accuracy": 0.9953,
        "int8_accuracy": 0.9955,
        "keras_ms": 0.8,
        "float_ms": 0.035,
        "int8_ms": 0.03,
    }
    out = analysis.export_rows({"a": export, "b": None, "c": {"float_kb": 1.0}})
    assert [r["model"] for r in out] == ["a"]
    assert out[0]["int8 KB"] == 96.0 and out[0]["int8 acc. (%)"] == 99.55


@pytest.mark.parametrize(
    ("names", "a", "b", "previous_a", "expected"),
    [
        (["x", "y", "z"], None, None, None, ("x", "y")),  # first visit
        (["x", "y", "z"], "x", "z", "x", ("x", "z")),  # a valid pick stays
        (["y", "z"], "x", "y", "x", ("z", "y")),  # A removed: B stays, A is another
        (["x", "z"], "x", "y", "x", ("x", "z")),  # B removed
        (["x", "y", "z"], "y", "y", "x", ("y", "x")),  # A picked as B's model: swapped
        (["y", "z"], "x", "x", "x", ("y", "z")),  # both gone
    ],
)
def test_model_pair_keeps_two_different_models(names, a, b, previous_a, expected):
    pair = analysis.model_pair(names, a, b, previous_a)
    assert pair == expected and pair[0] != pair[1]


def test_model_pair_needs_two_models():
    with pytest.raises(ValueError, match="'x'"):
        analysis.model_pair(["x", "x"], None, None)


def _lightness(css: str) -> int:
    """Sum of the background's RGB channels (lower is darker)."""
    colour = css.split("background-color: #")[1][:6]
    return sum(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def test_confusion_cell_css_greys_the_diagonal_and_tints_errors_by_size():
    from lenet import plots

    cm = np.diag(np.full(10, 100))
    cm[0, 0], cm[3, 3] = 990, 15
    cm[0, 1], cm[3, 5], cm[3, 8] = 10, 5, 0  # true 0: 1% wrong as 1; true 3: 25% wrong as 5
    css = plots.confusion_cell_css(cm)
    assert all(css[d][d] == plots.DIAGONAL_CSS for d in range(10))
    assert _lightness(css[3][8]) == 3 * 255  # no error: white
    assert _lightness(css[0][1]) < _lightness(css[3][5]) < 3 * 255  # 10 errors darker than 5
    shares = plots.confusion_cell_css(cm, normalise=True)
    assert _lightness(shares[3][5]) < _lightness(shares[0][1]) < 3 * 255  # 25% darker than 1%
    with pytest.raises(ValueError, match=r"\(10, 9\)"):
        plots.confusion_cell_css(np.zeros((10, 9)))


def test_confusion_rows_counts_and_shares():
    cm = np.diag(np.full(10, 9))
    cm[2, 7] = 1
    rows = analysis.confusion_rows(cm)
    assert [r["true"] for r in rows] == [str(d) for d in range(10)]
    assert (rows[2]["2"], rows[2]["7"], rows[0]["0"]) == (9, 1, 9)
    shares = analysis.confusion_rows(cm, normalise=True)
    assert (shares[2]["2"], shares[2]["7"], shares[0]["0"]) == (0.9, 0.1, 1.0)
    assert analysis.confusion_rows(np.zeros((10, 10), int), normalise=True)[0]["0"] == 0.0


def test_confusion_counts_each_true_and_predicted_pair():
    rng = np.random.default_rng(2)
    true = rng.integers(0, 9, 500)  # no 9 drawn: its row stays empty
    predicted = np.where(rng.random(500) < 0.8, true, rng.integers(0, 10, 500))
    expected = np.zeros((10, 10), np.int64)  # the hand-written count it replaced
    np.add.at(expected, (true, predicted), 1)
    cm = analysis.confusion(true.tolist(), predicted)
    assert cm.dtype == np.int64 and cm.shape == (10, 10)
    np.testing.assert_array_equal(cm, expected)
    assert cm[9].sum() == 0 and cm.sum() == 500
    np.testing.assert_array_equal(analysis.confusion([], np.zeros(0, int)), np.zeros((10, 10)))
