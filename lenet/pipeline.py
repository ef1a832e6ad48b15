"""The application's recipes: train-evaluate-save, fine-tune on drawings, re-evaluate.

The worker process, the zoo command and the pages call these functions instead of writing
the steps out themselves. ``JobProgress`` and ``JobResult`` are the typed records a job's
worker writes to ``progress.json`` and ``result.json`` and the job manager, the CLI and the
Train page read back.

TensorFlow is imported only by the functions that train or evaluate, so the records can be
read by a process that never trains (the app's pages, the job manager).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from lenet.config import LeNetConfig
from lenet.store import ModelCard, ModelStore

if TYPE_CHECKING:
    import threading

    from lenet.evaluate import Report
    from lenet.train import Progress, TrainResult

# (x_train, y_train, x_test, y_test): uint8 (N, 28, 28) images and int labels, as ``load_mnist``.
Mnist = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _known(cls: type, data: Any) -> dict[str, Any]:
    """The items of ``data`` (a parsed JSON object) that are fields of dataclass ``cls``."""
    if not isinstance(data, dict):
        return {}
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class JobProgress:
    """What a job's worker last said about itself (``progress.json``).

    ``phase`` is "" before the worker wrote anything, then "loading data", "training",
    "evaluating" or "sweeping". Training fields are 0 / None outside "training"; sweep fields
    outside "sweeping".
    """

    phase: str = ""
    epoch: int = 0  # 1-based
    epochs: int = 0
    batch: int = 0  # batches done in the epoch so far
    batches: int = 0
    loss: float | None = None  # running mean over the epoch so far
    accuracy: float | None = None
    images_per_s: float | None = None
    elapsed_s: float | None = None
    eta_s: float | None = None  # seconds of training left at the current rate
    history: list[dict[str, float]] = field(default_factory=list)  # completed epochs
    trials_done: int = 0
    trials: int = 0
    best_val_accuracy: float | None = None

    @property
    def training(self) -> bool:
        """Whether the worker is in the training loop (the epoch/batch fields are set)."""
        return self.phase == "training" and self.epochs > 0 and self.batches > 0

    @property
    def fraction(self) -> float | None:
        """Share of the work done, in [0, 1]: batches while training, trials while sweeping."""
        if self.training:
            done = (self.epoch - 1) * self.batches + self.batch
            return min(max(done / (self.epochs * self.batches), 0.0), 1.0)
        if self.phase == "sweeping" and self.trials > 0:
            return min(self.trials_done / self.trials, 1.0)
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``progress.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> JobProgress:
        """The record in a parsed ``progress.json``; unknown keys are ignored.

        Anything that is not an object with fields of the right kinds (a file being written
        by an older worker, say) reads as no progress: progress is advisory.
        """
        known = _known(cls, data)
        try:
            progress = cls(**known)
        except TypeError:
            return cls()
        numbers = (progress.epoch, progress.epochs, progress.batch, progress.batches)
        if not isinstance(progress.phase, str) or not all(isinstance(n, int) for n in numbers):
            return cls()
        return progress

    @classmethod
    def of_training(cls, p: Progress) -> JobProgress:
        """The record for one ``train`` progress report, with its ETA."""
        done = (p.epoch - 1) * p.batches + p.batch
        rate = done / max(p.elapsed_s, 1e-9)
        return cls(
            phase="training",
            epoch=p.epoch,
            epochs=p.epochs,
            batch=p.batch,
            batches=p.batches,
            loss=p.loss,
            accuracy=p.accuracy,
            images_per_s=p.images_per_s,
            elapsed_s=p.elapsed_s,
            eta_s=(p.epochs * p.batches - done) / rate if rate else None,
            history=list(p.history),
        )


@dataclass(frozen=True)
class DrawingsScore:
    """Accuracy of a fine-tuned model on the drawings held out from its fine-tuning."""

    before: float
    after: float
    held_out: int
    used: int  # drawings mixed into the fine-tuning data


@dataclass(frozen=True)
class JobResult:
    """How a job ended (``result.json``, and ``job.json``'s ``result``).

    ``state`` is "done", "failed", "cancelled" or "interrupted" ("" for a job that has not
    ended). A training job that is done has ``model`` and ``accuracy``; energy fields are None
    where CodeCarbon could not measure (``energy_note`` says why). Sweep jobs set ``study``,
    ``best_trial`` and ``best_val_accuracy``.
    """

    state: str = ""
    error: str = ""
    model: str = ""
    accuracy: float | None = None  # test accuracy of the saved model
    seconds: float | None = None  # training (or sweep) wall time
    energy_kwh: float | None = None
    co2_kg: float | None = None
    energy_note: str = ""
    co2_grid: str = ""
    training_started: float | None = None  # wall clock when training began
    evaluation_s: float | None = None  # test-set evaluation and the save
    save_s: float | None = None  # the save alone (part of evaluation_s)
    data_s: float | None = None  # reading MNIST (near 0 in a warm worker)
    first_chunk_s: float | None = None  # building and tracing the model, and the first chunk
    drawings: DrawingsScore | None = None  # fine-tuning jobs only
    study: str = ""
    best_trial: int | None = None
    best_val_accuracy: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``result.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> JobResult:
        """The record in a parsed ``result.json``; unknown keys are ignored.

        Raises:
            ValueError: when ``data`` is not an object or a field has the wrong kind.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a job result must be a JSON object, got {data!r}")
        known = _known(cls, data)
        drawings = known.get("drawings")
        try:
            if drawings is not None:
                known["drawings"] = DrawingsScore(**drawings)
            result = cls(**known)
        except TypeError as exc:
            raise ValueError(f"not a job result: {exc}") from exc
        if not isinstance(result.state, str) or not isinstance(result.error, str):
            raise ValueError(f"a job result's state and error must be text, got {data!r}")
        return result


@dataclass
class Trained:
    """What ``train_evaluate_save`` and ``finetune_on_drawings`` did.

    ``card`` is None when training stopped early (cancelled): nothing was evaluated or saved.
    """

    result: TrainResult
    card: ModelCard | None
    training_started: float  # wall clock (``time.time()``) when training began
    evaluation_s: float | None = None  # test-set evaluation and the save
    drawings: DrawingsScore | None = None
    save_s: float | None = None  # the save alone


def _evaluate_and_save(
    store: ModelStore,
    name: str,
    trained: TrainResult,
    x_test: np.ndarray,
    y_test: np.ndarray,
    description: str,
    *,
    bundled: bool,
    overwrite: bool,
) -> tuple[ModelCard, float, float]:
    from lenet.evaluate import build_report
    from lenet.model import predict_proba

    start = time.perf_counter()
    report = build_report(predict_proba(trained.model, x_test), y_test, x_test)
    saving = time.perf_counter()
    card = store.save(
        name,
        trained.model,
        trained.config,
        trained.history,
        report,
        trained.seconds,
        description,
        bundled=bundled,
        overwrite=overwrite,
    )
    end = time.perf_counter()
    return card, end - start, end - saving


def train_evaluate_save(
    store: ModelStore,
    name: str,
    config: LeNetConfig,
    data: Mnist,
    description: str,
    *,
    bundled: bool = False,
    overwrite: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> Trained:
    """Train ``config`` on the training images, evaluate once on the test set, save it.

    Args:
        store: where the model is saved.
        name: the model's name in the store.
        config: what to train.
        data: ``(x_train, y_train, x_test, y_test)`` as ``load_mnist`` returns them.
        description: the model card's description.
        bundled: save among the bundled models (the zoo command).
        overwrite: replace a model of that name.
        on_progress: called after every chunk of batches and every epoch.
        cancel: set it to stop training within one chunk; nothing is saved then.

    Returns:
        The training result and, when training completed, the saved model's card.

    Raises:
        StoreError: when the name is taken (without ``overwrite``) or the save fails.
    """
    from lenet.train import train

    x_train, y_train, x_test, y_test = data
    started = time.time()
    result = train(config, (x_train, y_train), on_progress=on_progress, cancel=cancel)
    if not result.completed:
        return Trained(result, None, started)
    card, evaluation_s, save_s = _evaluate_and_save(
        store, name, result, x_test, y_test, description, bundled=bundled, overwrite=overwrite
    )
    return Trained(result, card, started, evaluation_s, save_s=save_s)


def finetune_config(
    base: LeNetConfig, *, epochs: int, learning_rate: float, mnist_images: int
) -> LeNetConfig:
    """The configuration that fine-tunes a model trained with ``base`` on drawings.

    Adam at a constant, small learning rate for a few epochs, on ``mnist_images`` MNIST images
    mixed with the drawings (``finetune.mix``).

    Raises:
        ValueError: when a value is out of the config's range (the message names it).
    """
    return base.replace(
        optimizer="adam",
        learning_rate=float(learning_rate),
        lr_schedule="constant",
        epochs=int(epochs),
        train_subset=int(mnist_images),
    )


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    from lenet.model import predict_proba

    return float((predict_proba(model, x).argmax(1) == y).mean())


def finetune_on_drawings(
    store: ModelStore,
    base: str,
    name: str,
    config: LeNetConfig,
    data: Mnist,
    drawings: tuple[np.ndarray, np.ndarray],
    holdout: float,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> Trained:
    """Fine-tune stored model ``base`` on MNIST plus drawings, measure it on held-out ones, save.

    Args:
        store: holds ``base``; the new model is saved there as ``name``.
        base: the stored model to start from.
        name: the new model's name.
        config: the fine-tuning run (see ``finetune_config``).
        data: ``(x_train, y_train, x_test, y_test)`` as ``load_mnist`` returns them.
        drawings: (N, 28, 28) uint8 images and their labels (``FeedbackStore.arrays``).
        holdout: share of the drawings kept out of training to measure before and after.
        on_progress: called after every chunk of batches and every epoch.
        cancel: set it to stop training within one chunk; nothing is saved then.

    Returns:
        The training result, the saved card (None when cancelled) and the drawings' score.

    Raises:
        ValueError: with fewer than 4 drawings.
        StoreError: when ``base`` cannot be loaded or the save fails.
    """
    from lenet.finetune import mix, split_drawings
    from lenet.train import train

    initial = store.load_model(base)
    (x_fit, y_fit), (x_held, y_held) = split_drawings(*drawings, holdout, config.seed)
    before = _accuracy(initial, x_held, y_held)
    x_train, y_train, x_test, y_test = data
    x_mix, y_mix = mix(x_train, y_train, x_fit, y_fit)
    started = time.time()
    result = train(
        config, (x_mix, y_mix), on_progress=on_progress, cancel=cancel, initial_model=initial
    )
    if not result.completed:
        return Trained(result, None, started)
    score = DrawingsScore(before, _accuracy(result.model, x_held, y_held), len(y_held), len(y_fit))
    description = (
        f"fine-tuned from {base} on {score.used} of your drawings: "
        f"{score.before:.0%} -> {score.after:.0%} on {score.held_out} held out"
    )
    card, evaluation_s, save_s = _evaluate_and_save(
        store, name, result, x_test, y_test, description, bundled=False, overwrite=False
    )
    return Trained(result, card, started, evaluation_s, score, save_s)


@dataclass(frozen=True)
class Reevaluation:
    """A stored model's report recomputed on the test set, next to the stored one."""

    report: Report
    stored: Report
    saved: bool  # False for bundled models, which are read-only


def reevaluate(
    store: ModelStore,
    name: str,
    x_test: np.ndarray,
    y_test: np.ndarray,
    predict: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Reevaluation:
    """Recompute a stored model's report on the test set; update the stored one if it is yours.

    Args:
        store: holds the model.
        name: the model.
        x_test: (N, 28, 28) uint8 test images.
        y_test: (N,) labels.
        predict: the model's ``(N, 28, 28) float32 -> (N, 10)`` (default: a new
            ``store.predictor(name).predict``; the app passes its cached one).

    Raises:
        StoreError: when the model or its stored report cannot be read, or the save fails.
    """
    from lenet.evaluate import evaluate_predictor

    stored = store.report(name)
    report = evaluate_predictor(predict or store.predictor(name).predict, x_test, y_test)
    if store.is_bundled(name):
        return Reevaluation(report, stored, saved=False)
    store.save_report(name, report)
    return Reevaluation(report, stored, saved=True)
