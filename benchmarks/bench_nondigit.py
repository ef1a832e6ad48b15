"""How well the "not a digit" check (``lenet.nondigit``) works, on measuring sets only.

Three sets the detector never saw in training or validation (``devkit/train_nondigit.py``):

1. **non-digits**: ``devkit.nondigits`` with its ``MEASURING`` parameters (other letters,
   other ranges, zigzag scribbles and polygon blobs; see that module), MNIST pairs made of
   MNIST *test* digits; target: at least 90% flagged. A drawing that preprocessing already
   refuses (a dot) gets no digit either and counts as flagged, shown apart;
2. **MNIST test**: all 10,000 digits through ``to_mnist`` (as the CLI and the app read an
   image) and as stored; target: at most 0.5% flagged;
3. **drawn digits**: ``devkit.drawn.make_style_set`` (all templates and variations, the
   held-out ones included); target: at most 1% flagged.

Then the cost of one decision (the detector on one 28x28 image), which the Draw page pays on
every stroke.

    nice -n 15 python -m benchmarks.bench_nondigit [--data PATH] [--per-kind 300] [--per-cell 12]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from devkit.drawn import VARIATIONS, make_style_set  # noqa: E402
from devkit.nondigits import KINDS, MEASURING, make_nondigit_set  # noqa: E402
from devkit.train_nondigit import default_data  # noqa: E402
from lenet.data import load_mnist  # noqa: E402
from lenet.nondigit import NonDigitDetector, bundled_detector  # noqa: E402
from lenet.preprocess import to_mnist  # noqa: E402

TARGET_NONDIGITS, TARGET_MNIST, TARGET_DRAWN = 0.90, 0.005, 0.01


def preprocess(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, 28, 28) float32 images of the non-empty results and the (N,) bool kept mask."""
    results = [to_mnist(image) for image in images]
    kept = np.array([r.image is not None for r in results])
    return np.stack([r.image for r in results if r.image is not None]), kept


def flagged(detector: NonDigitDetector, x: np.ndarray) -> np.ndarray:
    """(N,) bool, True where the image is judged not a digit."""
    return detector.scores(x)[:, 1:].sum(axis=1) >= detector.threshold


def verdict(rate: float, target: float, at_least: bool) -> str:
    ok = rate >= target if at_least else rate <= target
    return f"(target {'>=' if at_least else '<='} {target:.1%}: {'met' if ok else 'MISSED'})"


def nondigits(detector: NonDigitDetector, per_kind: int, seed: int, x_test: np.ndarray) -> None:
    images, kinds = make_nondigit_set(per_kind, seed, MEASURING, x_test)
    x, kept = preprocess(images)
    hit = np.ones(len(images), bool)  # refused by preprocessing: no digit named either
    hit[kept] = flagged(detector, x)
    print(f"non-digits (MEASURING, seed {seed}, {per_kind} per kind, MNIST pairs from test):")
    for kind in KINDS:
        chosen = kinds == kind
        print(
            f"  {kind:<10}{hit[chosen].mean():>8.1%} flagged"
            f"   ({int((~kept[chosen]).sum())} refused by preprocessing as empty)"
        )
    print(f"  all       {hit.mean():>8.1%} flagged {verdict(hit.mean(), TARGET_NONDIGITS, True)}")


def mnist_test(detector: NonDigitDetector, x_test: np.ndarray) -> None:
    x, kept = preprocess(x_test)
    through = flagged(detector, x)
    stored = flagged(detector, x_test.astype(np.float32) / 255.0)
    print(
        f"MNIST test ({len(x_test)}): {through.mean():.2%} flagged through to_mnist "
        f"({int(through.sum())}; {int((~kept).sum())} empty) "
        f"{verdict(through.mean(), TARGET_MNIST, False)}; as stored {stored.mean():.2%} "
        f"({int(stored.sum())})"
    )


def drawn(detector: NonDigitDetector, per_cell: int, seed: int) -> None:
    drawings = make_style_set(per_cell, seed=seed)
    x, kept = preprocess(drawings.images)
    hit = np.zeros(len(kept), bool)
    hit[kept] = flagged(detector, x)
    rate = hit[kept].mean()
    print(
        f"drawn digits ({len(kept)}, {per_cell} per template and variation, seed {seed}; "
        f"{int((~kept).sum())} empty, left out): {rate:.2%} flagged ({int(hit.sum())}) "
        f"{verdict(rate, TARGET_DRAWN, False)}; held-out templates and variations "
        f"{hit[kept & drawings.held_out].mean():.2%}"
    )
    for variation in VARIATIONS:
        chosen = kept & (drawings.variations == variation.name)
        print(f"  {variation.name:<12}{hit[chosen].mean():>7.2%}")
    worst = sorted(
        set(drawings.styles[hit].tolist()), key=lambda s: -hit[drawings.styles == s].sum()
    )
    print(
        "  flagged most: "
        + ", ".join(f"{s} ({int(hit[drawings.styles == s].sum())})" for s in worst[:5])
    )


def cost(detector: NonDigitDetector, x_test: np.ndarray, runs: int) -> None:
    images = x_test[:runs].astype(np.float32) / 255.0
    for image in images[:50]:  # warm up
        detector.judge(image)
    times = []
    for image in images:
        start = time.perf_counter()
        detector.judge(image)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1e3
    print(
        f"cost of one decision ({runs} calls): median {np.median(ms):.3f} ms, "
        f"p99 {np.percentile(ms, 99):.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=300, help="non-digits (default: 300)")
    parser.add_argument("--per-cell", type=int, default=12, help="drawn digits (default: 12)")
    parser.add_argument("--seed", type=int, default=0, help="(default: 0)")
    parser.add_argument("--runs", type=int, default=2000, help="timed calls (default: 2000)")
    parser.add_argument(
        "--data",
        default=default_data(),
        help="MNIST .npz (default: $MNIST_PATH, else ../shared/datasets/mnist.npz, else Keras)",
    )
    args = parser.parse_args()
    detector = bundled_detector()
    if detector is None:
        raise SystemExit("no detector in assets/nondigit: run python -m devkit.train_nondigit")
    x_test = load_mnist(args.data)[2]
    print(f"threshold {detector.threshold:.4f}")
    nondigits(detector, args.per_kind, args.seed, x_test)
    mnist_test(detector, x_test)
    drawn(detector, args.per_cell, args.seed)
    cost(detector, x_test, args.runs)


if __name__ == "__main__":
    main()
