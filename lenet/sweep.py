"""Hyperparameter sweeps with Optuna: the reference projects' searches, run locally.

A *space* says which knobs vary and how; each trial trains one ``LeNetConfig`` on a small
stratified subset of the training images, reports validation accuracy after every epoch (so
unpromising trials are pruned) and never sees the test set. Studies live in an Optuna storage:
a SQLite file under ``LENET_HOME`` by default, or any database URL Optuna accepts, so several
processes (or machines) can work on one study.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lenet.config import LeNetConfig
from lenet.store import lenet_home

# A space maps a parameter name to a list of choices, or to {"low", "high"[, "log", "int"]}.
Space = dict[str, Any]

SPACES: dict[str, dict[str, Any]] = {
    # Reference sweep 1: activation, batch-norm placement and four dropout rates.
    "activation-bn-dropout": {
        "params": {
            "activation": ["relu", "tanh", "scaled_tanh", "elu", "selu", "gelu", "sigmoid"],
            "bn_1": [0, 1],
            "bn_2": [0, 1],
            "dropout_conv_1": [0.0, 0.1, 0.25, 0.5],
            "dropout_conv_2": [0.0, 0.1, 0.25, 0.5],
            "dropout_fc_1": [0.0, 0.1, 0.25, 0.5],
            "dropout_fc_2": [0.0, 0.1, 0.25, 0.5],
        },
    },
    # Reference sweep 2: conv blocks, filters, padding, learning rate, epochs, batch size.
    "blocks-filters-lr": {
        "params": {
            "conv_blocks": [1, 2, 3],
            "filters": [4, 6, 12, 16],
            "padding": ["valid", "same"],
            "learning_rate": [0.01, 0.005, 0.001],
            "epochs": [2, 3, 4],
            "batch_size": [32, 64],
        },
    },
}

DERIVED_PARAMS = {
    "conv_blocks",
    "filters",
    "bn_1",
    "bn_2",
    "bn_3",
    "dropout_conv_1",
    "dropout_conv_2",
    "dropout_conv_3",
    "dropout_fc_1",
    "dropout_fc_2",
}


class SweepError(Exception):
    """A bad space, sampler or storage; the message says what and how to fix it."""


def load_space(name_or_file: str) -> dict[str, Any]:
    """A built-in space by name, or a user space from a ``.json``/``.yaml`` file.

    A file holds ``params`` (name -> list of choices, or ``{low, high[, log][, int]}``) and
    optionally ``base`` (fixed ``LeNetConfig`` fields). Parameter names are config fields or
    ``conv_blocks``, ``filters`` (doubling per block), ``bn_1..3``, ``dropout_conv_1..3``,
    ``dropout_fc_1..2``.

    Raises:
        SweepError: for an unknown name, an unreadable file or an invalid space.
    """
    if name_or_file in SPACES:
        space = SPACES[name_or_file]
    else:
        path = Path(name_or_file)
        if not path.is_file():
            raise SweepError(
                f"space {name_or_file!r} is neither a built-in space "
                f"({', '.join(SPACES)}) nor a file"
            )
        try:
            text = path.read_text()
            if path.suffix in (".yaml", ".yml"):
                import yaml

                space = yaml.safe_load(text)
            else:
                space = json.loads(text)
        except Exception as exc:  # JSON and YAML raise many kinds
            raise SweepError(f"cannot read space file {path}: {exc}") from exc
    _validate_space(space, name_or_file)
    return space


def _validate_space(space: Any, where: str) -> None:
    if (
        not isinstance(space, dict)
        or not isinstance(space.get("params"), dict)
        or not space["params"]
    ):
        raise SweepError(f"space {where}: expected an object with a non-empty 'params' mapping")
    fields = set(LeNetConfig.__dataclass_fields__)
    for name, spec in space["params"].items():
        if name not in fields | DERIVED_PARAMS:
            raise SweepError(f"space {where}: unknown parameter {name!r}")
        if isinstance(spec, list):
            if not spec:
                raise SweepError(f"space {where}: parameter {name!r} has no choices")
        elif isinstance(spec, dict):
            if not {"low", "high"} <= spec.keys() or not spec["low"] < spec["high"]:
                raise SweepError(f"space {where}: parameter {name!r} needs low < high")
        else:
            raise SweepError(
                f"space {where}: parameter {name!r} must be a list of choices or {{low, high}}"
            )
    base = space.get("base", {})
    if not isinstance(base, dict):
        raise SweepError(f"space {where}: 'base' must be a mapping of config fields")
    try:
        LeNetConfig.from_dict(base)
    except (TypeError, ValueError) as exc:
        raise SweepError(f"space {where}: invalid base: {exc}") from exc


def config_from_params(base: LeNetConfig, params: dict[str, Any]) -> LeNetConfig:
    """The config a trial's parameters describe (may raise ``ValueError`` if invalid)."""
    p = dict(params)
    blocks = int(p.pop("conv_blocks", base.conv_blocks))
    first = p.pop("filters", None)
    filters = (
        tuple(int(first) * 2**i for i in range(blocks))
        if first is not None
        else (base.filters + (base.filters[-1],) * 3)[:blocks]
    )
    bn = tuple(
        bool(p.pop(f"bn_{i + 1}", (base.batch_norm + (False,) * 3)[i])) for i in range(blocks)
    )
    conv_drop = tuple(
        float(p.pop(f"dropout_conv_{i + 1}", (base.conv_dropout + (0.0,) * 3)[i]))
        for i in range(blocks)
    )
    dense = list(base.dense_dropout)
    for i in range(len(dense)):
        dense[i] = float(p.pop(f"dropout_fc_{i + 1}", dense[i]))
    for i in (1, 2, 3):
        p.pop(f"bn_{i}", None)
        p.pop(f"dropout_conv_{i}", None)
        p.pop(f"dropout_fc_{i}", None)
    return base.replace(
        filters=filters, batch_norm=bn, conv_dropout=conv_drop, dense_dropout=tuple(dense), **p
    )


