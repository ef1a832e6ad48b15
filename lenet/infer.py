"""Fast inference for stored models through a TFLite interpreter.

``Predictor`` runs a ``.tflite`` file with LiteRT (``ai-edge-litert``), which starts in
milliseconds and does not import TensorFlow; only ``export_tflite`` needs TensorFlow.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def _interpreter_class() -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # fall back to TensorFlow's own, slower to import
        from tensorflow.lite import Interpreter  # type: ignore[no-redef]
    return Interpreter


class Predictor:
    """Ten probabilities per 28x28 image from a float TFLite model. Thread-safe."""

    def __init__(self, model_content: bytes) -> None:
        """Load a model.

        Args:
            model_content: the bytes of a ``.tflite`` file.

        Raises:
            ValueError: if the bytes are not a TFLite model taking 28x28x1 images.
        """
        try:
            self._interp = _interpreter_class()(model_content=model_content, num_threads=1)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"not a usable TFLite model: {exc}") from exc
        inp = self._interp.get_input_details()[0]
        if tuple(inp["shape"][1:]) != (28, 28, 1):
            raise ValueError(f"TFLite model takes {tuple(inp['shape'])}, expected (N, 28, 28, 1)")
        self._in, self._out = inp["index"], self._interp.get_output_details()[0]["index"]
        self._batch = int(inp["shape"][0])
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Predictor:
        return cls(Path(path).read_bytes())

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Probabilities for images.

        Args:
            images: (28, 28) or (N, 28, 28) or (N, 28, 28, 1), float in [0, 1].

        Returns:
            (N, 10) float32.

        Raises:
            ValueError: on any other shape.
        """
        x = np.asarray(images, dtype=np.float32)
        if x.shape == (28, 28):
            x = x[None]
        if x.ndim == 4 and x.shape[-1] == 1:
            x = x[..., 0]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"images must be (N, 28, 28), got {np.shape(images)}")
        x = x[..., None]  # (N, 28, 28, 1)
        with self._lock:
            if len(x) != self._batch:
                self._interp.resize_tensor_input(self._in, list(x.shape))
                self._interp.allocate_tensors()
                self._batch = len(x)
            self._interp.set_tensor(self._in, x)
            self._interp.invoke()
            return self._interp.get_tensor(self._out).copy()


def tflite_bytes(model: Any) -> bytes:
    """Convert a Keras model to a float32 TFLite flatbuffer (imports TensorFlow)."""
    import tensorflow as tf

    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Prediction:
    """One model's answer for one image."""

    digit: int
    confidence: float
    probabilities: list[float]  # ten, summing to 1
    runner_up: int
    runner_up_confidence: float
    unsure: bool  # the top probability is below the threshold


def describe(probabilities: np.ndarray, unsure_below: float = 0.6) -> Prediction:
    """Turn ten probabilities into a ``Prediction``; ``unsure`` when the top one is low."""
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if p.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got shape {np.shape(probabilities)}")
    first, second = np.argsort(p)[::-1][:2]
    return Prediction(
        int(first),
        float(p[first]),
        [float(v) for v in p],
        int(second),
        float(p[second]),
        bool(p[first] < unsure_below),
    )
