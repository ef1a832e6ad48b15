"""Page logic under Streamlit's AppTest (the canvas itself is tested in a real browser)."""

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from lenet.store import BUNDLED_ROOT
from tests.helpers import canvas_state, stroke_canvas

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture()
def home(tiny_store, tmp_path, monkeypatch):
    """LENET_HOME with the tiny model in it; returns the home folder."""
    shutil.copytree(tiny_store.home, tmp_path / "home")
    monkeypatch.setenv("LENET_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def bundled_names() -> list[str]:
    return (
        sorted(p.name for p in BUNDLED_ROOT.iterdir() if p.is_dir())
        if BUNDLED_ROOT.is_dir()
        else []
    )


def test_home_lists_bundled_and_user_models(home):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    table = at.dataframe[0].value
    names = list(table["model"])
    assert names == bundled_names() + ["tiny"]  # bundled first, then yours
    row = table[table["model"] == "tiny"].iloc[0]
    assert row["source"] == "yours"
    assert not at.warning


def test_home_flags_a_broken_entry(home):
    (home / "models" / "tiny" / "model.keras").write_bytes(b"corrupt")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "tiny" in at.warning[0].value
    assert "broken" in " ".join(at.dataframe[0].value["about"].astype(str))


def draw_app(models: list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/draw.py").run()
    at.multiselect(key="draw_models").set_value(models).run()
    return at


def test_draw_page_hints_on_an_empty_canvas(home):
    at = draw_app(["tiny"])
    assert not at.exception
    assert "Draw a digit" in at.info[0].value
    blank = np.zeros((280, 280, 4), np.uint8)
    blank[..., 3] = 255
    at.session_state["draw_canvas_0"] = canvas_state(blank)
    at.run()
    assert not at.exception and at.info and not at.get("plotly_chart")


def test_draw_page_predicts_an_injected_drawing(home, small_mnist, tiny_store):
    x_test = small_mnist[2]
    at = draw_app(["tiny"])
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(x_test[0]))
    at.run()
    assert not at.exception
    html = " ".join(m.value for m in at.markdown)
    from lenet.preprocess import to_mnist

    prep = to_mnist(stroke_canvas(x_test[0]))
    expected = int(tiny_store.predictor("tiny").predict(prep.image)[0].argmax())
    assert f"data-testid='prediction-tiny'>{expected}<" in html
    assert html.count("class='col'") == 10 and "class='bar top'" in html  # ten bars


def test_draw_page_sends_every_card_as_one_element(home, small_mnist):
    """Four models: their cards come in one markdown element, three to a row by CSS grid, not
    in a row of ``st.columns`` per three (7 more messages per stroke for the server and the
    browser)."""
    others = [n for n in bundled_names() if n != "keras-lenet"][:3]
    if len(others) < 3:
        pytest.skip("needs three bundled models")
    at = draw_app(["tiny", *others])
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()
    assert not at.exception
    holding = [m.value for m in at.markdown if "lenet-card" in m.value]
    assert len(holding) == 1 and holding[0].startswith("<div class='lenet-cards'>")
    assert [n for n in ["tiny", *others] if f"prediction-{n}'" in holding[0]] == ["tiny", *others]
    assert len(at.columns) == 2  # the canvas's and the answers' only


def test_interactive_chart_replaces_the_bars_with_one_plotly_chart(home, small_mnist):
    at = draw_app(["tiny"])
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()
    assert at.toggle(key="draw_chart").value is False and not at.get("plotly_chart")
    at.toggle(key="draw_chart").set_value(True).run()
    assert not at.exception
    (chart,) = at.get("plotly_chart")
    figure = json.loads(chart.proto.spec)
    assert [t["name"] for t in figure["data"]] == ["tiny"]
    assert len(figure["data"][0]["y"]) == 10 and abs(sum(figure["data"][0]["y"]) - 100) < 0.01
    html = " ".join(m.value for m in at.markdown)
    assert "data-testid='prediction-tiny'" in html and "class='col'" not in html  # no bars
    # Clear and draw again: the choice outlives the empty canvas (no toggle on the page then).
    at.button(key="draw_clear").click().run()
    assert not at.get("plotly_chart") and not at.get("toggle")
    at.session_state["draw_canvas_1"] = canvas_state(stroke_canvas(small_mnist[2][1]))
    at.run()
    assert at.toggle(key="draw_chart").value is True and len(at.get("plotly_chart")) == 1
    at.toggle(key="draw_chart").set_value(False).run()
    assert not at.get("plotly_chart") and "class='col'" in " ".join(m.value for m in at.markdown)


def test_probability_chart_groups_models_and_rejects_a_wrong_count():
    from lenet.plots import probability_bars

    fig = probability_bars({"a": list(np.eye(10)[3]), "b": [0.1] * 10})
    assert [t.name for t in fig.data] == ["a", "b"] and fig.layout.barmode == "group"
    assert list(fig.data[0].y) == [0, 0, 0, 100, 0, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="b: expected 10 probabilities, got 9"):
        probability_bars({"a": [0.1] * 10, "b": [0.1] * 9})


def image_captions(at: AppTest) -> str:
    return " | ".join(img.caption for el in at.get("image") for img in el.proto.imgs)


def test_expanders_compute_their_content_only_while_open(home, small_mnist):
    at = draw_app(["tiny"])
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()
    assert [e.label for e in at.expander] == [
        "Inside the network",
        "How the drawing becomes MNIST",
    ]
    assert image_captions(at) == "What the models see (28x28)"  # both closed: nothing in them
    at.session_state["draw_inside_open"] = True
    at.run()
    captions = image_captions(at)
    assert not at.exception and "Evidence for" in captions and "C1:" in captions
    assert "C3:" in captions and "learned C1 filters" in captions
    at.session_state["draw_how_open"] = True
    at.run()
    captions = image_captions(at)
    assert "naive 28x28 resize: tiny says" in captions
    assert "faithful pipeline: tiny says" in captions
    assert "centred by mass (28x28)" in captions
    # Clear and draw again: they are still open (no expander is on the page in between).
    at.button(key="draw_clear").click().run()
    assert not at.expander
    at.session_state["draw_canvas_1"] = canvas_state(stroke_canvas(small_mnist[2][1]))
    at.run()
    assert "Evidence for" in image_captions(at) and "faithful pipeline" in image_captions(at)
    at.session_state["draw_inside_open"] = False
    at.run()
    assert "Evidence for" not in image_captions(at) and "faithful pipeline" in image_captions(at)


def test_clear_changes_the_canvas_key(home):
    at = draw_app(["tiny"])
    at.button(key="draw_clear").click().run()
    assert at.session_state["draw_canvas_n"] == 1 and not at.exception


def uploaded(name: str, data: bytes, file_id: str = "f1"):
    """What ``st.file_uploader`` returns for one file."""
    from streamlit.proto.Common_pb2 import FileURLs
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    return UploadedFile(UploadedFileRec(file_id, name, "image/png", data), FileURLs())


@pytest.fixture()
def fake_uploader(monkeypatch):
    """AppTest cannot drive ``st.file_uploader``: the page's uploader returns what the test
    puts in session state under its key; counts the page's decodes of a photo."""
    import streamlit as st

    from lenet import preprocess

    monkeypatch.setattr(st, "file_uploader", lambda *a, key, **k: st.session_state.get(key))
    calls: list[str] = []
    real = preprocess.load_image

    def counting(source, name=None):  # type: ignore[no-untyped-def]
        calls.append(name)
        return real(source, name=name)

    monkeypatch.setattr(preprocess, "load_image", counting)
    return calls


def photo_png(digit_28: np.ndarray) -> bytes:
    """A dark digit on light paper, 140x140, as a PNG."""
    buf = io.BytesIO()
    Image.fromarray(255 - np.kron(digit_28, np.ones((5, 5), np.uint8))).save(buf, "PNG")
    return buf.getvalue()


def test_a_photo_takes_the_canvas_place_until_removed(home, small_mnist, tiny_store, fake_uploader):
    x_test = small_mnist[2]
    at = draw_app(["tiny"])
    assert at.get("bidi_component") and at.button(key="draw_clear")  # the canvas, drawing mode
    at.session_state["draw_upload"] = uploaded("seven [1].png", photo_png(x_test[1]))
    at.run()
    assert not at.exception and not at.error
    captions = image_captions(at)
    assert "Your photo: seven \\[1\\]\\.png" in captions  # markdown: escaped, shown as written
    assert "What the models see (28x28)" in captions
    assert not at.get("bidi_component")  # no canvas with an old drawing beside the photo
    assert not [b for b in at.button if b.key == "draw_clear"]
    shown = at.info[0].value.replace("\\", "")  # markdown escapes: shown as written
    assert "The answers below are for your photo, seven [1].png, not for the canvas" in shown
    from lenet.preprocess import load_image, to_mnist

    prep = to_mnist(load_image(photo_png(x_test[1])))
    expected = int(tiny_store.predictor("tiny").predict(prep.image)[0].argmax())
    assert f"data-testid='prediction-tiny'>{expected}<" in " ".join(m.value for m in at.markdown)
    at.run()
    at.toggle(key="draw_chart").set_value(True).run()
    assert fake_uploader.count("seven [1].png") == 1  # decoded once for three runs
    at.session_state["draw_upload"] = None  # removed
    at.run()
    assert at.get("bidi_component") and at.button(key="draw_clear")
    assert "Draw a digit" in at.info[0].value and "Your photo" not in image_captions(at)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"just some text", "Cannot read image notes.png: not a PNG or JPEG image."),
        (b"", "Cannot read image notes.png: the file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "notes.png: damaged"),
    ],
)
def test_an_unreadable_upload_says_what_is_wrong(home, fake_uploader, data, problem):
    at = draw_app(["tiny"])
    at.session_state["draw_upload"] = uploaded("notes.png", data)
    at.run()
    assert not at.exception
    (error,) = at.error
    assert problem in error.value.replace("\\", "") and "BytesIO" not in error.value
    assert at.get("bidi_component")  # still drawing


