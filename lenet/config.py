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
BLOCK_ORDERS = ("conv-bn-act-pool", "conv-pool-bn-act")
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


@dataclass(frozen=True)
class FieldSpec:
    """What one ``LeNetConfig`` field accepts, and how forms and flags present it.

    The config validates itself from these; the Train page builds its widgets and the CLI its
    flags from the same values, so a range is written once. For a tuple field, ``choices``,
    ``low`` and ``high`` apply to each entry.

    Attributes:
        label: a short name for a form ("Learning rate").
        help: one sentence for a form's tooltip and the flag's help.
        choices: the allowed values, or None for a number.
        low: the smallest allowed number (None: not a number field).
        high: the largest allowed number.
        integer: whether the number must be an integer.
        step: a slider's or number field's step.
    """

    label: str
    help: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False
    step: float | None = None

    def check(self, name: str, value: object) -> None:
        """Raise ``ValueError`` naming ``name`` and ``value`` unless it is allowed."""
        if self.choices is not None:
            _check_choice(name, value, self.choices)
        elif self.low is not None and self.high is not None:
            _check_number(name, value, self.low, self.high, integer=self.integer)

    def range_text(self) -> str:
        """'between 1 and 256' (thousands separated), or the choices joined with commas."""
        if self.choices is not None:
            return ", ".join(map(str, self.choices))
        return f"between {self.low:,} and {self.high:,}"


def _field(default: Any, spec: FieldSpec) -> Any:
    return dataclasses.field(default=default, metadata={"spec": spec})


def _rate(label: str, help: str) -> FieldSpec:
    return FieldSpec(label, help, low=0.0, high=0.9, step=0.05)


TUPLE_FIELDS = ("filters", "batch_norm", "conv_dropout", "dense_units", "dense_dropout")


