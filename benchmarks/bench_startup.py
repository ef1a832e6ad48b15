"""Startup and first-prediction latency of the Draw page, in headless Chromium.

Each repeat starts a fresh ``streamlit run app.py`` (empty temporary LENET_HOME, so only the
bundled models) and measures:

- server up: from launching the process until its port accepts connections;
- draw page ready (cold): from then until the canvas is laid out after ``page.goto(.../draw)``,
  timed inside the page (a requestAnimationFrame check of the canvas, against the wall clock
  this script started ``goto`` at). Playwright's own ``wait_for`` re-checks on a back-off
  schedule (up to 0.5 s apart), so the time it returns ("seen by Playwright") overstates
  the page by up to half a second; it is printed next to the page's own figure;
- first prediction (cold): from the first stroke's mouse-up until the model's digit shows,
  and until the last websocket message before that (the server's share; the rest is the
  browser rendering, e.g. fetching and compiling Streamlit's lazily loaded element code);
- next stroke: Clear, draw another digit in the same session, mouse-up to digit;
- draw page ready (warm) and first prediction (warm): the same in a second page (a new
  session) on the same server;
- interactive chart (second page): from turning on the "Interactive chart" toggle until
  plotly has drawn the chart (the first plotly chart of a page loads plotly.js, about 4.7 MB),
  the longest main-thread task meanwhile (the page cannot take strokes during it), and then
  a stroke's mouse-up until the chart shows the new answer;
- server RSS: the server process and its children, after all that, and whether
  TensorFlow's library is loaded in the server by then (the Draw page should not need it).

Targets: draw page ready within 2 s of the server accepting connections, first prediction
within 1 s of the first stroke, server RSS under 300 MB while only drawing.

    python -m benchmarks.bench_startup [--repeats 3]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from devkit import browser_util as bu  # the browser tests' server and mouse helpers

PAGE_READY_TARGET_S = 2.0
PREDICTION_TARGET_S = 1.0
RSS_TARGET_MB = 300.0
VIEWPORT = {"width": 1600, "height": 1000}
TIMEOUT_MS = 60_000


# Records (performance.now(), ms) the first animation frame in which the canvas has a size.
CANVAS_READY_JS = """(() => {
    const tick = () => {
        const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
        const canvas = host && host.shadowRoot && host.shadowRoot.querySelector(
            "canvas.upper-canvas");
        if (canvas && canvas.getBoundingClientRect().width > 0) {
            window.__lenetCanvasReady = performance.now();
        } else {
            requestAnimationFrame(tick);
        }
    };
    requestAnimationFrame(tick);
})()"""


# Records the duration (ms) of every main-thread task over 50 ms.
LONG_TASKS_JS = """(() => {
    window.__lenetLongTasks = [];
    new PerformanceObserver((list) => {
        list.getEntries().forEach((e) => window.__lenetLongTasks.push(e.duration));
    }).observe({type: "longtask"});
})()"""

# True once the probability chart's trace for a model peaks at a digit.
CHART_SHOWS_JS = """([model, digit]) => {
    const el = document.querySelector(".st-key-draw_probabilities .js-plotly-plot");
    const trace = el && el.data && el.data.find((t) => t.name === model);
    return !!trace && trace.y.indexOf(Math.max(...trace.y)) === digit;
}"""


@dataclass(frozen=True)
class Run:
    """One fresh server: seconds, and MB for ``rss_mb``."""

    server_up: float
    page_ready_cold: float
    page_ready_cold_polled: float
    prediction_cold: float
    prediction_cold_server: float
    next_stroke: float
    page_ready_warm: float
    page_ready_warm_polled: float
    prediction_warm: float
    chart_first: float
    chart_longest_task: float
    chart_stroke: float
    rss_mb: float
    tensorflow: bool


def page_ready_seconds(page: Any, url: str) -> tuple[float, float]:
    """Seconds from ``page.goto(url/draw)`` until the canvas is laid out, as the page saw it
    (``CANVAS_READY_JS``, added to ``page`` beforehand) and as Playwright's wait saw it."""
    started_at = time.time()  # the page's clock is the wall clock too
    start = time.perf_counter()
    page.goto(f"{url}/draw")
    page.locator(bu.CANVAS).wait_for(state="visible", timeout=TIMEOUT_MS)
    polled = time.perf_counter() - start
    ready_ms = page.evaluate("performance.timeOrigin + window.__lenetCanvasReady")
    return ready_ms / 1000 - started_at, polled


