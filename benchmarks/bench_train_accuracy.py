"""A full zoo recipe through the project's training path: accuracy kept, time to 99%.

Trains one bundled model's recipe (same config, seed and data split as ``python -m lenet zoo``)
and, after every epoch, measures the test accuracy. The test set only reports here: nothing
is chosen by it, and the model is not saved. Prints each epoch's cumulative training time
(validation and this test pass excluded), the time to the first epoch at ``--target`` test
accuracy, and the final test accuracy next to the bundled model's (trained with the earlier,
slower path) with their difference in points.

    python -m benchmarks.bench_train_accuracy [--model lenet5-best] [--precision auto]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]


from lenet.data import load_mnist  # noqa: E402
from lenet.zoo import ZOO  # noqa: E402


def main() -> int:
    default_data = os.environ.get("MNIST_PATH") or str(ROOT / "../shared/datasets/mnist.npz")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default="lenet5-best", choices=sorted(ZOO), help="(default: lenet5-best)"
    )
    parser.add_argument("--data", default=default_data, help=f"(default: {default_data})")
    parser.add_argument(
        "--precision", default="auto", choices=("auto", "fp32", "bf16"), help="(default: auto)"
    )
    parser.add_argument("--target", type=float, default=0.99, help="(default: 0.99)")
    args = parser.parse_args()
    os.environ["LENET_PRECISION"] = args.precision

    import numpy as np

    from lenet.model import predict_proba
    from lenet.store import ModelStore
    from lenet.train import train

    x_train, y_train, x_test, y_test = load_mnist(args.data)
    config = ZOO[args.model][0]
    bundled = ModelStore().card(args.model).accuracy
    print(f"{args.model}: {config.epochs} epochs, batch {config.batch_size}; bundled {bundled:.2%}")
    print(f"load average at start: {os.getloadavg()} on {os.cpu_count()} CPUs")
    curve: list[tuple[int, float, float]] = []  # (epoch, cumulative train s, test accuracy)
    train_seconds = [0.0]

    def on_epoch(epoch: int, model) -> None:  # type: ignore[no-untyped-def]
        acc = float((predict_proba(model, x_test).argmax(1) == y_test).mean())
        curve.append((epoch, train_seconds[0], acc))
        print(f"epoch {epoch:>3}  {train_seconds[0]:7.1f} s training  test {acc:.2%}", flush=True)

    def on_progress(p) -> None:  # type: ignore[no-untyped-def]
        if p.kind == "epoch":
            train_seconds[0] = sum(h["seconds"] for h in p.history)

    started = time.perf_counter()
    result = train(config, (x_train, y_train), on_progress=on_progress, on_epoch=on_epoch)
    wall = time.perf_counter() - started
    final = curve[-1][2]
    rate = np.median([h["images_per_s"] for h in result.history])
    print(f"precision {result.precision}; median {rate:,.0f} images/s; wall {wall:.0f} s")
    print(f"load average at end: {os.getloadavg()}")
    reached = next(((e, s) for e, s, a in curve if a >= args.target), None)
    if reached is None:
        print(f"time to {args.target:.0%} test accuracy: not reached in {config.epochs} epochs")
    else:
        print(f"time to {args.target:.0%} test accuracy: {reached[1]:.1f} s (epoch {reached[0]})")
    diff = (final - bundled) * 100
    verdict = "within" if abs(diff) <= 0.1 else "NOT within"
    print(
        f"final test accuracy {final:.2%} vs bundled {bundled:.2%}: "
        f"{diff:+.2f} points ({verdict} 0.1)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
