"""Hyperparameter sweeps with Optuna: the reference projects' searches, run locally.

A *space* says which knobs vary and how; each trial trains one ``LeNetConfig`` on a small
stratified subset of the training images, reports validation accuracy after every epoch (so
unpromising trials are pruned) and never sees the test set. Studies live in one Optuna
storage that every surface uses (``sweep_storage``): ``$LENET_SWEEP_STORAGE`` when set (any
database URL Optuna accepts, so several processes or machines work on one study), else a SQLite
file under ``LENET_HOME``. A study fixes the training seed of all its trials; each process
samples with its own entropy, and a configuration the study already holds is never trained twice.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lenet.config import LeNetConfig
from lenet.files import lenet_home

# A space maps a parameter name to a list of choices, or to {"low", "high"[, "log", "int"]}.
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


STORAGE_ENV = "LENET_SWEEP_STORAGE"
CONNECT_TIMEOUT_S = 3  # a server that does not answer is reported, never waited on for long
HEARTBEAT_S = 30
SKIPS_BEFORE_GIVING_UP = 30  # consecutive draws that all repeat a configuration: space exhausted
# The module a storage URL's driver imports -> what to install for it.
DRIVERS = {
    "psycopg": 'pip install "psycopg[binary]" (or pip install ".[postgres]" in the repo)',
    "psycopg2": "pip install psycopg2-binary, or use a plain postgresql:// URL with psycopg 3",
    "MySQLdb": "pip install mysqlclient, or use mysql+pymysql:// with pip install PyMySQL",
    "pymysql": "pip install PyMySQL",
}


def default_storage(home: Path | None = None) -> str:
    """A SQLite file in ``home`` (default ``LENET_HOME``)."""
    home = home or lenet_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'sweeps.db'}"


def sweep_storage(home: Path | None = None) -> str:
    """The storage every surface uses: ``$LENET_SWEEP_STORAGE``, else ``home``'s SQLite file."""
    return os.environ.get(STORAGE_ENV, "").strip() or default_storage(home)


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, or None for other databases (and in-memory SQLite)."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///", "sqlite:///:memory:"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0])


def describe_storage(url: str) -> str:
    """Where a storage's studies live, in words, without its password."""
    path = sqlite_path(url)
    if path is not None:
        return f"the SQLite file {path}"
    try:
        from sqlalchemy.engine import make_url

        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given; open_storage explains it
        shown = _masked(url)
    return f"the database {shown}"


