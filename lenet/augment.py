"""In-graph random augmentation of a training batch.

Affine (shift, rotation, zoom, shear) in a single projective-transform op, then optional
stroke thickening or thinning.
"""

from __future__ import annotations

import math

import tensorflow as tf

from lenet.config import LeNetConfig


def augment_batch(x: tf.Tensor, seed: tf.Tensor, config: LeNetConfig) -> tf.Tensor:
    """Apply one random transform per image.

    Args:
        x: (B, H, W, 1) float32 images in [0, 1], background 0.
        seed: a (2,) int32 stateless seed; the same seed gives the same transforms.
        config: supplies the strengths ``aug_shift`` (fraction of the side), ``aug_rotation``
            (degrees), ``aug_zoom`` (relative), ``aug_shear`` (factor), ``aug_stroke``
            (probability of a 3x3 dilation or erosion).

    Returns:
        The transformed batch, same shape; pixels from outside the image are 0.
    """
    b = tf.shape(x)[0]
    side = tf.cast(tf.shape(x)[1], tf.float32)
    u = tf.random.stateless_uniform([b, 7], seed, -1.0, 1.0)  # (B, 7) in [-1, 1)
    theta = u[:, 0] * (config.aug_rotation * math.pi / 180.0)
    scale = 1.0 + u[:, 1] * config.aug_zoom
    tx, ty = u[:, 2] * config.aug_shift * side, u[:, 3] * config.aug_shift * side
    shear = u[:, 4] * config.aug_shear
    c = (side - 1.0) / 2.0
    # The op maps each output pixel to an input pixel: in = A (out - c) + c - t with
    # A = R(-theta) S(-shear) / scale.
    cos, sin = tf.cos(theta) / scale, tf.sin(theta) / scale
    a0, a1, b0, b1 = cos, sin - shear * cos, -sin, cos + shear * sin
    a2 = c - a0 * c - a1 * c - tx
    b2 = c - b0 * c - b1 * c - ty
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=transforms,
        output_shape=tf.shape(x)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    if config.aug_stroke > 0:
        thick = tf.nn.max_pool2d(x, 3, 1, "SAME")
        thin = -tf.nn.max_pool2d(-x, 3, 1, "SAME")
        # Blend half-way so the change is about one pixel of stroke, as between pen widths.
        pick = u[:, 5:6, None, None]  # (B, 1, 1, 1)
        apply = tf.abs(u[:, 6:7, None, None]) < config.aug_stroke
        changed = tf.where(pick > 0, 0.5 * (x + thick), 0.5 * (x + thin))
        x = tf.where(apply, changed, x)
    return x
