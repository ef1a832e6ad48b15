"""Fast inference for stored models through a TFLite interpreter.

``Predictor`` runs a ``.tflite`` file with LiteRT (``ai-edge-litert``), which starts in
milliseconds and does not import TensorFlow; the conversion that makes the file
(``export.tflite_bytes``) is the part that needs TensorFlow.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def _interpreter_class() -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # fall back to TensorFlow's own, slower to import
        from tensorflow.lite import Interpreter
    return Interpreter


MAX_BATCH = 256  # images per interpreter call: larger inputs run in chunks of this many


class Predictor:
    """Run a TFLite LeNet on 28x28 images. Thread-safe.

    Works with float models and with full-integer ones (int8 input and output are quantized
    and dequantized here), and with models that have several outputs (the feature model).
    Inputs run in chunks of at most ``MAX_BATCH`` images. After the interpreter raised once
    (XNNPACK "failed to prepare", ...) its state is undefined and a later call may crash the
    process, so ``failed`` is set and every later call raises: make a new ``Predictor``.
    """

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
        self._input = inp
        self._outputs = self._interp.get_output_details()
        self._batch = int(inp["shape"][0])
        self._lock = threading.Lock()
        self.failed = False

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Predictor:
        """A predictor for the ``.tflite`` file at ``path``."""
        return cls(Path(path).read_bytes())

    @property
    def quantized(self) -> bool:
        """Whether the model takes int8 input (an int8-quantized export)."""
        return self._input["dtype"] == np.int8

    def run(self, images: np.ndarray) -> list[np.ndarray]:
        """Every output of the model, as float32, for a batch of images.

        Args:
            images: (28, 28) or (N, 28, 28) or (N, 28, 28, 1), float in [0, 1].

        Returns:
            One array per model output, each (N, ...).

        Raises:
            ValueError: on any other shape, or when the interpreter failed (now or before).
        """
        x = np.asarray(images, dtype=np.float32)
        if x.shape == (28, 28):
            x = x[None]
        if x.ndim == 4 and x.shape[-1] == 1:
            x = x[..., 0]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"images must be (N, 28, 28), got {np.shape(images)}")
        x = x[..., None]  # (N, 28, 28, 1)
        if self.quantized:
            scale, zero = self._input["quantization"]
            x = np.clip(np.round(x / scale + zero), -128, 127).astype(np.int8)
        if not len(x):  # nothing to run: never resize the interpreter to an empty batch
            return [np.zeros((0, *d["shape"][1:]), np.float32) for d in self._outputs]
        chunks = [self._invoke(x[i : i + MAX_BATCH]) for i in range(0, len(x), MAX_BATCH)]
        return [
            _dequantize(np.concatenate([c[k] for c in chunks]), d)
            for k, d in enumerate(self._outputs)
        ]

    def _invoke(self, x: np.ndarray) -> list[np.ndarray]:
        """Raw outputs for one chunk (n, 28, 28, 1), n <= MAX_BATCH."""
        with self._lock:
            if self.failed:
                raise ValueError("this TFLite predictor failed before and cannot be reused")
            try:
                if len(x) != self._batch:
                    self._interp.resize_tensor_input(self._input["index"], list(x.shape))
                    self._interp.allocate_tensors()
                    self._batch = len(x)
                self._interp.set_tensor(self._input["index"], x)
                self._interp.invoke()
                return [self._interp.get_tensor(o["index"]).copy() for o in self._outputs]
            except (RuntimeError, ValueError) as exc:
                self.failed = True
                raise ValueError(f"the TFLite interpreter failed: {exc}") from exc

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Ten probabilities per image: (N, 10) float32 (see ``run`` for the input)."""
        return next(o for o in self.run(images) if o.ndim == 2 and o.shape[1] == 10)


