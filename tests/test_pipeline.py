"""The application's recipes and the typed job records (``lenet.pipeline``)."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from lenet.config import LeNetConfig
from lenet.pipeline import (
    DrawingsScore,
    JobProgress,
    JobResult,
    finetune_config,
    finetune_on_drawings,
    reevaluate,
    train_evaluate_save,
)
from lenet.store import ModelStore, StoreError
from lenet.train import Progress
from tests.helpers import QUICK


def test_progress_round_trips_through_json_and_reports_its_fraction() -> None:
    p = JobProgress(
        "training", epoch=2, epochs=4, batch=5, batches=10, loss=0.5, accuracy=0.9,
        images_per_s=1000.0, elapsed_s=3.0, eta_s=7.0, history=[{"val_accuracy": 0.8}],
    )  # fmt: skip
    assert JobProgress.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert p.training and p.fraction == pytest.approx(15 / 40)
    sweeping = JobProgress("sweeping", trials_done=3, trials=12)
    assert not sweeping.training and sweeping.fraction == pytest.approx(0.25)
    assert JobProgress("loading data").fraction is None


@pytest.mark.parametrize(
    "data", [None, [1, 2], "text", {"phase": 3}, {"phase": "training", "epoch": "two"}]
)
def test_unreadable_progress_reads_as_no_progress(data: object) -> None:
    assert JobProgress.from_dict(data) == JobProgress()


def test_progress_of_training_computes_the_eta() -> None:
    p = Progress("batch", 1, 2, 5, 10, 0.4, 0.8, 100.0, elapsed_s=10.0)
    record = JobProgress.of_training(p)
    # 5 of 20 batches in 10 s: 15 left at 0.5 batches/s
    assert record.phase == "training" and record.eta_s == pytest.approx(30.0)
    assert record.fraction == pytest.approx(0.25)


def test_result_round_trips_and_ignores_unknown_keys() -> None:
    r = JobResult(
        "done", model="m", accuracy=0.97, seconds=12.0, drawings=DrawingsScore(0.5, 0.75, 8, 32)
    )
    data = json.loads(json.dumps(r.to_dict()))
    assert JobResult.from_dict(data) == r
    assert JobResult.from_dict({**data, "added_later": 1}) == r
    assert JobResult.from_dict({}) == JobResult()  # a job that has not ended


@pytest.mark.parametrize("data", [[1], "done", {"state": 1}, {"drawings": {"before": 1}}])
def test_a_damaged_result_is_refused_with_its_value(data: object) -> None:
    with pytest.raises(ValueError):
        JobResult.from_dict(data)


def test_finetune_config_keeps_the_architecture_and_validates() -> None:
    base = LeNetConfig(filters=(8, 16), optimizer="sgd", lr_schedule="cosine")
    tuned = finetune_config(base, epochs=3, learning_rate=3e-4, mnist_images=10_000)
    assert tuned.filters == (8, 16) and tuned.optimizer == "adam"
    assert tuned.lr_schedule == "constant" and tuned.epochs == 3
    assert tuned.train_subset == 10_000 and tuned.learning_rate == pytest.approx(3e-4)
    with pytest.raises(ValueError, match="epochs"):
        finetune_config(base, epochs=0, learning_rate=3e-4, mnist_images=10_000)


@pytest.fixture()
def own_store(tiny_store, tmp_path) -> ModelStore:  # type: ignore[no-untyped-def]
    shutil.copytree(tiny_store.home, tmp_path / "home")
    return ModelStore(home=tmp_path / "home", bundled_root=None)


def test_train_evaluate_save_saves_a_completed_run(own_store, small_mnist) -> None:
    trained = train_evaluate_save(own_store, "quick", QUICK, small_mnist, "a quick run")
    assert trained.card is not None and trained.card.name == "quick"
    assert own_store.card("quick").description == "a quick run"
    assert own_store.report("quick").accuracy == trained.card.accuracy
    assert trained.evaluation_s is not None and trained.evaluation_s > 0


def test_a_cancelled_run_saves_nothing(own_store, small_mnist) -> None:
    cancel = threading.Event()
    cancel.set()
    trained = train_evaluate_save(own_store, "never", QUICK, small_mnist, "x", cancel=cancel)
    assert trained.card is None and trained.result.status != "completed"
    with pytest.raises(StoreError):
        own_store.card("never")


def test_finetune_on_drawings_scores_held_out_drawings(own_store, small_mnist) -> None:
    x_test, y_test = small_mnist[2], small_mnist[3]
    config = finetune_config(
        own_store.config("tiny"), epochs=1, learning_rate=3e-4, mnist_images=300
    )
    trained = finetune_on_drawings(
        own_store, "tiny", "tiny-mine", config, small_mnist, (x_test[:20], y_test[:20]), 0.3
    )
    score = trained.drawings
    assert trained.card is not None and score is not None
    assert score.held_out + score.used == 20 and score.held_out >= 3
    assert "fine-tuned from tiny" in own_store.card("tiny-mine").description


def test_reevaluate_updates_a_user_model_and_never_a_bundled_one(
    own_store, small_mnist, tmp_path
) -> None:
    x_test, y_test = small_mnist[2][:50], small_mnist[3][:50]
    done = reevaluate(own_store, "tiny", x_test, y_test)
    assert done.saved and own_store.report("tiny").accuracy == done.report.accuracy
    assert own_store.report("tiny").n == 50  # the new report, on 50 images
    bundled = ModelStore(home=tmp_path / "elsewhere", bundled_root=own_store.user_root)
    before = bundled.report("tiny")
    done = reevaluate(bundled, "tiny", x_test, y_test)
    assert not done.saved and done.stored == before and bundled.report("tiny") == before