@dataclass(frozen=True)
class LeNetConfig:
    """A LeNet-5 variant and its training recipe.

    The defaults are the classic LeNet-5 shape (6 and 16 filters, 120/84 dense, 28x28 input)
    with ReLU, max pooling and Adam: a small, fast, modern baseline. Each field's metadata
    holds its ``FieldSpec`` (see ``spec``).
    """

    # --- architecture ---
    activation: str = _field(
        "relu", FieldSpec("Activation", "activation of every layer", choices=ACTIVATIONS)
    )
    pooling: str = _field("max", FieldSpec("Pooling", "2x2 subsampling", choices=POOLINGS))
    filters: tuple[int, ...] = _field(
        (6, 16),
        FieldSpec("Filters", "filters of each conv block (1-3 blocks)", low=1, high=256,
                  integer=True, step=1),
    )  # fmt: skip
    kernel_size: int = _field(
        5, FieldSpec("Kernel size", "side of the conv kernels", low=2, high=7, integer=True)
    )
    padding: str = _field(
        "valid", FieldSpec("Padding", "conv padding ('same' keeps the size)", choices=PADDINGS)
    )
    batch_norm: tuple[bool, ...] = _field(
        (False, False), FieldSpec("BN", "batch normalisation in each conv block (0 or 1)")
    )
    bn_momentum: float = _field(
        0.99,
        FieldSpec("BN momentum", "share of its moving statistics BN keeps at each step "
                  "(Keras's 0.99 lags behind in runs of an epoch or two)", low=0.5, high=0.999,
                  step=0.01),
    )  # fmt: skip
    block_order: str = _field(
        "conv-bn-act-pool",
        FieldSpec("Block order", "where a conv block with BN pools: last (LeNet's order), or "
                  "right after the convolution, so BN and the activation see 4x fewer values",
                  choices=BLOCK_ORDERS),
    )  # fmt: skip
    conv_dropout: tuple[float, ...] = _field(
        (0.0, 0.0), _rate("Dropout after each conv block", "dropout after each conv block")
    )
    dense_units: tuple[int, ...] = _field(
        (120, 84),
        FieldSpec("Dense widths", "widths of the dense layers (C5 and F6), 1 to 3 of them",
                  low=1, high=2048, integer=True),
    )  # fmt: skip
    dense_dropout: tuple[float, ...] = _field(
        (0.0, 0.0), _rate("Dropout after each dense layer", "dropout after each dense layer")
    )
    input_size: int = _field(
        28,
        FieldSpec("Input size", "28, or 32 zero-padded as in LeCun et al. 1998",
                  choices=INPUT_SIZES),
    )  # fmt: skip
    input_range: str = _field(
        "unit",
        FieldSpec("Input range", "pixels in [0, 1], or 'lecun': background -0.1, ink 1.175",
                  choices=INPUT_RANGES),
    )  # fmt: skip
    c3_connections: str = _field(
        "full",
        FieldSpec("C3 connections", "'lecun': the paper's sparse S2->C3 table",
                  choices=C3_SCHEMES),
    )  # fmt: skip
    # --- training ---
    optimizer: str = _field("adam", FieldSpec("Optimizer", "the optimizer", choices=OPTIMIZERS))
    learning_rate: float = _field(
        1e-3, FieldSpec("Learning rate", "the (initial) learning rate", low=1e-6, high=1.0)
    )
    lr_schedule: str = _field(
        "constant",
        FieldSpec("Schedule", "learning-rate schedule over the epochs", choices=LR_SCHEDULES),
    )
    epochs: int = _field(3, FieldSpec("Epochs", "passes over the training images", low=1,
                                      high=200, integer=True))  # fmt: skip
    batch_size: int = _field(
        128, FieldSpec("Batch size", "images per step", low=1, high=4096, integer=True)
    )
    seed: int = _field(
        0,
        FieldSpec("Seed", "seed of the subset, split and initialisation", low=0,
                  high=2**31 - 1, integer=True, step=1),
    )  # fmt: skip
    train_subset: int | None = _field(
        None,
        FieldSpec("Training images", "stratified subset of the 60,000 training images",
                  low=100, high=MNIST_TRAIN_SIZE, integer=True, step=1000),
    )  # fmt: skip
    validation_split: float = _field(
        0.1,
        FieldSpec("Validation share", "carved from the training images, never the test set",
                  low=0.0, high=0.5),
    )  # fmt: skip
    aug_shift: float = _field(
        0.0, FieldSpec("Shift (fraction)", "max translation, fraction of the image side",
                       low=0.0, high=0.3, step=0.01),
    )  # fmt: skip
    aug_rotation: float = _field(
        0.0, FieldSpec("Rotation (degrees)", "max rotation, degrees", low=0.0, high=45.0,
                       step=1.0),
    )  # fmt: skip
    aug_zoom: float = _field(
        0.0, FieldSpec("Zoom", "max relative zoom in or out", low=0.0, high=0.5, step=0.01)
    )
    aug_shear: float = _field(
        0.0, FieldSpec("Shear (slant)", "max horizontal shear (slant), as a factor", low=0.0,
                       high=0.5, step=0.01),
    )  # fmt: skip
    aug_stroke: float = _field(
        0.0, FieldSpec("Stroke thickness change (probability)",
                       "probability of thickening or thinning the strokes", low=0.0, high=1.0,
                       step=0.05),
    )  # fmt: skip

    def __post_init__(self) -> None:
        """Turn lists into tuples and check every field; raises ``ValueError`` naming a bad one."""
        # Lists from JSON or argparse become tuples so the config stays hashable.
        for name in TUPLE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "batch_norm", tuple(bool(b) for b in self.batch_norm))
        self._validate()

    def _validate(self) -> None:
        # The shapes of the tuples first: each entry is then checked against its field's spec.
        if not isinstance(self.filters, tuple) or not 1 <= len(self.filters) <= 3:
            _fail("filters", self.filters, "1 to 3 filter counts, one per conv block")
        blocks = len(self.filters)
        for name in ("batch_norm", "conv_dropout"):
            value = getattr(self, name)
            if len(value) != blocks:
                _fail(name, value, f"{blocks} entries, one per conv block (filters={self.filters})")
        if not isinstance(self.dense_units, tuple) or not 1 <= len(self.dense_units) <= 3:
            _fail("dense_units", self.dense_units, "1 to 3 dense layer widths")
        if len(self.dense_dropout) != len(self.dense_units):
            _fail("dense_dropout", self.dense_dropout, f"{len(self.dense_units)} entries")
        for f in dataclasses.fields(self):
            value, check = getattr(self, f.name), f.metadata["spec"].check
            if f.name in TUPLE_FIELDS:
                for entry in value:
                    check(f.name, entry)
            elif value is not None or f.name != "train_subset":  # None: all the images
                check(f.name, value)
        if self.c3_connections == "lecun" and self.filters[:2] != (6, 16):
            _fail("c3_connections", "lecun", "'full' unless filters start with (6, 16)")
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


def spec(name: str) -> FieldSpec:
    """The ``FieldSpec`` of a ``LeNetConfig`` field; raises ``KeyError`` for an unknown name."""
    for f in dataclasses.fields(LeNetConfig):
        if f.name == name:
            return f.metadata["spec"]
    raise KeyError(f"LeNetConfig has no field {name!r}")


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
