"""Accuracy on drawings, not only on MNIST: every bundled model on synthetic mouse drawings.

The drawings (``devkit.drawn``) imitate how people draw with a mouse: several styles per digit
(1 with or without a flag and base, 7 with a cross bar, open or closed 4...), random size,
position, slant, rotation and stroke width. No model is trained on them. Each model is scored
on the MNIST-faithful pipeline (``to_mnist``) and on the naive whole-canvas 28x28 resize.

    python -m benchmarks.bench_drawn [--per-digit 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from devkit.drawn import make_drawn_set  # noqa: E402
from lenet.preprocess import naive_resize, to_mnist  # noqa: E402
from lenet.store import ModelStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", type=int, default=300, help="(default: 300)")
    parser.add_argument("--seed", type=int, default=0, help="(default: 0)")
    args = parser.parse_args()
    grey, labels = make_drawn_set(args.per_digit, seed=args.seed)  # (N, 280, 280) uint8
    faithful, naive, keep = [], [], []
    for i, canvas in enumerate(grey):
        prep = to_mnist(canvas)
        if prep.image is None:
            continue
        keep.append(i)
        faithful.append(prep.image)
        naive.append(naive_resize(canvas))
    y = labels[keep].astype(int)
    faithful_x, naive_x = np.stack(faithful), np.stack(naive)
    print(
        f"{len(y)} drawings ({args.per_digit} per digit, seed {args.seed}); "
        f"{len(grey) - len(y)} came out empty"
    )
    store = ModelStore()
    print(f"{'model':<20}{'faithful':>10}{'naive':>10}   worst digits (faithful)")
    for card in store.list():
        if not card.bundled or card.broken:
            continue
        predictor = store.predictor(card.name)
        pred_f = predictor.predict(faithful_x).argmax(1)
        pred_n = predictor.predict(naive_x).argmax(1)
        per_digit = [(pred_f[y == d] == d).mean() for d in range(10)]
        worst = sorted(range(10), key=lambda d: per_digit[d])[:3]
        print(
            f"{card.name:<20}{(pred_f == y).mean():>10.2%}{(pred_n == y).mean():>10.2%}   "
            + ", ".join(f"{d}: {per_digit[d]:.0%}" for d in worst)
        )


if __name__ == "__main__":
    main()
