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

from devkit.browser_util import (
    CANVAS,
    CHROMIUM,
    DIGIT_STROKES,
    EMPTY_HINT,
    HOST,
    REPO,
    bundled_models,
    canvas_ink,
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
SMALL_LAPTOP = {"width": 1024, "height": 768}
WIDE = {"width": 1920, "height": 1080}
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


def open_uploader(page: Any, label: str) -> Any:
    """The file uploader, in its popover (opened unless a rerun left it open)."""
    uploader = page.get_by_test_id("stFileUploader")
    if not uploader.is_visible():
        page.get_by_test_id("stPopover").filter(has_text=label).locator("button").click()
    expect(uploader).to_be_visible()
    return uploader


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
    draw_strokes(page, DIGIT_STROKES[1])  # a drawing first: the photo must replace it
    expect(prediction(page, model)).to_have_text("1")
    wait_until_idle(page)
    open_uploader(page, "Upload a photo instead")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
    expect(prediction(page, model)).to_have_text("7")
    # The photo stands where the canvas was, and the answers say they are for it.
    expect(page.locator(CANVAS)).to_have_count(0)
    expect(page.get_by_text("Your photo: seven.png")).to_be_visible()
    expect(page.get_by_text("The answers below are for your photo, seven.png")).to_be_visible()
    expect(page.get_by_text("What the models see (28x28)")).to_be_visible()
    expect(page.locator(".st-key-draw_clear")).to_have_count(0)
    wait_until_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "draw-photo.png", full_page=True)
    uploader = open_uploader(page, "Change or remove the photo")
    uploader.get_by_role("button", name="Remove seven.png").click()
    expect(prediction(page, model)).to_have_count(0)
    expect(page.get_by_text(EMPTY_HINT)).to_be_visible()
    expect(page.locator(CANVAS)).to_have_count(1)
    assert canvas_ink(page) == 0  # a fresh canvas, not the drawing from before the photo


def test_an_unreadable_upload_names_the_file_and_the_problem(page: Any, tmp_path: Any) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("a shopping list, not a picture")
    open_uploader(page, "Upload a photo instead")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(notes))
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_have_text("Cannot read image notes.png: not a PNG or JPEG image.")
    expect(page.locator(CANVAS)).to_have_count(1)  # still drawing


def test_pen_slider_shows_the_current_width_after_reruns(page: Any) -> None:
    pen = page.get_by_test_id("stPopover").filter(has_text="Pen:").locator("button")
    thumb = page.get_by_test_id("stSliderThumbValue")
    for rerun in range(2):  # a rerun with the popover never opened, then after a change
        page.locator(".st-key-draw_clear button").click()
        wait_until_idle(page)
        pen.click()
        expected = "20" if rerun == 0 else "19"
        expect(pen).to_contain_text(f"Pen: {expected} px")
        expect(thumb).to_have_text(expected)  # was 6, the slider's minimum
        if rerun == 0:
            page.get_by_role("slider").focus()
            page.keyboard.press("ArrowLeft")  # one nudge: 19, not 7
            expect(pen).to_contain_text("Pen: 19 px")
            wait_until_idle(page)
        page.keyboard.press("Escape")
        expect(thumb).to_be_hidden()


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


def select_models(page: Any, models: list[str]) -> None:
    """Exactly ``models`` chosen: each picked, any other chosen one removed."""
    for name in models:
        ensure_selected(page, name)
    page.get_by_test_id("stPopover").filter(has_text="Models:").locator("button").click()
    widget = page.get_by_test_id("stMultiSelect")
    expect(widget.get_by_role("button", name=re.compile("^Remove ")).first).to_be_visible()
    for other in [m for m in bundled_models() if m not in models]:
        remove = widget.get_by_role("button", name=f"Remove {other}", exact=True)
        if remove.count():
            remove.click()
            expect(remove).to_have_count(0)
    page.keyboard.press("Escape")
    expect(widget).to_be_hidden()
    expect(page.get_by_text(f"Models: {len(models)} of")).to_be_visible()


PLOT_BOXES_JS = """el => {
    const box = (sel) => {
        const b = el.querySelector(sel).getBoundingClientRect();
        return {top: b.top, bottom: b.bottom, left: b.left, right: b.right};
    };
    const ticks = [...el.querySelectorAll(".ytick text")];
    const hundred = ticks.find((t) => t.textContent === "100");
    const top = hundred ? hundred.getBoundingClientRect() : null;
    const digits = [...el.querySelectorAll(".xtick text")].map((t) => {
        const b = t.getBoundingClientRect();
        return {top: b.top, bottom: b.bottom};
    });
    return {legend: box(".legend"), plot: box(".draglayer .xy .nsewdrag"), digits: digits,
            svg: box(".main-svg"), hundred: top && {top: top.top, left: top.left},
            range: el._fullLayout.yaxis.range};
}"""


