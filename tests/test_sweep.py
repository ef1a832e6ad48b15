"""Optuna sweeps on the fixture data: trials complete, bad trials are pruned, workers share."""

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest

from lenet.cli import main
from lenet.config import LeNetConfig
from lenet.sweep import (
    SPACES,
    SweepError,
    SweepSettings,
    config_from_params,
    load_space,
    open_storage,
    run_sweep,
    trials_table,
)
from tests.helpers import SMALL_MNIST

ROOT = Path(__file__).resolve().parents[1]


def space_file(tmp_path, space, name="space.json"):
    path = tmp_path / name
    path.write_text(json.dumps(space))
    return str(path)


def test_a_four_trial_sweep_completes(grid_study):
    study, settings, seen = grid_study  # four trainings, shared with the Sweep page's tests
    assert len(study.trials) == 4 == len(seen)
    assert [t.number for t in seen] == [t.number for t in study.trials]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert complete and all(0.0 <= t.value <= 1.0 for t in complete)
    for trial in complete:
        config = LeNetConfig.from_dict(trial.user_attrs["config"])
        assert config.train_subset == 300 and config.epochs == 1  # settings, not the default 3
        assert config.learning_rate == trial.params["learning_rate"]
        assert config.batch_size == trial.params["batch_size"]
        assert config.seed == settings.seed


@pytest.mark.slow  # three trainings of three epochs: ~4 s of CPU
def test_a_bad_trial_is_pruned(tmp_path, small_mnist):
    path = space_file(
        tmp_path,
        {
            "params": {"learning_rate": [0.002, 0.003, 1.0]},
            "base": {"epochs": 3, "optimizer": "adam"},
        },
    )
    storage = f"sqlite:///{tmp_path / 's.db'}"
    settings = SweepSettings(
        space=path, trials=3, storage=storage, study="prune", subset=600, seed=0
    )
    study = optuna.create_study(study_name="prune", storage=storage, direction="maximize")
    for lr in (0.002, 0.003, 1.0):  # two good trials set the median, then a diverging one
        study.enqueue_trial({"learning_rate": lr})
    study = run_sweep(settings, small_mnist[:2])
    states = [t.state for t in study.trials]
    assert states[:2] == [optuna.trial.TrialState.COMPLETE] * 2
    assert states[2] == optuna.trial.TrialState.PRUNED
    assert len(study.trials[2].intermediate_values) < 3  # stopped before the last epoch


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"params": {}}, "non-empty 'params'"),
        ({"params": {"colour": ["red"]}}, "unknown parameter 'colour'"),
        ({"params": {"activation": []}}, "has no choices"),
        ({"params": {"learning_rate": {"low": 1, "high": 0.1}}}, "low < high"),
        ({"params": {"epochs": 3}}, "must be a list"),
        ({"params": {"epochs": [1]}, "base": {"epochs": 0}}, "epochs=0"),
    ],
)
def test_bad_space_files_are_refused_clearly(tmp_path, space, message):
    with pytest.raises(SweepError, match=message):
        load_space(space_file(tmp_path, space))


def test_bad_space_on_the_command_line_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("params: [unclosed")
    assert main(["sweep", "--space", str(broken)]) == 2
    assert "cannot read space file" in capsys.readouterr().err
    assert main(["sweep", "--space", "no-such-space"]) == 2
    assert "neither a built-in space" in capsys.readouterr().err
    grid = space_file(tmp_path, {"params": {"learning_rate": {"low": 0.001, "high": 0.1}}})
    assert (
        main(
            [
                "sweep",
                "--space",
                grid,
                "--sampler",
                "grid",
                "--data",
                str(SMALL_MNIST),
                "--storage",
                f"sqlite:///{tmp_path / 'g.db'}",
            ]
        )
        == 2
    )
    assert "grid sampler needs lists" in capsys.readouterr().err


