"""The Draw page in a real browser: mouse strokes on the canvas, live predictions, Clear.

Drives Debian's Chromium (``/usr/bin/chromium``) with Playwright against one ``streamlit run``
server for the whole module, with an empty ``LENET_HOME`` so only the bundled models exist.
On a failure the page is saved to ``test-artifacts/<test name>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser_util import (
    CANVAS,
    CHROMIUM,
    DIGIT_STROKES,
    EMPTY_HINT,
    HOST,
    REPO,
    chromium,
    draw_strokes,
    prediction,
    preferred_model,
    serving,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")
expect = sync_api.expect

ARTIFACTS = REPO / "test-artifacts"
VIEWPORT = {"width": 1600, "height": 1000}
LAPTOP = {"width": 1280, "height": 800}
RERUN_TIMEOUT = 30_000  # ms; the first prediction after a server start can take seconds here
expect.set_options(timeout=RERUN_TIMEOUT)  # for every expect(...) below
DIGITS = (1, 7, 0, 4)  # 4 is drawn in two strokes, so it also covers a rerun between strokes


@pytest.fixture(scope="module")
def model() -> str:
    """The bundled model whose answers are checked: lenet5-best, else lenet5-bn-dropout."""
    name = preferred_model()
    if name is None:
        pytest.skip("neither lenet5-best nor lenet5-bn-dropout is bundled in assets/models")
    return name


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """One ``streamlit run app.py`` on 127.0.0.1 with a throwaway, empty LENET_HOME."""
    try:
        with serving("lenet-browser-") as (url, _):
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def open_draw_page(browser: Any, base_url: str, viewport: dict[str, int]) -> Any:
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(RERUN_TIMEOUT)
    page.goto(f"{base_url}/draw")
    expect(page.locator(CANVAS)).to_have_count(1, timeout=60_000)
    page.locator(CANVAS).wait_for(state="visible", timeout=60_000)
    expect(page.get_by_text(EMPTY_HINT)).to_be_visible()
    return page


@pytest.fixture()
def page(browser: Any, base_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh session on the Draw page, its canvas visible and empty."""
    viewport = getattr(request, "param", VIEWPORT)
    failed_before = request.session.testsfailed
    tab = open_draw_page(browser, base_url, viewport)
    try:
        yield tab
    finally:
        # The call phase is reported (and counted) before teardown runs.
        if request.session.testsfailed > failed_before:
            ARTIFACTS.mkdir(exist_ok=True)
            tab.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
        tab.close()


def ensure_selected(page: Any, model: str) -> None:
    """Pick ``model`` in the Models multiselect (in its popover) unless it is chosen."""
    page.get_by_test_id("stPopover").filter(has_text="Models:").locator("button").click()
    widget = page.get_by_test_id("stMultiSelect")
    expect(widget.get_by_role("button", name=re.compile("^Remove ")).first).to_be_visible()
    if widget.get_by_role("button", name=f"Remove {model}", exact=True).count() == 0:
        widget.locator("input").click()
        page.get_by_role("option", name=model, exact=True).click()
    expect(widget.get_by_role("button", name=f"Remove {model}", exact=True)).to_be_visible()
    page.keyboard.press("Escape")  # closes the list, then the popover
    page.keyboard.press("Escape")
    expect(widget).to_be_hidden()


def test_deep_link_runs_inside_the_router(page: Any, model: str) -> None:
    # The module's first request is /draw: app.py must still route it (its sidebar, its titles),
    # not Streamlit's legacy pages/ mode, which would run pages/draw.py on its own.
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Draw", exact=True)).to_be_visible()
    expect(nav.get_by_text("Home", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("LeNet-5 on MNIST")).to_be_visible()
    expect(page.get_by_role("heading", name="Draw a digit")).to_be_visible()
    expect(prediction(page, model)).to_have_count(0)


def test_drawn_digits_are_recognised_and_clear_resets(page: Any, model: str) -> None:
    ensure_selected(page, model)
    answer = prediction(page, model)
    for digit in DIGITS:
        drawn = draw_strokes(page, DIGIT_STROKES[digit])
        print(f"{digit}: {drawn.redrawn} stroke(s) drawn again")  # pytest shows it on a failure
        expect(answer, f"{model} on a drawn {digit}").to_have_text(str(digit))
        expect(page.get_by_text(EMPTY_HINT)).to_have_count(0)
        expect(page.get_by_text("What the models see (28x28)")).to_be_visible()
        if digit == 7:
            wait_until_idle(page)  # the whole page, not a half-finished run
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "draw.png", full_page=True)

        page.locator(".st-key-draw_clear button").click()
        expect(answer, f"Clear after {digit}").to_have_count(0)
        expect(page.get_by_text(EMPTY_HINT)).to_be_visible()


