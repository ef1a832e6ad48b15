"""A class on one server: N browser sessions drawing on the Draw page while a job trains.

The Streamlit server and the training job's worker are pinned to one core (``taskset``-style
CPU affinity, inherited by their children) and the headless Chromium sessions to another, so
the browsers' rendering does not count as the server's time. A training job runs through the
job manager (``lenet.jobs.JobManager``, in a helper process at a lower CPU priority, as the
app's own manager runs it): a small run, queued again whenever it ends, until the last
phase is over; then the benchmark waits for the last one.

For each N (all sessions at once, each in its own browser context), every session opens the
Draw page, draws ``--strokes`` strokes (Clear every ``--clear-every``, so first strokes on a
freshly loaded and on a cleared canvas are both measured) and waits for each answer. A stroke
starts as soon as the canvas is on screen and, after the first, as soon as the previous answer
showed (back to back), or ``--think`` seconds later (a person looking at the answer before
drawing on). Printed per N:

- in-page latency p50/p95/max: from the mouse-up to the first change of the answers or of
  "What the models see", both timed inside the page (``performance.now()``);
- server time per stroke p50/p95 (wall) and CPU p95: the Draw page's script runs that read a
  drawing and completed during the phase, timed inside the server (``LENET_TIMING_LOG``), and
  how many runs a newer event interrupted; on a line of their own, the runs without a drawing
  (each session's page load, each Clear), which are not strokes; and the server process's
  whole CPU time per stroke (every thread: the scripts, the event loop sending the answers,
  the job manager's pump; page loads and Clears included), from ``/proc``;
- lost strokes: ink on the canvas but no answer within ``--answer-timeout`` seconds; strokes
  that left no ink (the canvas was not ready) are drawn again and counted apart as "redrawn";
- errors: sessions that failed (a timeout, a crash), exceptions shown on the page, JavaScript
  errors and tracebacks in the server log;
- server RSS (the server process and its children, the most seen during the phase);
- the job: how many ended during the phase, and whether all of them finished ("done");
- how busy each of the two cores was during the phase (``/proc/stat``): when the browsers'
  core is saturated, in-page latency measures the headless browsers queueing for it (each
  stroke costs a browser about half a second of CPU: drawing the stroke, React re-rendering the
  page, painting), which in a real class is spread over the students' own machines.

The last line reads
``20 users: server p95 <X> ms, in-page p95 <Y> s, lost <L>, errors <E>, job finished <yes|no>``
(for the largest N run). Targets on a quiet machine: server p95 under 100 ms at 20 sessions,
in-page p95 under 1 s at 10 sessions, no lost stroke, no error, the job finishes.

    python -m benchmarks.bench_load                          # N = 1, 5, 10, 20; 10 strokes
    python -m benchmarks.bench_load --sessions 1,5 --strokes 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from devkit import browser_util as bu  # the browser tests' server and mouse helpers

REPO = Path(__file__).resolve().parents[1]

VIEWPORT = {"width": 1280, "height": 800}
SERVER_TARGET_MS = 100.0  # p95 at 20 sessions
IN_PAGE_TARGET_S = 1.0  # p95 at 10 sessions
JOB_NICE = 10
# How often the benchmark asks a page whether its answer came. Not every animation frame
# (Playwright's default): that would keep every page rendering at 60 fps and charge the
# benchmark's own polling to the browsers' core. The latency itself is timed inside the page
# (a MutationObserver), so the polling interval does not change the figure.
POLL_MS = 100
# One stroke per session and index, across the canvas (canvas px): a loose hand, so that each
# adds ink where there was none and the answer (or at least the 28x28 image) changes.
STROKES: list[list[bu.Point]] = [
    *bu.DIGIT_STROKES[7],
    *bu.DIGIT_STROKES[1],
    *bu.DIGIT_STROKES[4],
    *bu.DIGIT_STROKES[0],
    [(60, 240), (140, 200), (230, 240)],
]

# Runs in every page before Streamlit: records each mouse-up and each change of the answers
# (the cards' text and the images' sources), with performance.now() times.
OBSERVER_JS = """(() => {
    const S = (window.__bench = {ups: [], changes: [], errors: 0, sig: ""});
    const sig = () => {
        const parts = [];
        for (const e of document.querySelectorAll('[data-testid^="prediction-"]')) {
            const card = e.parentElement;
            parts.push(card ? card.textContent : e.textContent);
        }
        for (const i of document.querySelectorAll('[data-testid="stImage"] img'))
            parts.push(i.getAttribute("src"));
        return parts.join("|");
    };
    const check = () => {
        const s = sig();
        if (s !== S.sig) { S.sig = s; S.changes.push(performance.now()); }
    };
    document.addEventListener("pointerup", () => S.ups.push(performance.now()), true);
    window.addEventListener("error", () => { S.errors += 1; });
    const start = () => new MutationObserver(check).observe(document.documentElement,
        {subtree: true, childList: true, attributes: true, characterData: true});
    if (document.documentElement) start(); else addEventListener("DOMContentLoaded", start);
})()"""

# A change of the answers after the last mouse-up (the stroke's own answer).
ANSWERED_JS = "() => window.__bench.changes.some((c) => c > window.__bench.ups.at(-1))"
IDLE_JS = (
    "() => document.querySelector('[data-testid=\"stApp\"]')"
    ".getAttribute('data-test-script-state') === 'notRunning'"
)

# The canvas is on screen, alone (a Clear briefly shows the old one beside the new one).
CANVAS_READY_JS = f"""() => {{
    const hosts = document.querySelectorAll('{bu.HOST}');
    if (hosts.length !== 1 || !hosts[0].shadowRoot) return null;
    const c = hosts[0].shadowRoot.querySelector("canvas.upper-canvas");
    if (!c) return null;
    const r = c.getBoundingClientRect();
    return r.width > 0 ? [r.x, r.y, r.width, r.height] : null;
}}"""


@dataclass
class Stroke:
    session: int
    index: int
    first: str  # "load" / "clear" for the first stroke on a fresh canvas, else ""
    latency_s: float | None  # None: lost
    redrawn: int = 0
    detail: str = ""


@dataclass
class Phase:
    n: int
    start: float = 0.0
    end: float = 0.0
    strokes: list[Stroke] = field(default_factory=list)
    session_errors: list[str] = field(default_factory=list)
    page_errors: int = 0
    rss_mb: float = 0.0
    ticks: dict[int, tuple[int, int]] = field(default_factory=dict)  # core: (busy, total)
    server_cpu_s: float = 0.0  # the server process's CPU time (all threads) at the start


# --- the training job, in its own process pinned with the server ---


def job_loop(home: Path, data: str, stop: Path, out: Path) -> None:
    """Queue a small training run again whenever one ends, until ``stop`` exists; write each
    job's end to ``out`` (JSON lines). Runs at the niceness and CPU its parent gave it."""
    from lenet.config import LeNetConfig
    from lenet.jobs import JobManager

    manager = JobManager(home, workers=1, data_path=data)
    small = "mnist_small" in data  # the test fixture: 1,200 training images
    config = LeNetConfig(epochs=8 if small else 2, train_subset=None if small else 6000, seed=1)
    n, parent = 0, os.getppid()
    while not stop.exists() and os.getppid() == parent:  # stops with a killed benchmark too
        n += 1
        job = manager.submit(config, f"bench-job-{n}")
        job = manager.wait(job.id, timeout_s=3600)
        with out.open("a") as f:
            f.write(json.dumps({"id": job.id, "state": job.state, "finished": job.finished,
                                "error": job.error}) + "\n")  # fmt: skip