def test_yaml_space_and_parameter_mapping(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(
        "params:\n  conv_blocks: [3]\n  filters: [4]\n  padding: [same]\n"
        "  bn_3: [1]\n  dropout_fc_2: [0.5]\n"
    )
    space = load_space(str(path))
    config = config_from_params(LeNetConfig(), {k: v[0] for k, v in space["params"].items()})
    assert config.filters == (4, 8, 16) and config.batch_norm == (False, False, True)
    assert config.dense_dropout == (0.0, 0.5) and config.padding == "same"
    assert set(SPACES) == {"activation-bn-dropout", "blocks-filters-lr"}
    with pytest.raises(ValueError):  # three valid-padding blocks do not fit 28x28
        config_from_params(LeNetConfig(), {"conv_blocks": 3, "padding": "valid"})


def test_a_built_in_space_reaches_every_field_of_the_config():
    params = {
        name: choices[-1] for name, choices in SPACES["activation-bn-dropout"]["params"].items()
    }
    config = config_from_params(LeNetConfig(), params)
    assert config.activation == "sigmoid" and config.batch_norm == (True, True)
    assert config.conv_dropout == (0.5, 0.5) and config.dense_dropout == (0.5, 0.5)


@pytest.mark.slow  # a worker subprocess trains
def test_cli_sweep_goes_through_the_job_manager(tmp_path, capsys):
    from lenet.jobs import JobManager
    from lenet.store import ModelStore

    path = space_file(tmp_path, {"params": {"activation": ["relu", "tanh"]}, "base": {"epochs": 1}})
    store = ModelStore(home=tmp_path / "home", bundled_root=None)
    code = main(
        [
            "sweep",
            "--space",
            path,
            "--trials",
            "2",
            "--subset",
            "300",
            "--study",
            "q",
            "--data",
            str(SMALL_MNIST),
        ],
        store,
    )
    out = capsys.readouterr().out
    assert code == 0 and out.count("trial ") >= 2 and "best trial" in out
    jobs = JobManager(store.home).list()
    assert [(j.kind, j.state) for j in jobs] == [("sweep", "done")]
    assert (store.home / "sweeps.db").is_file()  # the worker used this LENET_HOME


FOUR = {"params": {"activation": ["relu", "tanh"], "batch_size": [32, 64]}, "base": {"epochs": 1}}


def trained(study):
    return [t for t in study.trials if "duplicate_of" not in t.user_attrs]


@pytest.mark.slow  # four trainings, three sweeps: ~7 s of CPU
def test_an_extended_study_continues_instead_of_repeating(tmp_path, small_mnist, monkeypatch):
    monkeypatch.setenv("LENET_PRECISION", "fp32")
    storage = f"sqlite:///{tmp_path / 's.db'}"
    settings = SweepSettings(
        space=space_file(tmp_path, FOUR), trials=2, storage=storage, study="ext", subset=200,
        sampler_seed=0,
    )  # fmt: skip
    for _ in range(2):  # the same command twice, a pinned sampler seed: 4 configurations
        study = run_sweep(settings, small_mnist[:2])
    configs = [json.dumps(t.user_attrs["config"], sort_keys=True) for t in trained(study)]
    assert len(configs) == 4 and len(set(configs)) == 4
    # All four tried: another run draws only repeats, skips them all and trains nothing.
    study = run_sweep(settings, small_mnist[:2])
    assert len(trained(study)) == 4
    skipped = [r for r in trials_table(study) if r["state"].startswith("skipped")]
    assert skipped and all(r["val_accuracy"] is None for r in skipped)


@pytest.mark.slow  # two trainings, three sweeps: ~3 s of CPU
def test_a_study_fixes_the_training_seed_of_all_its_trials(tmp_path, small_mnist, monkeypatch):
    monkeypatch.setenv("LENET_PRECISION", "fp32")
    storage = f"sqlite:///{tmp_path / 's.db'}"
    settings = SweepSettings(
        space=space_file(tmp_path, FOUR), trials=1, storage=storage, study="seeded", subset=200,
        seed=7,
    )  # fmt: skip
    run_sweep(settings, small_mnist[:2])
    study = run_sweep(SweepSettings(**{**settings.__dict__, "seed": None}), small_mnist[:2])
    assert study.user_attrs["training_seed"] == 7
    assert [t.user_attrs["config"]["seed"] for t in trained(study)] == [7, 7]
    with pytest.raises(SweepError, match="train with seed 7"):
        run_sweep(SweepSettings(**{**settings.__dict__, "seed": 8}), small_mnist[:2])


def test_a_local_sqlite_study_uses_wal_so_parallel_workers_wait_not_fail(tmp_path, small_mnist):
    path = tmp_path / "s.db"
    settings = SweepSettings(
        space=space_file(tmp_path, FOUR), trials=1, storage=f"sqlite:///{path}", subset=200
    )
    cancelled = threading.Event()
    cancelled.set()  # the sweep opens its storage, then stops before training anything
    study = run_sweep(settings, small_mnist[:2], cancel=cancelled)
    assert study.trials == []
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _refused_port() -> int:
    with socket.socket() as s:  # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "blocked", "message"),
    [
        ("notaurl", None, "is not a database URL"),
        ("nosuchdb://u:secret@host/x", None, "is not a database URL"),
        ("postgresql://u@127.0.0.1:1/x", "psycopg", 'pip install "psycopg[binary]"'),
        ("postgresql+psycopg2://u@127.0.0.1:1/x", "psycopg2", "psycopg2-binary"),
        ("mysql+pymysql://u@127.0.0.1:1/x", "pymysql", "PyMySQL"),
    ],
)
def test_a_bad_storage_is_one_clear_sentence(url, blocked, message, monkeypatch):
    if blocked is not None:
        monkeypatch.setitem(sys.modules, blocked, None)  # the driver is not installed
    with pytest.raises(SweepError, match=message.replace("[", r"\[").replace("]", r"\]")) as e:
        open_storage(url)
    assert "\n" not in str(e.value) and "secret" not in str(e.value)  # passwords never shown


