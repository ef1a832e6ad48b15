"""Optuna sweeps on the fixture data: trials complete, bad trials are pruned, workers share."""

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from lenet.cli import main
from lenet.config import LeNetConfig
from lenet.sweep import SPACES, SweepError, SweepSettings, config_from_params, load_space, run_sweep
from tests.conftest import SMALL_MNIST

ROOT = Path(__file__).resolve().parents[1]


def space_file(tmp_path, space, name="space.json"):
    path = tmp_path / name
    path.write_text(json.dumps(space))
    return str(path)


def test_a_four_trial_sweep_completes(tmp_path, small_mnist):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    settings = SweepSettings(
        space="activation-bn-dropout", trials=4, storage=storage, subset=300, epochs=1, seed=1
    )
    seen = []
    study = run_sweep(settings, small_mnist[:2], on_trial=seen.append)
    assert len(study.trials) == 4 == len(seen)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert complete and all(0.0 <= t.value <= 1.0 for t in complete)
    config = LeNetConfig.from_dict(complete[0].user_attrs["config"])
    assert config.train_subset == 300 and config.epochs == 1
    assert config.activation == complete[0].params["activation"]


def test_a_bad_trial_is_pruned(tmp_path, small_mnist):
    path = space_file(
        tmp_path,
        {"params": {"learning_rate": [0.002, 1.0]}, "base": {"epochs": 3, "optimizer": "adam"}},
    )
    storage = f"sqlite:///{tmp_path / 's.db'}"
    settings = SweepSettings(
        space=path, trials=3, storage=storage, study="prune", subset=600, seed=0
    )
    study = optuna.create_study(study_name="prune", storage=storage, direction="maximize")
    for lr in (0.002, 0.002, 1.0):  # two good trials set the median, then a diverging one
        study.enqueue_trial({"learning_rate": lr})
    study = run_sweep(settings, small_mnist[:2])
    states = [t.state for t in study.trials]
    assert states[:2] == [optuna.trial.TrialState.COMPLETE] * 2
    assert states[2] == optuna.trial.TrialState.PRUNED
    assert len(study.trials[2].intermediate_values) < 3  # stopped before the last epoch


def test_two_processes_share_one_study_without_duplicates(tmp_path):
    path = space_file(
        tmp_path,
        {
            "params": {
                "learning_rate": {"low": 1e-4, "high": 1e-2, "log": True},
                "activation": ["relu", "tanh"],
            },
            "base": {"epochs": 1},
        },
    )
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    cmd = [
        sys.executable,
        "-m",
        "lenet",
        "sweep",
        "--here",
        "--space",
        path,
        "--trials",
        "2",
        "--storage",
        storage,
        "--study",
        "shared",
        "--subset",
        "200",
        "--data",
        str(SMALL_MNIST),
    ]
    workers = [
        subprocess.Popen(
            [*cmd, "--seed", str(i)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    study = optuna.load_study(study_name="shared", storage=storage)
    numbers = [t.number for t in study.trials]
    assert sorted(numbers) == [0, 1, 2, 3]
    params = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(params)) == 4  # four different configurations were tried


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
