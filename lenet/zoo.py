"""The bundled model zoo: the recipes, and the command that retrains them all.

Every recipe was chosen by validation accuracy (a split carved from the 60,000 training
images); the test set is used once per model, for the report that ships with it.
"""

from __future__ import annotations

from collections.abc import Callable

from lenet.config import LeNetConfig
from lenet.export import export_model
from lenet.pipeline import Mnist, train_evaluate_save
from lenet.store import ModelCard, ModelStore
from lenet.train import Progress

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
        LeNetConfig(
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
        ),
        "Our best LeNet-sized model: batch norm, dropout, affine + stroke augmentation",
    ),
}


def train_and_save(
    store: ModelStore,
    name: str,
    config: LeNetConfig,
    description: str,
    data: Mnist,
    *,
    bundled: bool,
    on_progress: Callable[[Progress], None] | None = None,
) -> ModelCard:
    """Train ``config``, evaluate once on the test set, save it, and export its int8 model.

    Raises:
        StoreError: when the save fails.
        RuntimeError: when training did not run all its epochs.
    """
    trained = train_evaluate_save(
        store,
        name,
        config,
        data,
        description,
        bundled=bundled,
        overwrite=True,
        on_progress=on_progress,
    )
    if trained.card is None:  # nothing cancels a zoo run, so training stopped on its own
        raise RuntimeError(f"training {name} stopped early ({trained.result.status})")
    # The int8 model and the size/accuracy/latency table ship with every zoo entry.
    x_train, _, x_test, y_test = data
    export_model(store, name, x_train, x_test, y_test, int8=True, into=store.path(name))
    return trained.card
