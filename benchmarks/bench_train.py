"""Training throughput: the project's ``lenet.train.train`` against the same net in PyTorch eager.

One epoch (by default) of the 60,000 MNIST training images, batch 128, no validation split, for
the classic ReLU/max LeNet-5 and the ``lenet5-best`` recipe (with and without its augmentation).
PyTorch is an optional, benchmark-only dependency (CPU build); without it that half is skipped.
Runs alternate (project, torch, project, torch ...) after one warm-up run each, which is
excluded; each figure is whole-epoch wall time (the project's includes its per-run trace).

The classic half also measures the levers, each with one thing taken away from the shipped
path: one compiled call per batch instead of ``CHUNK_IMAGES`` per call; TensorFlow's oneDNN
kernels off (``TF_ENABLE_ONEDNN_OPTS=0``, in a subprocess since TensorFlow reads it at import),
with precision held at fp32 on both sides (with oneDNN off, bf16 is emulated, and the lever
would measure that too); and bf16 against fp32 (``LENET_PRECISION``): on CPUs with native bf16,
fp32 instead of the shipped bf16; elsewhere, bf16 forced (emulated) instead of the shipped fp32,
which shows what ``auto`` avoids there. Each lever changes one thing against its reference run.
The CPU's flags that matter (avx2, avx512_bf16, amx) are printed with the figures.

    python -m benchmarks.bench_train [--data PATH] [--repeats 3] [--batch-size 128] [--epochs 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402

from lenet import train as train_module  # noqa: E402
from lenet.config import LeNetConfig  # noqa: E402
from lenet.train import cpu_flags, train, training_precision  # noqa: E402
from lenet.zoo import ZOO  # noqa: E402

# Precision held at fp32: the lever changes the kernels only.
OFF_ONEDNN = {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "2", "LENET_PRECISION": "fp32"}
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
NO_AUG = {"aug_shift": 0, "aug_rotation": 0, "aug_zoom": 0, "aug_shear": 0, "aug_stroke": 0}
Runner = Callable[[], float]  # one measurement: images/s


def project_runner(
    config: LeNetConfig,
    x: np.ndarray,
    y: np.ndarray,
    chunk_images: int | None = None,
    precision: str | None = None,
) -> Runner:
    """The project's own training path, as the app runs it (or with one lever changed)."""

    env = {} if precision is None else {"LENET_PRECISION": precision}
    chunk = train_module.CHUNK_IMAGES if chunk_images is None else chunk_images

    def run() -> float:
        with (
            mock.patch.dict(os.environ, env),
            mock.patch.object(train_module, "CHUNK_IMAGES", chunk),
        ):
            result = train(config, (x, y))
        seconds = sum(h["seconds"] for h in result.history)  # whole-epoch wall time
        return result.train_size * len(result.history) / seconds

    return run