def _masked(url: str) -> str:
    """``url`` with any password replaced by ``***``, even where it does not parse."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _storage_error(url: str, exc: BaseException) -> SweepError:
    """One sentence for a storage failure: bad URL, missing driver, no server, bad file, busy."""
    from sqlalchemy import exc as sa

    where = describe_storage(url)
    missing = exc.__cause__ if isinstance(exc, ImportError) and exc.__cause__ else exc
    if isinstance(missing, ImportError):
        module = (getattr(missing, "name", None) or "").split(".")[0]
        how = DRIVERS.get(module, f"install the Python package that provides {module!r}")
        return SweepError(f"{where} needs the database driver {module!r}, not installed: {how}")
    if isinstance(exc, sa.NoSuchModuleError | sa.ArgumentError):
        return SweepError(
            f"storage {_masked(url)!r} is not a database URL Optuna can use "
            "(expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DATABASE)"
        )
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    path = sqlite_path(url)
    if path is not None:
        if "locked" in text or "busy" in text:
            return SweepError(
                f"{where} is busy (another process holds a lock on it): try again in a moment"
            )
        if "not a database" in text or "malformed" in text or "no such table" in text:
            return SweepError(
                f"{where} is not a readable sweeps database: move it aside (rename it) "
                "and the next sweep starts a new one; the old file is kept for you to inspect"
            )
        return SweepError(f"cannot open {where}: {text}")
    if isinstance(exc, sa.OperationalError | sa.InterfaceError):
        try:
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            host = f"{parsed.host or 'localhost'}:{parsed.port or 'default port'}"
        except Exception:  # the URL parsed once already; this only names the host
            host = "the database host"
        return SweepError(f"the database server at {host} did not accept the connection: {text}")
    return SweepError(f"cannot open {where}: {text}")


def open_storage(url: str, busy_timeout_s: float = 30.0, heartbeat: bool = False) -> Any:
    """An Optuna storage for ``url``, opened and checked within seconds.

    SQLite waits up to ``busy_timeout_s`` for a lock held by another process; other databases
    give up connecting after ``CONNECT_TIMEOUT_S``. With ``heartbeat`` (workers), a running
    trial beats every ``HEARTBEAT_S``; one whose process died (a machine switched off) is marked
    failed after ``3 * HEARTBEAT_S``, so its configuration can be drawn again.

    Raises:
        SweepError: one sentence naming the bad URL, the missing driver, the server that did
            not answer, or the damaged or busy SQLite file.
    """
    import optuna

    if optuna.logging.get_verbosity() < optuna.logging.WARNING:
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "A new study created"
    if sqlite_path(url) is not None:
        engine_kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout_s}}
    else:
        engine_kwargs = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}
    beats: dict[str, Any] = {"heartbeat_interval": HEARTBEAT_S, "grace_period": 3 * HEARTBEAT_S}
    error: Exception | None = None
    for attempt in range(4):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=engine_kwargs, **(beats if heartbeat else {})
                )
        except Exception as exc:  # SQLAlchemy, drivers and Optuna raise many kinds
            error = exc
            from sqlalchemy import exc as sa

            # Processes creating a new database together race on its tables: try again. SQLite
            # reports the loser's CREATE TABLE as an OperationalError, "table ... already exists".
            racing = isinstance(exc, sa.IntegrityError | sa.ProgrammingError) or (
                isinstance(exc, sa.OperationalError) and "already exists" in str(exc)
            )
            if not racing or attempt == 3:
                break
            time.sleep(0.2 * (attempt + 1))
    assert error is not None
    raise _storage_error(url, error) from error


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn a storage failure while reading a study (a lock taken later, say) into SweepError."""
    from sqlalchemy import exc as sa

    try:
        yield
    except sa.SQLAlchemyError as exc:
        raise _storage_error(url, exc) from exc


def enable_wal(url: str, busy_timeout_s: float = 30.0) -> None:
    """Put a SQLite study file in WAL mode, so parallel local workers read while one writes.

    WAL is a property of the file (it persists); a file on a filesystem without shared memory,
    or one locked right now, simply stays in its mode, with the busy timeout still waiting.
    """
    path = sqlite_path(url)
    if path is None:
        return
    import sqlite3

    try:
        with closing(sqlite3.connect(path, timeout=busy_timeout_s)) as con:
            con.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error:
        pass


def make_sampler(kind: str, space: dict[str, Any], seed: int | None) -> Any:
    """Optuna's sampler ``kind``; ``seed`` None draws from the process's own entropy."""
    import optuna

    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "tpe":
        # constant_liar: parallel workers do not all propose the point around the same best.
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
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
    """What a sweep runs: its search space, trial count, sampler, storage and study."""

    space: str
    trials: int = 8
    sampler: str = "random"
    storage: str | None = None  # None: sweep_storage()
    study: str | None = None
    subset: int = 3000
    epochs: int | None = None  # overrides the space's epochs when given
    seed: int | None = None  # the training seed: None means the study's (0 for a new study)
    sampler_seed: int | None = None  # None: each process samples with its own entropy

    def validate(self) -> None:
        """Cheap checks before anything is queued or loaded.

        Raises:
            SweepError: naming the bad value.
        """
        if self.trials < 1:
            raise SweepError(f"trials={self.trials} is invalid: expected at least 1")
        if not 1 <= self.subset <= 60_000:
            raise SweepError(f"subset={self.subset} is invalid: expected 1 to 60000 images")
        if self.epochs is not None and self.epochs < 1:
            raise SweepError(f"epochs={self.epochs} is invalid: expected at least 1")

    @property
    def study_name(self) -> str:
        """The study's name: ``study`` when given, else the space file's stem."""
        return self.study or Path(self.space).stem


