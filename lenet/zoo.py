"""The bundled model zoo: the recipes, and the command that retrains them all.

Every recipe was chosen by validation accuracy (a split carved from the 60,000 training
images, plus the synthetic drawings for a model that mixes them in); the test set is used once
per model, for the report that ships with it.

A recipe in ``DRAWN_MIX`` trains on MNIST plus synthetic stroke drawings of the ways people
write that MNIST underrepresents (a flagged 1, a crossed 7, very small digits, heavy slant).
The drawings are made outside the runtime package, by ``python -m devkit.drawn`` from its
training styles only (never the benchmark's held-out ones), and handed to ``train_and_save``;
the app itself never draws.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lenet.config import LeNetConfig
from lenet.export import export_model
from lenet.pipeline import Mnist, train_evaluate_save
from lenet.store import ModelCard, ModelStore
from lenet.train import Progress

# lenet5-best's recipe; lenet5-robust trains the same one on MNIST plus drawings.
BEST_RECIPE = LeNetConfig(
    filters=(16, 32),
    batch_norm=(True, True),
    conv_dropout=(0.0, 0.1),
    dense_dropout=(0.2, 0.0),
    optimizer="adam",
    learning_rate=3e-3,
    lr_schedule="cosine",
    epochs=50,
    aug_shift=0.1,
    aug_rotation=10.0,
    aug_zoom=0.1,
    aug_shear=0.2,
    aug_stroke=0.3,
)

ZOO: dict[str, tuple[LeNetConfig, str]] = {
    "lenet5-1998": (
        LeNetConfig(
            activation="scaled_tanh",
            pooling="average",
            input_size=32,
            input_range="lecun",
            c3_connections="lecun",
            optimizer="sgd",
            learning_rate=0.05,
            lr_schedule="cosine",
            batch_size=32,
            epochs=50,
        ),
        "LeCun et al. 1998: 32x32 input scaled to [-0.1, 1.175], scaled tanh, average "
        "pooling, sparse C3, plain SGD",
    ),
    "lenet5-relu": (
        LeNetConfig(
            padding="same", optimizer="adam", learning_rate=1e-3, lr_schedule="cosine", epochs=15
        ),
        "The common modern rewrite: ReLU, max pooling, same padding, Adam",
    ),
    "lenet5-bn-dropout": (
        LeNetConfig(
            padding="same",
            batch_norm=(False, True),
            conv_dropout=(0.0, 0.25),
            optimizer="adam",
            learning_rate=1e-3,
            lr_schedule="cosine",
            epochs=15,
        ),
        "Best of the reference sweep: batch norm on conv block 2, dropout 0.25 after it",
    ),
    "keras-lenet": (
        LeNetConfig(
            filters=(20, 50),
            padding="same",
            dense_units=(500,),
            dense_dropout=(0.0,),
            optimizer="adam",
            learning_rate=1e-3,
            lr_schedule="cosine",
            epochs=12,
        ),
        "The popular Keras tutorial variant: 20 and 50 filters, dense 500",
    ),
    "lenet5-best": (
        BEST_RECIPE,
        "Our best LeNet-sized model: batch norm, dropout, affine + stroke augmentation",
    ),
    "lenet5-robust": (
        BEST_RECIPE,
        "lenet5-best's recipe on MNIST plus synthetic drawings of the ways people write "
        "(flagged 1s, crossed 7s, small and slanted digits)",
    ),
}

# Recipes that mix synthetic drawings into MNIST's training images: how many drawings
# (``python -m devkit.drawn --training N`` makes them; the seed is the generator's default).
DRAWN_MIX: dict[str, int] = {"lenet5-robust": 26_000}


def mix_drawings(
    x_train: np.ndarray,
    y_train: np.ndarray,
    drawings: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training images followed by the drawings (none: MNIST unchanged).

    The training run's validation split is then carved from both, so the recipe is judged on
    held-back drawings as well as held-back MNIST digits.

    Args:
        x_train: (N, 28, 28) uint8 MNIST training images.
        y_train: (N,) labels.
        drawings: (M, 28, 28) uint8 images and (M,) labels, or None.

    Raises:
        ValueError: when the drawings are not (M, 28, 28) images with M labels.
    """
    if drawings is None:
        return x_train, y_train
    x_draw, y_draw = drawings
    if x_draw.ndim != 3 or x_draw.shape[1:] != (28, 28) or len(x_draw) != len(y_draw):
        raise ValueError(
            f"drawings must be (M, 28, 28) images and M labels, got {x_draw.shape} and "
            f"{np.shape(y_draw)}"
        )
    x = np.concatenate([x_train, x_draw.astype(x_train.dtype)])
    y = np.concatenate([y_train, y_draw.astype(y_train.dtype)])
    return x, y


def train_and_save(
    store: ModelStore,
    name: str,
    config: LeNetConfig,
    description: str,
    data: Mnist,
    *,
    bundled: bool,
    on_progress: Callable[[Progress], None] | None = None,
    drawings: tuple[np.ndarray, np.ndarray] | None = None,
) -> ModelCard:
    """Train ``config``, evaluate once on the test set, save it, and export its int8 model.

    Args:
        store: where the model is saved.
        name: the model's name.
        config: what to train.
        description: the model card's description.
        data: ``(x_train, y_train, x_test, y_test)`` as ``load_mnist`` returns them.
        bundled: save among the bundled models.
        on_progress: called after every chunk of batches and every epoch.
        drawings: (M, 28, 28) uint8 synthetic drawings and their labels, mixed into the
            training images; required for a recipe in ``DRAWN_MIX``, refused for the others.

    Raises:
        ValueError: when ``name`` is in ``DRAWN_MIX`` and no drawings are given, or drawings
            are given for a recipe that trains on MNIST alone.
        StoreError: when the save fails.
        RuntimeError: when training did not run all its epochs.
    """
    if (name in DRAWN_MIX) != (drawings is not None):
        raise ValueError(
            f"{name} trains on MNIST plus {DRAWN_MIX[name]:,} synthetic drawings: make them "
            f"with `python -m devkit.drawn --training {DRAWN_MIX[name]} --out drawings.npz` "
            "and pass --drawings drawings.npz"
            if name in DRAWN_MIX
            else f"{name} trains on MNIST alone: drawings are only for {', '.join(DRAWN_MIX)}"
        )
    x_train, y_train, x_test, y_test = data
    x_train, y_train = mix_drawings(x_train, y_train, drawings)
    trained = train_evaluate_save(
        store,
        name,
        config,
        (x_train, y_train, x_test, y_test),
        description,
        bundled=bundled,
        overwrite=True,
        on_progress=on_progress,
    )
    if trained.card is None:  # nothing cancels a zoo run, so training stopped on its own
        raise RuntimeError(f"training {name} stopped early ({trained.result.status})")
    # The int8 model and the size/accuracy/latency table ship with every zoo entry.
    export_model(store, name, x_train, x_test, y_test, int8=True, into=store.path(name))
    return trained.card
