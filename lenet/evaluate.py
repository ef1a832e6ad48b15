"""Evaluation reports: what a model gets right and wrong on a labelled set.

A ``Report`` is built from predicted probabilities, so it never needs TensorFlow; it carries a
capped gallery of the misclassified images and a small fixed sample, so pages can show them
without the dataset. ``to_json``/``from_json`` round-trip exactly. ``predict_digits`` runs a
model over your saved drawings.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

DIGITS = list(range(10))
MAX_GALLERY = 300
SAMPLE_SIZE = 48


def encode_images(images: np.ndarray) -> list[str]:
    """(N, 28, 28) uint8 -> base64 strings of the raw bytes (compact in JSON)."""
    return [
        base64.b64encode(np.ascontiguousarray(im, dtype=np.uint8).tobytes()).decode()
        for im in images
    ]


def decode_images(encoded: list[str]) -> np.ndarray:
    """Inverse of ``encode_images``: (N, 28, 28) uint8."""
    if not encoded:
        return np.zeros((0, 28, 28), np.uint8)
    return np.stack([np.frombuffer(base64.b64decode(s), np.uint8).reshape(28, 28) for s in encoded])


@dataclass
class Report:
    """Metrics of one model on one labelled set (the MNIST test set for stored models)."""

    n: int
    accuracy: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    weighted_precision: float
    weighted_recall: float
    weighted_f1: float
    per_class: list[dict[str, float]]  # digit, precision, recall, f1, support, accuracy
    confusion: list[list[int]]  # [true][predicted]
    # Every misclassified example: index into the set, true, predicted, confidence, p_true.
    misclassified: list[dict[str, float]]
    # The first MAX_GALLERY misclassified images, in the order of ``misclassified``.
    misclassified_images: list[str] = field(default_factory=list)
    # A fixed sample (same indices for every model): index, true, predicted, confidence.
    sample: list[dict[str, float]] = field(default_factory=list)
    sample_images: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return asdict(self)

    def to_json(self) -> str:
        """The report as compact JSON, as stored in ``report.json``."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """The report of a dict made by ``to_dict``."""
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Report:
        """The report of JSON made by ``to_json``."""
        return cls.from_dict(json.loads(text))

    @property
    def confusion_array(self) -> np.ndarray:
        """The confusion matrix as int64 (10, 10): rows are true digits, columns predicted."""
        return np.asarray(self.confusion, dtype=np.int64)

    def classification_text(self) -> str:
        """The per-class table as plain text, laid out like scikit-learn's report."""
        lines = [f"{'':>12}{'precision':>10}{'recall':>10}{'f1-score':>10}{'support':>10}", ""]
        for row in self.per_class:
            lines.append(
                f"{int(row['digit']):>12}{row['precision']:>10.4f}{row['recall']:>10.4f}"
                f"{row['f1']:>10.4f}{int(row['support']):>10}"
            )
        lines += ["", f"{'accuracy':>12}{'':>20}{self.accuracy:>10.4f}{self.n:>10}"]
        for kind in ("macro", "weighted"):
            p, r, f = (getattr(self, f"{kind}_{m}") for m in ("precision", "recall", "f1"))
            lines.append(f"{kind + ' avg':>12}{p:>10.4f}{r:>10.4f}{f:>10.4f}{self.n:>10}")
        return "\n".join(lines)