def record_messages(page: Any) -> list[float]:
    """Arrival times (perf_counter) of the page's incoming websocket messages, as they come."""
    times: list[float] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda _frame: times.append(time.perf_counter())),
    )
    return times


def predict_seconds(
    page: Any, model: str, digit: int, messages: list[float] | None = None
) -> tuple[float, float]:
    """Draw ``digit`` (one stroke) and wait for ``model``'s answer.

    Returns:
        Seconds from the mouse-up until the digit is shown, and until the last websocket
        message before that (nan without ``messages``).
    """
    answer = bu.prediction(page, model)
    drawn = bu.draw_strokes(page, bu.DIGIT_STROKES[digit])
    answer.wait_for(state="visible", timeout=TIMEOUT_MS)  # event-driven, unlike expect()'s polls
    shown_at = time.perf_counter()
    received = [t for t in messages or [] if drawn.mouse_up < t <= shown_at]
    server = received[-1] - drawn.mouse_up if received else float("nan")
    shown = answer.inner_text().strip()
    if shown != str(digit):
        print(f"  note: {model} read the drawn {digit} as {shown}")
    return shown_at - drawn.mouse_up, server


def clear(page: Any, model: str) -> None:
    page.locator(".st-key-draw_clear button").click()
    bu.prediction(page, model).wait_for(state="detached", timeout=TIMEOUT_MS)
    page.get_by_text(bu.EMPTY_HINT).wait_for(state="visible", timeout=TIMEOUT_MS)


def chart_seconds(page: Any, model: str) -> tuple[float, float, float]:
    """Turn on the interactive chart (a digit is on the canvas) and time it.

    Returns:
        Seconds until plotly has drawn it, the longest main-thread task meanwhile, and a new
        stroke's mouse-up until the chart shows that stroke's answer.
    """
    page.evaluate("window.__lenetLongTasks = []")
    start = time.perf_counter()
    page.locator(".st-key-draw_chart label").click()
    page.locator(".st-key-draw_probabilities .js-plotly-plot").wait_for(
        state="visible", timeout=TIMEOUT_MS
    )
    first = time.perf_counter() - start
    longest = page.evaluate("Math.max(0, ...window.__lenetLongTasks)") / 1000
    clear(page, model)
    drawn = bu.draw_strokes(page, bu.DIGIT_STROKES[0])
    page.wait_for_function(CHART_SHOWS_JS, arg=[model, 0], polling="raf", timeout=TIMEOUT_MS)
    return first, longest, time.perf_counter() - drawn.mouse_up


def one_run(browser: Any, model: str) -> Run:
    with tempfile.TemporaryDirectory(prefix="lenet-bench-") as tmp:
        port = bu.free_port()
        log = Path(tmp) / "streamlit.log"
        first = browser.new_page(viewport=VIEWPORT)  # opened before the clock starts
        second = browser.new_page(viewport=VIEWPORT)
        for page in (first, second):
            page.add_init_script(CANVAS_READY_JS)
            page.add_init_script(LONG_TASKS_JS)
        messages = record_messages(first)
        start = time.perf_counter()
        proc = bu.start_server(port, Path(tmp) / "home", log)
        try:
            bu.wait_for_port(port, proc)
            server_up = time.perf_counter() - start
            url = f"http://127.0.0.1:{port}"
            page_ready_cold, page_ready_cold_polled = page_ready_seconds(first, url)
            prediction_cold, prediction_cold_server = predict_seconds(first, model, 7, messages)
            clear(first, model)
            next_stroke, _ = predict_seconds(first, model, 1)
            page_ready_warm, page_ready_warm_polled = page_ready_seconds(second, url)
            prediction_warm, _ = predict_seconds(second, model, 0)
            clear(second, model)
            predict_seconds(second, model, 1)  # single strokes: a 4's first one is not a 4
            chart_first, chart_longest_task, chart_stroke = chart_seconds(second, model)
            rss = bu.rss_mb(proc.pid)
            tensorflow = bu.maps_library(proc.pid, "_pywrap_tensorflow")
        except Exception:
            print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
            raise
        finally:
            first.close()
            second.close()
            bu.stop_server(proc)
    return Run(
        server_up,
        page_ready_cold,
        page_ready_cold_polled,
        prediction_cold,
        prediction_cold_server,
        next_stroke,
        page_ready_warm,
        page_ready_warm_polled,
        prediction_warm,
        chart_first,
        chart_longest_task,
        chart_stroke,
        rss,
        tensorflow,
    )