def test_an_unreachable_server_is_named_within_seconds():
    pytest.importorskip("psycopg")
    port = _refused_port()
    start = time.monotonic()
    with pytest.raises(SweepError, match=f"server at 127.0.0.1:{port} did not accept"):
        open_storage(f"postgresql://u:secret@127.0.0.1:{port}/lenet")
    assert time.monotonic() - start < 10  # no retry loop, no hang (refused at once)


def test_a_damaged_or_busy_sqlite_file_says_so_and_never_says_delete(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SweepError, match="move it aside") as e:
        open_storage(f"sqlite:///{garbage}")
    assert "delete" not in str(e.value)
    busy = tmp_path / "busy.db"
    holder = sqlite3.connect(busy, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(SweepError, match="busy") as e:
            open_storage(f"sqlite:///{busy}", busy_timeout_s=0.2)
    finally:
        holder.close()
    assert "delete" not in str(e.value) and busy.is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--subset", "0"], "subset=0 is invalid"),
        (["--epochs", "0"], "epochs=0 is invalid"),
        (["--trials", "0"], "trials=0 is invalid"),
        (["--here", "--threads", "0"], "--threads 0 is invalid"),
        (["--storage", "notaurl"], "is not a database URL"),
        (["--retrain-best", "Bad Name"], "model name 'Bad Name' is invalid"),
        (["--retrain-best", "tiny"], "a model of that name exists"),
    ],
)
def test_bad_sweep_arguments_fail_before_anything_is_queued(extra, message, app_home, capsys):
    from lenet.jobs import JobManager

    start = time.monotonic()
    code = main(["sweep", "--space", "activation-bn-dropout", "--data", "/no/such.npz", *extra],
                app_home)  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert JobManager(app_home.home).list() == []  # nothing queued, no data loaded
    assert time.monotonic() - start < 10  # fails at once, not after a trial


@pytest.mark.slow  # a fresh Python imports TensorFlow: ~7 s of CPU
def test_threads_caps_tensorflow_in_a_sweep_worker():
    """``sweep --here --threads N`` (several workers on one machine) reaches TensorFlow."""
    code = (
        "from lenet.train import set_threads; set_threads(1); import tensorflow as tf; "
        "print(tf.config.threading.get_intra_op_parallelism_threads(), "
        "tf.config.threading.get_inter_op_parallelism_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]


def test_a_new_sqlite_file_created_by_two_processes_at_once_is_retried(monkeypatch, tmp_path):
    """The loser of the race on CREATE TABLE gets "table ... already exists": it tries again."""
    import optuna
    from sqlalchemy import exc as sa

    from lenet.sweep import open_storage

    real, calls = optuna.storages.RDBStorage, []

    def racing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise sa.OperationalError(
                "CREATE TABLE studies", {}, Exception("table studies already exists")
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(optuna.storages, "RDBStorage", racing)
    storage = open_storage(f"sqlite:///{tmp_path / 'shared.db'}")
    assert isinstance(storage, real) and len(calls) == 2