def test_a_file_name_is_shown_as_plain_text(home, small_mnist, fake_uploader):
    # Markdown in a name (an image link) must not make the browser fetch anything.
    link = "![x](http://example.com/x.png)"
    at = draw_app(["tiny"])
    at.session_state["draw_upload"] = uploaded(f"{link}.png", b"not an image")
    at.run()
    shown = [e.value for e in at.error]  # the unreadable file's message
    at.session_state["draw_upload"] = uploaded(f"{link}.png", photo_png(small_mnist[2][1]), "f2")
    at.run()
    assert not at.exception
    shown += [i.value for i in at.info] + [image_captions(at)]  # the photo's note and caption
    assert len([t for t in shown if f"{link}.png" in t.replace("\\", "")]) == 3, shown
    for text in shown:
        assert "](" not in text and "![" not in text, text


def test_unsure_prediction_names_the_top_two():
    from lenet.infer import describe

    pred = describe(np.array([0.0, 0.45, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4, 0.15, 0.0]))
    assert pred.unsure and (pred.digit, pred.runner_up) == (1, 7)
    assert not describe(np.eye(10)[3]).unsure
    with pytest.raises(ValueError, match="10 probabilities"):
        describe(np.ones(9))


def test_unsure_card_is_rendered(home, monkeypatch, small_mnist):
    from lenet.infer import Predictor

    flat = np.full((1, 10), 0.02, np.float32)
    flat[0, 4], flat[0, 9] = 0.5, 0.34
    monkeypatch.setattr(Predictor, "predict", lambda self, x: flat)
    at = draw_app(["tiny"])
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()
    html = " ".join(m.value for m in at.markdown)
    assert "Unsure: 4 (50%) or 9 (34%)" in html