def verdict(value: float, target: float) -> str:
    return f"target < {target:g}: {'ok' if value < target else 'MISSED'}"


def main() -> int:
    repeats = bu.page_bench_repeats(__doc__.splitlines()[0])
    if repeats is None:
        return 2
    model = bu.preferred_model()
    if model is None:
        print(f"no lenet5-best or lenet5-bn-dropout in {bu.BUNDLED}", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    print(f"model {model}; bundled models: {', '.join(bu.bundled_models())}")
    runs: list[Run] = []
    with sync_playwright() as playwright:
        browser = bu.launch_chromium(playwright)
        try:
            for i in range(repeats):
                run = one_run(browser, model)
                runs.append(run)
                print(
                    f"cold {i + 1}: server up {run.server_up:.2f} s, "
                    f"draw page ready {run.page_ready_cold:.2f} s "
                    f"(seen by Playwright {run.page_ready_cold_polled:.2f} s), "
                    f"first prediction {run.prediction_cold:.2f} s "
                    f"(server done by {run.prediction_cold_server:.2f} s), "
                    f"next stroke {run.next_stroke:.2f} s, "
                    f"warm page ready {run.page_ready_warm:.2f} s "
                    f"(seen by Playwright {run.page_ready_warm_polled:.2f} s), "
                    f"warm first prediction {run.prediction_warm:.2f} s, "
                    f"chart on {run.chart_first:.2f} s (longest task "
                    f"{run.chart_longest_task:.2f} s), stroke to chart {run.chart_stroke:.2f} s, "
                    f"RSS {run.rss_mb:.0f} MB, "
                    f"TensorFlow {'loaded' if run.tensorflow else 'not loaded'}"
                )
        finally:
            browser.close()

    median = {
        f.name: statistics.median(getattr(r, f.name) for r in runs)
        for f in fields(Run)
        if f.type == "float"
    }
    loaded = sum(r.tensorflow for r in runs)
    print(f"TensorFlow loaded in the server after drawing: {loaded} of {len(runs)} runs")
    print(f"server accepts connections {median['server_up']:.2f} s (median)")
    print(
        f"first prediction, server's share {median['prediction_cold_server']:.2f} s (cold median)"
    )
    print(
        f"draw page ready, second page load {median['page_ready_warm']:.2f} s (warm median) "
        f"{verdict(median['page_ready_warm'], PAGE_READY_TARGET_S)}"
    )
    print(
        f"next stroke, same session {median['next_stroke']:.2f} s (warm median) "
        f"{verdict(median['next_stroke'], PREDICTION_TARGET_S)}"
    )
    print(
        f"first prediction, second session {median['prediction_warm']:.2f} s (warm median) "
        f"{verdict(median['prediction_warm'], PREDICTION_TARGET_S)}"
    )
    print(
        f"interactive chart: drawn {median['chart_first']:.2f} s after turning it on, "
        f"page busy for up to {median['chart_longest_task']:.2f} s meanwhile; then a stroke "
        f"to the updated chart {median['chart_stroke']:.2f} s (medians)"
    )
    print(
        f"targets: draw page ready {verdict(median['page_ready_cold'], PAGE_READY_TARGET_S)}; "
        f"first prediction {verdict(median['prediction_cold'], PREDICTION_TARGET_S)}; "
        f"server RSS {verdict(median['rss_mb'], RSS_TARGET_MB)}"
    )
    print(
        f"draw page ready, seen by Playwright's wait {median['page_ready_cold_polled']:.2f} s "
        "(cold median; its polling adds up to 0.5 s)"
    )
    print(f"draw page ready {median['page_ready_cold']:.2f} s (cold median)")
    print(f"first prediction {median['prediction_cold']:.2f} s (cold median)")
    print(f"server RSS {median['rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
