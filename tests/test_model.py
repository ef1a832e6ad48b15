import keras
import numpy as np
import pytest
from keras import layers

from lenet.config import CLASSIC, LeNetConfig
from lenet.model import LECUN_C3_TABLE, FusedBatchNormalization, build_model, scaled_tanh


def kinds(model: keras.Model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_classic_parameter_count_is_pinned():
    assert build_model(CLASSIC).count_params() == 61_706


def test_lecun_c3_table_has_the_papers_1516_parameters():
    assert sum(len(t) for t in LECUN_C3_TABLE) == 60
    model = build_model(CLASSIC.replace(c3_connections="lecun"))
    assert model.get_layer("c3").count_params() == 1_516
    assert model.count_params() == 61_706 - 2_416 + 1_516


def test_lecun_c3_only_connects_the_table():
    model = build_model(CLASSIC.replace(c3_connections="lecun"))
    # Feed S2 maps where only map 5 is non-zero: C3 maps that never see map 5 stay at bias.
    c3 = model.get_layer("c3")
    x = np.zeros((1, 14, 14, 6), "float32")
    x[..., 5] = 1.0
    out = keras.ops.convert_to_numpy(c3(x))[0, 0, 0]
    bias = keras.ops.convert_to_numpy(c3.bias)
    sees_5 = np.array([5 in t for t in LECUN_C3_TABLE])
    np.testing.assert_allclose(out[~sees_5], np.tanh(bias[~sees_5] * 2 / 3) * 1.7159, atol=1e-6)
    assert np.all(np.abs(out[sees_5] - 1.7159 * np.tanh(bias[sees_5] * 2 / 3)) > 0)


def test_layer_names_follow_the_paper():
    names = [layer.name for layer in build_model(CLASSIC).layers]
    assert names == ["image", "pad", "c1", "s2", "c3", "s4", "flatten", "c5", "f6", "output"]
    three = build_model(
        LeNetConfig(
            filters=(6, 16, 16), batch_norm=(0, 0, 0), conv_dropout=(0, 0, 0), padding="same"
        )
    )
    assert [n for n in (layer.name for layer in three.layers) if n[1:].isdigit()] == [
        "c1",
        "s2",
        "c3",
        "s4",
        "c5",
        "s6",
        "c7",
        "f8",
    ]


def test_model_takes_28x28_even_when_32_inside():
    for config in (CLASSIC, LeNetConfig()):
        model = build_model(config)
        assert model.input_shape == (None, 28, 28, 1)
        out = keras.ops.convert_to_numpy(model(np.zeros((2, 28, 28, 1), "float32")))
        assert out.shape == (2, 10)
        np.testing.assert_allclose(out.sum(1), 1.0, rtol=1e-5)
    assert build_model(CLASSIC).get_layer("c1").output.shape[1] == 28


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"activation": "scaled_tanh"}, lambda m: m.get_layer("c1").activation is scaled_tanh),
        ({"activation": "tanh"}, lambda m: m.get_layer("c5").activation.__name__ == "tanh"),
        ({"activation": "gelu"}, lambda m: m.get_layer("f6").activation.__name__ == "gelu"),
        ({"pooling": "average"}, lambda m: isinstance(m.get_layer("s2"), layers.AveragePooling2D)),
        ({"pooling": "max"}, lambda m: isinstance(m.get_layer("s4"), layers.MaxPooling2D)),
        (
            {"batch_norm": (True, False)},
            lambda m: kinds(m).count("BatchNormalization") == 1 and m.get_layer("c1_bn"),
        ),
        ({"batch_norm": (True, True)}, lambda m: kinds(m).count("BatchNormalization") == 2),
        ({"conv_dropout": (0.0, 0.25)}, lambda m: m.get_layer("s4_dropout").rate == 0.25),
        (
            {"dense_dropout": (0.5, 0.0)},
            lambda m: m.get_layer("c5_dropout").rate == 0.5 and kinds(m).count("Dropout") == 1,
        ),
        ({"filters": (20, 50)}, lambda m: m.get_layer("c3").output.shape[-1] == 50),
        (
            {"filters": (6,), "batch_norm": (0,), "conv_dropout": (0,)},
            lambda m: kinds(m).count("Conv2D") == 1,
        ),
        ({"padding": "same"}, lambda m: m.get_layer("c1").output.shape[1] == 28),
        ({"padding": "valid"}, lambda m: m.get_layer("c1").output.shape[1] == 24),
        (
            {"dense_units": (500,), "dense_dropout": (0.0,)},
            lambda m: m.get_layer("c5").units == 500 and kinds(m).count("Dense") == 2,
        ),
        ({"input_size": 32}, lambda m: m.get_layer("pad").output.shape[1] == 32),
        ({"input_range": "lecun"}, lambda m: m.get_layer("normalise").offset == -0.1),
        ({"kernel_size": 3}, lambda m: m.get_layer("c1").kernel.shape[0] == 3),
        (
            {"batch_norm": (True, True), "block_order": "conv-pool-bn-act"},
            lambda m: (
                names(m)[1:5] == ["c1", "s2", "c1_bn", "c1_act"]
                and m.get_layer("c1_bn").output.shape[1] == 12
            ),
        ),
        (
            {"batch_norm": (True, False), "block_order": "conv-pool-bn-act"},  # BN blocks only
            lambda m: (
                names(m).index("c3") < names(m).index("s4")
                and m.get_layer("c3").activation.__name__ == "relu"
            ),
        ),
        (
            {"batch_norm": (True, True), "bn_momentum": 0.9},
            lambda m: m.get_layer("c3_bn").momentum == 0.9,
        ),
    ],
)
def test_each_option_changes_the_graph_as_claimed(changes, check):
    assert check(build_model(LeNetConfig(**changes)))


def names(model):
    return [layer.name for layer in model.layers]


def test_fused_batch_norm_trains_like_keras_batch_norm():
    """Same output, gradients and moving statistics as Keras's layer, in training and not."""
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).normal(2.0, 3.0, (16, 6, 6, 4)).astype("float32"))
    results = []
    for kind in (layers.BatchNormalization, FusedBatchNormalization):
        layer = kind(momentum=0.9)
        layer.build(x.shape)
        layer.gamma.assign(np.arange(1, 5, dtype="float32"))
        layer.beta.assign(np.ones(4, "float32"))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.sin(y))
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append(
            [y, *grads, layer.moving_mean, layer.moving_variance, layer(x, training=False)]
        )
    for keras_value, fused_value in zip(*results, strict=True):
        np.testing.assert_allclose(np.asarray(fused_value), np.asarray(keras_value), atol=1e-3)


def test_keras_tutorial_variant_has_about_1_26_million_parameters():
    config = LeNetConfig(filters=(20, 50), padding="same", dense_units=(500,), dense_dropout=(0.0,))
    assert build_model(config).count_params() == 1_256_080


def test_save_and_safe_load_round_trip_with_custom_parts(tmp_path):
    model = build_model(CLASSIC.replace(c3_connections="lecun"))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x)), keras.ops.convert_to_numpy(loaded(x)), atol=1e-6
    )
