"""Pages in a real browser: a click on the confusion matrix, a training run, and every page at
1280x800 checked for anything cut off or covered (``layout_problems.js``).

Drives Debian's Chromium (``/usr/bin/chromium``) with Playwright against one ``streamlit run``
server for the whole module, with an empty ``LENET_HOME`` (so only the bundled models exist),
``MNIST_PATH`` at the 1,200-image fixture (so a training job takes seconds) and one worker.
Screenshots go to ``test-artifacts/``: ``evaluate.png`` and ``train.png`` always, and
``<test name>.png`` on a failure.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devkit.browser_util import (
    BUNDLED,
    CHROMIUM,
    REPO,
    chromium,
    layout_problems,
    serving,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")
expect = sync_api.expect

ARTIFACTS = REPO / "test-artifacts"
SMALL_MNIST = REPO / "tests" / "fixtures" / "mnist_small.npz"
MODEL = "lenet5-best"
VIEWPORT = {"width": 1600, "height": 1200}
RERUN_TIMEOUT = 30_000  # ms; a page's first run after a server start can take seconds here
PROGRESS_TIMEOUT = 60_000  # ms; the worker imports TensorFlow (~5 s) before it reports
TRAINED_TIMEOUT = 180_000  # ms; 300 images, 1 epoch, then the test-set report and export
expect.set_options(timeout=RERUN_TIMEOUT)  # for every expect(...) without its own timeout


@dataclass(frozen=True)
class Server:
    url: str
    home: Path  # its LENET_HOME


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One ``streamlit run app.py`` on 127.0.0.1: empty LENET_HOME, the small MNIST, 1 worker,
    and the app's warm worker (the rest of the suite turns it off)."""
    if not SMALL_MNIST.is_file():
        pytest.skip(f"no {SMALL_MNIST}")
    env = {"MNIST_PATH": str(SMALL_MNIST), "LENET_WORKERS": None, "LENET_WARM_IDLE_S": "120"}
    try:
        with serving("lenet-browser-pages-", env) as (url, home):
            yield Server(url, home)
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture()
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab; saved to ``test-artifacts/<test name>.png`` if the test fails."""
    failed_before = request.session.testsfailed
    tab = browser.new_page(viewport=VIEWPORT)
    tab.set_default_timeout(RERUN_TIMEOUT)
    try:
        yield tab
    finally:
        if request.session.testsfailed > failed_before:  # the call phase is counted by now
            ARTIFACTS.mkdir(exist_ok=True)
            tab.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
        tab.close()


def screenshot(page: Any, name: str) -> None:
    """Save the whole page: Streamlit scrolls inside its main block, so ``full_page`` alone
    stops at the viewport; the viewport is stretched to the content for the shot."""
    wait_until_idle(page)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({**VIEWPORT, "height": min(max(height, VIEWPORT["height"]), 4000)})
    page.wait_for_timeout(500)  # let plotly redraw at the new size
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)
    page.set_viewport_size(VIEWPORT)


# --- Evaluate ---


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """The stored test-set report of the bundled ``lenet5-best``."""
    path = BUNDLED / MODEL / "report.json"
    if not path.is_file():
        pytest.skip(f"{MODEL} is not bundled in {BUNDLED}")
    return json.loads(path.read_text())


def mistakes_text(n: int) -> str:
    return f"{n} mistake{'s' if n != 1 else ''}"


def off_diagonal_cells(confusion: list[list[int]]) -> list[tuple[int, int]]:
    """(true, predicted) of the non-zero off-diagonal cells, the largest count first."""
    cells = [(t, p) for t in range(10) for p in range(10) if t != p and confusion[t][p] > 0]
    return sorted(cells, key=lambda c: (-confusion[c[0]][c[1]], c))


CELL_PX, LABEL_PX = 46, 44  # the confusion table's cells and its "true" column (evaluate.py)


def click_cell(page: Any, true: int, predicted: int) -> None:
    """Click the confusion table's cell (true row, predicted column) as a person would.

    The table is drawn on a canvas: the cell's place comes from the table's box, its
    "true" column and ten columns of ``CELL_PX``, and ten rows of ``CELL_PX`` under the header.
    """
    table = page.locator(f'.st-key-evaluate_cm_{MODEL} [data-testid="stDataFrame"]')
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box is not None, "the confusion table has no box"
    header = box["height"] - 10 * CELL_PX - 2  # what is left above the ten rows
    x = box["x"] + 1 + LABEL_PX + (predicted + 0.5) * CELL_PX
    y = box["y"] + 1 + header + (true + 0.5) * CELL_PX
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def mistakes_panel(page: Any) -> Any:
    """The column right of the matrix: the digit pickers, the count and the images."""
    return (
        page.get_by_test_id("stColumn")
        .filter(has=page.locator(".st-key-evaluate_true"))
        .filter(has=page.locator(".st-key-evaluate_pred"))
        .last
    )


def test_confusion_cell_click_shows_its_mistakes(
    page: Any, server: Server, report: dict[str, Any]
) -> None:
    confusion = report["confusion"]
    cells = off_diagonal_cells(confusion)
    assert len(cells) >= 2, "lenet5-best's report should have mistakes in several cells"
    page.goto(f"{server.url}/evaluate")
    picker = page.locator(".st-key-evaluate_model input")
    picker.wait_for(state="visible", timeout=60_000)
    if picker.input_value() != MODEL:
        picker.click()
        page.get_by_role("option", name=MODEL, exact=True).click()
    expect(picker).to_have_value(MODEL)
    table = page.locator(f'.st-key-evaluate_cm_{MODEL} [data-testid="stDataFrame"] canvas')
    table.first.wait_for(state="visible", timeout=60_000)
    wait_until_idle(page)

    panel = mistakes_panel(page)
    true_box, pred_box = (page.locator(f".st-key-evaluate_{k} input") for k in ("true", "pred"))
    expect(true_box).to_have_value("any")
    expect(pred_box).to_have_value("any")
    total = sum(confusion[t][p] for t in range(10) for p in range(10) if t != p)
    expect(panel.get_by_text(mistakes_text(total), exact=True)).to_be_visible()

    # The largest cell, then another: a new click must pick both digits again.
    for true, predicted in cells[:2]:
        count = confusion[true][predicted]
        click_cell(page, true, predicted)
        expect(panel.get_by_text(mistakes_text(count), exact=True)).to_be_visible()
        expect(true_box).to_have_value(str(true))
        expect(pred_box).to_have_value(str(predicted))
        wait_until_idle(page)
        with_images = sum(
            m["true"] == true and m["predicted"] == predicted
            for m in report["misclassified"][: len(report["misclassified_images"])]
        )
        captions = panel.get_by_test_id("stImageCaption")
        expect(captions).to_have_count(min(with_images, 60))
        expect(panel.locator("img")).to_have_count(min(with_images, 60))
        for caption in captions.all_inner_texts():
            assert caption.startswith(f"{true}→{predicted} "), caption
        if (true, predicted) == cells[0]:
            screenshot(page, "evaluate.png")


# --- Train ---


def commit_setting(page: Any, action: Any) -> None:
    """Change a form setting and wait for its rerun: the default model name follows the
    settings (``run-<config id>``), so it changes once the app has the new value."""
    name = page.locator(".st-key-train_name input")
    before = name.input_value()
    action()
    expect(name).not_to_have_value(before)
    wait_until_idle(page)


def test_training_run_from_the_browser_lands_on_the_draw_page(page: Any, server: Server) -> None:
    name = f"browser-{int(time.time()) % 100_000}"
    page.goto(f"{server.url}/train")
    subset = page.locator(".st-key-train_train_subset input")
    subset.wait_for(state="visible", timeout=60_000)
    wait_until_idle(page)

    def fewer_images() -> None:
        subset.fill("300")
        subset.press("Enter")

    commit_setting(page, fewer_images)
    expect(subset).to_have_value("300")
    epochs = page.locator(".st-key-train_epochs input[type=range]")
    commit_setting(page, lambda: (epochs.focus(), page.keyboard.press("Home")))
    expect(epochs).to_have_value("1")

    box = page.locator(".st-key-train_name input")
    box.fill(name)
    box.press("Enter")
    wait_until_idle(page)
    expect(box).to_have_value(name)
    page.locator(".st-key-train_start button").click()

    # The run appears, then reports progress: a phase caption or the epoch progress bar.
    expect(
        page.get_by_text(re.compile(rf"{re.escape(name)} · (queued|running|done)"))
    ).to_be_visible()
    progress = page.get_by_text(re.compile(r"(starting|loading data|evaluating)…|epoch \d+/\d+"))
    expect(progress.first).to_be_visible(timeout=PROGRESS_TIMEOUT)
    print(f"progress seen: {progress.all_inner_texts()}")  # no wait; shown on a failure

    done = page.get_by_test_id("stAlert").filter(has_text=f"Saved as {name}:")
    expect(done).to_be_visible(timeout=TRAINED_TIMEOUT)
    expect(page.get_by_text(re.compile(rf"{re.escape(name)} · done"))).to_be_visible()
    screenshot(page, "train.png")
    jobs = [json.loads(p.read_text()) for p in (server.home / "jobs").glob("*/job.json")]
    job = next(j for j in jobs if j["name"] == name)
    assert (job["config"]["epochs"], job["config"]["train_subset"]) == (1, 300), job["config"]

    page.goto(f"{server.url}/draw")
    page.get_by_test_id("stPopover").filter(has_text="Models:").locator("button").click()
    models = page.locator(".st-key-draw_models")
    models.locator("input").wait_for(state="visible", timeout=60_000)
    wait_until_idle(page)
    models.locator("input").click()
    expect(page.get_by_role("option", name=name, exact=True)).to_be_visible()
    page.get_by_role("option", name=name, exact=True).click()
    page.keyboard.press("Escape")
    expect(models.get_by_role("button", name=f"Remove {name}", exact=True)).to_be_visible()


# --- every page at laptop size: nothing cut off or covered ---

LAPTOP = {"width": 1280, "height": 800}

PAGES = {
    "Home": "",
    "Draw": "draw",
    "Evaluate": "evaluate",
    "Compare": "compare",
    "My drawings": "drawings",
    "Train": "train",
    "Sweep": "sweep",
}


def settled(page: Any) -> None:
    """Wait until the page's run is over, nothing is still loading and the layout holds."""
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=60_000)
    wait_until_idle(page, 60_000)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    for chart in page.locator(".stPlotlyChart").all():  # plotly draws after it mounts
        chart.locator(".main-svg").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(1000)  # fonts, images and late layout passes


@pytest.mark.parametrize("title", list(PAGES))
def test_page_at_laptop_size_has_nothing_cut_off_or_covered(
    browser: Any, server: Server, title: str
) -> None:
    tab = browser.new_page(viewport=LAPTOP)
    try:
        tab.goto(f"{server.url}/{PAGES[title]}")
        settled(tab)
        problems = layout_problems(tab)
        if problems:
            ARTIFACTS.mkdir(exist_ok=True)
            tab.screenshot(path=ARTIFACTS / f"laptop-{PAGES[title] or 'home'}.png", full_page=True)
        assert not problems, f"{title} at 1280x800:\n" + "\n".join(problems)
    finally:
        tab.close()
