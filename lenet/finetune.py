"""Fine-tuning on a person's own drawings: the split that keeps some out, and the data mix."""

from __future__ import annotations

import numpy as np

# Drawings are few next to MNIST: repeat them so they make up about this share of the mix.
DRAWING_SHARE = 0.2


def split_drawings(
    x: np.ndarray, y: np.ndarray, holdout: float, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split drawings into (fine-tune, held-out), stratified when every digit has two or more.

    Raises:
        ValueError: with fewer than 4 drawings (nothing meaningful to hold out).
    """
    if len(x) < 4:
        raise ValueError(
            f"fine-tuning needs at least 4 saved drawings, found {len(x)}: label "
            "more on the Draw page"
        )
    rng = np.random.default_rng(seed)
    held: list[int] = []
    for digit in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == digit))
        held += rows[: int(round(len(rows) * holdout))].tolist()
    if not held:  # too few per digit: fall back to a plain random share
        held = rng.permutation(len(x))[: max(1, int(round(len(x) * holdout)))].tolist()
    mask = np.zeros(len(x), bool)
    mask[held] = True
    return (x[~mask], y[~mask]), (x[mask], y[mask])


def mix(
    x_mnist: np.ndarray, y_mnist: np.ndarray, x_draw: np.ndarray, y_draw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST plus the drawings repeated to about ``DRAWING_SHARE`` of the whole.

    The training run then takes its stratified subset of this mix, so the drawings keep
    their share whatever the subset size.
    """
    if len(x_draw) == 0:
        return x_mnist, y_mnist
    repeat = max(1, round(DRAWING_SHARE * len(x_mnist) / ((1 - DRAWING_SHARE) * len(x_draw))))
    x = np.concatenate([x_mnist, np.repeat(x_draw, repeat, axis=0)])
    y = np.concatenate([y_mnist, np.repeat(y_draw.astype(y_mnist.dtype), repeat)])
    return x, y
