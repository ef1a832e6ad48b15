import json
import shutil

import numpy as np
import pytest

from lenet import store as store_mod
from lenet.model import predict_proba
from lenet.store import ModelStore, StoreError, validate_name
from tests.helpers import ENTRY_DAMAGE, damage_entry


def copy_store(src: ModelStore, tmp_path) -> ModelStore:
    shutil.copytree(src.home, tmp_path / "home")
    return ModelStore(home=tmp_path / "home", bundled_root=None)


def test_saved_entry_has_every_file_and_a_card(tiny_store, tiny_trained):
    result, report = tiny_trained
    folder = tiny_store.path("tiny")
    assert sorted(p.name for p in folder.iterdir()) == [
        "c1_filters.npy",
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

    monkeypatch.setattr("lenet.export.tflite_bytes", boom)  # after model.keras is written
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
    assert (tmp_path / "home" / "derived" / "tiny" / "model.tflite").is_file()
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


def test_inside_files_match_the_model(tiny_store, tiny_trained, small_mnist):
    from lenet.inside import feature_maps, occlusion_saliency

    result, _ = tiny_trained
    image = small_mnist[2][0].astype("float32") / 255.0
    inside = feature_maps(tiny_store.features("tiny"), image)
    assert inside.c1.shape == (24, 24, 6) and inside.c3.shape == (8, 8, 16)
    import keras

    probe = keras.Model(
        result.model.input, [result.model.get_layer(n).output for n in ("c1", "c3")]
    )
    c1, c3 = (keras.ops.convert_to_numpy(t)[0] for t in probe(image[None, :, :, None]))
    np.testing.assert_allclose(inside.c1, c1, atol=1e-5)
    np.testing.assert_allclose(inside.c3, c3, atol=1e-5)
    np.testing.assert_allclose(
        inside.probabilities, predict_proba(result.model, image[None])[0], atol=1e-5
    )
    kernel = result.model.get_layer("c1").get_weights()[0][:, :, 0, :]
    np.testing.assert_array_equal(tiny_store.c1_filters("tiny"), kernel)
    digit = int(inside.probabilities.argmax())
    saliency = occlusion_saliency(tiny_store.predictor("tiny"), image, digit)
    assert saliency.shape == (28, 28)
    ink, background = image > 0.5, image == 0
    assert saliency[ink].mean() > saliency[background].mean()  # the ink carries the evidence
    with pytest.raises(ValueError, match="digit=10"):
        occlusion_saliency(tiny_store.predictor("tiny"), image, 10)


def test_missing_features_are_made_on_first_use(tiny_store, tmp_path):
    store = copy_store(tiny_store, tmp_path)
    (store.path("tiny") / "c1_filters.npy").unlink()
    assert store.c1_filters("tiny").shape == (5, 5, 6)
    assert store.features("tiny").read(np.zeros((28, 28), "float32"))[0].shape == (24, 24, 6)


def test_a_damaged_tflite_gives_a_store_error_for_the_inside_view(tiny_store, tmp_path):
    store = copy_store(tiny_store, tmp_path)
    (store.path("tiny") / "model.tflite").write_bytes(b"TFL3 but damaged")
    with pytest.raises(StoreError, match="not a usable TFLite model"):
        store.features("tiny")


def test_export_int8_is_small_and_agrees(tiny_store, tmp_path, small_mnist):
    from lenet.export import export_model

    store = copy_store(tiny_store, tmp_path)
    x_train, _, x_test, y_test = small_mnist
    report = export_model(store, "tiny", x_train, x_test, y_test, int8=True)
    assert set(store.export_files("tiny")) == {"model.keras", "model.tflite", "model_int8.tflite"}
    assert report["int8_kb"] <= 0.35 * report["float_kb"]  # bundled models: 0.30, see test_zoo
    assert report["float_accuracy"] == pytest.approx(report["keras_accuracy"], abs=1e-9)
    assert abs(report["int8_accuracy"] - report["float_accuracy"]) <= 0.02
    int8 = store.export_files("tiny")["model_int8.tflite"]
    from lenet.infer import Predictor

    quantized = Predictor.from_file(int8)
    assert quantized.quantized
    agree = (
        quantized.predict(x_test / 255.0).argmax(1)
        == store.predictor("tiny").predict(x_test / 255.0).argmax(1)
    ).mean()
    assert agree > 0.95
    assert store.export_report("tiny")["int8_kb"] == report["int8_kb"]


@pytest.mark.parametrize("case", list(ENTRY_DAMAGE))
def test_a_damaged_file_lists_the_entry_as_broken_with_its_reason(tiny_store, tmp_path, case):
    store = copy_store(tiny_store, tmp_path)
    damage_entry(store, "bad", case)
    cards = {c.name: c for c in store.list()}
    assert cards["bad"].broken and ENTRY_DAMAGE[case][0] in cards["bad"].error
    assert not cards["tiny"].broken
    with pytest.raises(StoreError):
        store.card("bad")


def test_cli_list_keeps_listing_past_broken_entries(tiny_store, tmp_path, capsys):
    from lenet.cli import main

    store = copy_store(tiny_store, tmp_path)
    for i, case in enumerate(ENTRY_DAMAGE):
        damage_entry(store, f"bad-{i:02d}", case)
    assert main(["list"], store=store) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(ENTRY_DAMAGE) + 1
    assert sum("BROKEN" in line for line in out) == len(ENTRY_DAMAGE)
    assert any(line.startswith("tiny ") and "acc" in line for line in out)


def test_listing_is_cached_until_a_file_changes(tiny_store, tmp_path, monkeypatch):
    import os

    store = copy_store(tiny_store, tmp_path)
    assert not store.card("tiny").broken
    calls = []
    monkeypatch.setattr(store_mod, "_validate", lambda folder: calls.append(folder) or {})
    store.list()
    store.list()
    assert calls == []  # nothing re-read: listing happens on every page run
    card = store.path("tiny") / "card.json"
    os.utime(card, ns=(card.stat().st_atime_ns, card.stat().st_mtime_ns + 10**9))
    store.list()
    assert len(calls) == 1


@pytest.mark.slow  # trains, converts to TFLite and reads the maps: about 3 s
def test_a_pool_first_bn_model_saves_plain_keras_layers_and_shows_activated_maps(
    tmp_path, small_mnist
):
    """The quick preset's network: trained through the fused BN copy, saved as Keras's own
    layers, and its Inside maps are the pooled maps after BN and ReLU (not the raw conv)."""
    import keras

    from lenet.evaluate import build_report
    from lenet.inside import feature_maps
    from lenet.presets import QUICK
    from lenet.train import train

    x, y, x_test, y_test = small_mnist
    result = train(QUICK.replace(train_subset=300, epochs=1), (x, y), max_batches=2)
    assert [type(layer).__name__ for layer in result.model.layers].count("BatchNormalization") == 2
    assert result.model.get_layer("c1_bn").moving_mean.numpy().any()  # the trained statistics
    store = ModelStore(home=tmp_path, bundled_root=None)
    report = build_report(predict_proba(result.model, x_test), y_test, x_test)
    store.save("quick", result.model, result.config, result.history, report, 1.0)
    image = x_test[0].astype("float32") / 255.0
    inside = feature_maps(store.features("quick"), image)
    probe = keras.Model(
        result.model.input, [result.model.get_layer(n).output for n in ("c1_act", "c3_act")]
    )
    c1, c3 = (keras.ops.convert_to_numpy(t)[0] for t in probe(image[None, :, :, None]))
    assert inside.c1.shape == (12, 12, 8) and inside.c3.shape == (4, 4, 16)
    np.testing.assert_allclose(inside.c1, c1, atol=1e-4)
    np.testing.assert_allclose(inside.c3, c3, atol=1e-4)
