"""Helpers for driving the app in Debian's Chromium: a `streamlit run` server and mouse digits.

Used by ``tests/test_browser.py`` and ``benchmarks/bench_startup.py``. Nothing here imports
Playwright at module level, so importing it never fails on a machine without a browser.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "assets" / "models"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOST = '[data-testid="stBidiComponentIsolated"]'  # the canvas component
CANVAS = f"{HOST} canvas.upper-canvas"
EMPTY_HINT = "Draw a digit on the black square: the models answer as you draw."
PREFERRED_MODELS = ("lenet5-best", "lenet5-bn-dropout")

Point = tuple[float, float]  # (x, y) in canvas pixels, y down, on the 280x280 canvas


# --- digits a person would draw with a mouse (canvas px, one list of points per stroke) ---


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 30) -> list[Point]:
    """A closed ellipse drawn anticlockwise from the top, as most people draw a 0."""
    angles = (-math.pi / 2 - 2 * math.pi * i / n for i in range(n + 1))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


DIGIT_STROKES: dict[int, list[list[Point]]] = {
    0: [_ellipse(140, 140, 62, 95)],
    1: [[(140, 45), (140, 140), (140, 235)]],
    7: [[(70, 60), (210, 60), (180, 130), (150, 200), (125, 250)]],  # as in STACK-NOTES
    4: [[(95, 45), (80, 165), (215, 165)], [(180, 80), (180, 245)]],
}


# --- the server ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    port: int,
    lenet_home: Path,
    log: Path,
    env_overrides: dict[str, str | None] | None = None,
    script: str = "app.py",
) -> subprocess.Popen[bytes]:
    """Start ``streamlit run app.py`` on 127.0.0.1:``port``; its output goes to ``log``.

    Args:
        env_overrides: variables to set for the server, or to unset where the value is None
            (e.g. ``{"MNIST_PATH": "...", "LENET_WORKERS": None}``).
        script: the script to serve, relative to the repository (a test page, say).
    """
    env = {**os.environ, "LENET_HOME": str(lenet_home), "TF_CPP_MIN_LOG_LEVEL": "2"}
    for key, value in (env_overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> float:
    """Seconds until ``port`` accepts a connection.

    Raises:
        RuntimeError: if the server exits first or ``timeout`` seconds pass.
    """
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"port {port} not accepting connections after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM (it takes ~3 s to stop), then SIGKILL the server's process group if needed."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
        proc.wait(timeout=grace)


@contextmanager
def serving(
    prefix: str, env_overrides: dict[str, str | None] | None = None, script: str = "app.py"
) -> Iterator[tuple[str, Path]]:
    """A ``streamlit run app.py`` on 127.0.0.1 with a throwaway LENET_HOME, for one module.

    Yields:
        The base URL and the server's LENET_HOME.

    Raises:
        RuntimeError: if the server does not start; the message ends with its log.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        home, log = Path(tmp) / "home", Path(tmp) / "streamlit.log"
        port = free_port()
        proc = start_server(port, home, log, env_overrides, script)
        try:
            try:
                wait_for_port(port, proc, timeout=60)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}\n{log.read_text(errors='replace')[-2000:]}") from exc
            yield f"http://127.0.0.1:{port}", home
        finally:
            stop_server(proc)  # its job manager's workers watch it and stop with it


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, MB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def maps_library(pid: int, needle: str) -> bool:
    """Whether ``pid`` has a file whose path contains ``needle`` mapped (e.g. TensorFlow's .so)."""
    try:
        return needle in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


# --- models and the page ---


def bundled_models() -> list[str]:
    if not BUNDLED.is_dir():
        return []
    return sorted(p.name for p in BUNDLED.iterdir() if (p / "model.tflite").is_file())


def preferred_model() -> str | None:
    """``lenet5-best`` when bundled, else ``lenet5-bn-dropout``, else None."""
    names = bundled_models()
    return next((n for n in PREFERRED_MODELS if n in names), None)


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def prediction(page: Any, model: str) -> Any:
    """The locator of ``model``'s predicted digit on the Draw page."""
    return page.locator(f'[data-testid="prediction-{model}"]')


# White pixels on fabric.js's lower canvas, which holds the finished paths (there is also a
# background-image canvas, "dc-background-canvas lower-canvas"). ``host``: the component.
INK_JS = """host => {
    const c = host.shadowRoot.querySelector("canvas.dc-canvas.lower-canvas");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] > 128) n++;
    return n;
}"""
INK_ABOVE_JS = f"([n, sel]) => ({INK_JS})(document.querySelector(sel)) > n"