def _pinned(core: int, nice: int = 0):  # type: ignore[no-untyped-def]
    def setup() -> None:
        os.sched_setaffinity(0, {core})
        if nice:
            os.nice(nice)

    return setup


def jobs_ended(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


# --- one browser session ---


async def settled_canvas(page: Any, timeout_s: float = 180.0) -> dict[str, float]:
    """The canvas's box once it is alone on the page and holds still for two frames' polls."""
    deadline, previous = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        box = await page.evaluate(CANVAS_READY_JS)
        if box is not None and box == previous:
            return {"x": box[0], "y": box[1], "width": box[2], "height": box[3]}
        previous = box
        await asyncio.sleep(0.05)
    raise TimeoutError("the canvas did not settle")


async def draw_one(page: Any, box: dict[str, float], stroke: list[bu.Point]) -> None:
    sx, sy = box["width"] / 280, box["height"] / 280
    (x0, y0), rest = stroke[0], stroke[1:]
    await page.mouse.move(box["x"] + x0 * sx, box["y"] + y0 * sy)
    await page.mouse.down()
    for x, y in rest:
        await page.mouse.move(box["x"] + x * sx, box["y"] + y * sy, steps=4)
    await page.mouse.up()


async def screenshot(page: Any, name: str) -> None:
    """With --shots, save the page as it is (best effort: a stuck page must not stop the run)."""
    if not CONTEXT.get("shots") or page is None:
        return
    try:
        await page.screenshot(path=f"{CONTEXT['shots']}/{name}.png", timeout=10_000)
    except Exception:  # noqa: BLE001 - Playwright's errors when the page is gone or stuck
        pass


async def session(
    browser: Any, url: str, sid: int, strokes: int, clear_every: int, timeout_s: float, phase: Phase
) -> None:
    context, page = await browser.new_context(viewport=VIEWPORT), None
    try:
        page = await context.new_page()
        await page.add_init_script(OBSERVER_JS)
        page.on("pageerror", lambda _: setattr(phase, "page_errors", phase.page_errors + 1))
        sent: list[float] = []  # when the page sent each websocket message (reruns, widgets)
        page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.time())))
        await page.goto(f"{url}/draw", timeout=180_000)
        first = "load"
        for k in range(strokes):
            if k and clear_every and k % clear_every == 0:
                await page.locator(".st-key-draw_clear button").click(timeout=60_000)
                await page.get_by_text(bu.EMPTY_HINT).wait_for(timeout=60_000)
                first = "clear"
            stroke = STROKES[(sid + k) % len(STROKES)]
            redrawn, latency, detail = 0, None, ""
            if k:  # the previous answer wholly on screen (its run ended), as a person sees it
                await page.wait_for_function(IDLE_JS, polling=POLL_MS, timeout=120_000)
                await asyncio.sleep(CONTEXT.get("think", 0.0))
            for _attempt in range(3):
                box = await settled_canvas(page)
                ink = await page.locator(bu.HOST).evaluate(bu.INK_JS)
                drawn_at = time.time()
                await draw_one(page, box, stroke)
                try:
                    await page.wait_for_function(
                        ANSWERED_JS, polling=POLL_MS, timeout=timeout_s * 1e3
                    )
                except Exception:  # Playwright's TimeoutError: no answer came
                    after = await page.locator(bu.HOST).evaluate(bu.INK_JS)
                    if after > ink:
                        runs = [
                            line.split()[-1]
                            for line in CONTEXT["timing"].read_text().splitlines()
                            if float(line.split()[0]) > drawn_at
                        ]
                        detail = (
                            f"ink {ink}->{after}, no answer in {timeout_s:.0f} s; "
                            f"{sum(t > drawn_at for t in sent)} messages sent since the stroke; "
                            f"server runs since (all sessions): {len(runs)}"
                        )
                        await screenshot(page, f"lost-{phase.n}-{sid}-{k}")
                        try:  # late, or never? (a slow answer is not a lost one; say which)
                            await page.wait_for_function(
                                ANSWERED_JS, polling=POLL_MS, timeout=60_000
                            )
                            detail += f"; answered {time.time() - drawn_at:.0f} s after the stroke"
                        except Exception:  # Playwright's TimeoutError
                            detail += "; still no answer 60 s later"
                        break  # lost: the person sees their stroke and no answer
                    redrawn += 1  # the canvas took no ink: a person draws it again
                    continue
                up, change = await page.evaluate(
                    "() => [window.__bench.ups.at(-1), "
                    "window.__bench.changes.find((c) => c > window.__bench.ups.at(-1))]"
                )
                latency = (change - up) / 1e3
                break
            phase.strokes.append(Stroke(sid, k, first, latency, redrawn, detail))
            first = ""
        phase.page_errors += await page.locator('[data-testid="stException"]').count()
        phase.page_errors += await page.evaluate("window.__bench.errors")
    except Exception as exc:  # a failed session is an error to count, not a crash
        phase.session_errors.append(f"session {sid}: {type(exc).__name__}: {str(exc)[:200]}")
        await screenshot(page, f"error-{phase.n}-{sid}")
    finally:
        await context.close()


