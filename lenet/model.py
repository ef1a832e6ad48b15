"""Build a LeNet-5 variant from a ``LeNetConfig``.

Every model takes ``(N, 28, 28, 1)`` float32 images in [0, 1] and returns ten softmax
probabilities; a 32x32 configuration zero-pads inside the model (layer ``pad``), as the 1998
paper did, so callers never pad by hand.

Layer names follow the paper: conv blocks are ``c1``/``s2``, ``c3``/``s4`` (``c5``/``s6``), the
first dense layer is the next ``c`` (LeNet's C5 is a full connection over 5x5 maps), the
others ``f``, then ``output``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from lenet.config import LeNetConfig

# LeCun et al. 1998, Table I: which of the 6 S2 maps each of the 16 C3 maps sees.
LECUN_C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip


# Saved models name the custom objects "lenet.model>NAME", so that Keras alone, failing to load
# one, says which module to import ("Could not locate function 'lenet.model>scaled_tanh' ...
# make sure they are all imported"). Models saved before as "lenet>NAME" load too (below).
PACKAGE = "lenet.model"


@keras.saving.register_keras_serializable(package=PACKAGE)
def scaled_tanh(x: Any) -> Any:
    """LeCun's squashing function f(a) = 1.7159 tanh(2a/3)."""
    return 1.7159 * ops.tanh(x * (2.0 / 3.0))


