"""Train a LeNet variant: a compiled loop over in-graph uint8 data.

The training images stay in the graph as uint8; each step gathers its batch by index, casts,
augments and updates. One Python call runs ``CHUNK_IMAGES`` worth of steps in a graph loop, so
Python's per-batch dispatch cost is paid once per chunk; between chunks the loop checks
``cancel`` and reports progress. (``lenet/__init__.py`` turns on TensorFlow's oneDNN kernels,
the other half of the speed; see ``benchmarks/bench_train.py``.)
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

import keras
import numpy as np
import tensorflow as tf

from lenet import data as mnist
from lenet.augment import augment_batch
from lenet.config import LeNetConfig
from lenet.model import FusedBatchNormalization, build_model

EVAL_BATCH = 1000
# Images per compiled call: about 0.1-0.5 s of work, so cancel and progress stay responsive.
CHUNK_IMAGES = 4096
Status = Literal["completed", "cancelled", "dry-run"]
Precision = Literal["fp32", "bf16"]
PRECISIONS = ("auto", "fp32", "bf16")
# CPU flags (Linux /proc/cpuinfo) of native bfloat16 arithmetic; without them TensorFlow
# emulates bf16 and training is several times slower than fp32.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class Progress:
    """What ``on_progress`` receives: after every chunk of batches, and at the end of an epoch."""

    kind: Literal["batch", "epoch"]
    epoch: int  # 1-based
    epochs: int
    batch: int  # batches done in the epoch so far
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
    precision: Precision = "fp32"

    @property
    def completed(self) -> bool:
        """Whether training ran all its epochs (not cancelled, not a dry run)."""
        return self.status == "completed"


def training_precision(cpuinfo: str | None = None) -> Precision:
    """The arithmetic to train in: ``LENET_PRECISION`` (auto, fp32 or bf16).

    ``auto`` (the default) is bf16 mixed precision on CPUs with native bf16 and fp32 elsewhere.

    Args:
        cpuinfo: the text of ``/proc/cpuinfo`` (read when None; absent on non-Linux: fp32).

    Raises:
        ValueError: if ``LENET_PRECISION`` is not one of auto, fp32, bf16.
    """
    wanted = os.environ.get("LENET_PRECISION", "auto").strip().lower() or "auto"
    if wanted not in PRECISIONS:
        raise ValueError(
            f"LENET_PRECISION={wanted!r} is invalid: expected one of {', '.join(PRECISIONS)}"
        )
    if wanted != "auto":
        return cast(Precision, wanted)
    return "bf16" if cpu_flags(cpuinfo) & set(BF16_CPU_FLAGS) else "fp32"


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags (``avx2``, ``avx512_bf16``, ``amx_bf16`` ...).

    Args:
        cpuinfo: the text of ``/proc/cpuinfo`` (read when None; absent on non-Linux: empty).
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                cpuinfo = f.read()
        except OSError:
            return set()
    return {
        word for line in cpuinfo.splitlines() if line.startswith("flags") for word in line.split()
    }


def set_threads(n: int) -> None:
    """Let TensorFlow use ``n`` CPU threads (intra- and inter-op); call before any TF work."""
    tf.config.threading.set_intra_op_parallelism_threads(n)
    tf.config.threading.set_inter_op_parallelism_threads(n)


class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Smith's one-cycle learning rate, shaped as PyTorch's ``OneCycleLR`` (cosine phases).

    The rate rises from ``peak / start_div`` to ``peak`` over the first ``warmup`` fraction of
    the ``steps``, then falls to ``peak / end_div`` at the last step. The short warm-up lets a
    high peak rate be used from the start without diverging; the long fall settles the weights,
    so a run of one to three epochs ends well converged.
    """

    def __init__(
        self,
        peak: float,
        steps: int,
        warmup: float = 0.25,
        start_div: float = 25.0,
        end_div: float = 1e4,
    ) -> None:
        """Create the schedule.

        Args:
            peak: the highest learning rate, reached at the end of the warm-up.
            steps: the number of updates the whole cycle spans.
            warmup: the fraction of ``steps`` spent rising, in (0, 1).
            start_div: the first rate is ``peak / start_div``.
            end_div: the last rate is ``peak / end_div``.

        Raises:
            ValueError: if ``steps`` is below 1 or ``warmup`` is not in (0, 1).
        """
        self.warmup = float(warmup)
        self.start_div, self.end_div = float(start_div), float(end_div)
        # Variables, not constants, so that a traced run can be retargeted (``retarget``).
        self._peak = tf.Variable(0.0, trainable=False, name="one_cycle_peak")
        self._steps = tf.Variable(0.0, trainable=False, name="one_cycle_steps")
        self._up = tf.Variable(0.0, trainable=False, name="one_cycle_up")
        self.retarget(peak, steps)

    def retarget(self, peak: float, steps: int) -> None:
        """Make it the cycle of another peak rate and length, even inside a traced step.

        Raises:
            ValueError: if ``steps`` is below 1 or the warm-up fraction is not in (0, 1).
        """
        if steps < 1 or not 0.0 < self.warmup < 1.0:
            raise ValueError(
                f"one-cycle needs steps >= 1 and 0 < warmup < 1: {steps}, {self.warmup}"
            )
        self.peak, self.steps = float(peak), int(steps)
        self._peak.assign(self.peak)
        self._steps.assign(float(self.steps))
        self._up.assign(max(1.0, round(self.steps * self.warmup)))  # updates spent rising

    def __call__(self, step: Any) -> Any:
        """The learning rate at update ``step`` (0-based; past the end it stays at the last)."""
        step = tf.cast(step, tf.float32)
        peak, up = self._peak.read_value(), self._up.read_value()
        low, high, end = peak / self.start_div, peak, peak / self.end_div
        rising = tf.clip_by_value(step / up, 0.0, 1.0)
        falling = tf.clip_by_value(
            (step - up) / tf.maximum(1.0, self._steps.read_value() - 1.0 - up), 0.0, 1.0
        )
        rising_rate = low + (high - low) * (1.0 - tf.cos(np.pi * rising)) / 2.0
        down = end + (high - end) * (1.0 + tf.cos(np.pi * falling)) / 2.0
        return tf.where(step < up, rising_rate, down)

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this schedule."""
        return {
            "peak": self.peak,
            "steps": self.steps,
            "warmup": self.warmup,
            "start_div": self.start_div,
            "end_div": self.end_div,
        }


class Cosine(keras.optimizers.schedules.LearningRateSchedule):
    """Cosine decay from ``rate`` to 0 over ``steps`` updates (Keras's ``CosineDecay``, alpha 0).

    Its rate and length are variables, so a traced run can be retargeted (``retarget``).
    """

    def __init__(self, rate: float, steps: int) -> None:
        """Create the schedule; raises ``ValueError`` if ``steps`` is below 1."""
        self._rate = tf.Variable(0.0, trainable=False, name="cosine_rate")
        self._steps = tf.Variable(1.0, trainable=False, name="cosine_steps")
        self.retarget(rate, steps)

    def retarget(self, rate: float, steps: int) -> None:
        """Make it the decay of another starting rate and length, even inside a traced step."""
        if steps < 1:
            raise ValueError(f"cosine decay needs steps >= 1: {steps}")
        self.rate, self.steps = float(rate), int(steps)
        self._rate.assign(self.rate)
        self._steps.assign(float(self.steps))

    def __call__(self, step: Any) -> Any:
        """The learning rate at update ``step`` (0 from the last step on)."""
        steps = self._steps.read_value()
        done = tf.minimum(tf.cast(step, tf.float32), steps) / steps
        return self._rate.read_value() * 0.5 * (1.0 + tf.cos(np.pi * done))

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this schedule."""
        return {"rate": self.rate, "steps": self.steps}


def make_optimizer(config: LeNetConfig, steps: int) -> keras.optimizers.Optimizer:
    """The optimizer and learning-rate schedule for ``config`` over ``steps`` updates.

    ``learning_rate`` is the starting rate (constant, cosine) or the peak rate (one-cycle).
    """
    lr: Any = config.learning_rate
    if config.lr_schedule == "cosine":
        lr = Cosine(config.learning_rate, steps)
    elif config.lr_schedule == "one-cycle":
        lr = OneCycle(config.learning_rate, steps)
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
    on_epoch: Callable[[int, keras.Model], None] | None = None,
) -> TrainResult:
    """Train a fresh model for ``config`` on the training images ``data``.

    Args:
        config: the variant and its recipe (subset, validation split, seed, epochs...).
        data: ``(x_train, y_train)``: (N, 28, 28) uint8 and (N,) labels. Never the test set.
        on_progress: called after every chunk of batches (``CHUNK_IMAGES`` images, a fraction
            of a second) and at the end of every epoch.
        cancel: checked between chunks; once set, the run stops within one chunk.
        max_batches: stop after this many batches in all (``--dry-run`` uses 1).
        initial_model: continue training this model (fine-tuning) instead of a fresh one
            built from ``config``; it is trained in place.
        on_epoch: called with the epoch and the network after each epoch's validation
            (benchmarks use it to follow test accuracy; its time is outside ``seconds`` of
            the epoch).

    Returns:
        A ``TrainResult``; its ``status`` is ``cancelled`` when ``cancel`` stopped it and
        ``dry-run`` when ``max_batches`` did. Its model is float32 whatever the precision
        the run trained in (``training_precision``).

    Raises:
        ValueError: if ``data`` is not (N, 28, 28) images with N labels, or
            ``LENET_PRECISION`` is invalid.
    """
    x, y = data
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"training data must be (N, 28, 28) images and N labels, got "
            f"{x.shape} and {np.shape(y)}"
        )
    ready = None
    if initial_model is None:
        ready = _PREPARED.pop(_prepared_key(config), None)
        if ready is None or ready.x is not x or ready.y is not y:
            ready = _rearmed(config, x, y)
    if ready is None:
        ready = _Setup.build(config, x, y, initial_model)
    model, net, precision = ready.model, ready.net, ready.precision
    x_tr, x_val, y_val = ready.x_tr, ready.x_val, ready.y_val
    run_steps, evaluate = ready.run_steps, ready.evaluate
    batches = -(-len(x_tr) // config.batch_size)
    cancel = cancel or threading.Event()
    per_call = max(1, CHUNK_IMAGES // config.batch_size)
    rng = np.random.default_rng(config.seed)
    history: list[dict[str, float]] = []
    status: Status = "completed"
    started, done_batches = time.perf_counter(), 0
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(len(x_tr)).astype("int32")
        epoch_start, loss_sum, correct, seen = time.perf_counter(), 0.0, 0.0, 0
        for first, last in _chunks(len(x_tr), config.batch_size, per_call):
            if cancel.is_set():
                status = "cancelled"
            elif max_batches is not None and done_batches >= max_batches:
                status = "dry-run"
            if status != "completed":
                break
            if max_batches is not None:
                last = min(last, first + max_batches - done_batches)
            # (K, B) indices of K equal batches, and each batch's augmentation seed.
            idx = order[first * config.batch_size : last * config.batch_size]
            idx = idx.reshape(last - first, -1)
            seeds = [[config.seed, epoch * 100_003 + b] for b in range(first, last)]
            losses, hits = run_steps(tf.constant(idx), tf.constant(seeds, tf.int32))
            loss_sum += float(tf.reduce_sum(losses)) * idx.shape[1]
            correct += float(tf.reduce_sum(hits))
            seen += idx.size
            done_batches += last - first
            if on_progress is not None:
                spent = time.perf_counter() - epoch_start
                on_progress(
                    Progress(
                        "batch",
                        epoch,
                        config.epochs,
                        last,
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
        if on_epoch is not None:
            on_epoch(epoch, net)
    model.set_weights(net.get_weights())
    if initial_model is None:
        _TRACED.clear()  # one kept: the graph holds its training images
        _TRACED[_trace_key(config)] = ready
    return TrainResult(
        model,
        config,
        history,
        time.perf_counter() - started,
        status,
        len(x_tr),
        len(x_val),
        precision,
    )


@dataclass
class _Setup:
    """Everything ``train`` builds before its first step.

    The network, its optimizer, the data split and the compiled training and evaluation steps.
    """

    config: LeNetConfig
    x: np.ndarray  # the images and labels it was built for (the split's source)
    y: np.ndarray
    model: keras.Model
    net: keras.Model  # ``model``, or its bf16 copy
    precision: Precision
    x_tr: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    run_steps: Any
    evaluate: Callable[[np.ndarray, np.ndarray], tuple[float, float]]
    optimizer: keras.optimizers.Optimizer

    @classmethod
    def build(
        cls, config: LeNetConfig, x: np.ndarray, y: np.ndarray, initial: keras.Model | None
    ) -> _Setup:
        x_tr, y_tr, x_val, y_val = split_training_data(config, x, y)
        precision = training_precision()
        if initial is None:
            model, net = _initial_networks(config, precision)
        else:
            keras.utils.set_random_seed(config.seed)
            model, net = initial, _training_copy(config, initial, precision)
        batches = -(-len(x_tr) // config.batch_size)
        optimizer = make_optimizer(config, batches * config.epochs)
        optimizer.build(net.trainable_variables)  # no variable may be created inside the loop
        images = tf.constant(x_tr)  # (N, 28, 28) uint8, stays in the graph
        labels = tf.constant(y_tr.astype("int32"))
        run_steps = _make_train_steps(net, optimizer, images, labels, config)
        evaluate = _make_eval_step(net)
        return cls(
            config, x, y, model, net, precision, x_tr, x_val, y_val, run_steps, evaluate, optimizer
        )


# Runs built ahead by ``prepare``, by configuration; ``train`` takes one when it matches.
_PREPARED: dict[str, _Setup] = {}
# The last run's traced steps, by ``_trace_key``: the next run of the same network, data split
# and recipe shape (another rate or number of epochs, e.g. a sweep trial) reuses them.
_TRACED: dict[str, _Setup] = {}
# Fields a traced run can take new values of: the rate and the cycle's length are variables.
_RETARGETABLE = ("learning_rate", "epochs")


def _prepared_key(config: LeNetConfig) -> str:
    return config.to_json()


def _trace_key(config: LeNetConfig) -> str:
    """What the traced steps depend on: every field but the retargetable ones, and precision."""
    fields = config.to_dict()
    for name in _RETARGETABLE:
        fields.pop(name)
    return json.dumps(fields, sort_keys=True) + training_precision()


def is_prepared(config: LeNetConfig) -> bool:
    """Whether a run of ``config`` would start at its first step, without tracing.

    True when ``prepare`` built it, or when the last run had the same network, data split and
    recipe shape (its traced steps are kept for the next run).
    """
    return _prepared_key(config) in _PREPARED or _trace_key(config) in _TRACED


def _rearmed(config: LeNetConfig, x: np.ndarray, y: np.ndarray) -> _Setup | None:
    """The last run's setup, reset to the start of a run of ``config``; None if it cannot be.

    The network's variables (weights, BN statistics, dropout seeds) take the values a fresh
    build from ``config.seed`` gives, the optimizer's state goes back to zero and its schedule
    is retargeted: the run is the run a fresh ``_Setup.build`` would give, without the trace.
    """
    cached = _TRACED.pop(_trace_key(config), None)
    if cached is None or cached.x is not x or cached.y is not y:
        return None
    model, fresh = _initial_networks(config, training_precision())
    for mine, new in zip(cached.net.variables, fresh.variables, strict=True):
        mine.assign(new)
    optimizer = cached.optimizer
    schedule = optimizer._learning_rate
    for variable in optimizer.variables:
        if variable is optimizer.iterations:
            variable.assign(0)
        elif variable is schedule:  # a constant rate
            variable.assign(config.learning_rate)
        else:
            variable.assign(keras.ops.zeros_like(variable))
    if isinstance(schedule, (OneCycle, Cosine)):
        batches = -(-len(cached.x_tr) // config.batch_size)
        schedule.retarget(config.learning_rate, batches * config.epochs)
    return replace(cached, config=config, model=model)


def prepare(config: LeNetConfig, data: tuple[np.ndarray, np.ndarray]) -> keras.Model:
    """Build ``config``'s run on ``data`` and trace its steps now, for a ``train`` to come.

    A warm worker (``lenet.worker``) calls it while it waits for a job, for the run people
    start most (the quick preset): a ``train`` of the same configuration on the same arrays
    then starts at its first step instead of spending about 2 s tracing. The result is the
    same as without it: the network is built from the same seed in the same order. The next
    ``train`` of that configuration takes it (and builds anew if its arrays are others).

    Returns:
        The network it built: the model that ``train`` will train and return.
    """
    x, y = data
    ready = _Setup.build(config, x, y, None)
    ready.run_steps.get_concrete_function()
    width = min(config.batch_size, len(ready.x_tr))
    # Running zero steps instantiates the graph (its optimisation) without training anything.
    ready.run_steps(tf.zeros([0, width], tf.int32), tf.zeros([0, 2], tf.int32))
    if len(ready.x_val):
        ready.evaluate(ready.x_val[:1], ready.y_val[:1])
    _PREPARED[_prepared_key(config)] = ready
    return ready.model


def _initial_networks(config: LeNetConfig, precision: Precision) -> tuple[keras.Model, keras.Model]:
    """A fresh network from ``config.seed`` and its training copy, with the same weights."""
    keras.utils.set_random_seed(config.seed)
    model = build_model(config)
    return model, _training_copy(config, model, precision)


def _training_copy(config: LeNetConfig, model: keras.Model, precision: Precision) -> keras.Model:
    """The network that trains: a copy of ``model`` with its weights.

    Its batch normalisation is ``FusedBatchNormalization``, and under bf16 it is built under
    the ``mixed_bfloat16`` policy (the output layer stays float32 for the softmax and the
    loss). A copy also in fp32 without BN, so that a run's model is never the network that
    the next run retrains (``_rearmed``).
    """
    previous = keras.config.dtype_policy()
    if precision == "bf16":
        keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        copy = build_model(config, batch_norm=FusedBatchNormalization)
    finally:
        keras.config.set_dtype_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


def _chunks(n: int, batch_size: int, per_call: int) -> list[tuple[int, int]]:
    """Batch ranges ``[first, last)`` for one epoch of ``n`` images.

    Up to ``per_call`` full batches each, and the short last batch (if any) on its own, so
    every call sees equal batches.
    """
    full = n // batch_size
    spans = [(b, min(b + per_call, full)) for b in range(0, full, per_call)]
    return spans + ([(full, full + 1)] if n % batch_size else [])


def fused_adam(
    optimizer: keras.optimizers.Optimizer,
) -> Callable[[list[Any], list[Any]], None] | None:
    """``optimizer.apply`` for a plain Keras Adam as TensorFlow's fused kernel; else None.

    ``ResourceApplyAdam`` computes Keras's ``Adam.update_step`` (the same moment updates and
    ``lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``) in one op per variable
    instead of about ten. The trace is shorter (Keras's update was half of the training
    step's trace) and so is the graph to optimise. Plain Adam only (no AMSGrad, weight decay,
    clipping, moving average or accumulation: the only Adam ``make_optimizer`` makes), and
    only while the optimizer keeps its moments where this Keras keeps them; a test holds the
    result equal to ``optimizer.apply``.
    """
    plain = (
        type(optimizer) is keras.optimizers.Adam
        and not optimizer.amsgrad
        and not optimizer.weight_decay
        and optimizer.clipnorm is None
        and optimizer.clipvalue is None
        and optimizer.global_clipnorm is None
        and not optimizer.use_ema
        and optimizer.gradient_accumulation_steps is None
        and all(hasattr(optimizer, a) for a in ("_momentums", "_velocities", "_get_variable_index"))
    )
    if not plain:
        return None

    def apply(grads: list[Any], variables: list[Any]) -> None:
        step = tf.cast(optimizer.iterations + 1, tf.float32)
        rate = tf.cast(optimizer.learning_rate, tf.float32)  # the schedule at this step
        beta1 = tf.constant(optimizer.beta_1, tf.float32)
        beta2 = tf.constant(optimizer.beta_2, tf.float32)
        epsilon = tf.constant(optimizer.epsilon, tf.float32)
        beta1_power, beta2_power = tf.pow(beta1, step), tf.pow(beta2, step)
        for grad, variable in zip(grads, variables, strict=True):
            index = optimizer._get_variable_index(variable)
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle,
                m=optimizer._momentums[index].handle,
                v=optimizer._velocities[index].handle,
                beta1_power=beta1_power,
                beta2_power=beta2_power,
                lr=rate,
                beta1=beta1,
                beta2=beta2,
                epsilon=epsilon,
                grad=tf.cast(grad, variable.dtype),
            )
        optimizer.iterations.assign_add(1)

    return apply


def _make_train_steps(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    images: tf.Tensor,
    labels: tf.Tensor,
    config: LeNetConfig,
) -> Callable[[tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """A compiled loop over K batches: one Python call, one graph, per ``CHUNK_IMAGES``."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    augment = config.augmented
    update = fused_adam(optimizer) or optimizer.apply

    def step(idx: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x = tf.cast(tf.gather(images, idx), tf.float32)[..., None] / 255.0  # (B, 28, 28, 1)
        y = tf.gather(labels, idx)
        if augment:
            x = augment_batch(x, seed, config)
        with tf.GradientTape() as tape:
            probs = model(x, training=True)
            loss = loss_fn(y, probs)
        grads = tape.gradient(loss, model.trainable_variables)
        update(grads, model.trainable_variables)
        hits = tf.reduce_sum(
            tf.cast(tf.equal(tf.argmax(probs, -1, output_type=tf.int32), y), tf.float32)
        )
        return loss, hits

    # No autograph: the loop is written as the graph loop it is. Converting this code, and
    # Keras's optimizer code it calls, to graph code took a third of the trace's Python time.
    @tf.function(
        input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, 2], tf.int32)],
        autograph=False,
    )
    def run_steps(idx: tf.Tensor, seeds: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        k = tf.shape(idx)[0]

        def body(
            i: tf.Tensor, losses: tf.TensorArray, hits: tf.TensorArray
        ) -> tuple[tf.Tensor, tf.TensorArray, tf.TensorArray]:
            loss, hit = step(idx[i], seeds[i])
            return i + 1, losses.write(i, loss), hits.write(i, hit)

        empty = tf.TensorArray(tf.float32, size=k)
        _, losses, hits = tf.while_loop(lambda i, *_: i < k, body, (tf.constant(0), empty, empty))
        return losses.stack(), hits.stack()  # (K,) mean loss and correct count per batch

    return run_steps


def _make_eval_step(model: keras.Model) -> Callable[[np.ndarray, np.ndarray], tuple[float, float]]:
    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)], autograph=False)
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
