"""The "not a digit" check: the generator, the decision, the CLI, the Draw page and a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from devkit.drawn import _render
from devkit.nondigits import (
    KINDS,
    MEASURING,
    MEASURING_LETTERS,
    TRAINING,
    TRAINING_LETTERS,
    draw_nondigit,
    make_nondigit_set,
)
from lenet import nondigit
from lenet.cli import main
from lenet.nondigit import NonDigitDetector, bundled_detector, decide
from lenet.preprocess import to_mnist
from lenet.store import ModelStore
from tests.helpers import canvas_state, full_mnist_path

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# A scribble as a person makes it with the mouse: loops back and forth (canvas px).
SCRIBBLE = [
    (60, 90), (200, 60), (90, 170), (230, 140), (70, 230), (150, 80), (220, 230), (50, 140),
]  # fmt: skip


def canvas(strokes: list[list[tuple[float, float]]], pen: float = 20.0) -> np.ndarray:
    """(280, 280) uint8 strokes rendered like the canvas (``devkit.drawn``'s renderer)."""
    return _render([np.asarray(s, np.float64) for s in strokes], pen, 280)


def rgba(grey: np.ndarray) -> np.ndarray:
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def blob() -> np.ndarray:
    image = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(image).ellipse((60, 80, 220, 200), fill=255)
    return np.asarray(image)


@pytest.fixture(scope="module")
def detector() -> NonDigitDetector:
    found = bundled_detector()
    assert found is not None, "assets/nondigit/detector.tflite is missing"
    return found


# --- the generator ---


@pytest.mark.parametrize("params", [TRAINING, MEASURING], ids=["training", "measuring"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_a_canvas_with_ink(kind: str, params: Any, small_mnist) -> None:
    image = draw_nondigit(kind, np.random.default_rng(1), params, small_mnist[0])
    assert image.shape == (280, 280) and image.dtype == np.uint8
    assert image.max() == 255 and (image > 0).mean() > 0.005


def test_set_is_reproducible_and_interleaves_kinds() -> None:
    images, kinds = make_nondigit_set(2, seed=3)
    again, _ = make_nondigit_set(2, seed=3)
    assert images.shape == (2 * len(KINDS), 280, 280) and list(kinds[: len(KINDS)]) == list(KINDS)
    assert np.array_equal(images, again)
    assert not np.array_equal(images, make_nondigit_set(2, seed=4)[0])


def test_training_and_measuring_letters_differ_and_leave_out_digit_shapes() -> None:
    assert not set(TRAINING_LETTERS) & set(MEASURING_LETTERS)
    assert not set(TRAINING_LETTERS + MEASURING_LETTERS) & set("OoIliZzSsGbBgqCcUJ")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_set_rejects_a_bad_count(bad: Any) -> None:
    with pytest.raises(ValueError, match="per_kind"):
        make_nondigit_set(bad, seed=0)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="'circle'"):
        draw_nondigit("circle", np.random.default_rng(0))


# --- the decision ---


def test_decide_sums_the_non_digit_kinds_against_the_threshold() -> None:
    digit = decide(np.array([0.7, 0.1, 0.05, 0.05, 0.05, 0.03, 0.02]), threshold=0.5)
    assert digit.is_digit and digit.kind == "digit" and digit.reason == ""
    assert digit.score == pytest.approx(0.3)
    # No single kind reaches the threshold, but together they do.
    spread = decide(np.array([0.4, 0.1, 0.1, 0.25, 0.05, 0.05, 0.05]), threshold=0.5)
    assert not spread.is_digit and spread.kind == "scribble"
    assert spread.reason == "it looks like a scribble"


@pytest.mark.parametrize(
    ("probabilities", "threshold", "match"),
    [(np.ones(10) / 10, 0.5, "expected 7"), (np.ones(7) / 7, 0.0, "threshold=0.0")],
)
def test_decide_rejects_bad_input(probabilities: np.ndarray, threshold: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        decide(probabilities, threshold)


def test_empty_canvas_never_reaches_the_network(detector: NonDigitDetector) -> None:
    assert to_mnist(np.zeros((280, 280), np.uint8)).empty  # the page says "no ink" first
    verdict = detector.judge(np.zeros((28, 28), np.float32))
    assert not verdict.is_digit and verdict.kind == "blank"


@pytest.mark.parametrize(
    ("drawing", "kind"),
    [
        (lambda: canvas([[(40, 140), (240, 135)]]), "dash"),
        (lambda: canvas([[(60, 200), (230, 160)]], pen=12), "dash"),
        (blob, "blob"),
        (lambda: canvas([SCRIBBLE]), None),
    ],
    ids=["dash", "slanted-dash", "blob", "scribble"],
)
def test_obvious_non_digits_are_flagged(
    detector: NonDigitDetector, drawing: Any, kind: str | None
) -> None:
    prep = to_mnist(drawing())
    assert prep.image is not None
    verdict = detector.judge(prep.image)
    assert not verdict.is_digit, verdict
    assert kind is None or verdict.kind == kind


def test_real_mnist_digits_are_digits(detector: NonDigitDetector, small_mnist) -> None:
    x_test = small_mnist[2]  # 300 MNIST test digits
    flagged = [i for i, x in enumerate(x_test) if not detector.judge(to_mnist(x).image).is_digit]
    assert detector.judge(to_mnist(x_test[0]).image).is_digit
    assert len(flagged) <= 1, flagged  # the benchmark measures 10,000: see the README


def test_judge_rejects_a_wrong_shape(detector: NonDigitDetector) -> None:
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        detector.judge(np.zeros((32, 32), np.float32))


def test_missing_detector_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="cannot load the non-digit detector"):
        NonDigitDetector.from_folder(tmp_path)
    monkeypatch.setattr(nondigit, "DETECTOR_DIR", tmp_path)
    assert bundled_detector() is None  # an installed package without assets/


@pytest.mark.slow
def test_training_script_dry_run_trains_and_saves_nothing(tmp_path: Path) -> None:
    mnist = full_mnist_path()
    if mnist is None:
        pytest.skip("needs the full MNIST (MNIST_PATH): validation is training images 54,000+")
    out = tmp_path / "detector"
    argv = [sys.executable, "-m", "devkit.train_nondigit", "--dry-run", "--data", str(mnist)]
    done = subprocess.run(
        [*argv, "--out", str(out)],
        cwd=Path(APP).parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"threshold"' in done.stdout and "dry run: nothing saved" in done.stdout
    assert not out.exists()


# --- the CLI ---


@pytest.fixture()
def store(tiny_store, tmp_path: Path) -> ModelStore:
    shutil.copytree(tiny_store.home, tmp_path / "home")
    return ModelStore(home=tmp_path / "home", bundled_root=None)


def test_predict_json_gives_no_digit_and_a_reason(store, small_mnist, tmp_path, capsys):
    dash = tmp_path / "dash.png"
    Image.fromarray(canvas([[(40, 140), (240, 135)]])).save(dash)
    digit = tmp_path / "digit.png"
    Image.fromarray(np.kron(small_mnist[2][0], np.ones((6, 6), np.uint8))).save(digit)
    assert main(["predict", "--model", "tiny", "--json", str(dash), str(digit)], store) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["digit"] is None and first["reason"] == "it looks like a dash"
    assert list(first) == ["file", "digit", "reason", "probabilities"]
    assert len(first["probabilities"]) == 10
    assert sum(first["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert isinstance(second["digit"], int) and "reason" not in second


def test_predict_plain_says_not_a_digit(store, tmp_path, capsys):
    scribble = tmp_path / "scribble.png"
    Image.fromarray(255 - canvas([SCRIBBLE])).save(scribble)  # dark ink on paper
    assert main(["predict", "--model", "tiny", str(scribble)], store) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{scribble}: not a digit (it looks like")
    assert line.count(":0.") + line.count(":1.") == 10  # the ten probabilities follow


# --- the Draw page under AppTest ---


def draw_page(home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LENET_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/draw.py").run()
    at.multiselect(key="draw_models").set_value(["tiny"]).run()
    return at


def test_draw_page_says_a_scribble_is_not_a_digit(tiny_store, tmp_path, monkeypatch):
    shutil.copytree(tiny_store.home, tmp_path / "home")
    at = draw_page(tmp_path / "home", monkeypatch)
    at.session_state["draw_canvas_0"] = canvas_state(rgba(canvas([SCRIBBLE])))
    at.run()
    assert not at.exception
    (warning,) = at.warning
    assert warning.value.startswith("**That doesn't look like a digit: it looks like")
    assert nondigit.HOW_IT_IS_DECIDED in warning.value
    html = " ".join(m.value for m in at.markdown)
    assert "data-testid='prediction-tiny'" in html and html.count("class='col'") == 10
    # No "Right, it is a ..." to confirm for a scribble; it can still be saved as a digit.
    assert not [b for b in at.button if b.key == "draw_right"]
    assert at.get("button_group")[0].proto.label == "It was"


def test_draw_page_shows_no_notice_for_a_digit(tiny_store, small_mnist, tmp_path, monkeypatch):
    from tests.helpers import stroke_canvas

    shutil.copytree(tiny_store.home, tmp_path / "home")
    at = draw_page(tmp_path / "home", monkeypatch)
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()
    assert not at.exception and not at.warning
    assert "data-testid='prediction-tiny'" in " ".join(m.value for m in at.markdown)
    assert at.button(key="draw_right").label.startswith("Right, it is")


# --- a real browser ---


@pytest.mark.browser
def test_a_scribble_drawn_in_chromium_is_not_a_digit() -> None:
    from devkit.browser_util import (
        CANVAS,
        CHROMIUM,
        REPO,
        chromium,
        draw_strokes,
        serving,
        wait_until_idle,
    )

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    expect = pytest.importorskip("playwright.sync_api").expect
    with serving("lenet-nondigit-") as (url, _), chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(f"{url}/draw")
        page.locator(CANVAS).wait_for(state="visible", timeout=60_000)
        draw_strokes(page, [SCRIBBLE])
        notice = page.get_by_text("That doesn't look like a digit", exact=False)
        expect(notice).to_be_visible(timeout=60_000)
        expect(page.locator('[data-testid^="prediction-"]').first).to_be_visible()
        wait_until_idle(page)
        (REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=REPO / "test-artifacts" / "nondigit.png", full_page=True)
