"""One frozen dataclass that describes a LeNet variant and how it is trained.

Every field is validated on construction; a bad value raises ``ValueError`` naming the field,
the value and what is allowed. ``to_json`` is canonical (sorted keys, no whitespace), so
``config_id`` is a short stable hash of everything that defines a run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

ACTIVATIONS = ("tanh", "scaled_tanh", "relu", "elu", "selu", "gelu", "sigmoid")
POOLINGS = ("average", "max")
PADDINGS = ("valid", "same")
C3_SCHEMES = ("full", "lecun")
OPTIMIZERS = ("sgd", "momentum", "adam")
LR_SCHEDULES = ("constant", "cosine", "one-cycle")
INPUT_SIZES = (28, 32)
INPUT_RANGES = ("unit", "lecun")
MNIST_TRAIN_SIZE = 60_000


def _fail(name: str, value: object, allowed: str) -> None:
    raise ValueError(f"{name}={value!r} is invalid: expected {allowed}")


def _check_choice(name: str, value: object, choices: tuple[Any, ...]) -> None:
    if value not in choices:
        _fail(name, value, f"one of {', '.join(map(str, choices))}")


def _check_number(name: str, value: object, low: float, high: float, *, integer: bool) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
        what = "an integer" if integer else "a number"
        _fail(name, value, f"{what} in [{low}, {high}]")


def _check_rate(name: str, value: object, high: float = 0.9) -> None:
    _check_number(name, value, 0.0, high, integer=False)


@dataclass(frozen=True)
class LeNetConfig:
    """A LeNet-5 variant and its training recipe.

    The defaults are the classic LeNet-5 shape (6 and 16 filters, 120/84 dense, 28x28 input)
    with ReLU, max pooling and Adam: a small, fast, modern baseline.
    """

    # --- architecture ---
    activation: str = "relu"
    pooling: str = "max"
    filters: tuple[int, ...] = (6, 16)  # one entry per conv block (1-3 blocks)
    kernel_size: int = 5
    padding: str = "valid"
    batch_norm: tuple[bool, ...] = (False, False)  # per conv block
    conv_dropout: tuple[float, ...] = (0.0, 0.0)  # after each conv block
    dense_units: tuple[int, ...] = (120, 84)  # C5 and F6
    dense_dropout: tuple[float, ...] = (0.0, 0.0)  # after each dense layer
    input_size: int = 28  # 32 = zero-padded as in LeCun et al. 1998
    input_range: str = "unit"  # or "lecun": background -0.1, ink 1.175 as in the 1998 paper
    c3_connections: str = "full"  # or "lecun": the paper's sparse S2->C3 table
    # --- training ---
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    epochs: int = 3
    batch_size: int = 128
    seed: int = 0
    train_subset: int | None = None  # stratified subset of the 60,000 training images
    validation_split: float = 0.1  # carved from the training images, never the test set
    aug_shift: float = 0.0  # max translation, fraction of the image side
    aug_rotation: float = 0.0  # max rotation, degrees
    aug_zoom: float = 0.0  # max relative zoom in or out
    aug_shear: float = 0.0  # max horizontal shear (slant), as a factor
    aug_stroke: float = 0.0  # probability of thickening or thinning the strokes

    def __post_init__(self) -> None:
        """Turn lists into tuples and check every field; raises ``ValueError`` naming a bad one."""
        # Lists from JSON or argparse become tuples so the config stays hashable.
        for name in ("filters", "batch_norm", "conv_dropout", "dense_units", "dense_dropout"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "batch_norm", tuple(bool(b) for b in self.batch_norm))
        self._validate()

    def _validate(self) -> None:
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("pooling", self.pooling, POOLINGS)
        _check_choice("padding", self.padding, PADDINGS)
        _check_choice("c3_connections", self.c3_connections, C3_SCHEMES)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _check_choice("input_size", self.input_size, INPUT_SIZES)
        _check_choice("input_range", self.input_range, INPUT_RANGES)
        if not isinstance(self.filters, tuple) or not 1 <= len(self.filters) <= 3:
            _fail("filters", self.filters, "1 to 3 filter counts, one per conv block")
        for f in self.filters:
            _check_number("filters", f, 1, 256, integer=True)
        _check_number("kernel_size", self.kernel_size, 2, 7, integer=True)
        blocks = len(self.filters)
        for name in ("batch_norm", "conv_dropout"):
            value = getattr(self, name)
            if len(value) != blocks:
                _fail(name, value, f"{blocks} entries, one per conv block (filters={self.filters})")
        for rate in self.conv_dropout:
            _check_rate("conv_dropout", rate)
        if not isinstance(self.dense_units, tuple) or not 1 <= len(self.dense_units) <= 3:
            _fail("dense_units", self.dense_units, "1 to 3 dense layer widths")
        for units in self.dense_units:
            _check_number("dense_units", units, 1, 2048, integer=True)
        if len(self.dense_dropout) != len(self.dense_units):
            _fail("dense_dropout", self.dense_dropout, f"{len(self.dense_units)} entries")
        for rate in self.dense_dropout:
            _check_rate("dense_dropout", rate)
        if self.c3_connections == "lecun" and self.filters[:2] != (6, 16):
            _fail("c3_connections", "lecun", "'full' unless filters start with (6, 16)")
        _check_number("learning_rate", self.learning_rate, 1e-6, 1.0, integer=False)
        _check_number("epochs", self.epochs, 1, 200, integer=True)
        _check_number("batch_size", self.batch_size, 1, 4096, integer=True)
        _check_number("seed", self.seed, 0, 2**31 - 1, integer=True)
        if self.train_subset is not None:
            _check_number("train_subset", self.train_subset, 100, MNIST_TRAIN_SIZE, integer=True)
        _check_number("validation_split", self.validation_split, 0.0, 0.5, integer=False)
        _check_number("aug_shift", self.aug_shift, 0.0, 0.3, integer=False)
        _check_number("aug_rotation", self.aug_rotation, 0.0, 45.0, integer=False)
        _check_number("aug_zoom", self.aug_zoom, 0.0, 0.5, integer=False)
        _check_number("aug_shear", self.aug_shear, 0.0, 0.5, integer=False)
        _check_number("aug_stroke", self.aug_stroke, 0.0, 1.0, integer=False)
        sizes = self.feature_map_sizes()
        if sizes[-1] < 1:
            _fail(
                "filters",
                self.filters,
                f"fewer conv blocks or 'same' padding: maps shrink to {sizes}",
            )

    # --- derived ---
    @property
    def conv_blocks(self) -> int:
        """The number of convolution blocks (C1 and C3 in the classic network)."""
        return len(self.filters)

    @property
    def augmented(self) -> bool:
        """Whether any augmentation (shift, rotation, zoom, shear, stroke) is on."""
        return any(
            v > 0
            for v in (
                self.aug_shift,
                self.aug_rotation,
                self.aug_zoom,
                self.aug_shear,
                self.aug_stroke,
            )
        )

    def feature_map_sizes(self) -> list[int]:
        """Side length of the maps after each conv block (conv then 2x2 pooling)."""
        side, sizes = self.input_size, []
        for _ in self.filters:
            if self.padding == "valid":
                side -= self.kernel_size - 1
            side = side // 2 if side >= 2 else 0
            sizes.append(side)
        return sizes

    # --- serialisation ---
    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (tuples as lists)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, compact, floats as Python writes them."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def config_id(self) -> str:
        """Ten hex digits that change whenever any field changes."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:10]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LeNetConfig:
        """Build from a dict (as in ``config.json``); unknown keys raise ``ValueError``."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> LeNetConfig:
        """The config of a JSON object; raises ``ValueError`` when it is not valid."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"config is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"config JSON must be an object, got {type(data).__name__}")
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> LeNetConfig:
        """A copy with some fields changed (validated like any new config)."""
        return dataclasses.replace(self, **changes)

    def differences(self, other: LeNetConfig) -> dict[str, tuple[Any, Any]]:
        """Fields whose values differ: ``{name: (self_value, other_value)}``."""
        a, b = self.to_dict(), other.to_dict()
        return {k: (a[k], b[k]) for k in a if a[k] != b[k]}


CLASSIC = LeNetConfig(
    activation="scaled_tanh",
    pooling="average",
    input_size=32,
    c3_connections="full",
    optimizer="sgd",
    learning_rate=0.05,
)

# The train page's default: about half a minute on a 2-core laptop, TensorFlow's start-up
# included, and 97.6% test accuracy (13 s of training measured here).
SMALL_RUN = LeNetConfig(train_subset=20_000, epochs=5, batch_size=64, lr_schedule="cosine")