@pytest.mark.parametrize("page", [SMALL_LAPTOP, LAPTOP], indirect=True, ids=["1024", "1280"])
def test_interactive_chart_legend_never_covers_the_bars(page: Any) -> None:
    models = bundled_models()
    if len(models) < 5:
        pytest.skip(f"needs five bundled models, found {len(models)}")
    select_models(page, models[:5])
    draw_strokes(page, DIGIT_STROKES[1])
    expect(prediction(page, models[0])).to_have_count(1)
    page.locator(".st-key-draw_chart label").click()
    chart = page.locator(".st-key-draw_probabilities .js-plotly-plot")
    expect(chart.locator(".legend .traces")).to_have_count(5)
    wait_until_idle(page)
    boxes = chart.evaluate(PLOT_BOXES_JS)
    legend, plot, svg = boxes["legend"], boxes["plot"], boxes["svg"]
    # The legend is wholly above or wholly below the plot area: no bar is hidden under it.
    assert legend["bottom"] <= plot["top"] + 0.5 or legend["top"] >= plot["bottom"] - 0.5, boxes
    assert boxes["range"] == [0, 100], boxes
    # ... nor the digits under the bars.
    assert len(boxes["digits"]) == 10, boxes
    for digit in boxes["digits"]:
        assert legend["bottom"] <= digit["top"] + 0.5 or legend["top"] >= digit["bottom"] - 0.5
    # The whole 0-100 axis shows: the plot area and the "100" tick label are inside the chart.
    assert boxes["hundred"] is not None, boxes
    assert svg["top"] <= boxes["hundred"]["top"] and svg["left"] <= boxes["hundred"]["left"]
    assert svg["top"] <= plot["top"] and plot["bottom"] <= svg["bottom"], boxes
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"draw-chart-{page.viewport_size['width']}.png")
    page.locator(".st-key-draw_chart label").click()  # back to bars for the tests after
    expect(chart).to_have_count(0)


@pytest.fixture(scope="module")
def cards_url() -> Iterator[str]:
    """``tests/apps/cards.py``: prediction cards with fixed probabilities, as on Draw."""
    try:
        with serving("lenet-cards-", script="tests/apps/cards.py") as (url, _):
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


LABELS_OUTSIDE_JS = """() => [...document.querySelectorAll(".lenet-card")].flatMap((card) => {
    const c = card.getBoundingClientRect();
    return [...card.querySelectorAll(".pct, .lbl, .bar")]
        .filter((e) => e.textContent || e.classList.contains("bar"))
        .map((e) => [e.textContent, e.getBoundingClientRect()])
        .filter(([, b]) => b.left < c.left - 0.5 || b.right > c.right + 0.5
                          || b.top < c.top - 0.5 || b.bottom > c.bottom + 0.5)
        .map(([t, b]) => `${t} at ${Math.round(b.left)}-${Math.round(b.right)}`
                         + ` in a card at ${Math.round(c.left)}-${Math.round(c.right)}`);
})"""
OVERLAPS_JS = """() => [...document.querySelectorAll(".lenet-card")].flatMap((card) => {
    const labels = [...card.querySelectorAll(".pct")].filter((e) => e.textContent)
        .map((e) => e.getBoundingClientRect());
    return labels.slice(1).filter((b, i) => b.left < labels[i].right - 0.5)
        .map((b) => `labels overlap at ${Math.round(b.left)}`);
})"""


@pytest.mark.parametrize("models", [3, 6])
@pytest.mark.parametrize("viewport", [LAPTOP, WIDE], ids=["1280", "1920"])
def test_probability_labels_stay_inside_their_cards(
    browser: Any, cards_url: str, viewport: dict[str, int], models: int
) -> None:
    tab = browser.new_page(viewport=viewport)
    try:
        for case in ("spread", "sure", "split", "edges"):
            tab.goto(f"{cards_url}/?models={models}&case={case}")
            expect(tab.locator(".lenet-card")).to_have_count(models, timeout=60_000)
            wait_until_idle(tab)
            assert tab.evaluate(LABELS_OUTSIDE_JS) == [], case
            assert tab.evaluate(OVERLAPS_JS) == [], case
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=ARTIFACTS / f"cards-{viewport['width']}-{models}.png")
    finally:
        tab.close()
