"""First visit of the Evaluate page in headless Chromium: when its parts become visible.

Each repeat starts a fresh ``streamlit run app.py`` (empty temporary LENET_HOME, so only the
bundled models; Evaluate opens on ``lenet5-best``) and, in two fresh browser contexts (empty
caches, so plotly.js and the other lazily loaded element code are fetched and compiled again):

- via the sidebar: open Home, wait until it is idle, then click "Evaluate" in the sidebar and
  time, from the click, when the headline metrics, the classification report and the
  confusion matrix are first drawn (a requestAnimationFrame check inside the page);
- direct load: ``page.goto(.../evaluate)`` in a new context, timed from the ``goto`` (this
  includes loading Streamlit's own JavaScript);

and prints the main-thread tasks over 50 ms meanwhile (the page cannot take input during
them), and the machine's load average before and after (the figures are only comparable on
a quiet machine).

Targets (issue 16): metrics within 2 s of navigation, the confusion matrix within 3 s.

    python -m benchmarks.bench_evaluate [--repeats 3]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from devkit import browser_util as bu  # the browser tests' server and mouse helpers

METRICS_TARGET_S = 2.0
CONFUSION_TARGET_S = 3.0
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 90_000

# What counts as drawn: a selector whose first match has a size. The confusion matrix (a
# table drawn on a canvas) is drawn once its canvas is.
PARTS = {
    "metrics": '.st-key-evaluate_headline [data-testid="stMetricValue"]',
    "report": ".st-key-evaluate_report table",
    "confusion": '[class*="st-key-evaluate_cm_"] [data-testid="stDataFrame"] canvas',
}

# Records performance.now() (ms) of the first animation frame in which each part has a size,
# and every main-thread task over 50 ms. ``window.__lenetSeen`` is reset before each timing.
RECORDER_JS = """(() => {
    const parts = %s;
    window.__lenetSeen = {};
    window.__lenetLongTasks = [];
    new PerformanceObserver((list) => {
        list.getEntries().forEach((e) => window.__lenetLongTasks.push([e.startTime, e.duration]));
    }).observe({type: "longtask", buffered: true});
    const tick = () => {
        for (const [name, selector] of Object.entries(parts)) {
            if (window.__lenetSeen[name] !== undefined) continue;
            const el = document.querySelector(selector);
            const box = el && el.getBoundingClientRect();
            if (box && box.width > 0 && box.height > 0) {
                window.__lenetSeen[name] = performance.now();
            }
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})()"""

ALL_SEEN_JS = f"() => {list(PARTS)!r}.every((n) => window.__lenetSeen[n] !== undefined)"


@dataclass(frozen=True)
class Visit:
    """Seconds from the navigation until each part is drawn, and the longest task meanwhile."""

    metrics: float
    report: float
    confusion: float
    longest_task: float


def _visit(page: Any, start_ms: float) -> Visit:
    """Wait until every part is drawn; times are relative to ``start_ms`` (page clock, ms)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(ALL_SEEN_JS, polling=100, timeout=TIMEOUT_MS)
    except PlaywrightTimeout as exc:
        seen = page.evaluate("window.__lenetSeen")
        raise RuntimeError(f"not all of {list(PARTS)} drawn in time; drawn: {seen}") from exc
    seen = page.evaluate("window.__lenetSeen")
    last = max(seen.values())
    tasks = page.evaluate("window.__lenetLongTasks")
    longest = max((d for s, d in tasks if start_ms <= s <= last), default=0.0)
    return Visit(
        *((seen[name] - start_ms) / 1000 for name in PARTS),
        longest_task=longest / 1000,
    )


def via_sidebar(browser: Any, url: str) -> Visit:
    """Home first, then a click on "Evaluate" in the sidebar."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.add_init_script(RECORDER_JS % repr(PARTS))
    page.goto(url)
    page.get_by_test_id("stSidebarNav").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("heading", name="lenet-studio").wait_for(timeout=TIMEOUT_MS)
    bu.wait_until_idle(page, TIMEOUT_MS)
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name="Evaluate")
    link.wait_for(timeout=TIMEOUT_MS)
    start_ms = page.evaluate("window.__lenetSeen = {}; performance.now()")
    link.click()
    try:
        return _visit(page, start_ms)
    finally:
        context.close()


def direct(browser: Any, url: str) -> Visit:
    """``goto(url/evaluate)`` in a fresh context, timed from the ``goto``."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.add_init_script(RECORDER_JS % repr(PARTS))
    started_at = time.time()  # the page's clock (timeOrigin + now) is the wall clock too
    page.goto(f"{url}/evaluate")
    try:
        origin = page.evaluate("performance.timeOrigin")
        return _visit(page, started_at * 1000 - origin)
    finally:
        context.close()


def one_run(browser: Any) -> tuple[Visit, Visit]:
    with tempfile.TemporaryDirectory(prefix="lenet-bench-evaluate-") as tmp:
        port = bu.free_port()
        log = Path(tmp) / "streamlit.log"
        proc = bu.start_server(port, Path(tmp) / "home", log)
        try:
            bu.wait_for_port(port, proc)
            url = f"http://127.0.0.1:{port}"
            return via_sidebar(browser, url), direct(browser, url)
        except Exception:
            print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
            raise
        finally:
            bu.stop_server(proc)


def describe(visit: Visit) -> str:
    return (
        f"metrics {visit.metrics:.2f} s, classification report {visit.report:.2f} s, "
        f"confusion matrix {visit.confusion:.2f} s (longest task {visit.longest_task:.2f} s)"
    )


def verdict(value: float, target: float) -> str:
    return f"target < {target:g} s: {'ok' if value < target else 'MISSED'}"


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    repeats = bu.page_bench_repeats(__doc__.splitlines()[0])
    if repeats is None:
        return 2
    if "lenet5-best" not in bu.bundled_models():
        print(f"no lenet5-best in {bu.BUNDLED}", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    print(f"before: {load()} on {os.cpu_count()} CPUs")
    sidebar: list[Visit] = []
    loads: list[Visit] = []
    with sync_playwright() as playwright:
        browser = bu.launch_chromium(playwright)
        try:
            for i in range(repeats):
                a, b = one_run(browser)
                sidebar.append(a)
                loads.append(b)
                print(f"run {i + 1}: via the sidebar: {describe(a)}")
                print(f"run {i + 1}: direct load:     {describe(b)}")
        finally:
            browser.close()
    print(f"after: {load()}")
    for label, visits in (("via the sidebar", sidebar), ("direct load", loads)):
        median = Visit(
            *(statistics.median(getattr(v, f.name) for v in visits) for f in fields(Visit))
        )
        print(
            f"{label} (median of {len(visits)}): {describe(median)}; "
            f"metrics {verdict(median.metrics, METRICS_TARGET_S)}, "
            f"confusion matrix {verdict(median.confusion, CONFUSION_TARGET_S)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
