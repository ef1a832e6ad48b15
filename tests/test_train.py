import threading

import numpy as np
import pytest
import tensorflow as tf

from lenet.augment import augment_batch
from lenet.config import LeNetConfig
from lenet.train import split_training_data, train


def test_three_epochs_on_a_thousand_images_lower_the_loss(small_mnist):
    x, y, _, _ = small_mnist
    config = LeNetConfig(epochs=3, batch_size=32, train_subset=1000, validation_split=0.1)
    seen = []
    result = train(config, (x, y), on_progress=seen.append)
    losses = [h["loss"] for h in result.history]
    assert result.status == "completed" and len(result.history) == 3
    assert losses[0] > losses[1] > losses[2]
    assert result.history[-1]["accuracy"] > result.history[0]["accuracy"]
    assert result.train_size == 900 and result.val_size == 100
    assert {"val_loss", "val_accuracy", "seconds", "images_per_s"} <= result.history[0].keys()
    batches = [p for p in seen if p.kind == "batch"]
    assert len(batches) == 3 * 29 and batches[-1].batch == batches[-1].batches == 29
    assert [p.epoch for p in seen if p.kind == "epoch"] == [1, 2, 3]


def weights(result):
    return [w.numpy() if hasattr(w, "numpy") else np.asarray(w) for w in result.model.weights]


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"conv_dropout": (0.2, 0.2), "batch_norm": (1, 1), "aug_shift": 0.1, "aug_rotation": 10.0},
    ],
)
def test_same_seed_same_model(small_mnist, extra):
    x, y, _, _ = small_mnist
    config = LeNetConfig(epochs=1, batch_size=64, train_subset=500, seed=11, **extra)
    a, b = train(config, (x, y)), train(config, (x, y))
    assert a.history[0]["loss"] == b.history[0]["loss"]
    for wa, wb in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    c = train(config.replace(seed=12), (x, y))
    assert c.history[0]["loss"] != a.history[0]["loss"]


def test_cancel_stops_within_one_batch_and_is_reported(small_mnist):
    x, y, _, _ = small_mnist
    cancel = threading.Event()
    batches = []

    def on_progress(p):
        if p.kind == "batch":
            batches.append(p.batch)
            if p.batch == 3:
                cancel.set()

    result = train(
        LeNetConfig(epochs=2, batch_size=32), (x, y), on_progress=on_progress, cancel=cancel
    )
    assert result.status == "cancelled" and not result.completed
    assert batches == [1, 2, 3] and result.history == []


def test_dry_run_trains_one_batch(small_mnist):
    x, y, _, _ = small_mnist
    seen = []
    result = train(LeNetConfig(epochs=2), (x, y), on_progress=seen.append, max_batches=1)
    assert result.status == "dry-run" and len(seen) == 1


@pytest.mark.parametrize("shape", [(10, 28, 28, 1), (10, 32, 32), (0, 28, 28)])
def test_bad_training_data_is_refused(shape):
    x = np.zeros(shape, np.uint8)
    with pytest.raises(ValueError, match="training data must be"):
        train(LeNetConfig(), (x, np.zeros(len(x), np.uint8)))


def test_validation_comes_from_training_images_only(small_mnist):
    x, y, _, _ = small_mnist
    config = LeNetConfig(train_subset=600, validation_split=0.2)
    x_tr, y_tr, x_val, y_val = split_training_data(config, x, y)
    assert len(x_tr) == 480 and len(x_val) == 120
    assert np.bincount(y_val, minlength=10).tolist() == [12] * 10  # stratified
    rows = {r.tobytes() for r in x_tr}
    assert not any(r.tobytes() in rows for r in x_val)


def test_augmentation_is_seeded_and_keeps_ink_in_frame():
    x = np.zeros((4, 28, 28, 1), "float32")
    x[:, 10:18, 12:16] = 1.0
    config = LeNetConfig(
        aug_shift=0.1, aug_rotation=15.0, aug_zoom=0.1, aug_shear=0.3, aug_stroke=1.0
    )
    a = augment_batch(tf.constant(x), tf.constant([1, 2]), config).numpy()
    b = augment_batch(tf.constant(x), tf.constant([1, 2]), config).numpy()
    c = augment_batch(tf.constant(x), tf.constant([1, 3]), config).numpy()
    assert a.shape == x.shape
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, x)
    assert np.all(a.sum((1, 2, 3)) > 10)  # the stroke is moved, not lost
    identity = augment_batch(tf.constant(x), tf.constant([1, 2]), LeNetConfig()).numpy()
    np.testing.assert_allclose(identity, x, atol=1e-6)
