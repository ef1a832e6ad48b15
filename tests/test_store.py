import json
import shutil

import numpy as np
import pytest

from lenet import store as store_mod
from lenet.model import predict_proba
from lenet.store import ModelStore, StoreError, validate_name


def copy_store(src: ModelStore, tmp_path) -> ModelStore:
    shutil.copytree(src.home, tmp_path / "home")
    return ModelStore(home=tmp_path / "home", bundled_root=None)


def test_saved_entry_has_every_file_and_a_card(tiny_store, tiny_trained):
    result, report = tiny_trained
    folder = tiny_store.path("tiny")
    assert sorted(p.name for p in folder.iterdir()) == [
        "card.json",
        "config.json",
        "history.json",
        "model.keras",
        "model.tflite",
        "report.json",
    ]
    card = tiny_store.card("tiny")
    assert card.params == result.model.count_params() and card.accuracy == report.accuracy
    assert card.size_bytes == (folder / "model.keras").stat().st_size and not card.broken
    assert tiny_store.config("tiny") == result.config
    assert tiny_store.history("tiny") == result.history
    assert tiny_store.report("tiny") == report


def test_loaded_model_and_tflite_predictor_match_the_trained_model(
    tiny_store, tiny_trained, small_mnist
):
    result, _ = tiny_trained
    x = small_mnist[2][:64]
    expected = predict_proba(result.model, x)
    np.testing.assert_allclose(predict_proba(tiny_store.load_model("tiny"), x), expected, atol=1e-6)
    fast = tiny_store.predictor("tiny").predict(x.astype("float32") / 255.0)
    np.testing.assert_allclose(fast, expected, atol=1e-5)
    one = tiny_store.predictor("tiny").predict(x[0].astype("float32") / 255.0)
    np.testing.assert_allclose(one[0], expected[0], atol=1e-5)


@pytest.mark.parametrize(
    "name", ["../x", "a/b", "", "A", ".hidden", "-x", "x" * 65, "a b", "..", "a\\b", None, 3]
)
def test_names_that_could_escape_or_are_odd_are_rejected(name):
    with pytest.raises(ValueError, match="invalid"):
        validate_name(name)


def test_save_refuses_bad_and_taken_names(tiny_store, tiny_trained):
    result, report = tiny_trained
    with pytest.raises(ValueError):
        tiny_store.save("../evil", result.model, result.config, [], report, 1.0)
    with pytest.raises(StoreError, match="already exists"):
        tiny_store.save("tiny", result.model, result.config, [], report, 1.0)


def test_a_failure_mid_save_leaves_nothing(tmp_path, tiny_trained, monkeypatch):
    result, report = tiny_trained
    store = ModelStore(home=tmp_path, bundled_root=None)

    def boom(model):
        raise RuntimeError("disk full")

    monkeypatch.setattr("lenet.infer.tflite_bytes", boom)  # after model.keras is written
    with pytest.raises(StoreError, match="nothing was written"):
        store.save("half", result.model, result.config, [], report, 1.0)
    assert list(store.user_root.iterdir()) == []
    assert store.list() == []


def test_interrupt_mid_save_leaves_nothing(tmp_path, tiny_trained, monkeypatch):
    result, report = tiny_trained
    store = ModelStore(home=tmp_path, bundled_root=None)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "to_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.save("half", result.model, result.config, [], report, 1.0)
    assert list(store.user_root.iterdir()) == []


@pytest.mark.parametrize(
    "damage", ["truncate_keras", "garbage_keras", "delete_report", "garbage_card"]
)
def test_corrupt_entry_is_listed_as_broken_and_others_keep_working(tiny_store, tmp_path, damage):
    store = copy_store(tiny_store, tmp_path)
    shutil.copytree(store.path("tiny"), store.user_root / "bad")
    bad = store.user_root / "bad"
    if damage == "truncate_keras":
        data = (bad / "model.keras").read_bytes()
        (bad / "model.keras").write_bytes(data[: len(data) // 2])
    elif damage == "garbage_keras":
        (bad / "model.keras").write_bytes(b"not a zip at all")
    elif damage == "delete_report":
        (bad / "report.json").unlink()
    else:
        (bad / "card.json").write_text("{nope")
    cards = {c.name: c for c in store.list()}
    assert cards["bad"].broken and cards["bad"].error
    assert not cards["tiny"].broken
    with pytest.raises(StoreError):
        store.card("bad")
    if damage.endswith("keras"):
        with pytest.raises(StoreError, match="model.keras"):
            store.load_model("bad")
    assert store.predictor("tiny").predict(np.zeros((28, 28), "float32")).shape == (1, 10)


def test_missing_tflite_is_made_on_first_use(tiny_store, tmp_path):
    store = copy_store(tiny_store, tmp_path)
    (store.path("tiny") / "model.tflite").unlink()
    reference = tiny_store.predictor("tiny").predict(np.ones((2, 28, 28), "float32") * 0.5)
    made = store.predictor("tiny").predict(np.ones((2, 28, 28), "float32") * 0.5)
    assert (store.path("tiny") / "model.tflite").is_file()
    np.testing.assert_allclose(made, reference, atol=1e-6)


def test_bundled_models_are_read_only_and_not_shadowed(tiny_store, tiny_trained, tmp_path):
    bundled = tmp_path / "bundled"
    shutil.copytree(tiny_store.path("tiny"), bundled / "tiny")
    (bundled / "tiny" / "model.tflite").unlink()
    store = ModelStore(home=tmp_path / "home", bundled_root=bundled)
    result, report = tiny_trained
    assert store.card("tiny").bundled
    with pytest.raises(StoreError, match="bundled"):
        store.save("tiny", result.model, result.config, [], report, 1.0)
    with pytest.raises(StoreError, match="bundled"):
        store.delete("tiny")
    store.predictor("tiny")  # tflite made in the user's folder, not in assets
    assert (tmp_path / "home" / "tflite" / "tiny.tflite").is_file()
    assert not (bundled / "tiny" / "model.tflite").exists()


def test_delete_and_save_report(tiny_store, tiny_trained, tmp_path):
    store = copy_store(tiny_store, tmp_path)
    _, report = tiny_trained
    changed = store_mod.Report.from_dict({**report.to_dict(), "accuracy": 0.5})
    store.save_report("tiny", changed)
    assert store.card("tiny").accuracy == 0.5 and store.report("tiny").accuracy == 0.5
    store.delete("tiny")
    assert store.list() == []
    with pytest.raises(StoreError, match="no model named"):
        store.path("tiny")


def test_invalid_config_json_is_a_store_error(tiny_store, tmp_path):
    store = copy_store(tiny_store, tmp_path)
    (store.path("tiny") / "config.json").write_text(json.dumps({"epochs": 0}))
    with pytest.raises(StoreError, match="epochs=0"):
        store.config("tiny")


def test_empty_or_missing_roots_list_nothing(tmp_path):
    assert ModelStore(home=tmp_path / "nowhere", bundled_root=tmp_path / "none").list() == []


def test_lenet_home_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_HOME", str(tmp_path))
    assert ModelStore().user_root == tmp_path / "models"