async def watch_rss(pid: int, phase: Phase, done: asyncio.Event) -> None:
    while not done.is_set():
        phase.rss_mb = max(phase.rss_mb, bu.rss_mb(pid))
        await asyncio.sleep(0.5)


async def run_phases(
    url: str, pid: int, counts: list[int], args: argparse.Namespace
) -> list[Phase]:
    from playwright.async_api import async_playwright

    phases = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(bu.CHROMIUM), args=bu.CHROMIUM_ARGS
        )
        try:
            warm = Phase(0)  # loads the page's modules and the predictors once; not reported
            await session(browser, url, 0, 2, 0, args.answer_timeout, warm)
            for n in counts:
                phase = Phase(n, start=time.time(), ticks=core_ticks(), server_cpu_s=cpu_s(pid))
                done = asyncio.Event()
                rss = asyncio.create_task(watch_rss(pid, phase, done))
                await asyncio.gather(
                    *(
                        session(
                            browser,
                            url,
                            i,
                            args.strokes,
                            args.clear_every,
                            args.answer_timeout,
                            phase,
                        )
                        for i in range(n)
                    )
                )
                phase.end = time.time()
                done.set()
                await rss
                phases.append(phase)
                yield_line(phase)
        finally:
            await browser.close()
    return phases


# --- reading the results ---