@pytest.mark.parametrize("page", [LAPTOP], indirect=True, ids=["1280x800"])
def test_canvas_fits_its_column_on_a_laptop_screen(page: Any) -> None:
    component = page.locator(HOST).bounding_box()
    canvas = page.locator(CANVAS).bounding_box()
    assert component is not None and canvas is not None
    assert component["width"] >= canvas["width"] - 1, (component, canvas)


def test_marking_a_prediction_wrong_lands_in_my_drawings(page: Any, model: str, base_url: str):
    ensure_selected(page, model)
    draw_strokes(page, DIGIT_STROKES[7])
    expect(prediction(page, model)).to_have_text("7")
    # The person says it was a 1 (a 7 drawn without a cross bar can be either).
    page.locator(".st-key-draw_wrong").get_by_text("1", exact=True).click()
    expect(page.get_by_text("Saved as a 1 in My drawings.")).to_be_visible()
    expect(page.get_by_text(EMPTY_HINT)).to_be_visible()  # the canvas is clear for the next
    page.goto(f"{base_url}/drawings")
    expect(page.get_by_role("heading", name="My drawings")).to_be_visible()
    expect(page.get_by_text("1 drawing", exact=True)).to_be_visible()
    # The default model there also read the drawing as a 7 (it is one), so it is listed as
    # a mistake: the person's label wins.
    expect(page.get_by_text("you drew 1,", exact=False)).to_be_visible()
    expect(page.get_by_text("says 7", exact=False)).to_be_visible()
    wait_until_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "drawings.png", full_page=True)


def test_an_uploaded_photo_is_read_then_removing_it_returns_to_drawing(
    page: Any, model: str, tmp_path: Any
) -> None:
    import numpy as np
    from PIL import Image

    # A dark 7 on light paper, as a phone photo of a written digit would be (small MNIST 7s).
    with np.load(REPO / "tests" / "fixtures" / "mnist_small.npz") as d:
        seven = d["x_test"][d["y_test"] == 7][0]
    photo = tmp_path / "seven.png"
    Image.fromarray(255 - np.kron(seven, np.ones((6, 6), np.uint8))).save(photo)
    ensure_selected(page, model)
    upload = page.get_by_test_id("stPopover").filter(has_text="Upload a photo").locator("button")
    upload.click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
    expect(prediction(page, model)).to_have_text("7")
    expect(page.get_by_text("Showing your photo", exact=False)).to_be_visible()
    wait_until_idle(page)
    uploader = page.get_by_test_id("stFileUploader")
    if not uploader.is_visible():  # the rerun closed the popover
        upload.click()
    expect(uploader).to_be_visible()
    uploader.get_by_role("button", name="Remove seven.png").click()
    expect(prediction(page, model)).to_have_count(0)
    expect(page.get_by_text(EMPTY_HINT)).to_be_visible()


def test_interactive_chart_draws_every_models_probabilities(page: Any, model: str) -> None:
    ensure_selected(page, model)
    draw_strokes(page, DIGIT_STROKES[0])
    expect(prediction(page, model)).to_have_text("0")
    page.locator(".st-key-draw_chart label").click()
    chart = page.locator(".st-key-draw_probabilities .js-plotly-plot")
    expect(chart).to_be_visible(timeout=30_000)
    # One trace per chosen model, named in the legend; the drawn digit's bar is the tallest.
    legend = chart.locator(".legend .traces")
    expect(legend.filter(has_text=model)).to_have_count(1)
    heights = chart.evaluate("(el, name) => el.data.find((t) => t.name === name).y", model)
    assert len(heights) == 10 and max(range(10), key=heights.__getitem__) == 0, heights
    expect(page.locator(".lenet-bars")).to_have_count(0)  # the chart replaces the cards' bars
    wait_until_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "draw-chart.png", full_page=True)
    page.locator(".st-key-draw_chart label").click()  # back to bars for the tests after
    expect(chart).to_have_count(0)
    expect(page.locator(".lenet-bars").first).to_be_visible()


def test_expanders_fill_in_when_opened(page: Any, model: str) -> None:
    ensure_selected(page, model)
    draw_strokes(page, DIGIT_STROKES[7])
    expect(prediction(page, model)).to_have_text("7")
    expect(page.get_by_text("Evidence for", exact=False)).to_have_count(0)  # closed: not sent
    # The lower one first: opening the upper one moves the lower one's header down.
    page.get_by_text("How the drawing becomes MNIST", exact=True).click()
    expect(page.get_by_text("faithful pipeline:", exact=False)).to_be_visible()
    expect(page.get_by_text("naive 28x28 resize:", exact=False)).to_be_visible()
    page.get_by_text("Inside the network", exact=True).click()
    expect(page.get_by_text("Evidence for 7", exact=False)).to_be_visible()
    expect(page.get_by_text("C1: ", exact=False)).to_be_visible()
    wait_until_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "draw-expanders.png", full_page=True)
