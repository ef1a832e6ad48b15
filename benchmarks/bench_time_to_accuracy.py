"""Time to 99% MNIST test accuracy: the quick preset, and the same network in PyTorch.

Part (a), click-to-saved: the quick preset submitted ``--runs`` times (default 5) through the
real job manager with the app's warm worker (``lenet.warm.WarmLauncher``), started ahead as
the Train page does when it opens. Per run, from the submit (the click) to the job's end as
the manager sees it, with the breakdown: queue (submit to the worker's start), start (to its
first word), data (reading MNIST; kept in a warm worker), trace (building and tracing the
model up to the first chunk of batches), train (the rest of training), evaluate (the test
set), save, and the rest (result to the manager). The Train page shows the result at its next
poll (every 0.5 s) after that.

Part (b), training seconds to ``--target`` test accuracy: the ``quick`` preset
(``lenet.presets.QUICK``) through the project's loop (``lenet.train.train``), and the same
network in PyTorch eager with Adam and ``OneCycleLR`` (same peak rate, warm-up fraction, batch
size, epochs and training images; PyTorch's default Adam momentum cycling). Each run is a fresh
subprocess; the sides alternate (project, torch, project, torch ...) and each figure is a
median. After every epoch the test accuracy is measured outside the clock; a run's time to the
target is its cumulative training time at the first epoch at or above it. The project's time
includes its one trace per run (part of its first epoch); a third side, reported only,
``prepared``, is the project with its run built and traced before the clock starts, as the
app's warm worker prepares the quick run while the Train page is open. The test set only
reports here: nothing is chosen by it.

PyTorch is an optional, benchmark-only dependency (CPU build); without it that side is skipped
with a line saying so. It gets as many threads as TensorFlow (the CPU count), and, when other
work keeps at least half the CPUs busy in the two seconds before part (b) (``busy_cpus``; the
one-minute load average trails, and counted a benchmark that had just ended as load),
``OMP_WAIT_POLICY=PASSIVE`` (its spinning OpenMP threads collapse on a loaded machine); the
output says whether it was set.

Part (c), reuse: how soon a run starts when the last run in the process had the same network
(a sweep trial, a second job in a warm worker), its traced steps reused, against traced anew.

    python -m benchmarks.bench_time_to_accuracy [--data PATH] [--repeats 3] [--target 0.99]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402

from lenet.config import LeNetConfig  # noqa: E402
from lenet.data import load_mnist, stratified_subset, train_val_split  # noqa: E402
from lenet.presets import QUICK  # noqa: E402

SIDES = ("project", "pytorch")
Curve = list[tuple[int, float, float]]  # (epoch, cumulative training s, test accuracy)


def training_images(
    config: LeNetConfig, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The images ``lenet.train.train`` trains on for ``config`` (its subset, less validation)."""
    x, y = stratified_subset(x, y, config.train_subset, config.seed)
    x_tr, y_tr, _, _ = train_val_split(x, y, config.validation_split, config.seed)
    return x_tr, y_tr


def run_project(config: LeNetConfig, data: str, prepared: bool = False) -> dict[str, Any]:
    """One run of the project's loop; the test accuracy after every epoch.

    ``prepared``: built and traced ahead (``lenet.train.prepare``, outside the clock), as the
    app's warm worker prepares the quick run while the Train page is open.
    """
    from lenet.model import predict_proba
    from lenet.train import prepare, train

    x, y, x_test, y_test = load_mnist(data)
    if prepared:
        prepare(config, (x, y))
    curve: Curve = []
    seconds = [0.0]

    def on_progress(p: Any) -> None:
        if p.kind == "epoch":
            seconds[0] = sum(h["seconds"] for h in p.history)  # validation excluded

    def on_epoch(epoch: int, model: Any) -> None:
        acc = float((predict_proba(model, x_test).argmax(1) == y_test).mean())
        curve.append((epoch, seconds[0], acc))

    result = train(config, (x, y), on_progress=on_progress, on_epoch=on_epoch)
    rate = result.train_size * len(result.history) / seconds[0]
    return {"curve": curve, "images_per_s": rate, "train_size": result.train_size}