def canvas_ink(page: Any) -> int:
    """Pixels of white ink drawn on the canvas."""
    return int(page.locator(HOST).evaluate(INK_JS))


def wait_until_idle(page: Any, timeout_ms: int = 30_000) -> None:
    """Wait until no script run is in progress (the attribute Streamlit's own e2e tests read).

    Only meaningful once the run you wait for is known to have started, e.g. after its output
    has changed: right after a click the attribute may still say ``notRunning``.
    """
    from playwright.sync_api import expect

    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_ms)


def settled_canvas_box(page: Any, polls: int = 50) -> dict[str, float]:
    """The canvas's bounding box once the app is idle and the box holds still.

    During a rerun that remounts the canvas (Clear changes its key) the new canvas can sit
    ~290 px lower for a few frames while the old elements are still on the page, even after
    the hint is back; a stroke aimed then lands outside it.
    """
    from playwright.sync_api import expect

    upper = page.locator(CANVAS)
    # A remount (Clear, or a saved drawing) briefly leaves the old canvas beside the new one.
    expect(upper).to_have_count(1, timeout=60_000)
    upper.wait_for(state="visible", timeout=60_000)
    wait_until_idle(page)
    previous = None
    for _ in range(polls):  # bounded: ~polls * 0.1 s
        box = upper.bounding_box()
        if box is not None and box == previous:
            return box
        previous = box
        page.wait_for_timeout(100)
    raise AssertionError(f"the canvas kept moving for {polls * 0.1:.0f} s (last box {previous})")


@dataclass(frozen=True)
class Drawn:
    """What drawing a digit took: strokes drawn again, and when the last mouse-up happened."""

    redrawn: int
    mouse_up: float  # time.perf_counter() right after the last mouse-up


def draw_strokes(
    page: Any, strokes: Sequence[Sequence[Point]], steps: int = 6, attempts: int = 3
) -> Drawn:
    """Draw ``strokes`` on the canvas with the mouse; each mouse-up sends the drawing.

    Each stroke starts once the app is idle and the canvas holds still, and is checked to have
    left ink on the canvas; a stroke that left none is drawn again (a freshly mounted canvas
    ignores the mouse until fabric.js has loaded its initial drawing, a few ms).

    Raises:
        AssertionError: if a stroke leaves no ink after ``attempts`` tries.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    redrawn, mouse_up = 0, 0.0
    for stroke in strokes:
        for attempt in range(attempts):
            box = settled_canvas_box(page)
            scale_x, scale_y = box["width"] / 280, box["height"] / 280
            before = canvas_ink(page)
            (x0, y0), rest = stroke[0], stroke[1:]
            page.mouse.move(box["x"] + x0 * scale_x, box["y"] + y0 * scale_y)
            page.mouse.down()
            for x, y in rest:
                page.mouse.move(box["x"] + x * scale_x, box["y"] + y * scale_y, steps=steps)
            page.mouse.up()
            mouse_up = time.perf_counter()
            try:  # fabric renders the new path on the next animation frame
                page.wait_for_function(INK_ABOVE_JS, arg=[before, HOST], timeout=2_000)
                break
            except PlaywrightTimeout:
                redrawn += 1
                assert attempt + 1 < attempts, f"no ink after {attempts} tries of {stroke[:2]}..."
    return Drawn(redrawn, mouse_up)


LAYOUT_JS = Path(__file__).with_name("layout_problems.js")


def layout_problems(page: Any) -> list[str]:
    """What looks broken on the page as laid out now (``layout_problems.js``): an element
    outside the main block or its column, stacked elements overlapping, the main section
    scrolling sideways, a metric value or number cut short. Empty when nothing is."""
    lines = LAYOUT_JS.read_text().splitlines()
    return list(page.evaluate("\n".join(x for x in lines if not x.startswith("//"))))


def page_bench_repeats(description: str) -> int | None:
    """Parse a page benchmark's ``--repeats`` (fresh servers to start) from the command line.

    Returns None, after saying why on stderr, when there is no Chromium to drive.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--repeats", type=int, default=3, help="fresh servers to start (default: 3)"
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}", file=sys.stderr)
        return None
    return int(args.repeats)
