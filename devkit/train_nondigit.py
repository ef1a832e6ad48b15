"""Train the bundled "digit or not" network (``lenet.nondigit``) and choose its threshold.

Data (every image goes through ``lenet.preprocess.to_mnist``, as the app's drawings do):

- **digits** (class 0): MNIST training images 0-53,999, and ``devkit.drawn.make_style_set``
  drawings (seed 101) less every held-out template and variation;
- **non-digits** (classes 1-6, ``lenet.nondigit.KINDS``): ``devkit.nondigits`` with its
  ``TRAINING`` parameters (seed 303), MNIST pairs from training images 0-53,999.

Validation, for the threshold and the figures printed at the end: MNIST training images
54,000-59,999, drawings of the training templates (seed 202) and ``TRAINING`` non-digits
(seed 404, MNIST pairs from images 54,000-59,999). MNIST test and the ``MEASURING`` non-digits
are never seen here: ``benchmarks/bench_nondigit.py`` measures on them.

The threshold is the lowest non-digit score that flags at most ``--max-digit-flags`` of the
validation digits (MNIST and drawn, each). Writes ``assets/nondigit/detector.tflite`` and
``detector.json`` (threshold, what the network saw, validation figures).

    nice -n 15 python -m devkit.train_nondigit [--data PATH] [--epochs 12] [--seed 0] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from devkit.drawn import make_style_set  # noqa: E402
from devkit.nondigits import KINDS as NONDIGIT_KINDS  # noqa: E402
from devkit.nondigits import TRAINING, TRAINING_LETTERS, make_nondigit_set  # noqa: E402
from lenet.data import load_mnist  # noqa: E402
from lenet.files import write_atomic, write_json  # noqa: E402
from lenet.nondigit import DETECTOR_DIR, INFO_FILE, KINDS, MODEL_FILE  # noqa: E402
from lenet.preprocess import to_mnist  # noqa: E402

TRAIN_END = 54_000  # MNIST training images from here on are validation
SEEDS = {"drawn_train": 101, "drawn_val": 202, "nondigit_train": 303, "nondigit_val": 404}


def preprocess(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) float32 ``to_mnist`` images and the (N,) bool mask of non-empty ones."""
    out = np.zeros((len(images), 28, 28), np.float32)
    kept = np.zeros(len(images), bool)
    for i, image in enumerate(images):
        prep = to_mnist(image)
        if prep.image is not None:
            out[i], kept[i] = prep.image, True
    return out[kept], kept