def _suggest(trial: Any, name: str, spec: Any) -> Any:
    if isinstance(spec, list):
        return trial.suggest_categorical(name, spec)
    if spec.get("int"):
        return trial.suggest_int(
            name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log"))
        )
    return trial.suggest_float(
        name, float(spec["low"]), float(spec["high"]), log=bool(spec.get("log"))
    )


def default_storage(home: Path | None = None) -> str:
    """A SQLite file in ``home`` (default ``LENET_HOME``)."""
    home = home or lenet_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'sweeps.db'}"


def make_sampler(kind: str, space: dict[str, Any], seed: int | None) -> Any:
    import optuna

    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if kind == "grid":
        params = space["params"]
        continuous = [n for n, s in params.items() if not isinstance(s, list)]
        if continuous:
            raise SweepError(
                f"the grid sampler needs lists of choices; {', '.join(continuous)} are ranges"
            )
        return optuna.samplers.GridSampler(params, seed=seed)
    raise SweepError(f"sampler={kind!r} is invalid: expected random, tpe or grid")


@dataclass(frozen=True)
class SweepSettings:
    space: str
    trials: int = 8
    sampler: str = "random"
    storage: str | None = None
    study: str | None = None
    subset: int = 3000
    epochs: int | None = None  # overrides the space's epochs when given
    seed: int = 0


def open_study(settings: SweepSettings, space: dict[str, Any]) -> Any:
    """Create or join the study (same name and storage = same study, from any process)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    error: Exception | None = None
    for attempt in range(5):  # workers starting together race to create the tables
        try:
            return optuna.create_study(
                study_name=settings.study or Path(settings.space).stem,
                storage=settings.storage or default_storage(),
                direction="maximize",
                sampler=make_sampler(settings.sampler, space, settings.seed),
                pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
                load_if_exists=True,
            )
        except SweepError:
            raise
        except Exception as exc:  # bad URLs and unreachable databases raise many kinds
            error = exc
            time.sleep(0.2 * (attempt + 1))
    raise SweepError(f"cannot open study storage {settings.storage!r}: {error}") from error


def run_sweep(
    settings: SweepSettings,
    data: tuple[np.ndarray, np.ndarray],
    on_trial: Callable[[Any], None] | None = None,
    cancel: threading.Event | None = None,
) -> Any:
    """Run ``settings.trials`` trials of a study on the training images ``data``.

    Args:
        settings: space, trials, sampler, storage, study name, subset, epochs, seed.
        data: ``(x_train, y_train)``; each trial takes a stratified subset and carves its
            validation split from it. Never the test set.
        on_trial: called with each finished ``optuna.trial.FrozenTrial``.
        cancel: stops after the running trial's current chunk of batches.

    Returns:
        The study.
    """
    import optuna

    from lenet.train import train

    space = load_space(settings.space)
    base = LeNetConfig.from_dict(
        {"train_subset": settings.subset, "seed": settings.seed, **space.get("base", {})}
    )
    if settings.epochs is not None:
        base = base.replace(epochs=settings.epochs)
    study = open_study(settings, space)
    cancel = cancel or threading.Event()

    def objective(trial: Any) -> float:
        params = {n: _suggest(trial, n, s) for n, s in space["params"].items()}
        if settings.epochs is not None:
            params.pop("epochs", None)
        try:
            config = config_from_params(base, params)
        except ValueError as exc:
            trial.set_user_attr("invalid", str(exc))
            raise optuna.TrialPruned(f"invalid configuration: {exc}") from exc
        trial.set_user_attr("config", config.to_dict())
        stop = threading.Event()
        pruned = []

        def on_progress(p: Any) -> None:
            if cancel.is_set():
                stop.set()
            if p.kind == "epoch":
                trial.report(p.history[-1]["val_accuracy"], p.epoch)
                if trial.should_prune():
                    pruned.append(p.epoch)
                    stop.set()

        result = train(config, data, on_progress=on_progress, cancel=stop)
        if pruned:
            raise optuna.TrialPruned(f"pruned after epoch {pruned[0]}")
        if result.status != "completed":
            raise optuna.TrialPruned("cancelled")
        trial.set_user_attr("seconds", result.seconds)
        return float(result.history[-1]["val_accuracy"])

    def callback(study: Any, trial: Any) -> None:
        if on_trial is not None:
            on_trial(trial)
        if cancel.is_set():
            study.stop()

    study.optimize(objective, n_trials=settings.trials, callbacks=[callback], catch=(MemoryError,))
    return study


def trials_table(study: Any) -> list[dict[str, Any]]:
    """Every trial: number, state, validation accuracy, seconds and parameters, best first."""
    rows = []
    for t in study.trials:
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                "val_accuracy": t.value,
                "seconds": t.user_attrs.get("seconds"),
                **{k: v for k, v in t.params.items()},
            }
        )
    # Completed trials first, best first; a pruned trial's value is its last epoch's.
    return sorted(rows, key=lambda r: (r["state"] != "complete", -(r["val_accuracy"] or 0)))


def best_config(study: Any) -> LeNetConfig:
    """The best trial's configuration, for retraining on the full training set."""
    try:
        best = study.best_trial
    except ValueError as exc:
        raise SweepError("the study has no completed trial yet") from exc
    return LeNetConfig.from_dict(best.user_attrs["config"])
