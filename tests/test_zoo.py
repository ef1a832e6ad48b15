"""The bundled zoo: every model loads, is small enough, and (slow) matches its card on MNIST."""

import json

import numpy as np
import pytest

from lenet.data import load_mnist
from lenet.evaluate import evaluate_predictor
from lenet.store import BUNDLED_ROOT, ModelStore
from lenet.zoo import ZOO
from tests.helpers import full_mnist_path

REQUIRED = {
    "lenet5-1998": 0.989,
    "lenet5-relu": 0.990,
    "lenet5-bn-dropout": 0.991,
    "keras-lenet": 0.991,
    "lenet5-best": 0.995,
}


@pytest.fixture(scope="module")
def store() -> ModelStore:
    return ModelStore(home=BUNDLED_ROOT.parent / "no-user-models", bundled_root=BUNDLED_ROOT)


def test_every_recipe_is_bundled_with_its_config(store):
    cards = {c.name: c for c in store.list()}
    assert set(ZOO) <= set(cards)
    for name, (config, _) in ZOO.items():
        assert not cards[name].broken, cards[name].error
        assert store.config(name) == config, f"{name}: bundled config differs from its recipe"
        assert cards[name].accuracy >= REQUIRED[name]


def test_every_bundled_model_ships_its_derived_files_and_export(store):
    """Else the app would import TensorFlow to make them while a person draws."""
    from lenet.store import DERIVED

    for name in ZOO:
        folder = store.path(name)
        for filename in [*DERIVED, "model_int8.tflite", "export.json"]:
            assert (folder / filename).is_file(), f"{name} lacks {filename}"
        export = store.export_report(name)
        assert export["int8_kb"] <= 0.30 * export["float_kb"]
        assert export["float_accuracy"] - export["int8_accuracy"] <= 0.003


def test_sizes_keep_the_repository_light():
    total = sum(p.stat().st_size for p in BUNDLED_ROOT.parent.rglob("*") if p.is_file())
    assert total < 16 * 2**20
    for path in BUNDLED_ROOT.rglob("*"):
        if path.is_file() and path.parent.name != "keras-lenet":
            assert path.stat().st_size < 2**20, path


def test_best_is_lenet_sized(store):
    assert store.card("lenet5-best").params <= 100_000


def test_reports_carry_their_gallery(store):
    for name in ZOO:
        report = store.report(name)
        assert report.n == 10_000
        assert len(report.misclassified_images) == min(len(report.misclassified), 300)
        assert len(report.sample_images) == 48
        history = json.loads((store.path(name) / "history.json").read_text())
        assert len(history) == store.config(name).epochs


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ZOO))
def test_bundled_accuracy_matches_its_card_on_the_test_set(store, name):
    path = full_mnist_path()
    if path is None:
        pytest.skip("full MNIST not available (set MNIST_PATH)")
    _, _, x_test, y_test = load_mnist(path)
    report = evaluate_predictor(store.predictor(name).predict, x_test, y_test)
    card = store.card(name)
    assert abs(report.accuracy - card.accuracy) <= 1e-4
    keras_model = store.load_model(name)
    sample = x_test[:500].astype(np.float32)[..., None] / 255.0
    np.testing.assert_allclose(
        keras_model.predict(sample, verbose=0), store.predictor(name).predict(sample), atol=1e-5
    )