def build_sets(
    train_digits: np.ndarray,
    val_digits: np.ndarray,
    per_cell: int,
    per_kind: int,
    val_cells: int = 8,
    val_per_kind: int = 300,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every training and validation source as (x (N, 28, 28) float32, y (N,) int labels)."""
    sets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, digits in (("mnist_train", train_digits), ("mnist_val", val_digits)):
        x, _ = preprocess(digits)
        sets[name] = (x, np.zeros(len(x), np.int64))
    for name, cells in (
        ("drawn_train", per_cell),
        ("drawn_val", val_cells),
    ):
        drawn = make_style_set(cells, seed=SEEDS[name])
        x, _ = preprocess(drawn.images[~drawn.held_out])
        sets[name] = (x, np.zeros(len(x), np.int64))
    for name, count, digits in (
        ("nondigit_train", per_kind, train_digits),
        ("nondigit_val", val_per_kind, val_digits),
    ):
        images, kinds = make_nondigit_set(count, SEEDS[name], TRAINING, digits)
        x, kept = preprocess(images)
        sets[name] = (x, np.array([KINDS.index(str(k)) for k in kinds[kept]]))
    return sets


def build_model(seed: int) -> object:
    """Two small convolutions and a dense layer; seven softmax outputs (``KINDS``)."""
    import keras
    from keras import layers

    keras.mixed_precision.set_global_policy("float32")  # the same on every CPU
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, 5, activation="relu"),  # (24, 24, 16)
            layers.MaxPooling2D(2),  # (12, 12, 16)
            layers.Conv2D(32, 5, activation="relu"),  # (8, 8, 32)
            layers.MaxPooling2D(2),  # (4, 4, 32)
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(len(KINDS), activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def nondigit_score(probabilities: np.ndarray) -> np.ndarray:
    """(N,) the six non-digit probabilities summed."""
    return probabilities[:, 1:].sum(axis=1)


def choose_threshold(digit_scores: list[np.ndarray], max_flags: float) -> float:
    """The lowest score that flags at most ``max_flags`` of each digit set."""
    return float(max(np.quantile(s, 1.0 - max_flags, method="higher") for s in digit_scores))


def default_data() -> str | None:
    """``MNIST_PATH``, else the shared folder beside the checkout; None lets Keras fetch it."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist.npz"
    return os.environ.get("MNIST_PATH") or (str(shared) if shared.is_file() else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12, help="(default: 12)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default: 128)")
    parser.add_argument("--per-cell", type=int, default=30, help="drawn digits (default: 30)")
    parser.add_argument("--per-kind", type=int, default=2500, help="non-digits (default: 2500)")
    parser.add_argument(
        "--max-digit-flags",
        type=float,
        default=0.002,
        help="share of validation digits the threshold may flag (default: 0.002)",
    )
    parser.add_argument("--seed", type=int, default=0, help="weights and order (default: 0)")
    parser.add_argument(
        "--data",
        default=default_data(),
        help="MNIST .npz (default: $MNIST_PATH, else ../shared/datasets/mnist.npz, else Keras)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/lenet-nondigit-data.npz"),
        help="preprocessed sets are kept here for a rerun (default: /tmp/lenet-nondigit-data.npz)",
    )
    parser.add_argument("--out", type=Path, default=DETECTOR_DIR, help="(default: assets/nondigit)")
    parser.add_argument("--dry-run", action="store_true", help="tiny sets, 1 epoch, nothing saved")
    args = parser.parse_args()

    started = time.perf_counter()
    x_train = load_mnist(args.data)[0]
    train_digits, val_digits = x_train[:TRAIN_END], x_train[TRAIN_END:]
    if args.dry_run:
        sets = build_sets(train_digits[:600], val_digits[:200], 1, 20, 1, 20)
        args.epochs = 1
    else:
        # The cache is reused only for the same sizes and generator parameters.
        key = repr((args.per_cell, args.per_kind, TRAINING, TRAINING_LETTERS, SEEDS))
        sets = {}
        if args.cache.exists():
            with np.load(args.cache) as cached:
                if "key" in cached and str(cached["key"]) == key:
                    names = [k[:-2] for k in cached if k.endswith("_x")]
                    sets = {k: (cached[k + "_x"], cached[k + "_y"]) for k in names}
        if not sets:
            sets = build_sets(train_digits, val_digits, args.per_cell, args.per_kind)
            arrays = {f"{k}_{part}": v[i] for k, v in sets.items() for i, part in enumerate("xy")}
            np.savez(args.cache, key=np.array(key), **arrays)
    prepared = time.perf_counter()
    counts = {k: len(v[1]) for k, v in sets.items()}
    print(f"data ({prepared - started:.0f} s): {counts}")

    x = np.concatenate([sets[k][0] for k in ("mnist_train", "drawn_train", "nondigit_train")])
    y = np.concatenate([sets[k][1] for k in ("mnist_train", "drawn_train", "nondigit_train")])
    # Digits and non-digits weigh the same in total; drawn digits as much as MNIST ones.
    weight = np.ones(len(y), np.float32)
    n_mnist, n_drawn = counts["mnist_train"], counts["drawn_train"]
    n_non = counts["nondigit_train"]
    weight[:n_mnist] = 0.5 * n_non / n_mnist
    weight[n_mnist : n_mnist + n_drawn] = 0.5 * n_non / n_drawn
    model = build_model(args.seed)
    model.fit(
        x[..., None],
        y,
        sample_weight=weight,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        verbose=2,
    )
    trained = time.perf_counter()

    from lenet.export import tflite_bytes
    from lenet.nondigit import NonDigitDetector

    content = tflite_bytes(model)
    # Threshold and figures from the TFLite model itself: what the app runs.
    probe = NonDigitDetector(content, 1.0)
    scores = {k: nondigit_score(probe.scores(v[0])) for k, v in sets.items() if k.endswith("_val")}
    threshold = choose_threshold([scores["mnist_val"], scores["drawn_val"]], args.max_digit_flags)
    kinds_val = sets["nondigit_val"][1]
    figures = {
        "mnist_val_flagged": float((scores["mnist_val"] >= threshold).mean()),
        "drawn_val_flagged": float((scores["drawn_val"] >= threshold).mean()),
        "nondigit_val_flagged": float((scores["nondigit_val"] >= threshold).mean()),
        "nondigit_val_flagged_per_kind": {
            KINDS[k]: float((scores["nondigit_val"][kinds_val == k] >= threshold).mean())
            for k in range(1, len(KINDS))
        },
    }
    info = {
        "threshold": threshold,
        "kinds": list(KINDS),
        "params": int(model.count_params()),
        "trained_on": {
            "mnist_train": f"MNIST training images 0-{TRAIN_END - 1} through to_mnist",
            "drawn_train": f"devkit.drawn.make_style_set(per_cell={args.per_cell}, "
            f"seed={SEEDS['drawn_train']}), held-out templates and variations left out",
            "nondigit_train": f"devkit.nondigits.make_nondigit_set(per_kind={args.per_kind}, "
            f"seed={SEEDS['nondigit_train']}, TRAINING), MNIST pairs from images "
            f"0-{TRAIN_END - 1}; kinds {list(NONDIGIT_KINDS)}",
            "counts": {k: v for k, v in counts.items() if k.endswith("_train")},
        },
        "validated_on": {
            "mnist_val": f"MNIST training images {TRAIN_END}-59999",
            "drawn_val": f"make_style_set seed {SEEDS['drawn_val']}, held-out left out",
            "nondigit_val": f"make_nondigit_set seed {SEEDS['nondigit_val']}, TRAINING",
            "counts": {k: v for k, v in counts.items() if k.endswith("_val")},
            "max_digit_flags": args.max_digit_flags,
            **figures,
        },
        "training": {"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed},
        "seconds": {"data": round(prepared - started), "fit": round(trained - prepared)},
    }
    print(json.dumps(info, indent=1))
    if args.dry_run:
        print("dry run: nothing saved")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / MODEL_FILE, content)
    write_json(args.out / INFO_FILE, info)
    print(f"saved {args.out / MODEL_FILE} ({len(content) / 1024:.0f} KB) and {INFO_FILE}")


if __name__ == "__main__":
    main()