class FeatureReader:
    """The C1 and C3 feature maps of a float TFLite LeNet, read from its intermediate tensors.

    The maps are the inputs of the model's first and second pooling ops (after activation and
    folded batch norm); in a block that pools first (``block_order="conv-pool-bn-act"``), the
    pooled maps after its batch norm and activation. Intermediate tensors exist only without
    the XNNPACK delegate, so this is a second, slower interpreter (about 0.1 ms per image
    here) kept for the Inside view.
    """

    def __init__(self, model_content: bytes) -> None:
        """Load a model; raises ``ValueError`` if it is unusable or has no pooling layer."""
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:  # TensorFlow's own interpreter has the same options
            from tensorflow.lite import Interpreter
            from tensorflow.lite.experimental import OpResolverType
        import warnings

        try:
            with warnings.catch_warnings():  # "intended for debugging": it is what we want
                warnings.simplefilter("ignore")
                self._interp = Interpreter(
                    model_content=model_content,
                    num_threads=1,
                    experimental_preserve_all_tensors=True,
                    experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                )
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"not a usable TFLite model: {exc}") from exc
        pools = _block_maps(self._interp._get_ops_details())
        if not pools:
            raise ValueError("the model has no pooling layer to read feature maps from")
        self._maps = (pools[0], pools[min(1, len(pools) - 1)])
        self._input = self._interp.get_input_details()[0]["index"]
        self._output = self._interp.get_output_details()[0]["index"]
        self._lock = threading.Lock()

    @staticmethod
    def check(model_content: bytes) -> None:
        """Raise ``ValueError`` unless the bytes load as a TFLite model taking 28x28 images.

        The flatbuffer is verified and its tensors allocated, without the XNNPACK delegate
        (quiet, and nothing is run), so a listing can check a stored model in milliseconds.
        """
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:
            from tensorflow.lite import Interpreter
            from tensorflow.lite.experimental import OpResolverType
        try:
            interp = Interpreter(
                model_content=model_content,
                num_threads=1,
                experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            )
            interp.allocate_tensors()
            shape = tuple(interp.get_input_details()[0]["shape"][1:])
        except (ValueError, RuntimeError, IndexError) as exc:
            raise ValueError(f"not a usable TFLite model: {exc}") from exc
        if shape != (28, 28, 1):
            raise ValueError(f"TFLite model takes {shape}, expected (N, 28, 28, 1)")

    def read(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """C1 maps (H1, W1, C1), C3 maps (H3, W3, C3) and the ten probabilities.

        Args:
            image: (28, 28) float in [0, 1].

        Raises:
            ValueError: for any other shape.
        """
        x = np.asarray(image, np.float32)
        if x.shape != (28, 28):
            raise ValueError(f"image must be (28, 28), got {x.shape}")
        with self._lock:
            self._interp.set_tensor(self._input, x[None, :, :, None])
            self._interp.invoke()
            c1, c3 = (self._interp.get_tensor(i)[0].copy() for i in self._maps)
            return c1, c3, self._interp.get_tensor(self._output)[0].copy()


# Per-element ops that can follow a pool that comes first in its block (folded BN, activation).
_AFTER_POOL = {"MUL", "ADD", "SUB", "RELU", "RELU6", "TANH", "LOGISTIC", "ELU", "GELU"}


def _block_maps(ops: list[dict[str, Any]]) -> list[int]:
    """Per pooling op, the tensor that holds its block's maps after the activation.

    The pool's input when the pool ends the block (LeNet's order); else the end of the chain
    of per-element ops (BN and activation) that follows the pool.
    """
    consumers: dict[int, dict[str, Any]] = {}
    for op in ops:
        for t in op["inputs"]:
            consumers.setdefault(int(t), op)
    maps = []
    for op in ops:
        if not op["op_name"].endswith("POOL_2D"):
            continue
        tensor, after = int(op["outputs"][0]), False
        while tensor in consumers and consumers[tensor]["op_name"] in _AFTER_POOL:
            tensor, after = int(consumers[tensor]["outputs"][0]), True
        maps.append(tensor if after else int(op["inputs"][0]))
    return maps


def _dequantize(values: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    if values.dtype == np.int8 or values.dtype == np.uint8:
        scale, zero = detail["quantization"]
        return ((values.astype(np.float32) - zero) * scale).astype(np.float32)
    return values.copy()


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