def core_ticks() -> dict[int, tuple[int, int]]:
    """Per core, (busy, total) clock ticks since boot, from /proc/stat."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            values = [int(v) for v in fields]
            idle = values[3] + values[4]  # idle + iowait
            out[int(name[3:])] = (sum(values) - idle, sum(values))
    return out


def cpu_s(pid: int) -> float:
    """A process's CPU time so far (user + system, all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_percent(before: dict[int, tuple[int, int]], core: int) -> float:
    after = core_ticks()
    busy, total = (a - b for a, b in zip(after[core], before[core], strict=True))
    return 100.0 * busy / total if total else float("nan")


def server_runs(
    log: Path, start: float, end: float
) -> tuple[list[float], list[float], int, list[float]]:
    """The Draw page's completed runs in [start, end] that read a drawing (a stroke's run):
    their wall and CPU ms; how many runs a newer event interrupted; and the wall ms of the
    completed runs without a drawing (page loads, Clears)."""
    wall, cpu, interrupted, empty = [], [], 0, []
    if not log.exists():
        return wall, cpu, interrupted, empty
    for line in log.read_text().splitlines():
        stamp, page, wall_ms, cpu_ms, outcome, kind = line.split()
        if page != "draw" or not start <= float(stamp) <= end:
            continue
        if outcome not in ("done", "StopException"):
            interrupted += 1
        elif kind == "drawing":
            wall.append(float(wall_ms))
            cpu.append(float(cpu_ms))
        else:
            empty.append(float(wall_ms))
    return wall, cpu, interrupted, empty


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


ROWS: list[dict[str, Any]] = []
CONTEXT: dict[str, Any] = {}