def test_feedback_button_says_an_8(home, monkeypatch, small_mnist):
    from lenet.infer import Predictor

    eight = np.full((1, 10), 0.01, np.float32)
    eight[0, 8] = 0.91
    monkeypatch.setattr(Predictor, "predict", lambda self, x: eight)
    at = draw_app(["tiny"])
    at.session_state["draw_canvas_0"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()
    assert not at.exception
    assert at.button(key="draw_right").label == "Right, it is an 8"


def sent_width(at: AppTest) -> float:
    """The width the browser's Pen slider shows when its popover is opened after this run.

    The slider in a closed popover is not mounted in the browser, so it shows what the run
    sends: the value when ``set_value`` is on, otherwise its default.
    """
    (slider,) = at.slider
    proto = slider.proto
    return (proto.value if proto.set_value else proto.default)[0]


def test_pen_slider_shows_the_current_width_after_any_rerun(home, small_mnist):
    at = draw_app(["tiny"])
    assert sent_width(at) == 20  # the default, before anything was touched
    at.button(key="draw_clear").click().run()  # a rerun with the popover closed
    assert sent_width(at) == 20
    at.slider[0].set_value(31).run()
    assert at.session_state["draw_stroke"] == 31 and sent_width(at) == 31
    at.session_state["draw_canvas_1"] = canvas_state(stroke_canvas(small_mnist[2][0]))
    at.run()  # a stroke
    assert sent_width(at) == 31
    at.multiselect(key="draw_models").set_value([]).run()  # a model change
    assert sent_width(at) == 31 and not at.exception


@pytest.mark.parametrize(
    ("digit", "style", "extent", "seed"),
    [(1, "flag", None, 4), (7, "plain", 45.0, 9)],  # lenet5-best reads these as 7 and 9
)
def test_draw_page_defaults_to_the_robust_model_which_reads_a_flagged_1_and_a_small_7(
    home, digit, style, extent, seed
):
    """Issue 19: a new user's first default model reads the ways people write."""
    from devkit.drawn import draw_digit

    if "lenet5-robust" not in bundled_names():
        pytest.skip("lenet5-robust is not bundled in assets/models")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/draw.py").run()
    assert at.multiselect(key="draw_models").value[0] == "lenet5-robust"
    canvas = draw_digit(digit, np.random.default_rng(seed), style=style, extent=extent, pen=20.0)
    at.session_state["draw_canvas_0"] = canvas_state(canvas)
    at.run()
    assert not at.exception
    html = " ".join(m.value for m in at.markdown)
    assert f"data-testid='prediction-lenet5-robust'>{digit}<" in html