def open_study(settings: SweepSettings, space: dict[str, Any], storage: Any = None) -> Any:
    """Create or join the study (same name and storage = same study, from any process).

    A pinned ``sampler_seed`` is mixed with the number of trials already in the study, so a
    study extended later continues instead of replaying its first draws.
    """
    import optuna

    url = settings.storage or sweep_storage()
    storage = storage or open_storage(url)
    for attempt in range(5):  # workers starting together race to create the study
        try:
            with storage_errors(url):
                study = optuna.create_study(
                    study_name=settings.study_name,
                    storage=storage,
                    direction="maximize",
                    pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
                    load_if_exists=True,
                )
                seed = settings.sampler_seed
                if seed is not None:
                    drawn = len(study.get_trials(deepcopy=False))
                    seed = int(np.random.SeedSequence([seed, drawn]).generate_state(1)[0])
                study.sampler = make_sampler(settings.sampler, space, seed)
                return study
        except optuna.exceptions.DuplicatedStudyError:
            time.sleep(0.2 * (attempt + 1))
    raise SweepError(f"cannot create or join study {settings.study_name!r} in {url}")


def training_seed(study: Any, requested: int | None) -> int:
    """The study's training seed, recorded on first use; every trial trains with it.

    Raises:
        SweepError: if ``requested`` differs from the seed the study already records.
    """
    recorded = study.user_attrs.get("training_seed")
    if recorded is None:
        study.set_user_attr("training_seed", 0 if requested is None else int(requested))
        recorded = study.user_attrs["training_seed"]  # another worker may have written first
    if requested is not None and int(requested) != recorded:
        raise SweepError(
            f"seed={requested} is invalid for study {study.study_name!r}: its trials train "
            f"with seed {recorded} (leave --seed out, or start another study)"
        )
    return int(recorded)


def check_settings(settings: SweepSettings) -> None:
    """Everything about a sweep that can be checked in a second, before it is queued.

    The values, the space and sampler, and the storage (opened, so a wrong URL, a missing
    driver or an unreachable server is reported now), and the study's training seed.

    Raises:
        SweepError: naming what is wrong.
    """
    import optuna

    settings.validate()
    space = load_space(settings.space)
    make_sampler(settings.sampler, space, settings.sampler_seed)
    url = settings.storage or sweep_storage()
    storage = open_storage(url, busy_timeout_s=5.0)
    with storage_errors(url):
        names = {s.study_name for s in optuna.get_all_study_summaries(storage)}
        if settings.seed is not None and settings.study_name in names:
            study = optuna.load_study(study_name=settings.study_name, storage=storage)
            recorded = study.user_attrs.get("training_seed")
            if recorded is not None and recorded != settings.seed:
                training_seed(study, settings.seed)  # raises the one-sentence error


class _Duplicate(Exception):
    """A drawn configuration that the study already trained or is training."""


def _twin(study: Any, number: int, config: dict[str, Any]) -> int | None:
    """The number of another trial with the same configuration, trained or being trained."""
    import optuna

    states = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.RUNNING,
    )
    for t in study.get_trials(deepcopy=False, states=states):
        attrs = t.user_attrs
        if (
            t.number != number
            and attrs.get("config") == config
            and "duplicate_of" not in attrs
            and "cancelled" not in attrs
        ):
            return t.number
    return None