def yield_line(phase: Phase) -> None:
    """Summarise a finished phase and print its row at once (a long run shows progress)."""
    wall, cpu, interrupted, empty = server_runs(CONTEXT["timing"], phase.start, phase.end)
    answered = [s.latency_s for s in phase.strokes if s.latency_s is not None]
    lost = [s for s in phase.strokes if s.latency_s is None]
    log_text = CONTEXT["server_log"].read_text(errors="replace")
    tracebacks = log_text.count("Traceback") - CONTEXT["tracebacks"]
    CONTEXT["tracebacks"] += tracebacks
    ended = jobs_ended(CONTEXT["jobs_out"])
    new_jobs, CONTEXT["jobs_seen"] = ended[CONTEXT["jobs_seen"] :], len(ended)
    row = {
        "n": phase.n,
        "strokes": len(phase.strokes),
        "p50": pct(answered, 50),
        "p95": pct(answered, 95),
        "max": max(answered, default=float("nan")),
        "srv50": pct(wall, 50),
        "srv95": pct(wall, 95),
        "cpu95": pct(cpu, 95),
        "runs": len(wall),
        "interrupted": interrupted,
        "lost": len(lost),
        "redrawn": sum(s.redrawn for s in phase.strokes),
        "errors": len(phase.session_errors) + phase.page_errors + tracebacks,
        "rss": phase.rss_mb,
        "jobs": f"{sum(j['state'] == 'done' for j in new_jobs)}/{len(new_jobs)} done",
    }
    row["cpu_per_stroke"] = (
        1e3 * (cpu_s(CONTEXT["server_pid"]) - phase.server_cpu_s) / max(len(phase.strokes), 1)
    )
    ROWS.append(row)
    print(
        f"{row['n']:>3} {row['strokes']:>7} {row['p50']:>7.2f} {row['p95']:>7.2f} "
        f"{row['max']:>7.2f} {row['srv50']:>8.1f} {row['srv95']:>8.1f} {row['cpu95']:>8.1f} "
        f"{row['runs']:>5} {row['interrupted']:>5} {row['lost']:>5} {row['redrawn']:>5} "
        f"{row['errors']:>6} {row['rss']:>7.0f}  {row['jobs']}",
        flush=True,
    )
    firsts = [s.latency_s for s in phase.strokes if s.first and s.latency_s is not None]
    others = [s.latency_s for s in phase.strokes if not s.first and s.latency_s is not None]
    print(
        f"      in-page p50/p95: first strokes on a fresh or cleared canvas "
        f"{pct(firsts, 50):.2f}/{pct(firsts, 95):.2f} s, others "
        f"{pct(others, 50):.2f}/{pct(others, 95):.2f} s"
    )
    print(
        f"      server runs without a drawing (page loads, Clears; not in the server columns): "
        f"{len(empty)}, p50/p95 {pct(empty, 50):.1f}/{pct(empty, 95):.1f} ms"
    )
    print(
        f"      server process CPU per stroke (all its threads; page loads and Clears "
        f"included): {row['cpu_per_stroke']:.0f} ms"
    )
    server_busy = busy_percent(phase.ticks, CONTEXT["server_core"])
    browser_busy = busy_percent(phase.ticks, CONTEXT["browser_core"])
    print(
        f"      cores busy: server's {server_busy:.0f}%, browsers' {browser_busy:.0f}%"
        + (
            " (the browsers' core is saturated: in-page latency here is mostly the headless "
            "browsers queueing for their one core, not the server)"
            if browser_busy >= 90
            else ""
        )
    )
    for s in lost:
        print(f"      lost: session {s.session} stroke {s.index} {s.first or ''} {s.detail}")
    for e in phase.session_errors:
        print(f"      error: {e}")


