"""The bundled zoo: every model loads, is small enough, and (slow) matches its card on MNIST."""

import json

import numpy as np
import pytest

from devkit.drawn import draw_digit
from lenet.data import load_mnist
from lenet.evaluate import evaluate_predictor
from lenet.preprocess import to_mnist
from lenet.store import BUNDLED_ROOT, ModelStore
from lenet.zoo import DRAWN_MIX, ZOO, mix_drawings, train_and_save
from tests.helpers import full_mnist_path

REQUIRED = {
    "lenet5-1998": 0.989,
    "lenet5-relu": 0.990,
    "lenet5-bn-dropout": 0.991,
    "keras-lenet": 0.991,
    "lenet5-best": 0.995,
    "lenet5-robust": 0.995,
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


def test_mix_drawings_appends_them_after_mnist():
    x = np.zeros((5, 28, 28), np.uint8)
    y = np.arange(5, dtype=np.uint8)
    drawn = np.full((3, 28, 28), 255, np.uint8)
    x_mix, y_mix = mix_drawings(x, y, (drawn, np.array([7, 8, 9])))
    assert x_mix.shape == (8, 28, 28) and x_mix.dtype == np.uint8
    assert y_mix.tolist() == [0, 1, 2, 3, 4, 7, 8, 9] and y_mix.dtype == np.uint8
    assert (x_mix[5:] == 255).all() and (x_mix[:5] == 0).all()
    assert mix_drawings(x, y, None) == (x, y)
    with pytest.raises(ValueError, match=r"\(3, 28\)"):
        mix_drawings(x, y, (np.zeros((3, 28)), np.zeros(3)))


@pytest.mark.parametrize(
    ("name", "with_drawings", "message"),
    [("lenet5-robust", False, "--drawings"), ("lenet5-best", True, "MNIST alone")],
)
def test_a_recipe_gets_drawings_exactly_when_it_mixes_them(tmp_path, name, with_drawings, message):
    """Checked before any training: a wrong call costs nothing."""
    assert set(DRAWN_MIX) <= set(ZOO)
    store = ModelStore(home=tmp_path, bundled_root=None)
    data = tuple(
        np.zeros((10, 28, 28), np.uint8) if i % 2 == 0 else np.zeros(10, int) for i in range(4)
    )
    drawings = (np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8)) if with_drawings else None
    config, description = ZOO[name]
    with pytest.raises(ValueError, match=message):
        train_and_save(store, name, config, description, data, bundled=False, drawings=drawings)
    assert store.list() == []


@pytest.mark.parametrize(
    ("digit", "style", "extent", "pen"),
    [
        (1, "flag", None, None),  # read as 7 by the models that saw MNIST alone
        (1, "flag_base", None, None),  # held out from lenet5-robust's training drawings
        (4, "open", None, None),  # held out as well
        (7, "plain", 45.0, 20.0),  # a small 7 in the canvas's default 20 px pen
    ],
)
def test_robust_model_reads_the_ways_people_write(store, digit, style, extent, pen):
    """Issue 19: a flagged 1, an open 4 and a small 7, each drawn twenty ways."""
    rng = np.random.default_rng(1919)
    images = [
        to_mnist(draw_digit(digit, rng, style=style, extent=extent, pen=pen)).image
        for _ in range(20)
    ]
    assert all(image is not None for image in images)
    predicted = store.predictor("lenet5-robust").predict(np.stack(images)).argmax(1)
    assert (predicted == digit).sum() >= 19, predicted.tolist()