def _retrying(call: Callable[[], Any], attempts: int = 5) -> Any:
    """Run a storage call, retrying what a busy database refuses for a moment."""
    import optuna
    from sqlalchemy import exc as sa

    for attempt in range(attempts):
        try:
            return call()
        except (optuna.exceptions.StorageInternalError, sa.OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    return None


def run_sweep(
    settings: SweepSettings,
    data: tuple[np.ndarray, np.ndarray],
    on_trial: Callable[[Any], None] | None = None,
    cancel: threading.Event | None = None,
) -> Any:
    """Train ``settings.trials`` new configurations of a study on the training images ``data``.

    Every trial trains with the study's training seed (same subset, split and initialisation),
    so trials from any process are comparable. A drawn configuration that the study already
    holds (complete, pruned or running, from any process) is skipped, not trained again; after
    ``SKIPS_BEFORE_GIVING_UP`` such draws in a row the space counts as exhausted.

    Args:
        settings: space, trials, sampler, storage, study name, subset, epochs, seeds.
        data: ``(x_train, y_train)``; each trial takes a stratified subset and carves its
            validation split from it. Never the test set.
        on_trial: called with each trained trial's ``optuna.trial.FrozenTrial``.
        cancel: stops after the running trial's current chunk of batches.

    Returns:
        The study.

    Raises:
        SweepError: for a bad space, sampler, storage or seed.
    """
    import optuna

    from lenet.train import train

    settings.validate()
    space = load_space(settings.space)
    # A skipped duplicate ends as a failed trial; Optuna would log it with a traceback.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    url = settings.storage or sweep_storage()
    enable_wal(url)
    storage = open_storage(url, busy_timeout_s=60.0, heartbeat=True)
    study = open_study(settings, space, storage)
    with storage_errors(url):
        seed = training_seed(study, settings.seed)
    base = LeNetConfig.from_dict(
        {"train_subset": settings.subset, "seed": seed, **space.get("base", {})}
    )
    if settings.epochs is not None:
        base = base.replace(epochs=settings.epochs)
    cancel = cancel or threading.Event()
    worker = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: Any) -> float:
        params = {n: _suggest(trial, n, s) for n, s in space["params"].items()}
        if settings.epochs is not None:
            params.pop("epochs", None)
        trial.set_user_attr("worker", worker)
        try:
            config = config_from_params(base, params)
        except ValueError as exc:
            trial.set_user_attr("invalid", str(exc))
            raise optuna.TrialPruned(f"invalid configuration: {exc}") from exc
        trial.set_user_attr("config", config.to_dict())
        twin = _twin(study, trial.number, config.to_dict())
        if twin is not None:
            trial.set_user_attr("duplicate_of", twin)
            raise _Duplicate(f"repeats trial {twin}")
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
            trial.set_user_attr("cancelled", True)
            raise optuna.TrialPruned("cancelled")
        trial.set_user_attr("seconds", result.seconds)
        return float(result.history[-1]["val_accuracy"])

    finished: list[Any] = []

    def callback(study: Any, trial: Any) -> None:
        finished.append(trial)
        if cancel.is_set():
            study.stop()

    trained = skipped_in_a_row = 0
    while trained < settings.trials and not cancel.is_set():
        finished.clear()
        with storage_errors(url):
            _retrying(
                lambda: study.optimize(
                    objective, n_trials=1, callbacks=[callback], catch=(MemoryError, _Duplicate)
                )
            )
        if not finished:
            continue
        if "duplicate_of" in finished[-1].user_attrs:
            skipped_in_a_row += 1
            if skipped_in_a_row >= SKIPS_BEFORE_GIVING_UP:
                break  # every draw repeats a configuration: the space is used up
            continue
        skipped_in_a_row = 0
        trained += 1
        if on_trial is not None:
            on_trial(finished[-1])
    return study


def trials_table(study: Any) -> list[dict[str, Any]]:
    """Every trial: number, state, validation accuracy, seconds and parameters, best first."""
    rows = []
    for t in study.trials:
        attrs = t.user_attrs
        state = t.state.name.lower()
        if "duplicate_of" in attrs:
            state = f"skipped: repeats trial {attrs['duplicate_of']}"
        rows.append(
            {
                "trial": t.number,
                "state": state,
                "val_accuracy": t.value,
                "seconds": attrs.get("seconds"),
                "worker": attrs.get("worker"),
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
