import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lenet.cli import main, progress_line
from lenet.config import LeNetConfig
from lenet.pipeline import JobProgress
from lenet.presets import QUICK
from lenet.store import ModelStore
from tests.helpers import SMALL_MNIST

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def store(tiny_store, tmp_path):
    import shutil

    shutil.copytree(tiny_store.home, tmp_path / "home")
    return ModelStore(home=tmp_path / "home", bundled_root=None)


@pytest.mark.parametrize(
    ("progress", "line"),
    [
        (JobProgress(), "starting..."),
        (JobProgress("loading data"), "loading data..."),
        (
            JobProgress("training", 2, 3, 5, 10, 0.25, 0.875, 1234.0),
            "epoch 2/3 [===============               ] loss 0.2500 acc 0.8750 1,234 img/s",
        ),
        (
            JobProgress("sweeping", trials_done=2, trials=8),
            "trials 2/8, best validation accuracy -",
        ),
        (
            JobProgress("sweeping", trials_done=3, trials=8, best_val_accuracy=0.9712),
            "trials 3/8, best validation accuracy 0.9712",
        ),
    ],
)
def test_one_progress_line_for_training_and_sweeps(progress: JobProgress, line: str) -> None:
    assert progress_line(progress) == line


def digit_png(path: Path, image: np.ndarray, dark_on_light: bool = False) -> Path:
    big = np.kron(image, np.ones((6, 6), np.uint8))
    Image.fromarray(255 - big if dark_on_light else big).save(path)
    return path


def test_list_shows_models_and_accuracy(store, capsys):
    assert main(["list"], store) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and f"acc {store.card('tiny').accuracy:.4f}" in out


def test_evaluate_json_has_the_promised_keys(store, capsys):
    assert main(["evaluate", "--model", "tiny", "--data", str(SMALL_MNIST), "--json"], store) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == "tiny" and out["n"] == 300
    assert {"accuracy", "macro_precision", "macro_recall", "macro_f1"} <= out.keys()
    assert out["accuracy"] == pytest.approx(store.card("tiny").accuracy, abs=1e-9)


def test_evaluate_text_is_a_classification_report(store, capsys):
    assert main(["evaluate", "--model", "tiny", "--data", str(SMALL_MNIST)], store) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "macro avg" in out and "weighted avg" in out


def test_predict_images_of_either_polarity(store, small_mnist, tmp_path, capsys):
    x_test, _y_test = small_mnist[2], small_mnist[3]
    light = digit_png(tmp_path / "a.png", x_test[0])
    dark = digit_png(tmp_path / "b.png", x_test[0], dark_on_light=True)
    assert main(["predict", "--model", "tiny", "--json", str(light), str(dark)], store) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in lines] == [str(light), str(dark)]
    assert lines[0]["digit"] == lines[1]["digit"]
    assert len(lines[0]["probabilities"]) == 10
    assert sum(lines[0]["probabilities"]) == pytest.approx(1.0, abs=1e-4)


def test_train_dry_run_saves_nothing(store, capsys):
    code = main(["train", "--data", str(SMALL_MNIST), "--dry-run", "--epochs", "1"], store)
    assert code == 0 and "nothing saved" in capsys.readouterr().out
    assert [c.name for c in store.list()] == ["tiny"]


def test_train_preset_quick_starts_from_the_recipe_and_flags_override_it(store, capsys):
    argv = ["train", "--preset", "quick", "--epochs", "1", "--data", str(SMALL_MNIST), "--dry-run"]
    assert main(argv, store) == 0
    line = capsys.readouterr().out.splitlines()[0]
    config = LeNetConfig.from_dict(json.loads(line.removeprefix("configuration: ")))
    assert config == QUICK.replace(epochs=1)


