"""How long the Train page waits on a job: launch to first progress, cancel to shown, estimate.

The job manager lives in this process, as in the Streamlit server, and is polled every 50 ms
(the page polls every ``POLL_S`` = 0.5 s, so add up to that for what a person sees). Per run:

- launch: submit to the worker's first word ("loading data": Python and TensorFlow imported),
  to the first training progress, and to the end (evaluated and saved), against the page's
  estimate for that run;
- cancel: Cancel to the worker's ``result.json`` (the worker stopped) and to the job showing
  "cancelled" in the manager;
- with ``--browser``, the same on the Train page in headless Chromium (``streamlit run`` on
  127.0.0.1, the 1,200-image fixture): Start to the first "epoch" progress on the page, and
  the Cancel click to the worker stopping and to "cancelled" on the page.

    python -m benchmarks.bench_jobs_latency [--runs 3] [--data PATH] [--browser]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LENET_PRECISION", "fp32")

from lenet.config import LeNetConfig  # noqa: E402
from lenet.jobs import JobManager  # noqa: E402
from lenet.warm import WarmLauncher  # noqa: E402

POLL_S = 0.05
QUICK = LeNetConfig(epochs=2, train_subset=6000)  # a small run someone would try first
LONG = LeNetConfig(epochs=30, batch_size=32)  # to be cancelled


def until(manager: JobManager, job_id: str, test: object, timeout: float = 600.0) -> float:
    """Poll until ``test(job)`` holds; returns the time.monotonic() it first did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test(manager.get(job_id)):  # type: ignore[operator]
            return time.monotonic()
        time.sleep(POLL_S)
    raise TimeoutError(f"job {job_id} did not get there in {timeout:.0f} s")


def launch(manager: JobManager, name: str) -> dict[str, float]:
    estimate = manager.estimate(QUICK).seconds
    t0 = time.monotonic()
    job = manager.submit(QUICK, name)
    spoke = until(manager, job.id, lambda j: j.progress.phase or j.final)
    training = until(manager, job.id, lambda j: j.progress.phase == "training" or j.final)
    ended = until(manager, job.id, lambda j: j.final)
    done = manager.get(job.id)
    if done.state != "done":
        raise RuntimeError(f"{name}: {done.state}: {done.error}")
    return {
        "first word": spoke - t0,
        "first progress": training - t0,
        "total": ended - t0,
        "estimate": estimate,
    }


def cancel(manager: JobManager, name: str) -> dict[str, float]:
    job = manager.submit(LONG, name)
    until(manager, job.id, lambda j: j.progress.phase == "training")
    time.sleep(1.0)
    asked_wall, asked = time.time(), time.monotonic()
    manager.cancel(job.id)
    shown = until(manager, job.id, lambda j: j.final, timeout=60)
    result = manager.root / job.id / "result.json"
    state = manager.get(job.id).state
    if state != "cancelled":
        raise RuntimeError(f"{name}: {state}")
    return {"worker stopped": result.stat().st_mtime - asked_wall, "shown": shown - asked}


