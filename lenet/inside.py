"""Look inside a LeNet for one drawing: feature maps, first-layer filters and a saliency map.

Runs on TFLite predictors only (no TensorFlow), fast enough to follow the drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lenet.infer import FeatureReader, Predictor


@dataclass(frozen=True)
class Inside:
    """What one model computes for one image."""

    c1: np.ndarray  # (H1, W1, C1) maps after the first conv block's activation
    c3: np.ndarray  # (H3, W3, C3) maps after the second conv block's activation
    probabilities: np.ndarray  # (10,)


def feature_maps(reader: FeatureReader, image: np.ndarray) -> Inside:
    """The maps and probabilities one model computes for a (28, 28) [0, 1] image."""
    c1, c3, probs = reader.read(image)
    return Inside(c1=c1, c3=c3, probabilities=probs)


def occlusion_saliency(
    predictor: Predictor, image: np.ndarray, digit: int, patch: int = 6, stride: int = 3
) -> np.ndarray:
    """How much the log-probability of ``digit`` drops when each part of the image is hidden.

    Every ``patch`` x ``patch`` square (on a ``stride`` grid) is blanked in its own copy of
    the image; all copies go through the model in one batch. A pixel's saliency is the mean
    drop over the squares that cover it, so it is positive where the ink supports ``digit``
    and negative where hiding it would make ``digit`` more likely. Log-probabilities keep the
    map informative when the model is 99.99% sure.

    Args:
        predictor: the model's float predictor.
        image: (28, 28) float32 in [0, 1].
        digit: the class to explain, 0-9.
        patch: the side of each blanked square, in pixels.
        stride: the step between squares, in pixels.

    Returns:
        (28, 28) float32, in nats of log-probability.

    Raises:
        ValueError: for a digit outside 0-9 or an image that is not 28x28.
    """
    if not 0 <= int(digit) <= 9:
        raise ValueError(f"digit={digit!r} is invalid: expected 0-9")
    image = np.asarray(image, np.float32)
    if image.shape != (28, 28):
        raise ValueError(f"image must be (28, 28), got {image.shape}")
    starts = sorted({*range(0, 28 - patch + 1, stride), 28 - patch})  # every pixel covered
    corners = [(r, c) for r in starts for c in starts]
    batch = np.repeat(image[None], len(corners) + 1, axis=0)  # the last copy stays whole
    for i, (r, c) in enumerate(corners):
        batch[i, r : r + patch, c : c + patch] = 0.0
    logp = np.log(np.clip(predictor.predict(batch)[:, digit], 1e-12, 1.0))
    drops = logp[-1] - logp[:-1]
    total = np.zeros((28, 28), np.float32)
    count = np.zeros((28, 28), np.float32)
    for drop, (r, c) in zip(drops, corners, strict=True):
        total[r : r + patch, c : c + patch] += drop
        count[r : r + patch, c : c + patch] += 1
    return total / np.maximum(count, 1)
