"""Train a LeNet variant: one compiled step per batch over in-graph uint8 data.

The training images stay in the graph as uint8; each step gathers its batch by index, casts,
augments and updates, so the Python loop around it only checks ``cancel`` and reports progress.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import keras
import numpy as np
import tensorflow as tf

from lenet import data as mnist
from lenet.augment import augment_batch
from lenet.config import LeNetConfig
from lenet.model import build_model

EVAL_BATCH = 1000
Status = Literal["completed", "cancelled", "dry-run"]


@dataclass(frozen=True)
class Progress:
    """What ``on_progress`` receives: after every batch, and once more at the end of an epoch."""

    kind: Literal["batch", "epoch"]
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    loss: float  # running mean over the epoch so far
    accuracy: float
    images_per_s: float
    elapsed_s: float
    history: list[dict[str, float]] = field(default_factory=list)  # completed epochs


@dataclass
class TrainResult:
    """The trained model and how it got there; only a ``completed`` run is worth saving."""

    model: keras.Model
    config: LeNetConfig
    history: list[dict[str, float]]
    seconds: float
    status: Status
    train_size: int
    val_size: int

    @property
    def completed(self) -> bool:
        return self.status == "completed"


def make_optimizer(config: LeNetConfig, steps: int) -> keras.optimizers.Optimizer:
    """The optimizer and learning-rate schedule for ``config`` over ``steps`` updates."""
    lr: Any = config.learning_rate
    if config.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    momentum = 0.9 if config.optimizer == "momentum" else 0.0
    return keras.optimizers.SGD(lr, momentum=momentum, nesterov=momentum > 0)


def split_training_data(
    config: LeNetConfig, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The config's stratified subset, then its validation split (both from training images)."""
    x, y = mnist.stratified_subset(x, y, config.train_subset, config.seed)
    return mnist.train_val_split(x, y, config.validation_split, config.seed)


def train(
    config: LeNetConfig,
    data: tuple[np.ndarray, np.ndarray],
    *,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    max_batches: int | None = None,
    initial_model: keras.Model | None = None,
) -> TrainResult:
    """Train a fresh model for ``config`` on the training images ``data``.

    Args:
        config: the variant and its recipe (subset, validation split, seed, epochs...).
        data: ``(x_train, y_train)``: (N, 28, 28) uint8 and (N,) labels. Never the test set.
        on_progress: called after every batch and at the end of every epoch.
        cancel: checked between batches; once set, the run stops within one batch.
        max_batches: stop after this many batches in all (``--dry-run`` uses 1).
        initial_model: continue training this model (fine-tuning) instead of a fresh one
            built from ``config``; it is trained in place.

    Returns:
        A ``TrainResult``; its ``status`` is ``cancelled`` when ``cancel`` stopped it and
        ``dry-run`` when ``max_batches`` did.

    Raises:
        ValueError: if ``data`` is not (N, 28, 28) images with N labels.
    """
    x, y = data
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"training data must be (N, 28, 28) images and N labels, got "
            f"{x.shape} and {np.shape(y)}"
        )
    x_tr, y_tr, x_val, y_val = split_training_data(config, x, y)
    keras.utils.set_random_seed(config.seed)
    model = initial_model if initial_model is not None else build_model(config)
    batches = -(-len(x_tr) // config.batch_size)
    optimizer = make_optimizer(config, batches * config.epochs)
    images = tf.constant(x_tr)  # (N, 28, 28) uint8, stays in the graph
    labels = tf.constant(y_tr.astype("int32"))
    step = _make_train_step(model, optimizer, images, labels, config)
    evaluate = _make_eval_step(model)
    cancel = cancel or threading.Event()
    rng = np.random.default_rng(config.seed)
    history: list[dict[str, float]] = []
    status: Status = "completed"
    started, done_batches = time.perf_counter(), 0
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(len(x_tr)).astype("int32")
        epoch_start, loss_sum, correct, seen = time.perf_counter(), 0.0, 0.0, 0
        for b in range(batches):
            if cancel.is_set():
                status = "cancelled"
            elif max_batches is not None and done_batches >= max_batches:
                status = "dry-run"
            if status != "completed":
                break
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            loss, hits = step(tf.constant(idx), tf.constant([config.seed, epoch * 100_003 + b]))
            loss_sum += float(loss) * len(idx)
            correct += float(hits)
            seen += len(idx)
            done_batches += 1
            if on_progress is not None:
                spent = time.perf_counter() - epoch_start
                on_progress(
                    Progress(
                        "batch",
                        epoch,
                        config.epochs,
                        b + 1,
                        batches,
                        loss_sum / seen,
                        correct / seen,
                        seen / max(spent, 1e-9),
                        time.perf_counter() - started,
                        list(history),
                    )
                )
        if status != "completed":
            break
        spent = time.perf_counter() - epoch_start
        val_loss, val_acc = evaluate(x_val, y_val)
        history.append(
            {
                "epoch": epoch,
                "loss": loss_sum / seen,
                "accuracy": correct / seen,
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "seconds": spent,
                "images_per_s": seen / spent,
            }
        )
        if on_progress is not None:
            on_progress(
                Progress(
                    "epoch",
                    epoch,
                    config.epochs,
                    batches,
                    batches,
                    loss_sum / seen,
                    correct / seen,
                    seen / spent,
                    time.perf_counter() - started,
                    list(history),
                )
            )
    return TrainResult(
        model, config, history, time.perf_counter() - started, status, len(x_tr), len(x_val)
    )


def _make_train_step(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    images: tf.Tensor,
    labels: tf.Tensor,
    config: LeNetConfig,
):  # type: ignore[no-untyped-def]
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    augment = config.augmented

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32), tf.TensorSpec([2], tf.int32)])
    def step(idx: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x = tf.cast(tf.gather(images, idx), tf.float32)[..., None] / 255.0  # (B, 28, 28, 1)
        y = tf.gather(labels, idx)
        if augment:
            x = augment_batch(x, seed, config)
        with tf.GradientTape() as tape:
            probs = model(x, training=True)
            loss = loss_fn(y, probs)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        hits = tf.reduce_sum(
            tf.cast(tf.equal(tf.argmax(probs, -1, output_type=tf.int32), y), tf.float32)
        )
        return loss, hits

    return step


def _make_eval_step(model: keras.Model) -> Callable[[np.ndarray, np.ndarray], tuple[float, float]]:
    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)])
    def probs_of(x: tf.Tensor) -> tf.Tensor:
        return model(tf.cast(x, tf.float32)[..., None] / 255.0, training=False)

    def evaluate(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if len(x) == 0:
            return float("nan"), float("nan")
        loss, hits = 0.0, 0
        for i in range(0, len(x), EVAL_BATCH):
            p = probs_of(x[i : i + EVAL_BATCH]).numpy()
            t = y[i : i + EVAL_BATCH].astype(int)
            loss -= float(np.log(np.clip(p[np.arange(len(t)), t], 1e-7, 1.0)).sum())
            hits += int((p.argmax(1) == t).sum())
        return loss / len(x), hits / len(x)

    return evaluate
