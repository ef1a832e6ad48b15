"""Is a drawing a digit at all? One decision per drawing, the same whichever model answers.

A digit model always names a digit, even for a dash or a scribble. This module decides,
before any digit model is asked, whether the 28x28 image (``preprocess.to_mnist``'s output)
looks like a single digit: a small bundled network (``assets/nondigit/detector.tflite``, run
through the same LiteRT ``Predictor`` as the digit models) gives seven probabilities, "digit"
and six kinds of non-digit (a dash, a spiral, a scribble, a filled blob, a letter, several
digits side by side). A drawing is judged not a digit when the non-digit kinds together
reach the threshold stored next to the network (``detector.json``), which was chosen on
validation drawings and digits, never on MNIST test. The network was trained on MNIST
training digits, synthetic mouse drawings of digits and synthetic non-digits
(``devkit/train_nondigit.py`` makes it and records what it saw).

The decision does not depend on the digit models, so retraining them changes nothing here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet.infer import Predictor

DETECTOR_DIR = Path(__file__).resolve().parent.parent / "assets" / "nondigit"
MODEL_FILE = "detector.tflite"
INFO_FILE = "detector.json"

KINDS = ("digit", "dash", "spiral", "scribble", "blob", "letter", "pair")
REASONS = {
    "dash": "it looks like a dash",
    "spiral": "it looks like a spiral",
    "scribble": "it looks like a scribble",
    "blob": "it looks like a filled blob",
    "letter": "it looks like a letter",
    "pair": "it looks like several digits side by side",
    "blank": "there is no ink",
}
HOW_IT_IS_DECIDED = (
    "A small network, separate from the digit models and trained on digits and on dashes, "
    "spirals, scribbles, blobs, letters and digit pairs, judges the 28x28 image the models "
    "see; the models still answer below."
)


@dataclass(frozen=True)
class Verdict:
    """The decision for one image.

    Attributes:
        is_digit: False when the image was judged not a digit.
        score: Probability that it is not a digit (the six non-digit kinds summed), in [0, 1].
        kind: "digit", the most likely non-digit kind (one of ``KINDS[1:]``), or "blank"
            for an image without ink.
        reason: "" for a digit, else a short phrase such as "it looks like a dash".
    """

    is_digit: bool
    score: float
    kind: str
    reason: str


def decide(probabilities: np.ndarray, threshold: float) -> Verdict:
    """Turn the detector's seven probabilities into a ``Verdict``.

    Args:
        probabilities: (7,) in the order of ``KINDS``, summing to about 1.
        threshold: A non-digit score at or above this is judged not a digit, in (0, 1].

    Returns:
        The verdict; ``kind`` names the top non-digit kind even for a digit.

    Raises:
        ValueError: A wrong shape or a threshold outside (0, 1].
    """
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if p.shape != (len(KINDS),):
        raise ValueError(
            f"expected {len(KINDS)} probabilities, got shape {np.shape(probabilities)}"
        )
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold={threshold!r} is invalid: expected a value in (0, 1]")
    score = float(np.clip(p[1:].sum(), 0.0, 1.0))
    if score < threshold:
        return Verdict(True, score, "digit", "")
    kind = KINDS[1 + int(p[1:].argmax())]
    return Verdict(False, score, kind, REASONS[kind])


class NonDigitDetector:
    """The bundled "digit or not" network and its threshold. Thread-safe."""

    def __init__(self, model_content: bytes, threshold: float) -> None:
        """Load the network.

        Args:
            model_content: The bytes of a ``.tflite`` file taking (N, 28, 28, 1) images and
                giving (N, 7) probabilities in the order of ``KINDS``.
            threshold: See ``decide``.

        Raises:
            ValueError: The bytes are not such a model, or the threshold is outside (0, 1].
        """
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold={threshold!r} is invalid: expected a value in (0, 1]")
        self._predictor = Predictor(model_content)
        self.threshold = threshold

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> NonDigitDetector:
        """The detector saved in ``folder`` (``detector.tflite`` and ``detector.json``).

        Raises:
            ValueError: A file is missing or unreadable, or holds no usable model.
        """
        path = Path(folder)
        try:
            info = json.loads((path / INFO_FILE).read_text())
            content = (path / MODEL_FILE).read_bytes()
            threshold = float(info["threshold"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot load the non-digit detector from {path}: {exc}") from exc
        return cls(content, threshold)

    def scores(self, images: np.ndarray) -> np.ndarray:
        """(N, 7) probabilities in the order of ``KINDS`` for (N, 28, 28) images in [0, 1]."""
        return self._predictor.run(images)[0]

    def judge(self, image: np.ndarray) -> Verdict:
        """The verdict for one (28, 28) float image in [0, 1] (``to_mnist``'s output).

        Raises:
            ValueError: Any other shape.
        """
        x = np.asarray(image, dtype=np.float32)
        if x.shape != (28, 28):
            raise ValueError(f"image must be (28, 28), got {x.shape}")
        if not x.max() > 0.0:  # the network never saw an empty image; no ink is no digit
            return Verdict(False, 1.0, "blank", REASONS["blank"])
        return decide(self.scores(x)[0], self.threshold)


def bundled_detector() -> NonDigitDetector | None:
    """The detector in the checkout's ``assets/nondigit``, or None where it is absent.

    An installed package carries no ``assets/`` folder; its callers then name a digit as
    before, without the check.

    Raises:
        ValueError: The folder exists but its files are unusable.
    """
    if not (DETECTOR_DIR / MODEL_FILE).exists():
        return None
    return NonDigitDetector.from_folder(DETECTOR_DIR)
