"""Export a stored model for small devices: float and full-integer (int8) TFLite, measured.

The int8 model is calibrated on training images; its size, MNIST test accuracy and
single-image latency are measured next to the Keras and float TFLite versions and written
to ``export.json`` beside the files.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from lenet.files import write_atomic, write_json
from lenet.infer import Predictor
from lenet.store import ModelStore

CALIBRATION_IMAGES = 500
LATENCY_RUNS = 300


def tflite_bytes(model: Any, representative: np.ndarray | None = None) -> bytes:
    """Convert a Keras model to a TFLite flatbuffer (imports TensorFlow).

    Args:
        model: the Keras model.
        representative: (N, 28, 28) float [0, 1] training images; when given, the model is
            quantized to full integer (int8 weights, activations, input and output), the
            kind a microcontroller runs, calibrated on these images.

    Returns:
        The ``.tflite`` bytes: float32 without ``representative``.
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if representative is not None:
        calibration = np.asarray(representative, np.float32).reshape(-1, 1, 28, 28, 1)

        def samples() -> Iterator[list[np.ndarray]]:
            for x in calibration:
                yield [x]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = samples
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def _median_ms(fn: Any, x: np.ndarray, runs: int) -> float:
    fn(x)  # warm up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000)


def export_model(
    store: ModelStore,
    name: str,
    x_train: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    int8: bool = True,
    into: Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Write ``model.tflite`` (and ``model_int8.tflite``) and measure them.

    Args:
        store: where the model is.
        name: the stored model.
        x_train: (N, 28, 28) uint8 training images; a random few hundred calibrate int8.
        x_test: (M, 28, 28) uint8 test images for accuracy, or None to skip measuring.
        y_test: (M,) labels.
        int8: also write the full-integer model.
        into: the folder to write to (default: ``store.export_dir(name)``).
        seed: which calibration images.

    Returns:
        The export report (also written as ``export.json``).
    """
    import tensorflow as tf

    model = store.load_model(name)
    folder = into or store.export_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"keras": store.path(name) / "model.keras", "float": folder / "model.tflite"}
    write_atomic(files["float"], tflite_bytes(model))
    if int8:
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(x_train), size=min(CALIBRATION_IMAGES, len(x_train)), replace=False)
        files["int8"] = folder / "model_int8.tflite"
        write_atomic(files["int8"], tflite_bytes(model, x_train[pick].astype(np.float32) / 255))
    report: dict[str, Any] = {
        "model": name,
        **{f"{k}_kb": round(p.stat().st_size / 1024, 1) for k, p in files.items()},
    }
    if x_test is not None and y_test is not None:
        x = x_test.astype(np.float32) / 255.0
        one = x[:1]
        call = tf.function(lambda t: model(t, training=False))
        runners = {"keras": lambda b: call(tf.constant(b.reshape(-1, 28, 28, 1))).numpy()}
        for kind in ("float", "int8"):
            if kind in files:
                runners[kind] = Predictor.from_file(files[kind]).predict
        for kind, run in runners.items():
            probs = np.concatenate([run(x[i : i + 1000]) for i in range(0, len(x), 1000)])
            report[f"{kind}_accuracy"] = float((probs.argmax(1) == y_test).mean())
            report[f"{kind}_ms"] = round(_median_ms(run, one, LATENCY_RUNS), 4)
        if "int8" in files:
            report["int8_size_ratio"] = round(report["int8_kb"] / report["float_kb"], 3)
            report["int8_accuracy_drop"] = round(
                report["float_accuracy"] - report["int8_accuracy"], 4
            )
    write_json(folder / "export.json", report)
    return report