@pytest.mark.slow  # a worker subprocess trains
def test_train_saves_a_model_with_flags(store, capsys):
    code = main(
        [
            "train",
            "--data",
            str(SMALL_MNIST),
            "--epochs",
            "1",
            "--activation",
            "tanh",
            "--filters",
            "4",
            "8",
            "--batch-norm",
            "0",
            "1",
            "--train-subset",
            "600",
            "--name",
            "mine",
        ],
        store,
    )
    assert code == 0 and "saved mine" in capsys.readouterr().out
    config = store.config("mine")
    assert config.activation == "tanh" and config.filters == (4, 8)
    assert config.batch_norm == (False, True) and config.train_subset == 600


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--epochs", "0"], "epochs=0"),
        (["train", "--activation", "swish"], "invalid choice"),
        (["train", "--filters", "6", "16", "32"], "batch_norm"),
        (["train", "--name", "../x"], "invalid"),
        (["train", "--data", "/nonexistent/mnist.npz", "--dry-run"], "MNIST_PATH"),
        (["evaluate", "--model", "missing"], "no model named 'missing'"),
        (["evaluate", "--model", "tiny", "--data", "/nonexistent.npz"], "MNIST_PATH"),
        (["predict", "--model", "tiny", "/nonexistent.png"], "cannot read image"),
        (["predict", "--model", "nope", "x.png"], "no model named"),
        (["zoo", "--only", "not-a-model"], "unknown zoo model"),
        (["zoo", "--only", "lenet5-robust"], "pass --drawings drawings.npz"),
        (["zoo", "--only", "lenet5-best", "--drawings", "x.npz"], "only for lenet5-robust"),
        (["zoo", "--only", "lenet5-robust", "--drawings", "/nonexistent.npz"], "unreadable"),
        (["export", "--model", "nope"], "no model named"),
        (["export", "--model", "tiny", "--format", "onnx"], "invalid choice"),
        (["export", "--model", "tiny", "--data", "/nonexistent.npz"], "MNIST_PATH"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_input_exits_2_with_one_line(store, capsys, argv, message):
    assert main(argv, store) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("error:") and len(err.splitlines()) == 1


def test_garbage_image_and_empty_image_exit_2(store, tmp_path, capsys):
    garbage = tmp_path / "g.png"
    garbage.write_bytes(b"\x89PNG but not really")
    blank = tmp_path / "blank.png"
    Image.fromarray(np.zeros((50, 50), np.uint8)).save(blank)
    assert main(["predict", "--model", "tiny", str(garbage), str(blank)], store) == 2
    err = capsys.readouterr().err
    assert "cannot read image" in err and "blank.png" in err
    assert err.count(str(garbage)) == 1  # the file is named once, not twice


def test_module_entry_point_has_no_traceback_on_bad_input(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lenet", "evaluate", "--model", "../etc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"LENET_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "error: model name '../etc'" in proc.stderr


def test_export_prints_sizes_and_accuracy(store, capsys):
    code = main(["export", "--model", "tiny", "--int8", "--data", str(SMALL_MNIST)], store)
    out = capsys.readouterr().out
    assert code == 0 and "model_int8.tflite" in out
    assert "  int8:" in out and "accuracy" in out
    assert (store.path("tiny") / "model_int8.tflite").is_file()


@pytest.mark.parametrize(
    ("argv0", "shown"),
    [("/usr/local/bin/lenet", "lenet"), ("/x/lenet/__main__.py", "python -m lenet")],
)
def test_usage_names_the_command_as_it_was_run(monkeypatch, argv0, shown):
    from lenet.cli import build_parser

    monkeypatch.setattr(sys, "argv", [argv0])
    assert build_parser().format_usage().startswith(f"usage: {shown} [-h]")


def test_progress_in_a_log_is_one_line_per_phase_not_a_redraw(capsys):
    from lenet.cli import _show

    for line in [
        "starting...",
        "starting...",
        "loading data...",
        "epoch 1/2 [=   ] loss 1",
        "epoch 1/2 [==  ] loss 0.5",
        "epoch 2/2 [=   ] loss 0.1",
    ]:
        _show(line)
    _show("epoch 2/2 [====] loss 0.1 val_acc 0.99", "\n")
    err = capsys.readouterr().err  # not a terminal
    assert "\r" not in err
    assert err.splitlines() == [
        "starting...",
        "loading data...",
        "epoch 1/2 [=   ] loss 1",
        "epoch 2/2 [=   ] loss 0.1",
        "epoch 2/2 [====] loss 0.1 val_acc 0.99",
    ]