def subprocess_runner(args: argparse.Namespace, env: dict[str, str]) -> Runner:
    """The shipped path for the classic config in a fresh process with ``env`` set."""

    def run() -> float:
        # As a module from the repository root, so the child imports this checkout's lenet.
        data = str(Path(args.data).resolve())
        cmd = [sys.executable, "-m", "benchmarks.bench_train", "--single", "--data", data]
        cmd += ["--batch-size", str(args.batch_size), "--epochs", str(args.epochs)]
        out = subprocess.run(
            cmd, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        return float(out.strip().splitlines()[-1])

    return run


def torch_runner(
    torch: Any, best: bool, lr: float, x: np.ndarray, y: np.ndarray, args: argparse.Namespace
) -> Runner:
    """The same network in PyTorch eager (``best``: BatchNorm + dropout, no augmentation)."""
    nn, f = torch.nn, torch.nn.functional
    images = torch.from_numpy(x.astype("float32")[:, None] / 255.0)  # (N, 1, 28, 28) in memory
    labels = torch.from_numpy(y.astype("int64"))

    def block(cin: int, cout: int, bn: bool, drop: float) -> list[Any]:
        layers: list[Any] = [nn.Conv2d(cin, cout, 5, bias=not bn)]
        # Keras BatchNormalization defaults: momentum 0.99 (torch 0.01), epsilon 1e-3.
        layers += [nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)] if bn else []
        return layers + [nn.ReLU(), nn.MaxPool2d(2)] + ([nn.Dropout(drop)] if drop else [])

    def build() -> Any:
        if best:
            return nn.Sequential(
                *block(1, 16, True, 0.0), *block(16, 32, True, 0.1), nn.Flatten(),
                nn.Linear(512, 120), nn.ReLU(), nn.Dropout(0.2),
                nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
            )  # fmt: skip
        return nn.Sequential(
            *block(1, 6, False, 0.0), *block(6, 16, False, 0.0), nn.Flatten(),
            nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )  # fmt: skip

    def run() -> float:
        torch.manual_seed(0)
        model, n, bs = build(), len(images), args.batch_size
        batches = -(-n // bs)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR  # lenet5-best's cosine decay
        sched = cosine(opt, batches * args.epochs) if best else None
        model.train()
        start = time.perf_counter()
        for _ in range(args.epochs):
            order = torch.randperm(n)  # shuffled per epoch
            loss_sum, hits = 0.0, 0.0
            for b in range(batches):
                idx = order[b * bs : (b + 1) * bs]
                xb, yb = images[idx], labels[idx]
                logits = model(xb)
                loss = f.cross_entropy(logits, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                # Read loss and hits every step, as the project's loop does.
                loss_sum += loss.item() * len(idx)
                hits += float((logits.argmax(1) == yb).sum())
        return n * args.epochs / (time.perf_counter() - start)

    return run


def measure(title: str, runners: list[tuple[str, Runner]], repeats: int) -> dict[str, float]:
    """One warm-up each (excluded), then ``repeats`` alternating rounds; the median of each."""
    print(f"== {title}", flush=True)
    for label, run in runners:
        print(f"warm-up  {label:<50} {run():>9,.0f} images/s (excluded)", flush=True)
    rates: dict[str, list[float]] = {label: [] for label, _ in runners}
    for r in range(1, repeats + 1):
        for label, run in runners:
            rates[label].append(run())
            print(f"rep {r}    {label:<50} {rates[label][-1]:>9,.0f} images/s", flush=True)
    medians = {label: statistics.median(v) for label, v in rates.items()}
    for label, m in medians.items():
        lo, hi = min(rates[label]), max(rates[label])
        spread = f"(n={repeats}, min {lo:,.0f}, max {hi:,.0f})"
        print(f"median   {label:<50} {m:>9,.0f} images/s {spread}", flush=True)
    return medians


def main() -> None:
    default_data = os.environ.get("MNIST_PATH") or str(ROOT / "../shared/datasets/mnist.npz")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data, help=f"(default: {default_data})")
    parser.add_argument("--repeats", type=int, default=3, help="(default: 3, at least 3)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default: 128)")
    parser.add_argument("--epochs", type=int, default=1, help="(default: 1)")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)  # one run
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")
    with np.load(args.data) as d:
        x, y = d["x_train"], d["y_train"]
    run = dict(batch_size=args.batch_size, epochs=args.epochs, validation_split=0.0)
    classic = LeNetConfig(activation="relu", pooling="max", train_subset=None, **run)
    if args.single:
        print(project_runner(classic, x, y)())
        return
    print(
        f"data: {args.data}  {x.shape[0]:,} training images, batch {args.batch_size}, "
        f"{args.epochs} epoch(s), validation_split=0.0, train_subset=None"
    )
    print(f"load average at start: {os.getloadavg()} on {os.cpu_count()} CPUs (noisy machine)")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    try:
        import torch
    except ImportError as exc:
        torch = None
        print(f"PyTorch not importable ({exc}): skipping the PyTorch half")
    else:
        torch.set_num_threads(os.cpu_count() or 1)
        print(f"torch {torch.__version__}: set_num_threads({os.cpu_count()}) = CPU count, eager")

    flags = cpu_flags()
    shown = ", ".join(f"{flag} {'yes' if flag in flags else 'no'}" for flag in CPU_FLAGS)
    print(f"CPU flags: {shown}")
    precision = training_precision()
    print(
        f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS')}, "
        f"{train_module.CHUNK_IMAGES} images per compiled call, precision {precision} "
        f"(bf16 only on CPUs with {' or '.join(train_module.BF16_CPU_FLAGS)})"
    )
    best = ZOO["lenet5-best"][0].replace(train_subset=None, **run)
    t_classic, t_best = "pytorch classic relu/max 28x28 valid", "pytorch lenet5-best (no aug)"
    shipped_label = "project classic relu/max 28x28 valid"
    plain = [(shipped_label, project_runner(classic, x, y))]
    # (label, runner, the reference run it differs from in one thing)
    levers: list[tuple[str, Runner, str]] = [
        (
            "lever off: one compiled call per batch",
            project_runner(classic, x, y, args.batch_size),
            shipped_label,
        )
    ]
    fp32_label = shipped_label
    if precision == "bf16":
        fp32_label = "lever off: bf16 (fp32)"
        levers.append((fp32_label, project_runner(classic, x, y, precision="fp32"), shipped_label))
    else:
        emulated = project_runner(classic, x, y, precision="bf16")
        levers.append(("bf16 forced (emulated on this CPU)", emulated, shipped_label))
    onednn = subprocess_runner(args, OFF_ONEDNN)
    levers.append(("lever off: oneDNN (TF_ENABLE_ONEDNN_OPTS=0), fp32", onednn, fp32_label))
    bests = [
        ("project lenet5-best, with augmentation", project_runner(best, x, y)),
        ("project lenet5-best, augmentation off", project_runner(best.replace(**NO_AUG), x, y)),
    ]
    if torch is not None:
        plain.append((t_classic, torch_runner(torch, False, 1e-3, x, y, args)))
        bests.append((t_best, torch_runner(torch, True, best.learning_rate, x, y, args)))
        print("note: the PyTorch lenet5-best has its BatchNorm/dropout but NO augmentation")
    runs = plain + [(label, run) for label, run, _ in levers]
    m_plain = measure("classic LeNet-5, ReLU + max pooling", runs, args.repeats)
    m_best = measure("lenet5-best recipe (PyTorch without augmentation)", bests, args.repeats)
    print(f"load average at end: {os.getloadavg()}")
    shipped = m_plain[plain[0][0]]
    for label, _, reference in levers:
        gain = m_plain[reference] / m_plain[label]
        print(f"speed-up from turning the lever on ({label} vs {reference}): {gain:.2f}x")
    if torch is None:
        print("ratio project/pytorch n/a (PyTorch not installed)")
        return
    for label, _ in bests[:2]:
        print(f"ratio {label} / {t_best}: {m_best[label] / m_best[t_best]:.3f}")
    print(f"ratio project/pytorch {shipped / m_plain[t_classic]:.3f}")


if __name__ == "__main__":
    main()
