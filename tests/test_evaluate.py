import numpy as np
import pytest
from sklearn.metrics import classification_report, f1_score

from lenet.evaluate import Report, build_report, decode_images


def fake_probs(y, wrong, rng):
    p = rng.random((len(y), 10)) * 0.1
    pred = y.copy()
    pred[wrong] = (y[wrong] + 1) % 10
    p[np.arange(len(y)), pred] += 1.0
    return p / p.sum(1, keepdims=True), pred


def test_report_matches_scikit_learn_and_lists_mistakes():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 20)
    wrong = np.array([0, 5, 41, 199])
    probs, pred = fake_probs(y, wrong, rng)
    images = rng.integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
    r = build_report(probs, y, images)
    ref = classification_report(y, pred, output_dict=True)
    assert r.accuracy == pytest.approx(1 - 4 / 200)
    assert r.macro_f1 == pytest.approx(f1_score(y, pred, average="macro"))
    assert r.weighted_precision == pytest.approx(ref["weighted avg"]["precision"])
    assert [row["recall"] for row in r.per_class] == pytest.approx(
        [ref[str(d)]["recall"] for d in range(10)]
    )
    assert r.confusion_array.sum() == 200 and np.trace(r.confusion_array) == 196
    assert r.confusion[0][1] == 2  # indices 0 and 5 are zeros predicted as ones
    assert [m["index"] for m in r.misclassified] == wrong.tolist()
    np.testing.assert_array_equal(decode_images(r.misclassified_images), images[wrong])
    assert len(r.sample) == len(r.sample_images) == 48
    assert r.per_class[0]["accuracy"] == pytest.approx(18 / 20)


def test_json_round_trip_is_exact():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(10), 5)
    probs, _ = fake_probs(y, np.array([3]), rng)
    r = build_report(probs, y, rng.integers(0, 256, (50, 28, 28), dtype=np.uint8))
    assert Report.from_json(r.to_json()) == r
    text = r.classification_text()
    assert "macro avg" in text and "weighted avg" in text and text.count("\n") == 15


@pytest.mark.parametrize(
    ("probs", "labels"),
    [(np.ones((5, 9)), np.zeros(5)), (np.ones((5, 10)), np.zeros(4)), (np.ones((0, 10)), [])],
)
def test_bad_shapes_are_refused(probs, labels):
    with pytest.raises(ValueError, match="probabilities"):
        build_report(probs, np.asarray(labels))