def default_data() -> str:
    for candidate in (
        os.environ.get("MNIST_PATH"),
        str(REPO.parent / "shared" / "datasets" / "mnist.npz"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return str(REPO / "tests" / "fixtures" / "mnist_small.npz")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,5,10,20", help="N values (default: 1,5,10,20)")
    parser.add_argument("--strokes", type=int, default=10, help="per session (default: 10)")
    parser.add_argument(
        "--clear-every", type=int, default=5, help="Clear before every k-th stroke (default: 5)"
    )
    parser.add_argument(
        "--answer-timeout", type=float, default=60.0, help="s, then a stroke is lost (default: 60)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="s between an answer and the next stroke (default: 0)",
    )
    parser.add_argument("--server-core", type=int, default=0, help="(default: 0)")
    parser.add_argument("--browser-core", type=int, default=1, help="(default: 1)")
    parser.add_argument("--data", default=None, help="MNIST for the job (default: MNIST_PATH)")
    parser.add_argument("--shots", default=None, help="save a screenshot of each lost stroke here")
    parser.add_argument("--job-loop", nargs=3, metavar=("HOME", "STOP", "OUT"), help="internal")
    args = parser.parse_args()
    data = args.data or default_data()
    CONTEXT["shots"] = args.shots
    CONTEXT.update(server_core=args.server_core, browser_core=args.browser_core)
    if args.think < 0:
        parser.error(f"--think {args.think}: expected seconds >= 0")
    CONTEXT["think"] = args.think
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server
    if args.job_loop:
        home, stop, out = (Path(p) for p in args.job_loop)
        job_loop(home, data, stop, out)
        return 0
    try:
        counts = [int(n) for n in args.sessions.split(",")]
    except ValueError:
        print(f"--sessions {args.sessions!r} is invalid: expected e.g. 1,5,10,20", file=sys.stderr)
        return 2
    cores = os.sched_getaffinity(0)
    if {args.server_core, args.browser_core} - cores or args.server_core == args.browser_core:
        print(f"need two distinct cores among {sorted(cores)}", file=sys.stderr)
        return 2
    if not bu.CHROMIUM.exists():
        print(f"no Chromium at {bu.CHROMIUM}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="lenet-load-") as tmp:
        home, timing = Path(tmp) / "home", Path(tmp) / "timing.log"
        server_log, stop, jobs_out = (
            Path(tmp) / "streamlit.log",
            Path(tmp) / "stop",
            Path(tmp) / "jobs.jsonl",
        )
        CONTEXT.update(timing=timing, server_log=server_log, jobs_out=jobs_out, tracebacks=0,
                       jobs_seen=0)  # fmt: skip
        # Children inherit the CPU affinity: the server on its core, then the job's helper
        # (and its workers) on the same core at a lower priority, then the browsers.
        os.sched_setaffinity(0, {args.server_core})
        port = bu.free_port()
        # The server's own job manager may start the queued job first: it needs the same data.
        env = {"LENET_TIMING_LOG": str(timing), "MNIST_PATH": data}
        server = bu.start_server(port, home, server_log, env)
        CONTEXT["server_pid"] = server.pid
        job = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.bench_load",
                "--data",
                data,
                "--job-loop",
                str(home),
                str(stop),
                str(jobs_out),
            ],  # fmt: skip
            cwd=REPO,
            preexec_fn=_pinned(args.server_core, JOB_NICE),
            stdout=subprocess.DEVNULL,
            stderr=(Path(tmp) / "jobs.log").open("wb"),
        )
        os.sched_setaffinity(0, {args.browser_core})
        try:
            bu.wait_for_port(port, server, timeout=60)
            print(
                f"server on core {args.server_core}, job worker there at nice +{JOB_NICE}, "
                f"browsers on core {args.browser_core}; think {args.think:g} s between an answer "
                f"and the next stroke; job data {data}; load: "
                f"{Path('/proc/loadavg').read_text().split()[:3]}",
                flush=True,
            )
            print(
                "  N strokes in-page s p50/p95/max   server ms p50/p95 cpu95  runs intr  lost "
                "redrn errors  RSS MB  jobs ended"
            )
            asyncio.run(run_phases(f"http://127.0.0.1:{port}", server.pid, counts, args))
        finally:
            stop.touch()
            try:
                job.wait(timeout=1800)  # the job running when the last phase ended, to its end
            except subprocess.TimeoutExpired:
                job.kill()
            finally:
                bu.stop_server(server)
        ended = jobs_ended(jobs_out)
        finished = bool(ended) and all(j["state"] == "done" for j in ended)
        if ended and not finished:
            print("jobs: " + "; ".join(f"{j['state']} {j['error']}" for j in ended))
        if job.returncode:  # the job loop itself failed: say why, never a silent "no"
            log = (Path(tmp) / "jobs.log").read_text(errors="replace").strip().splitlines()
            print(f"the job loop failed (exit {job.returncode}): {log[-1] if log else '?'}")
    print(f"load after: {Path('/proc/loadavg').read_text().split()[:3]}")
    if not ROWS:
        print("no phase finished")
        return 1
    last = max(ROWS, key=lambda r: r["n"])
    print(
        f"{last['n']} users: server p95 {last['srv95']:.0f} ms, in-page p95 {last['p95']:.2f} s, "
        f"lost {last['lost']}, errors {last['errors']}, job finished {'yes' if finished else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