@keras.saving.register_keras_serializable(package=PACKAGE)
class SparseConv2D(layers.Layer):
    """A valid-padding conv whose output maps each see only some input maps.

    Only the connections in ``table`` are weights (60 x k x k for the LeCun table, so C3 has the
    paper's 1,516 parameters); they are scattered into a dense kernel at call time.
    """

    def __init__(
        self,
        table: list[list[int]],
        in_maps: int,
        kernel_size: int = 5,
        activation: str | Callable[[Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the layer.

        Args:
            table: for each output map, the input maps it reads.
            in_maps: the number of input maps.
            kernel_size: the side of each square kernel.
            activation: a Keras activation (name or function), or None for linear.
            **kwargs: the base layer's arguments (name, dtype, ...).
        """
        super().__init__(**kwargs)
        self.table = [list(map(int, t)) for t in table]
        self.in_maps = int(in_maps)
        self.kernel_size = int(kernel_size)
        self.activation = keras.activations.get(activation)
        pairs = [(i, o) for o, ins in enumerate(self.table) for i in ins]
        # (connections, in_maps * out_maps) one-hot: places each weight in the dense kernel.
        place = np.zeros((len(pairs), self.in_maps * len(self.table)), dtype="float32")
        for row, (i, o) in enumerate(pairs):
            place[row, i * len(self.table) + o] = 1.0
        self._place = place

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create the sparse kernel (LeCun uniform) and the bias."""
        k, n = self.kernel_size, self._place.shape[0]
        limit = float(np.sqrt(3.0 / (k * k * n / len(self.table))))  # LeCun uniform, mean fan-in
        self.kernel = self.add_weight(
            name="kernel",
            shape=(k, k, n),
            initializer=keras.initializers.RandomUniform(-limit, limit),
        )
        self.bias = self.add_weight(name="bias", shape=(len(self.table),), initializer="zeros")

    def call(self, x: Any) -> Any:
        """Convolve ``x`` with the dense kernel the table scatters the weights into."""
        k, out = self.kernel_size, len(self.table)
        dense = ops.matmul(self.kernel, ops.convert_to_tensor(self._place, dtype=self.kernel.dtype))
        dense = ops.reshape(dense, (k, k, self.in_maps, out))  # (k, k, in, out)
        y = ops.conv(x, ops.cast(dense, x.dtype), padding="valid") + ops.cast(self.bias, x.dtype)
        return self.activation(y)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """(N, H - k + 1, W - k + 1, maps): a valid convolution."""
        n, h, w, _ = input_shape
        k = self.kernel_size
        return (
            n,
            None if h is None else h - k + 1,
            None if w is None else w - k + 1,
            len(self.table),
        )

    def get_config(self) -> dict[str, Any]:
        """The layer's config, with its table, for saving."""
        return {
            **super().get_config(),
            "table": self.table,
            "in_maps": self.in_maps,
            "kernel_size": self.kernel_size,
            "activation": keras.activations.serialize(self.activation),
        }


# The names the bundled models (and any saved before) were stored under.
keras.saving.get_custom_objects().update(
    {"lenet>scaled_tanh": scaled_tanh, "lenet>SparseConv2D": SparseConv2D}
)


class FusedBatchNormalization(layers.BatchNormalization):
    """Keras's ``BatchNormalization`` that trains through TensorFlow's fused kernel.

    Keras 3 normalises with separate ops (moments, then scale and shift), each a pass over the
    maps in both directions; TensorFlow's ``FusedBatchNormV3`` does the forward pass and its
    gradient in one kernel each. Trained alone, a 16/32-filter LeNet with BN after both
    convolutions ran 1.27x as many images a second with it on this project's 2-core CPU.
    Only training uses it (``lenet.train`` trains a copy built with it and copies the
    weights back), so saved models hold plain ``BatchNormalization`` layers. The weights,
    their order and the moving statistics' update are Keras's; any case the fused kernel
    does not cover (a mask, renorm, not channels-last 4-D) is Keras's own code.
    """

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """Normalise ``inputs`` (N, H, W, C); in training, with batch statistics, fused."""
        fused = (
            training
            and self.trainable
            and mask is None
            and not self.renorm
            and self.scale
            and self.center
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
        )
        if not fused:
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        x = tf.cast(inputs, "float32")
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x, tf.cast(self.gamma, "float32"), tf.cast(self.beta, "float32"),
            epsilon=self.epsilon, is_training=True,
        )[:3]  # fmt: skip
        # The kernel returns the unbiased variance; Keras's moving variance takes the biased.
        n = tf.cast(tf.size(x) // tf.shape(x)[-1], "float32")
        variance = variance * (n - 1.0) / tf.maximum(n, 1.0)
        m = self.momentum
        self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
        self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))
        return tf.cast(y, self.compute_dtype)


def _activation(name: str) -> str | Callable[[Any], Any]:
    return scaled_tanh if name == "scaled_tanh" else name


def build_model(
    config: LeNetConfig, *, batch_norm: type[layers.BatchNormalization] = layers.BatchNormalization
) -> keras.Model:
    """Build (uncompiled) the network that ``config`` describes.

    Args:
        config: the variant.
        batch_norm: the batch-normalisation layer class (``lenet.train`` passes
            ``FusedBatchNormalization`` for the copy it trains).

    Returns:
        A functional ``keras.Model`` named ``lenet`` taking (N, 28, 28, 1) float32.
    """
    act = _activation(config.activation)
    pool = layers.AveragePooling2D if config.pooling == "average" else layers.MaxPooling2D
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = inputs
    if config.input_size == 32:
        x = layers.ZeroPadding2D(2, name="pad")(x)  # (N, 32, 32, 1), padded with background
    if config.input_range == "lecun":
        # The paper's normalisation: mean input about 0 and variance about 1, for tanh units.
        x = layers.Rescaling(1.275, offset=-0.1, name="normalise")(x)
    index = 1
    for block, filters in enumerate(config.filters):
        conv_name, bn = f"c{index}", config.batch_norm[block]
        pool_first = bn and config.block_order == "conv-pool-bn-act"  # only BN blocks move
        conv_act = None if bn else act
        if block == 1 and config.c3_connections == "lecun":
            x = SparseConv2D(
                [list(t) for t in LECUN_C3_TABLE],
                in_maps=config.filters[0],
                kernel_size=config.kernel_size,
                activation=conv_act,
                name=conv_name,
            )(x)
        else:
            x = layers.Conv2D(
                filters,
                config.kernel_size,
                padding=config.padding,
                activation=conv_act,
                use_bias=not bn,
                name=conv_name,
            )(x)
        if pool_first:
            x = pool(2, name=f"s{index + 1}")(x)
        if bn:
            x = batch_norm(momentum=config.bn_momentum, name=f"{conv_name}_bn")(x)
            x = layers.Activation(act, name=f"{conv_name}_act")(x)
        if not pool_first:
            x = pool(2, name=f"s{index + 1}")(x)
        if config.conv_dropout[block] > 0:
            x = layers.Dropout(config.conv_dropout[block], name=f"s{index + 1}_dropout")(x)
        index += 2
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(config.dense_units):
        name = f"{'c' if i == 0 else 'f'}{index}"
        x = layers.Dense(units, activation=act, name=name)(x)
        if config.dense_dropout[i] > 0:
            x = layers.Dropout(config.dense_dropout[i], name=f"{name}_dropout")(x)
        index += 1
    outputs = layers.Dense(10, activation="softmax", name="output", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="lenet")


def predict_proba(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Probabilities (N, 10) float32 for (N, 28, 28) uint8 or float [0, 1] images."""
    import tensorflow as tf

    if x.dtype == np.uint8:
        x = x.astype("float32") / 255.0
    x = x.reshape(-1, 28, 28, 1).astype("float32")
    if len(x) == 0:
        return np.zeros((0, 10), "float32")
    fn = tf.function(lambda t: model(t, training=False), reduce_retracing=True)
    return np.concatenate(
        [fn(tf.constant(x[i : i + batch_size])).numpy() for i in range(0, len(x), batch_size)]
    )
