"""End-to-end drawing latency: a 280x280 RGBA canvas array to ten probabilities.

For each bundled model: the app's path (MNIST-faithful preprocessing + the TFLite predictor)
and, in the same run, the naive path (the same preprocessing + ``model.predict``), p50 and p95
over the same synthetic mouse drawings. Also checks that the TFLite outputs match Keras.

    python -m benchmarks.bench_predict [--drawings 1000] [--naive-drawings 200]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from devkit.drawn import draw_digit  # noqa: E402
from lenet.preprocess import to_mnist  # noqa: E402
from lenet.store import ModelStore  # noqa: E402


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def canvases(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [draw_digit(int(d), rng) for d in rng.integers(0, 10, n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=1000, help="(default: 1000)")
    parser.add_argument("--naive-drawings", type=int, default=200, help="(default: 200)")
    parser.add_argument("--seed", type=int, default=0, help="(default: 0)")
    args = parser.parse_args()
    store = ModelStore(bundled_root=ModelStore().bundled_root)
    cards = [c for c in store.list() if c.bundled and not c.broken]
    drawings = canvases(args.drawings, args.seed)
    prep_times = []
    for canvas in drawings:
        t = time.perf_counter()
        to_mnist(canvas)
        prep_times.append(time.perf_counter() - t)
    p50, p95 = percentiles(prep_times)
    print(f"preprocessing alone: p50 {p50:.3f} ms, p95 {p95:.3f} ms over {len(drawings)} drawings")
    slowest = 0.0
    for card in cards:
        predictor = store.predictor(card.name)
        keras_model = store.load_model(card.name)
        fast, naive, worst_diff = [], [], 0.0
        for canvas in drawings:
            t = time.perf_counter()
            probs = predictor.predict(to_mnist(canvas).image)
            fast.append(time.perf_counter() - t)
        for canvas in drawings[: args.naive_drawings]:
            t = time.perf_counter()
            image = to_mnist(canvas).image
            reference = keras_model.predict(image[None, ..., None], verbose=0)
            naive.append(time.perf_counter() - t)
            diff = np.abs(reference - predictor.predict(image)).max()
            worst_diff = max(worst_diff, float(diff))
        f50, f95 = percentiles(fast)
        n50, n95 = percentiles(naive)
        slowest = max(slowest, f50)
        print(
            f"{card.name:<18} tflite p50 {f50:.3f} ms p95 {f95:.3f} ms | model.predict "
            f"p50 {n50:.1f} ms p95 {n95:.1f} ms | speed-up x{n50 / f50:.0f} | "
            f"max |tflite-keras| {worst_diff:.1e}"
        )
        assert probs.shape == (1, 10)
    print(f"end-to-end p50 {slowest:.3f} ms (slowest bundled model)")


if __name__ == "__main__":
    main()
