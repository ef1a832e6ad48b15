import threading

import numpy as np
import pytest
import tensorflow as tf

from lenet import train as train_module
from lenet.augment import augment_batch
from lenet.config import LeNetConfig
from lenet.train import _chunks, split_training_data, train


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
    # 900 images in batches of 32: one compiled call for the 28 full batches, one for the rest.
    batches = [p for p in seen if p.kind == "batch"]
    assert [p.batch for p in batches] == [28, 29] * 3
    assert batches[-1].batch == batches[-1].batches == 29
    assert [p.epoch for p in seen if p.kind == "epoch"] == [1, 2, 3]


def weights(result):
    return [w.numpy() if hasattr(w, "numpy") else np.asarray(w) for w in result.model.weights]


@pytest.mark.slow  # trains three models per case: ~5 s of CPU each
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


@pytest.mark.slow  # trains the same run twice (5 s)
def test_a_prepared_run_is_the_same_run_without_tracing_again(small_mnist):
    x, y, _, _ = small_mnist
    config = LeNetConfig(
        epochs=1,
        batch_size=64,
        train_subset=500,
        seed=5,
        batch_norm=(True, True),
        conv_dropout=(0.0, 0.1),
    )
    fresh = train(config, (x, y))
    network = train_module.prepare(config, (x, y))
    assert train_module.is_prepared(config) and not train_module.is_prepared(config.replace(seed=6))
    prepared = train(config, (x, y))
    assert prepared.model is network  # it trained the prepared network, with its traced steps
    assert not train_module._PREPARED  # used once (its steps are kept for the next run)
    assert prepared.history[0]["loss"] == pytest.approx(fresh.history[0]["loss"], rel=1e-6)
    for wa, wb in zip(weights(fresh), weights(prepared), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    network = train_module.prepare(config, (x, y))  # other arrays: built anew
    other = train(config, (x.copy(), y))
    assert other.model is not network
    assert other.history[0]["loss"] == pytest.approx(fresh.history[0]["loss"], rel=1e-6)
    assert not train_module._PREPARED


def same_runs(a, b):
    keys = ("loss", "accuracy", "val_loss", "val_accuracy")
    for ha, hb in zip(a.history, b.history, strict=True):
        for key in keys:
            assert ha[key] == pytest.approx(hb[key], rel=1e-5, abs=1e-7), key
    for wa, wb in zip(weights(a), weights(b), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # six short runs
def test_the_next_run_of_the_same_network_reuses_its_traced_steps(small_mnist, monkeypatch):
    """A sweep trial or a job with another rate or epochs: no new trace, the same result."""
    x, y, _, _ = small_mnist
    base = LeNetConfig(
        epochs=1, batch_size=64, train_subset=500, seed=5, batch_norm=(True, False),
        conv_dropout=(0.0, 0.1), lr_schedule="one-cycle",
    )  # fmt: skip
    other = base.replace(learning_rate=0.004, epochs=2)
    train_module._TRACED.clear()
    fresh_base = train(base, (x, y))
    train_module._TRACED.clear()
    fresh_other = train(other, (x, y))  # traced anew; kept
    traced = []
    real = train_module._make_train_steps
    monkeypatch.setattr(
        train_module, "_make_train_steps", lambda *a: traced.append(a[-1]) or real(*a)
    )
    assert train_module.is_prepared(base)
    reused_base = train(base, (x, y))
    kept = weights(reused_base)
    reused_other = train(other, (x, y))
    assert traced == []
    same_runs(reused_base, fresh_base)
    same_runs(reused_other, fresh_other)
    for before, after in zip(kept, weights(reused_base), strict=True):
        np.testing.assert_array_equal(before, after)  # the next run left this result alone
    constant, cosine = base.replace(lr_schedule="constant"), base.replace(lr_schedule="cosine")
    train(constant, (x, y))
    train(constant.replace(learning_rate=0.01), (x, y))
    train(cosine, (x, y))
    reused_cosine = train(cosine.replace(learning_rate=0.01, epochs=2), (x, y))
    train(base.replace(filters=(4, 8)), (x, y))  # another network
    assert traced == [constant, cosine, base.replace(filters=(4, 8))]
    train_module._TRACED.clear()
    same_runs(reused_cosine, train(cosine.replace(learning_rate=0.01, epochs=2), (x, y)))
    assert not train_module.is_prepared(base)


@pytest.mark.parametrize(
    ("n", "per_call", "expected"),
    [
        (900, 128, [(0, 28), (28, 29)]),
        (896, 10, [(0, 10), (10, 20), (20, 28)]),
        (20, 4, [(0, 1)]),
        (100, 1, [(0, 1), (1, 2), (2, 3), (3, 4)]),
    ],
)
def test_chunks_cover_every_batch_once_with_equal_batches_per_call(n, per_call, expected):
    assert _chunks(n, 32, per_call) == expected


@pytest.mark.slow  # trains twice, once a batch per compiled call: ~4 s of CPU
def test_chunk_size_does_not_change_the_model(small_mnist, monkeypatch):
    x, y, _, _ = small_mnist
    config = LeNetConfig(
        epochs=1, batch_size=32, train_subset=300, conv_dropout=(0.2, 0.2), aug_shift=0.1
    )
    whole = train(config, (x, y))
    monkeypatch.setattr(train_module, "CHUNK_IMAGES", 32)  # one batch per compiled call
    one_by_one = train(config, (x, y))
    assert whole.history[0]["accuracy"] == one_by_one.history[0]["accuracy"]
    for wa, wb in zip(weights(whole), weights(one_by_one), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-5)


def test_cancel_stops_within_one_chunk_and_is_reported(small_mnist, monkeypatch):
    monkeypatch.setattr(train_module, "CHUNK_IMAGES", 64)  # two batches of 32 per call
    x, y, _, _ = small_mnist
    cancel = threading.Event()
    batches = []

    def on_progress(p):
        if p.kind == "batch":
            batches.append(p.batch)
            if p.batch == 6:
                cancel.set()

    result = train(
        LeNetConfig(epochs=2, batch_size=32), (x, y), on_progress=on_progress, cancel=cancel
    )
    assert result.status == "cancelled" and not result.completed
    assert batches == [2, 4, 6] and result.history == []


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


FLAGS = "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma {extra}\n"


@pytest.mark.parametrize(
    ("env", "extra", "expected"),
    [
        (None, "", "fp32"),  # AVX2 only (AMD EPYC Milan, this project's CI)
        (None, "avx512f avx512_bf16", "bf16"),
        (None, "amx_bf16 amx_tile", "bf16"),
        ("auto", "avx512f", "fp32"),
        ("fp32", "amx_bf16", "fp32"),
        ("BF16", "", "bf16"),
    ],
)
def test_precision_is_bf16_only_on_cpus_with_native_bf16(monkeypatch, env, extra, expected):
    if env is None:
        monkeypatch.delenv("LENET_PRECISION", raising=False)
    else:
        monkeypatch.setenv("LENET_PRECISION", env)
    assert train_module.training_precision(FLAGS.format(extra=extra)) == expected


def test_bad_precision_setting_is_refused_before_training(small_mnist, monkeypatch):
    monkeypatch.setenv("LENET_PRECISION", "fp8")
    x, y, _, _ = small_mnist
    with pytest.raises(ValueError, match="LENET_PRECISION='fp8' is invalid"):
        train(LeNetConfig(epochs=1), (x, y))


@pytest.mark.slow  # trains twice in bf16, emulated (several times slower) on CPUs without it
def test_bf16_run_returns_a_float32_model(small_mnist, monkeypatch):
    monkeypatch.setenv("LENET_PRECISION", "bf16")
    x, y, x_test, _ = small_mnist
    config = LeNetConfig(epochs=2, batch_size=32, train_subset=600, batch_norm=(True, False))
    epochs = []
    result = train(config, (x, y), on_epoch=lambda e, m: epochs.append((e, m.dtype_policy.name)))
    assert result.precision == "bf16" and result.completed
    assert epochs == [(1, "mixed_bfloat16"), (2, "mixed_bfloat16")]
    assert {layer.dtype_policy.name for layer in result.model.layers} == {"float32"}
    assert result.history[1]["loss"] < result.history[0]["loss"]
    probs = result.model(x_test[:8, :, :, None].astype("float32") / 255.0).numpy()
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    # Fine-tuning trains the given model in place, in bf16 too.
    before = weights(result)
    tuned = train(config.replace(epochs=1), (x, y), initial_model=result.model)
    assert tuned.model is result.model
    assert any(not np.array_equal(a, b) for a, b in zip(before, weights(tuned), strict=True))


def test_one_cycle_rises_to_the_peak_then_falls_to_a_ten_thousandth():
    schedule = train_module.OneCycle(0.01, steps=100, warmup=0.25)
    rates = [float(schedule(step)) for step in range(100)]
    assert rates[0] == pytest.approx(0.01 / 25)
    assert max(rates) == pytest.approx(0.01) and rates.index(max(rates)) == 25
    assert all(a < b for a, b in zip(rates[:25], rates[1:26], strict=True))  # rising
    assert all(a > b for a, b in zip(rates[25:99], rates[26:], strict=True))  # falling
    assert rates[-1] == pytest.approx(0.01 / 1e4)
    assert float(schedule(500)) == pytest.approx(rates[-1])  # stays at the end rate


def test_cosine_is_keras_cosine_decay_and_can_be_retargeted():
    import keras

    mine, theirs = train_module.Cosine(0.01, 100), keras.optimizers.schedules.CosineDecay(0.01, 100)
    for step in (0, 1, 37, 99, 100, 150):
        assert float(mine(step)) == pytest.approx(float(theirs(step)), abs=1e-9)
    mine.retarget(0.02, 10)
    assert float(mine(0)) == pytest.approx(0.02) and float(mine(10)) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="cosine"):
        mine.retarget(0.02, 0)


@pytest.mark.parametrize(("steps", "warmup"), [(0, 0.25), (100, 0.0), (100, 1.0)])
def test_one_cycle_refuses_an_impossible_cycle(steps, warmup):
    with pytest.raises(ValueError, match="one-cycle"):
        train_module.OneCycle(0.01, steps=steps, warmup=warmup)


def test_one_cycle_run_follows_the_schedule(small_mnist, monkeypatch):
    # 300 images, batch 50: 6 updates an epoch, 12 in all; the optimizer's rate after the run
    # is the schedule's at step 12 (its end), and the config's rate is the peak.
    x, y, _, _ = small_mnist
    config = LeNetConfig(
        epochs=2, batch_size=50, train_subset=300, validation_split=0.0, lr_schedule="one-cycle"
    )
    made = []
    real = train_module.make_optimizer
    monkeypatch.setattr(
        train_module, "make_optimizer", lambda c, steps: made.append(real(c, steps)) or made[-1]
    )
    result = train(config, (x, y))
    assert result.completed
    (optimizer,) = made
    schedule = optimizer._learning_rate
    assert isinstance(schedule, train_module.OneCycle)
    assert (schedule.peak, schedule.steps) == (config.learning_rate, 12)
    assert int(optimizer.iterations) == 12
    assert float(optimizer.learning_rate) == pytest.approx(config.learning_rate / 1e4)


def test_fused_adam_is_keras_adam_step_for_step():
    # The same network, gradients and one-cycle schedule: Keras's optimizer.apply against the
    # fused kernel, 6 updates in a graph, then the weights, moments and step count compared.
    # Float rounding differs (~1e-6 after 6 steps); a wrong beta, rate or bias correction
    # moves the weights by ~1e-3 (each step moves a weight by up to the rate, 0.01).
    import keras

    from lenet.model import build_model

    config = LeNetConfig(filters=(4, 8), dense_units=(16, 12), batch_norm=(True, False))
    keras.utils.set_random_seed(0)
    nets = [build_model(config), build_model(config)]
    nets[1].set_weights(nets[0].get_weights())
    initial = nets[0].get_weights()
    optimizers = [keras.optimizers.Adam(train_module.OneCycle(0.01, 6)) for _ in nets]
    for net, optimizer in zip(nets, optimizers, strict=True):
        optimizer.build(net.trainable_variables)
    fused = train_module.fused_adam(optimizers[1])
    assert fused is not None
    x = tf.constant(np.random.default_rng(0).random((8, 28, 28, 1)), tf.float32)
    y = tf.constant(np.arange(8) % 10)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def steps(net, apply):  # noqa: ANN001, ANN202
        @tf.function(autograph=False)
        def run():  # noqa: ANN202
            for _ in range(6):
                with tf.GradientTape() as tape:
                    loss = loss_fn(y, net(x, training=True))
                apply(tape.gradient(loss, net.trainable_variables), net.trainable_variables)

        run()

    steps(nets[0], optimizers[0].apply)
    steps(nets[1], fused)
    assert int(optimizers[1].iterations) == int(optimizers[0].iterations) == 6
    for a, b in zip(optimizers[0].variables, optimizers[1].variables, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=5e-5)
    for a, b in zip(nets[0].get_weights(), nets[1].get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=5e-5)
    assert any(  # it trained: the weights moved from where both started
        not np.allclose(a, b) for a, b in zip(nets[1].get_weights(), initial, strict=True)
    )


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda k: k.optimizers.Adam(0.01, amsgrad=True),
        lambda k: k.optimizers.Adam(0.01, clipnorm=1.0),
        lambda k: k.optimizers.AdamW(0.01),
        lambda k: k.optimizers.SGD(0.01),
    ],
)
def test_fused_adam_leaves_other_optimizers_to_keras(optimizer):
    import keras

    assert train_module.fused_adam(optimizer(keras)) is None