def browser_cancel(runs: int) -> list[dict[str, float]]:
    """Start a 30-epoch run on the Train page, Cancel it once it trains; times per run."""
    import re

    from playwright.sync_api import expect

    from devkit.browser_util import chromium, serving, wait_until_idle

    fixture = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mnist_small.npz"
    out = []
    env = {"MNIST_PATH": str(fixture), "LENET_PRECISION": "fp32"}
    with serving("bench-jobs", env) as (url, home), chromium() as browser:
        for i in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}/train")
            name = page.locator(".st-key-train_name input")
            name.wait_for(state="visible", timeout=120_000)
            wait_until_idle(page)
            epochs = page.locator(".st-key-train_epochs input[type=range]")
            epochs.focus()
            page.keyboard.press("End")  # 30 epochs: long enough to cancel
            wait_until_idle(page)
            for _ in range(5):  # a rerun still in flight can put the default name back
                name.fill(f"cancel-me-{i}")
                name.press("Enter")
                wait_until_idle(page)
                page.wait_for_timeout(300)
                if name.input_value() == f"cancel-me-{i}":
                    break
            else:
                raise SystemExit(f"the name field kept {name.input_value()!r}")
            started = time.monotonic()
            page.locator(".st-key-train_start button").click()
            progress = page.get_by_text(re.compile(r"epoch \d+/30"))
            expect(progress.first).to_be_visible(timeout=180_000)
            first = time.monotonic() - started
            clicked = time.time()  # just before the click: Playwright returns later
            page.locator("[class*=st-key-train_cancel_] button").first.click()
            page.wait_for_function(  # checked every 50 ms in the page, not expect's back-off
                f"() => document.body.innerText.includes('cancel-me-{i} · cancelled')",
                polling=50,
                timeout=60_000,
            )
            shown = time.time()
            folders = {
                json.loads(f.read_text()).get("name"): f.parent
                for f in (home / "jobs").glob("*/job.json")
            }
            if f"cancel-me-{i}" not in folders:
                raise SystemExit(f"no job named cancel-me-{i} among {sorted(folders)} in {home}")
            stopped = (folders[f"cancel-me-{i}"] / "result.json").stat().st_mtime
            out.append(
                {
                    "first progress": first,
                    "worker stopped": stopped - clicked,
                    "shown": shown - clicked,
                    "shown after stop": shown - stopped,
                }
            )
            page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="(default: 3)")
    parser.add_argument(
        "--data", default=os.environ.get("MNIST_PATH"), help="MNIST .npz (default: $MNIST_PATH)"
    )
    parser.add_argument("--browser", action="store_true", help="also time the Train page")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="a fresh worker process per job (the app's default is a warm worker)",
    )
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as home:
        launcher = {} if args.cold else {"launcher": WarmLauncher()}
        manager = JobManager(Path(home), data_path=args.data, **launcher)
        if not args.cold:  # as the Train page does when it opens, before any click
            manager.warm_up()
            warmed = time.monotonic()
            launcher["launcher"]._workers[0].ready.wait(300)
            print(f"warm worker ready {time.monotonic() - warmed:.1f} s after the page opened")
        try:
            launches = [launch(manager, f"quick{i}") for i in range(args.runs)]
            cancels = [cancel(manager, f"long{i}") for i in range(args.runs)]
        finally:
            manager.shutdown()
            if not args.cold:
                launcher["launcher"].stop()
    print(f"\nworker: {'a fresh process per job' if args.cold else 'warm (kept)'}")
    print(f"\nlaunch of a {QUICK.epochs}-epoch run on {QUICK.train_subset} images (seconds):")
    print("run | first word | first progress | total | estimate")
    for i, r in enumerate(launches):
        print(
            f"{i} | {r['first word']:.1f} | {r['first progress']:.1f} | {r['total']:.1f} | "
            f"{r['estimate']:.1f}"
        )
    print("\ncancel while training (seconds):")
    print("run | worker stopped | shown by the manager")
    for i, r in enumerate(cancels):
        print(f"{i} | {r['worker stopped']:.2f} | {r['shown']:.2f}")
    med = statistics.median
    if args.browser:
        pages = browser_cancel(args.runs)
        print("\non the Train page in Chromium (seconds):")
        print(
            "run | Start to first epoch shown | Cancel to worker stopped | to 'cancelled' "
            "shown | shown after the worker stopped"
        )
        for i, r in enumerate(pages):
            print(
                f"{i} | {r['first progress']:.1f} | {r['worker stopped']:.2f} | "
                f"{r['shown']:.2f} | {r['shown after stop']:.2f}"
            )
        print(
            f"page median: first progress {med(r['first progress'] for r in pages):.1f} s; "
            f"cancel shown {med(r['shown after stop'] for r in pages):.2f} s after the worker "
            f"stopped, {med(r['shown'] for r in pages):.2f} s after the click"
        )
    print(f"\nload after: {os.getloadavg()[0]:.2f} (1-min average)")
    print(
        f"median: launch to first progress {med(r['first progress'] for r in launches):.1f} s, "
        f"total {med(r['total'] for r in launches):.1f} s "
        f"(last estimate {launches[-1]['estimate']:.1f} s); cancel to worker stopped "
        f"{med(r['worker stopped'] for r in cancels):.2f} s, to shown "
        f"{med(r['shown'] for r in cancels):.2f} s (+ up to 0.5 s page poll)"
    )


if __name__ == "__main__":
    main()