def torch_network(torch: Any, config: LeNetConfig) -> Any:
    """``lenet.model.build_model(config)`` in PyTorch (logits out; softmax is in the loss)."""
    nn = torch.nn
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU, "gelu": nn.GELU}[config.activation]
    pool = nn.MaxPool2d if config.pooling == "max" else nn.AvgPool2d
    pad = (config.kernel_size // 2) if config.padding == "same" else 0
    layers: list[Any] = [nn.ZeroPad2d(2)] if config.input_size == 32 else []
    maps = 1
    for filters, bn, drop in zip(
        config.filters, config.batch_norm, config.conv_dropout, strict=True
    ):
        pool_first = bn and config.block_order == "conv-pool-bn-act"
        layers.append(nn.Conv2d(maps, filters, config.kernel_size, padding=pad, bias=not bn))
        layers += [pool(2)] if pool_first else []
        # Keras's BN momentum m keeps m of the moving statistics (torch: momentum 1 - m);
        # Keras's epsilon is 1e-3.
        layers += [nn.BatchNorm2d(filters, eps=1e-3, momentum=1 - config.bn_momentum)] if bn else []
        layers += [act()] + ([] if pool_first else [pool(2)]) + ([nn.Dropout(drop)] if drop else [])
        maps = filters
    layers.append(nn.Flatten())
    width = maps * config.feature_map_sizes()[-1] ** 2
    for units, drop in zip(config.dense_units, config.dense_dropout, strict=True):
        layers += [nn.Linear(width, units), act()] + ([nn.Dropout(drop)] if drop else [])
        width = units
    return nn.Sequential(*layers, nn.Linear(width, 10))


def run_torch(config: LeNetConfig, data: str, threads: int) -> dict[str, Any]:
    """One run of the same network and schedule in PyTorch eager, on the same images."""
    import torch
    from torch.nn import functional as f

    from lenet.train import OneCycle

    torch.set_num_threads(threads)
    x, y, x_test, y_test = load_mnist(data)
    x_tr, y_tr = training_images(config, x, y)
    images = torch.from_numpy(x_tr.astype("float32")[:, None] / 255.0)  # (N, 1, 28, 28)
    labels = torch.from_numpy(y_tr.astype("int64"))
    tests = torch.from_numpy(x_test.astype("float32")[:, None] / 255.0)
    torch.manual_seed(config.seed)
    model, n, bs = torch_network(torch, config), len(images), config.batch_size
    batches = -(-n // bs)
    opt = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    cycle = OneCycle(config.learning_rate, batches * config.epochs)  # same shape, same steps
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt,
        config.learning_rate,
        total_steps=batches * config.epochs,
        pct_start=cycle.warmup,
        div_factor=cycle.start_div,
        final_div_factor=cycle.end_div / cycle.start_div,  # torch divides the start rate
    )
    curve: Curve = []
    seconds = 0.0
    for epoch in range(1, config.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n)
        for b in range(batches):
            idx = order[b * bs : (b + 1) * bs]
            loss = f.cross_entropy(model(images[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        seconds += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(tests[i : i + 1000]) for i in range(0, len(tests), 1000)])
        acc = float((logits.argmax(1).numpy() == y_test).mean())
        curve.append((epoch, seconds, acc))
    return {"curve": curve, "images_per_s": n * config.epochs / seconds, "train_size": n}


def reached(curve: Curve, target: float) -> tuple[int, float] | None:
    """The first ``(epoch, cumulative seconds)`` at or above ``target`` test accuracy."""
    return next(((e, s) for e, s, a in curve if a >= target), None)


def one_run(side: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """``side``'s run in a fresh subprocess (its own imports, threads and environment)."""
    cmd = [sys.executable, "-m", "benchmarks.bench_time_to_accuracy", "--single", side]
    cmd += ["--data", str(Path(args.data).resolve())]  # the child runs from ROOT
    out = subprocess.run(
        cmd, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def busy_cpus(seconds: float = 2.0) -> float:
    """How many CPUs' worth of time the machine spent busy over the next ``seconds``.

    From ``/proc/stat`` (Linux); 0 where it cannot be read. Unlike the load average, which
    trails by a minute (a benchmark run just before reads as load), this is the load now.
    """

    def ticks() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
        return sum(fields) - idle, sum(fields)

    try:
        busy0, total0 = ticks()
        time.sleep(seconds)
        busy1, total1 = ticks()
    except (OSError, ValueError, IndexError):
        return 0.0
    return (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)


def time_to_accuracy(args: argparse.Namespace) -> float | None:
    """Part (b): print each run and the medians; the project/PyTorch ratio, or None."""
    threads = os.cpu_count() or 1
    load = busy_cpus()
    print(f"part (b): training seconds to {args.target:.1%} test accuracy, quick preset")
    print(f"quick preset: {QUICK.to_json()}")
    try:
        import torch
    except ImportError as exc:
        sides: tuple[str, ...] = SIDES[:1]
        print(f"PyTorch not importable ({exc}): skipping the PyTorch side")
        torch_env: dict[str, str] = {}
    else:
        sides = SIDES
        torch_env = {"LENET_TORCH_THREADS": str(threads)}
        # Loaded: other work keeps at least half the CPUs busy now.
        if load >= threads / 2 and "OMP_WAIT_POLICY" not in os.environ:
            torch_env["OMP_WAIT_POLICY"] = "PASSIVE"
        policy = torch_env.get("OMP_WAIT_POLICY", os.environ.get("OMP_WAIT_POLICY"))
        print(
            f"torch {torch.__version__}: {threads} threads (TensorFlow's: the CPU count); "
            f"OMP_WAIT_POLICY={policy or '(unset)'} (CPUs busy over 2 s before: {load:.1f}"
            f"{', loaded: set to PASSIVE' if 'OMP_WAIT_POLICY' in torch_env else ''})"
        )
    sides = (*sides, "prepared")  # reported only: the project as the warm worker runs it
    times: dict[str, list[float]] = {side: [] for side in sides}
    for r in range(1, args.repeats + 1):
        for side in sides:
            run = one_run(side, args, torch_env if side == "pytorch" else {})
            hit = reached(run["curve"], args.target)
            accs = " ".join(f"{a:.2%}" for _, _, a in run["curve"])
            when = "not reached" if hit is None else f"{hit[1]:.1f} s (epoch {hit[0]})"
            print(
                f"rep {r}  {side:<8} to {args.target:.1%}: {when:<20} test by epoch: {accs}  "
                f"{run['images_per_s']:,.0f} images/s, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            times[side].append(float("inf") if hit is None else hit[1])
    medians = {side: statistics.median(v) for side, v in times.items()}
    for side, m in medians.items():
        shown = "not reached" if m == float("inf") else f"{m:.1f} s"
        print(f"median {side:<8} training time to {args.target:.1%} test accuracy: {shown}")
    if "pytorch" not in medians or float("inf") in medians.values():
        return None
    print(
        "ratio with the project prepared ahead (its trace outside the clock, as in the app's "
        f"warm worker; reported only): {medians['prepared'] / medians['pytorch']:.2f}"
    )
    return medians["project"] / medians["pytorch"]


def click_to_saved(args: argparse.Namespace) -> str | None:
    """Part (a): the quick preset through the job manager and a warm worker, ``--runs`` times.

    Returns:
        Its summary line (printed last but one, before the ratio), or None without runs.
    """
    import tempfile

    from lenet.jobs import JobManager
    from lenet.warm import WarmLauncher

    print("\npart (a): click-to-saved of the quick preset through the job manager, warm worker")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tta-") as home:
        launcher = WarmLauncher(idle_s=600)
        manager = JobManager(Path(home), data_path=args.data, launcher=launcher)
        try:
            opened = time.monotonic()
            manager.warm_up()  # the Train page opening
            if not launcher._workers[0].ready.wait(600):
                raise SystemExit("the warm worker did not get ready in 10 minutes")
            print(f"warm worker ready {time.monotonic() - opened:.1f} s after the page opened")
            for i in range(args.runs):
                rows.append(one_click(manager, f"quick-{i}"))
                r = rows[-1]
                print(
                    f"run {i}: click-to-saved {r['total']:.2f} s, test accuracy "
                    f"{r['accuracy']:.2%} | " + ", ".join(f"{k} {r[k]:.2f}" for k in PHASES),
                    flush=True,
                )
        finally:
            manager.shutdown()
            launcher.stop()
    if not rows:
        return None
    med = statistics.median
    breakdown = ", ".join(f"{k} {med(r[k] for r in rows):.2f}" for k in PHASES)
    print(f"median breakdown (s): {breakdown}")
    return (
        f"quick run click-to-saved median {med(r['total'] for r in rows):.1f} s, test accuracy "
        f"{100 * med(r['accuracy'] for r in rows):.2f}%"
    )


def _note_time(reports: list[float], _progress: Any) -> None:
    reports.append(time.perf_counter())


def reuse(args: argparse.Namespace) -> None:
    """Part (c): how soon a run starts when the last run had the same network.

    In this process, ``--repeats`` times: the quick preset's first chunk of batches after
    its traced steps were dropped (traced anew), then the same network at half the rate and
    one epoch (a sweep trial, or a second job: its steps are reused). Each time is from the
    call to ``train`` to its first progress report, so it includes that chunk's training.
    """
    from lenet.data import load_mnist
    from lenet.train import _TRACED, train

    print("\npart (c): a run's start, traced anew or reusing the last run's traced steps")
    x, y, _, _ = load_mnist(args.data)
    chunk = 4096 // QUICK.batch_size
    times: dict[str, list[float]] = {"traced": [], "reused": []}
    for _ in range(args.repeats):
        for kind, config in (
            ("traced", QUICK),
            ("reused", QUICK.replace(learning_rate=QUICK.learning_rate / 2, epochs=1)),
        ):
            if kind == "traced":
                _TRACED.clear()
            reports: list[float] = []
            start = time.perf_counter()
            train(config, (x, y), max_batches=chunk, on_progress=partial(_note_time, reports))
            times[kind].append(reports[0] - start)
    med = statistics.median
    print(
        f"first chunk ({chunk} batches) reported after {med(times['traced']):.2f} s traced anew, "
        f"{med(times['reused']):.2f} s reused (medians of {args.repeats})"
    )


def in_chromium(args: argparse.Namespace) -> None:
    """Once on the Train page in headless Chromium: Start to "Saved as" on screen."""
    from devkit.browser_util import chromium, serving, wait_until_idle

    env = {"MNIST_PATH": args.data, "LENET_WARM_IDLE_S": "600", "LENET_WORKERS": None}
    with serving("bench-tta-page-", env) as (url, home), chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{url}/train")
        name = page.locator(".st-key-train_name input")
        name.wait_for(state="visible", timeout=120_000)
        wait_until_idle(page)
        # A person reads the form before clicking; the warm worker starts meanwhile.
        time.sleep(args.think)
        name.fill("quick-page")
        name.press("Enter")
        wait_until_idle(page)
        clicked = time.monotonic()
        page.locator(".st-key-train_start button").click()
        page.wait_for_function(
            "() => document.body.innerText.includes('Saved as quick-page:')",
            polling=50,
            timeout=600_000,
        )
        shown = time.monotonic() - clicked
        job = next(
            json.loads(f.read_text())
            for f in (home / "jobs").glob("*/job.json")
            if '"quick-page"' in f.read_text()
        )
        same = LeNetConfig.from_dict(job["config"]) == QUICK
        r = job["result"]
        print(
            f"Chromium, Train page: Start to 'Saved as' shown {shown:.1f} s after "
            f"{args.think:.0f} s on the form; test accuracy {r['accuracy']:.2%}; "
            f"the page's default is {'the quick preset' if same else 'NOT the quick preset'}; "
            f"in the worker: training {r['seconds']:.1f} s (first chunk "
            f"{r.get('first_chunk_s') or 0:.2f}), evaluation and save {r['evaluation_s']:.1f} s"
        )


PHASES = ("queue", "start", "data", "trace", "train", "evaluate", "save", "rest")


def one_click(manager: Any, name: str) -> dict[str, float]:
    """Submit the quick preset and follow it every 20 ms to its end; the timings of its phases."""
    clicked, wall = time.monotonic(), time.time()
    job = manager.submit(QUICK, name)
    spoke = None
    while not job.final:
        time.sleep(0.02)
        job = manager.get(job.id)
        if spoke is None and job.progress.phase:
            spoke = time.time()
    ended = time.monotonic()
    r = job.result
    if job.state != "done":
        raise SystemExit(f"{name}: {job.state}: {job.error}")
    total = ended - clicked
    queue = (job.started or wall) - wall
    start = (spoke or job.started or wall) - (job.started or wall)
    trace = r.first_chunk_s or 0.0
    evaluate = (r.evaluation_s or 0.0) - (r.save_s or 0.0)
    phases = {
        "queue": queue,
        "start": start,
        "data": r.data_s or 0.0,
        "trace": trace,
        "train": (r.seconds or 0.0) - trace,
        "evaluate": evaluate,
        "save": r.save_s or 0.0,
    }
    phases["rest"] = total - sum(phases.values())
    return {**phases, "total": total, "accuracy": r.accuracy or 0.0}


def main() -> None:
    default_data = os.environ.get("MNIST_PATH") or str(ROOT / "../shared/datasets/mnist.npz")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data, help=f"(default: {default_data})")
    parser.add_argument("--repeats", type=int, default=3, help="(default: 3, runs per side)")
    parser.add_argument("--target", type=float, default=0.99, help="(default: 0.99)")
    parser.add_argument("--runs", type=int, default=5, help="(default: 5, part (a) runs)")
    parser.add_argument("--only", choices=("a", "b", "c"), help="run one part only")
    parser.add_argument(
        "--browser", action="store_true", help="also once on the Train page in Chromium"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=20.0,
        help="seconds on the Train page before the click, in Chromium (default: 20)",
    )
    # One run, as JSON (part (b)'s subprocesses).
    parser.add_argument("--single", choices=(*SIDES, "prepared"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single in ("project", "prepared"):
        print(json.dumps(run_project(QUICK, args.data, prepared=args.single == "prepared")))
        return
    if args.single == "pytorch":
        threads = int(os.environ.get("LENET_TORCH_THREADS", os.cpu_count() or 1))
        print(json.dumps(run_torch(QUICK, args.data, threads)))
        return
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    print(f"data: {args.data}; load average at start: {os.getloadavg()} on {os.cpu_count()} CPUs")
    ratio = time_to_accuracy(args) if args.only in (None, "b") else None
    if args.only in (None, "c"):
        reuse(args)
    if args.browser:
        in_chromium(args)
    summary = click_to_saved(args) if args.only in (None, "a") else None
    print(f"load average at end: {os.getloadavg()}")
    if summary:
        print(summary)  # the line before the ratio
    shown = "n/a (a side was skipped or missed the target)" if ratio is None else f"{ratio:.2f}"
    print(f"time to {args.target:.0%} ratio project/pytorch {shown}")


if __name__ == "__main__":
    main()