def sample_indices(n: int, size: int = SAMPLE_SIZE, seed: int = 1998) -> np.ndarray:
    """The fixed sample of a set of ``n`` examples, the same for every model."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))


def build_report(
    probs: np.ndarray,
    y_true: np.ndarray,
    images: np.ndarray | None = None,
    max_gallery: int = MAX_GALLERY,
) -> Report:
    """Score predicted probabilities against labels.

    Args:
        probs: (N, 10) probabilities.
        y_true: (N,) integer labels 0-9.
        images: optional (N, 28, 28) uint8, for the misclassified gallery and the sample.
        max_gallery: how many misclassified images to keep.

    Returns:
        The report; its numbers are scikit-learn's (``zero_division=0``).

    Raises:
        ValueError: if the shapes disagree or the set is empty.
    """
    from sklearn.metrics import classification_report, confusion_matrix  # slow import: lazy

    probs, y_true = np.asarray(probs), np.asarray(y_true).astype(int)
    if probs.ndim != 2 or probs.shape[1] != 10 or len(probs) != len(y_true) or len(y_true) == 0:
        raise ValueError(
            f"need (N, 10) probabilities and N labels, got {probs.shape} and {y_true.shape}"
        )
    if images is not None and images.shape != (len(y_true), 28, 28):
        raise ValueError(f"images must be ({len(y_true)}, 28, 28), got {images.shape}")
    pred = probs.argmax(1)
    conf = probs.max(1)
    text = classification_report(y_true, pred, labels=DIGITS, output_dict=True, zero_division=0)
    cm = confusion_matrix(y_true, pred, labels=DIGITS)
    support = cm.sum(1)
    per_class = [
        {
            "digit": d,
            "precision": text[str(d)]["precision"],
            "recall": text[str(d)]["recall"],
            "f1": text[str(d)]["f1-score"],
            "support": int(support[d]),
            "accuracy": float(cm[d, d] / support[d]) if support[d] else 0.0,
        }
        for d in DIGITS
    ]
    wrong = np.flatnonzero(pred != y_true)
    misclassified = [
        {
            "index": int(i),
            "true": int(y_true[i]),
            "predicted": int(pred[i]),
            "confidence": float(conf[i]),
            "p_true": float(probs[i, y_true[i]]),
        }
        for i in wrong
    ]
    report = Report(
        n=len(y_true),
        accuracy=float((pred == y_true).mean()),
        macro_precision=text["macro avg"]["precision"],
        macro_recall=text["macro avg"]["recall"],
        macro_f1=text["macro avg"]["f1-score"],
        weighted_precision=text["weighted avg"]["precision"],
        weighted_recall=text["weighted avg"]["recall"],
        weighted_f1=text["weighted avg"]["f1-score"],
        per_class=per_class,
        confusion=cm.tolist(),
        misclassified=misclassified,
    )
    if images is not None:
        report.misclassified_images = encode_images(images[wrong[:max_gallery]])
        idx = sample_indices(len(y_true))
        report.sample = [
            {
                "index": int(i),
                "true": int(y_true[i]),
                "predicted": int(pred[i]),
                "confidence": float(conf[i]),
            }
            for i in idx
        ]
        report.sample_images = encode_images(images[idx])
    return report


def evaluate_predictor(predict: Any, x: np.ndarray, y: np.ndarray, batch: int = 1000) -> Report:
    """A full report for any ``predict((N, 28, 28) float32) -> (N, 10)`` on uint8 images."""
    probs = np.concatenate(
        [predict(x[i : i + batch].astype(np.float32) / 255.0) for i in range(0, len(x), batch)]
    )
    return build_report(probs, y, x)


PREDICT_BATCH = 256  # images per model call: bounded memory whatever the number of drawings


def predict_digits(images: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The digit a model predicts for each image, computed in batches of ``PREDICT_BATCH``.

    Args:
        images: (N, 28, 28) uint8.
        predict: (n, 28, 28) float32 in [0, 1] -> (n, 10) scores.

    Returns:
        (N,) int64 predicted digits.

    Raises:
        ValueError: ``predict`` returned an array of the wrong shape.
    """
    out = np.zeros((len(images),), np.int64)
    for start in range(0, len(images), PREDICT_BATCH):
        batch = images[start : start + PREDICT_BATCH].astype(np.float32) / 255  # in [0, 1]
        scores = np.asarray(predict(batch))
        if scores.shape != (len(batch), 10):
            raise ValueError(f"predict returned shape {scores.shape}, expected ({len(batch)}, 10)")
        out[start : start + len(batch)] = scores.argmax(axis=1)
    return out
