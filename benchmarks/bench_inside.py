"""Latency of the "Inside the network" view for one drawing, per bundled model.

Feature maps (C1, C3) + occlusion saliency for one class + the colour mosaics the page shows,
from a 28x28 preprocessed drawing; median and p95 over repeated drawings. Target: under 50 ms
for all of it.

    python -m benchmarks.bench_inside [--drawings 200]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from devkit.drawn import draw_digit  # noqa: E402
from lenet import plots  # noqa: E402
from lenet.inside import feature_maps, occlusion_saliency  # noqa: E402
from lenet.preprocess import to_mnist  # noqa: E402
from lenet.store import ModelStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=200, help="(default: 200)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images = [to_mnist(draw_digit(int(d), rng)).image for d in rng.integers(0, 10, args.drawings)]
    store = ModelStore()
    worst = 0.0
    for card in store.list():
        if not card.bundled or card.broken:
            continue
        reader, predictor = store.features(card.name), store.predictor(card.name)
        filters = store.c1_filters(card.name)
        times = []
        for image in images:
            t = time.perf_counter()
            seen = feature_maps(reader, image)
            digit = int(seen.probabilities.argmax())
            saliency = occlusion_saliency(predictor, image, digit)
            plots.saliency_overlay(image, saliency, 5)
            plots.map_grid(filters, columns=3, scale=12)
            plots.map_grid(seen.c1, columns=3, scale=4)
            plots.map_grid(seen.c3, columns=4, scale=5)
            times.append(time.perf_counter() - t)
        ms = np.asarray(times) * 1000
        p50, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
        worst = max(worst, p50)
        print(f"{card.name:<20} inside view p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    print(f"inside view p50 {worst:.2f} ms (slowest bundled model; target < 50 ms)")


if __name__ == "__main__":
    main()
