"""Synthetic mouse drawings of digits, to measure how a model copes with canvas input.

People draw digits differently from the NIST writers behind MNIST: a 1 with a flag and a base,
a crossed 7, an open 4, small digits in a corner, a 40 px brush. This module draws such digits
the way the app's canvas records them, so a benchmark can score a model on drawings without a
person at the mouse.

``make_style_set`` draws every template under every ``Variation`` (the ordinary mouse, very
small and very large digits, heavy slant both ways, finger-wide strokes, shaky strokes) at
several pen widths, for ``benchmarks/bench_drawn.py``. The templates in ``HELD_OUT_STYLES``
and the variations marked ``held_out`` are for measuring only. ``make_training_set`` draws
training data from the others alone (``TRAINING_STYLES`` under ``TRAINING_VARIATIONS``, which
add ``TRAINING_ONLY_VARIATIONS`` and ``TRAINING_ONLY_STYLES`` that are never measured: a barred
0, a 1 with flag and base and a 9 with a curved tail drawn with other parameters than the
held-out ones, with another seed), read through ``to_mnist``;
``python -m devkit.drawn --training N --out F.npz`` writes it for
``python -m lenet zoo --drawings F.npz``.

Each digit has 2-4 hand-designed stroke templates in a unit box (x right, y down). A sample
picks a template, jitters its points, slants, rotates, sizes and places it at random, and
renders round-capped white strokes on black at 2x, then shrinks to the canvas size: RGBA
uint8, alpha 255 everywhere and R = G = B, exactly like ``st_canvas(...).image_data``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIDE = 280  # the app's canvas, px
SUPERSAMPLE = 2  # render at 2x and shrink: anti-aliased edges like the browser's
SCALE_RANGE = (0.3, 0.95)  # digit height (or width, if wider) as a fraction of the canvas
SHEAR_RANGE = 0.35  # slant: x shifts by up to +-0.35 of the height from bottom to top
ROTATION_DEG = 15.0
WIDTH_RANGE = (8.0, 40.0)  # brush width, px on a 280 px canvas
MAX_WIDTH_FRACTION = 0.25  # nobody draws a 40 px stroke on an 84 px digit they want read
EDGE_PROBABILITY = 0.3  # share of samples pushed against a canvas edge
WOBBLE = 0.025  # slow hand wobble, fraction of the digit size
JITTER = 0.004  # per-point mouse noise, fraction of the digit size
POINT_SPACING = 0.02  # distance between template points, unit box

Stroke = np.ndarray  # (K, 2) float64 points (x, y) in the unit box, y down
Template = Callable[[], list[Stroke]]


# --- curve helpers (unit box, y down; angles in degrees, 0 = right, 90 = down) ---


def _line(*points: tuple[float, float]) -> Stroke:
    """A polyline through ``points``, resampled every ``POINT_SPACING``."""
    corners = np.asarray(points, dtype=np.float64)
    out = [corners[:1]]
    for start, end in zip(corners[:-1], corners[1:], strict=True):
        steps = max(2, int(np.ceil(np.linalg.norm(end - start) / POINT_SPACING)))
        t = np.linspace(0.0, 1.0, steps + 1)[1:, None]
        out.append(start + t * (end - start))
    return np.concatenate(out)


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Elliptic arc from angle ``start`` to ``end``; end > start runs clockwise on screen."""
    length = np.radians(abs(end - start)) * max(rx, ry)
    t = np.radians(np.linspace(start, end, max(8, int(length / POINT_SPACING))))
    return np.column_stack((cx + rx * np.cos(t), cy + ry * np.sin(t)))


def _bezier(*control: tuple[float, float]) -> Stroke:
    """Cubic Bezier curve through four control points."""
    p0, p1, p2, p3 = (np.asarray(p, dtype=np.float64) for p in control)
    t = np.linspace(0.0, 1.0, 40)[:, None]
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def _join(*parts: Stroke) -> Stroke:
    """One continuous stroke (the pen stays down) through several parts."""
    return np.concatenate(parts)


# --- templates: how people draw each digit with a mouse ---

_TEMPLATES: dict[int, dict[str, Template]] = {
    0: {
        "oval": lambda: [_arc(0.5, 0.5, 0.32, 0.48, -80, -450)],
        "round": lambda: [_arc(0.5, 0.5, 0.45, 0.47, -100, -440)],
        "open": lambda: [_arc(0.5, 0.5, 0.34, 0.48, -70, -390)],
        "barred": lambda: [
            _arc(0.5, 0.5, 0.34, 0.48, -80, -450),
            _line((0.78, 0.08), (0.22, 0.92)),
        ],
    },
    1: {
        "stick": lambda: [_line((0.5, 0.0), (0.5, 1.0))],
        "flag": lambda: [_line((0.3, 0.22), (0.55, 0.0), (0.55, 1.0))],
        "base": lambda: [_line((0.5, 0.0), (0.5, 1.0)), _line((0.28, 1.0), (0.72, 1.0))],
        "flag_base": lambda: [
            _line((0.28, 0.2), (0.52, 0.0), (0.52, 1.0)),
            _line((0.25, 1.0), (0.8, 1.0)),
        ],
    },
    2: {
        "plain": lambda: [
            _join(
                _arc(0.5, 0.3, 0.34, 0.3, -165, 20),
                _bezier((0.82, 0.4), (0.65, 0.65), (0.35, 0.8), (0.1, 1.0)),
                _line((0.1, 1.0), (0.92, 0.98)),
            )
        ],
        "loop": lambda: [
            _join(
                _arc(0.5, 0.3, 0.34, 0.3, -165, 20),
                _bezier((0.82, 0.4), (0.7, 0.62), (0.4, 0.8), (0.2, 0.92)),
                _arc(0.22, 0.85, 0.1, 0.08, 90, -240),
                _line((0.28, 0.92), (0.95, 0.96)),
            )
        ],
        "curvy": lambda: [
            _join(
                _arc(0.45, 0.28, 0.33, 0.28, -180, 10),
                _bezier((0.78, 0.33), (0.7, 0.6), (0.1, 0.8), (0.05, 0.95)),
                _bezier((0.05, 0.95), (0.35, 0.85), (0.6, 1.05), (0.95, 0.9)),
            )
        ],
    },
    3: {
        "round": lambda: [
            _join(
                _arc(0.48, 0.26, 0.34, 0.26, -160, 90),
                _arc(0.48, 0.74, 0.38, 0.26, -90, 155),
            )
        ],
        "flat_top": lambda: [
            _join(
                _line((0.12, 0.0), (0.85, 0.0), (0.42, 0.4)),
                _arc(0.45, 0.7, 0.4, 0.3, -95, 160),
            )
        ],
    },
    4: {
        "open": lambda: [
            _line((0.18, 0.0), (0.12, 0.62), (0.95, 0.62)),
            _line((0.72, 0.2), (0.72, 1.0)),
        ],
        "closed": lambda: [
            _line((0.68, 0.0), (0.05, 0.66), (0.95, 0.66)),
            _line((0.68, 0.0), (0.68, 1.0)),
        ],
        "one_stroke": lambda: [
            _line((0.62, 0.0), (0.05, 0.66), (0.95, 0.66), (0.66, 0.4), (0.66, 1.0))
        ],
    },
    5: {
        "two_strokes": lambda: [
            _join(_line((0.22, 0.0), (0.18, 0.45)), _arc(0.45, 0.68, 0.4, 0.3, -150, 150)),
            _line((0.22, 0.0), (0.88, 0.0)),
        ],
        "one_stroke": lambda: [
            _join(
                _line((0.88, 0.0), (0.22, 0.0), (0.18, 0.45)),
                _arc(0.45, 0.68, 0.4, 0.3, -150, 150),
            )
        ],
    },
    6: {
        "curl": lambda: [
            _join(
                _bezier((0.75, 0.02), (0.35, 0.1), (0.12, 0.45), (0.14, 0.7)),
                _arc(0.48, 0.72, 0.34, 0.27, 180, -180),
            )
        ],
        "straight": lambda: [
            _join(_line((0.7, 0.0), (0.16, 0.7)), _arc(0.48, 0.73, 0.33, 0.26, 180, -170))
        ],
    },
    7: {
        "plain": lambda: [_line((0.05, 0.02), (0.95, 0.0), (0.38, 1.0))],
        "crossed": lambda: [
            _line((0.05, 0.02), (0.95, 0.0), (0.38, 1.0)),
            _line((0.35, 0.5), (0.9, 0.5)),
        ],
        "hooked": lambda: [
            _line((0.05, 0.25), (0.05, 0.02), (0.95, 0.0), (0.38, 1.0)),
        ],
        "curved": lambda: [
            _join(
                _line((0.05, 0.1), (0.08, 0.02), (0.95, 0.02)),
                _bezier((0.95, 0.02), (0.7, 0.3), (0.45, 0.6), (0.42, 1.0)),
            )
        ],
    },
    8: {
        "figure": lambda: [_eight()],
        "stacked": lambda: [
            _arc(0.5, 0.25, 0.26, 0.25, -80, -440),
            _arc(0.5, 0.74, 0.34, 0.26, -90, -450),
        ],
    },
    9: {
        "straight": lambda: [
            _join(_arc(0.45, 0.28, 0.33, 0.28, 10, -350), _line((0.78, 0.3), (0.78, 1.0)))
        ],
        "curved": lambda: [
            _join(
                _arc(0.45, 0.28, 0.33, 0.28, 10, -350),
                _bezier((0.78, 0.33), (0.8, 0.7), (0.6, 1.0), (0.25, 0.98)),
            )
        ],
        "slanted": lambda: [
            _join(_arc(0.55, 0.27, 0.33, 0.27, 15, -345), _line((0.87, 0.33), (0.45, 1.0)))
        ],
    },
}


def _eight() -> Stroke:
    """A figure eight in one stroke, starting and ending near the top (a lemniscate of Gerono)."""
    t = np.linspace(0.45 * np.pi, 2.55 * np.pi, 120)
    # x = sin t cos t swings both ways while y = sin t runs down and back up: two loops.
    return np.column_stack((0.5 - 0.9 * np.sin(t) * np.cos(t), 0.5 - 0.5 * np.sin(t)))


DIGIT_STYLES: dict[int, list[str]] = {d: list(styles) for d, styles in _TEMPLATES.items()}


def _smooth_noise(rng: np.random.Generator, count: int, amplitude: float) -> np.ndarray:
    """(count, 2) slowly varying offsets: random values at a few knots, linearly joined."""
    knots = rng.normal(0.0, amplitude, size=(4, 2))
    where = np.linspace(0.0, 3.0, count)
    return np.column_stack([np.interp(where, np.arange(4), knots[:, i]) for i in range(2)])


@dataclass(frozen=True)
class Variation:
    """How a writer's hand varies the templates: one condition of the style benchmark.

    Attributes:
        name: Short label, printed by the benchmark.
        extent: (low, high) ink size in px on a 280 px canvas, or None for 30-95% of it.
        shear: (low, high) slant; x shifts by this fraction of the height, top right > 0.
        wobble: Slow hand wobble, fraction of the digit size.
        jitter: Per-point noise, fraction of the digit size.
        pens: Brush widths in px on a 280 px canvas, used in turn.
        held_out: True for a measuring-only condition that training must never use.
    """

    name: str
    extent: tuple[float, float] | None = None
    shear: tuple[float, float] = (-SHEAR_RANGE, SHEAR_RANGE)
    wobble: float = WOBBLE
    jitter: float = JITTER
    pens: tuple[float, ...] = (8.0, 14.0, 20.0)
    held_out: bool = False


MOUSE = Variation("mouse")
# The style benchmark's conditions: each template is drawn under each of these.
VARIATIONS: tuple[Variation, ...] = (
    MOUSE,
    Variation("very small", extent=(45.0, 70.0)),
    Variation("very large", extent=(240.0, 268.0), pens=(8.0, 14.0, 20.0, 30.0)),
    Variation("slant right", shear=(0.5, 0.75)),
    Variation("slant left", shear=(-0.75, -0.5)),
    Variation(
        "finger",
        extent=(140.0, 268.0),
        wobble=0.04,
        jitter=0.002,
        pens=(24.0, 32.0, 40.0),
        held_out=True,
    ),
    Variation("shaky", wobble=0.05, jitter=0.012, held_out=True),
)
# Templates for measuring only: a model meant to be scored on the style benchmark must
# never be trained on these (nor on a held-out variation); the figures then measure
# generalisation to unseen ways of writing, not memory of the generator.
HELD_OUT_STYLES: frozenset[tuple[int, str]] = frozenset(
    {(0, "barred"), (1, "flag_base"), (4, "open"), (7, "hooked"), (9, "curved")}
)


def is_held_out(digit: int, style: str, variation: Variation) -> bool:
    """True when a drawing of this template or under this variation is for measuring only."""
    return variation.held_out or (digit, style) in HELD_OUT_STYLES


def _place(
    strokes: list[Stroke],
    rng: np.random.Generator,
    size: int,
    extent_px: float | None = None,
    pen_px: float | None = None,
    variation: Variation = MOUSE,
) -> tuple[list[np.ndarray], float]:
    """Jitter, slant, rotate, size and position strokes; canvas pixel points and brush width.

    ``extent_px`` (the ink's longer side, pen included) and ``pen_px`` (brush width), both in
    px on a 280 px canvas, replace the random size and brush when given.
    """
    moved = []
    for stroke in strokes:
        wobble = _smooth_noise(rng, len(stroke), variation.wobble)
        moved.append(stroke + wobble + rng.normal(0.0, variation.jitter, size=stroke.shape))
    shear = rng.uniform(*variation.shear)
    angle = np.radians(rng.uniform(-ROTATION_DEG, ROTATION_DEG))
    aspect = rng.uniform(0.8, 1.2)  # some people draw narrow, some wide
    cos, sin = np.cos(angle), np.sin(angle)
    # Centre, stretch x, slant (the top leans right for shear > 0), then rotate.
    transform = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -shear], [0.0, 1.0]])
    moved = [(s - 0.5) @ transform.T for s in moved]
    points = np.concatenate(moved)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())

    scale_px = rng.uniform(*SCALE_RANGE) * size
    width = rng.uniform(*WIDTH_RANGE) * size / CANVAS_SIDE
    width = min(width, max(WIDTH_RANGE[0] * size / CANVAS_SIDE, MAX_WIDTH_FRACTION * scale_px))
    if pen_px is not None:
        width = pen_px * size / CANVAS_SIDE
    if extent_px is not None:  # the stroke centres span the ink's extent less one pen width
        scale_px = max(1.0, extent_px * size / CANVAS_SIDE - width)
    # The whole stroke, round caps and anti-aliased edge included, stays on the canvas.
    margin = width / 2 + 2.0
    scale_px = min(scale_px, size - 2 * margin)
    factor = scale_px / extent
    span = (high - low) * factor
    room = np.maximum(size - 2 * margin - span, 0.0)
    offset = rng.uniform(0.0, 1.0, size=2) * room
    if rng.random() < EDGE_PROBABILITY:  # hug one edge: left, right, top or bottom
        axis = int(rng.integers(2))
        offset[axis] = room[axis] * rng.choice([0.0, 1.0])
    origin = offset + margin - low * factor
    return [s * factor + origin for s in moved], float(width)


def _render(strokes: list[np.ndarray], width: float, size: int) -> np.ndarray:
    """Anti-aliased round-capped white strokes on black: (size, size) uint8."""
    big = size * SUPERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    line_width = max(1, round(width * SUPERSAMPLE))
    radius = line_width / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke * SUPERSAMPLE]
        draw.line(points, fill=255, width=line_width, joint="curve")
        # Round caps (and a round dab at every point, like the browser's brush).
        for x, y in points[:: max(1, len(points) // 40)] + [points[-1]]:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(canvas.reduce(SUPERSAMPLE))


def _draw_grey(
    digit: int,
    rng: np.random.Generator,
    style: str | None,
    size: int,
    extent: float | None = None,
    pen: float | None = None,
    variation: Variation = MOUSE,
    training: bool = False,
) -> np.ndarray:
    """(size, size) uint8 drawing; ``training`` adds the training-only templates."""
    if digit not in _TEMPLATES:
        raise ValueError(f"digit={digit!r} is invalid: expected an integer 0-9")
    styles = _TEMPLATES[digit]
    if training:
        styles = {**styles, **_TRAINING_ONLY_TEMPLATES.get(digit, {})}
    if style is None:
        style = str(rng.choice(list(styles)))
    elif style not in styles:
        raise ValueError(
            f"style={style!r} is invalid for digit {digit}: expected one of {list(styles)}"
        )
    if not isinstance(size, int) or size < 32:
        raise ValueError(f"size={size!r} is invalid: expected an integer >= 32")
    if pen is not None and not 1.0 <= pen <= 60.0:
        raise ValueError(f"pen={pen!r} is invalid: expected a width of 1-60 px")
    if extent is not None and not (pen or 0.0) + 2.0 <= extent <= CANVAS_SIDE - 8.0:
        raise ValueError(
            f"extent={extent!r} is invalid: expected {(pen or 0.0) + 2.0:g}-{CANVAS_SIDE - 8} px"
        )
    strokes, width = _place(styles[style](), rng, size, extent, pen, variation)
    return _render(strokes, width, size)


def draw_digit(
    digit: int,
    rng: np.random.Generator,
    *,
    style: str | None = None,
    size: int = CANVAS_SIDE,
    extent: float | None = None,
    pen: float | None = None,
) -> np.ndarray:
    """Draw one digit the way a person would with a mouse on the app's canvas.

    Args:
        digit: 0-9.
        rng: Source of all randomness (style when not given, shape, size, place, brush).
        style: One of ``DIGIT_STYLES[digit]``; None picks one at random.
        size: Canvas side in px; the brush width scales with it (8-40 px at 280).
        extent: The ink's longer side (pen included) in px on a 280 px canvas; None picks
            30-95% of the canvas at random.
        pen: Brush width in px on a 280 px canvas (the app's default is 20); None picks one
            at random.

    Returns:
        (size, size, 4) uint8 RGBA: white strokes with anti-aliased edges on black,
        alpha 255 everywhere, R = G = B.

    Raises:
        ValueError: Unknown digit or style, size below 32, pen outside 1-60 px, or an
            extent shorter than the pen plus 2 px or longer than the canvas less 8 px.
    """
    grey = _draw_grey(digit, rng, style, size, extent, pen)
    opaque = np.full_like(grey, 255)
    return np.stack((grey, grey, grey, opaque), axis=-1)


def make_drawn_set(per_digit: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A balanced set of drawings, every style of every digit in turn.

    Args:
        per_digit: Drawings of each digit, at least 1.
        seed: The same seed gives the same set.

    Returns:
        ``(images, labels)``: (N, 280, 280) uint8 luminance (the canvas's R channel, which is
        all of its information: the RGBA is this repeated with alpha 255) and (N,) uint8
        labels, N = 10 * per_digit, digits interleaved 0, 1, ..., 9, 0, 1, ...

    Raises:
        ValueError: ``per_digit`` is not a positive integer.
    """
    if isinstance(per_digit, bool) or not isinstance(per_digit, int) or per_digit < 1:
        raise ValueError(f"per_digit={per_digit!r} is invalid: expected an integer >= 1")
    rng = np.random.default_rng(seed)
    count = 10 * per_digit
    images = np.empty((count, CANVAS_SIDE, CANVAS_SIDE), np.uint8)
    labels = np.tile(np.arange(10, dtype=np.uint8), per_digit)
    for i, digit in enumerate(labels):
        styles = DIGIT_STYLES[int(digit)]
        style = styles[(i // 10) % len(styles)]
        images[i] = _draw_grey(int(digit), rng, style, CANVAS_SIDE)
    return images, labels


@dataclass(frozen=True)
class StyleSet:
    """Drawings of every template under every variation, with what each one is.

    Attributes:
        images: (N, 280, 280) uint8 luminance.
        labels: (N,) uint8 digits.
        styles: (N,) str, the template as "digit style", e.g. "7 crossed".
        variations: (N,) str, the ``Variation`` name.
        pens: (N,) float32 brush width in px.
        held_out: (N,) bool, True for drawings of a held-out template or variation.
    """

    images: np.ndarray
    labels: np.ndarray
    styles: np.ndarray
    variations: np.ndarray
    pens: np.ndarray
    held_out: np.ndarray


def make_style_set(per_cell: int, seed: int = 0) -> StyleSet:
    """``per_cell`` drawings of each template under each of ``VARIATIONS``, pens in turn.

    Args:
        per_cell: Drawings per (template, variation), at least 1.
        seed: The same seed gives the same set.

    Returns:
        A ``StyleSet`` of N = per_cell * templates * variations drawings, in that order.

    Raises:
        ValueError: ``per_cell`` is not a positive integer.
    """
    if isinstance(per_cell, bool) or not isinstance(per_cell, int) or per_cell < 1:
        raise ValueError(f"per_cell={per_cell!r} is invalid: expected an integer >= 1")
    rng = np.random.default_rng(seed)
    images, labels, styles, variations, pens, held_out = [], [], [], [], [], []
    for digit, templates in DIGIT_STYLES.items():
        for style in templates:
            for variation in VARIATIONS:
                for i in range(per_cell):
                    pen = variation.pens[i % len(variation.pens)]
                    extent = None if variation.extent is None else rng.uniform(*variation.extent)
                    images.append(
                        _draw_grey(digit, rng, style, CANVAS_SIDE, extent, pen, variation)
                    )
                    labels.append(digit)
                    styles.append(f"{digit} {style}")
                    variations.append(variation.name)
                    pens.append(pen)
                    held_out.append(is_held_out(digit, style, variation))
    return StyleSet(
        np.stack(images),
        np.array(labels, np.uint8),
        np.array(styles),
        np.array(variations),
        np.array(pens, np.float32),
        np.array(held_out),
    )


# --- training drawings: the templates and variations that are not held out ---

# Templates drawn for training only, never measured (``make_style_set``, ``make_drawn_set``
# and ``devkit.nondigits`` read ``_TEMPLATES`` alone): the same ideas as three held-out
# templates, with other parameters, so the held-out ones still measure generalisation.
# - 0 "slash_inner" and "backslash": the held-out "barred" is a full slash from the top right
#   (0.78, 0.08) to the bottom left (0.22, 0.92) across a 0.34 x 0.48 oval; these slash
#   inside the oval only, (0.66, 0.26) to (0.34, 0.74), or the other way, top left to
#   bottom right, (0.3, 0.24) to (0.7, 0.76), across a rounder 0.38 x 0.47 oval.
# - 1 "long_flag" and "short_flag": the held-out "flag_base" has a flag from (0.28, 0.2) to
#   (0.52, 0.0) and a base from 0.25 to 0.8; these have a long steep flag from (0.2, 0.4)
#   with a short centred base (0.36-0.68), or a short flag from (0.4, 0.1) with a wide
#   base (0.1-0.92).
# - 9 "tail_open" and "tail_hook": the held-out "curved" tail runs from (0.78, 0.33) through
#   (0.8, 0.7) and (0.6, 1.0) to (0.25, 0.98); these curve less and end at the bottom
#   middle, (0.82, 0.78) and (0.72, 1.0) to (0.52, 1.0), or hook further left and end
#   higher, (0.86, 0.8) and (0.45, 0.98) to (0.1, 0.8).
_TRAINING_ONLY_TEMPLATES: dict[int, dict[str, Template]] = {
    0: {
        "slash_inner": lambda: [
            _arc(0.5, 0.5, 0.34, 0.48, -80, -450),
            _line((0.66, 0.26), (0.34, 0.74)),
        ],
        "backslash": lambda: [
            _arc(0.5, 0.5, 0.38, 0.47, -90, -450),
            _line((0.3, 0.24), (0.7, 0.76)),
        ],
    },
    1: {
        "long_flag": lambda: [
            _line((0.2, 0.4), (0.54, 0.0), (0.54, 1.0)),
            _line((0.36, 1.0), (0.68, 1.0)),
        ],
        "short_flag": lambda: [
            _line((0.4, 0.1), (0.5, 0.0), (0.5, 1.0)),
            _line((0.1, 1.0), (0.92, 1.0)),
        ],
    },
    9: {
        "tail_open": lambda: [
            _join(
                _arc(0.45, 0.28, 0.33, 0.28, 10, -350),
                _bezier((0.78, 0.33), (0.82, 0.78), (0.72, 1.0), (0.52, 1.0)),
            )
        ],
        "tail_hook": lambda: [
            _join(
                _arc(0.45, 0.28, 0.33, 0.28, 10, -350),
                _bezier((0.78, 0.33), (0.86, 0.8), (0.45, 0.98), (0.1, 0.8)),
            )
        ],
    },
}
TRAINING_ONLY_STYLES: frozenset[tuple[int, str]] = frozenset(
    (digit, style) for digit, styles in _TRAINING_ONLY_TEMPLATES.items() for style in styles
)

# Conditions drawn for training only, never measured: small digits drawn with a wide pen
# (as solid as a tap of it once the strokes merge), a bit larger and smaller than the
# benchmark's "very small" and with pens up to 24 px, so a model learns their silhouettes.
TRAINING_ONLY_VARIATIONS: tuple[Variation, ...] = (
    Variation("small, wide pen", extent=(40.0, 90.0), pens=(16.0, 20.0, 24.0)),
)
TRAINING_VARIATIONS: tuple[Variation, ...] = (
    tuple(v for v in VARIATIONS if not v.held_out) + TRAINING_ONLY_VARIATIONS
)
TRAINING_STYLES: tuple[tuple[int, str], ...] = tuple(
    (digit, style)
    for digit, styles in DIGIT_STYLES.items()
    for style in styles
    if (digit, style) not in HELD_OUT_STYLES
) + tuple(sorted(TRAINING_ONLY_STYLES))


def make_training_set(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Drawings for training, as 28x28 MNIST-like images: never a held-out template or variation.

    Each drawing picks a digit (in turn), one of its ``TRAINING_STYLES`` and one of
    ``TRAINING_VARIATIONS`` at random; under the ordinary mouse the brush is the generator's
    random 8-40 px (capped for the digit's size), otherwise one of the variation's pens. The
    canvas is read through ``lenet.preprocess.to_mnist``, exactly as the app reads a drawing,
    so the model trains on what it will be shown.

    Args:
        count: Drawings to make, at least 10.
        seed: The same seed gives the same set. Use a seed other than the benchmark's (0).

    Returns:
        ``(images, labels)``: (N, 28, 28) uint8 and (N,) uint8, N = ``count`` less the rare
        drawing that preprocessing judges empty.

    Raises:
        ValueError: ``count`` is not an integer >= 10.
    """
    from lenet.preprocess import to_mnist

    if isinstance(count, bool) or not isinstance(count, int) or count < 10:
        raise ValueError(f"count={count!r} is invalid: expected an integer >= 10")
    rng = np.random.default_rng(seed)
    by_digit = {d: [s for dd, s in TRAINING_STYLES if dd == d] for d in range(10)}
    images, labels = [], []
    for i in range(count):
        digit = i % 10
        style = str(rng.choice(by_digit[digit]))
        variation = TRAINING_VARIATIONS[int(rng.integers(len(TRAINING_VARIATIONS)))]
        pen = None if variation is MOUSE else float(rng.choice(variation.pens))
        extent = None if variation.extent is None else float(rng.uniform(*variation.extent))
        grey = _draw_grey(digit, rng, style, CANVAS_SIDE, extent, pen, variation, training=True)
        image = to_mnist(grey).image
        if image is None:
            continue
        images.append(np.round(image * 255.0).astype(np.uint8))
        labels.append(digit)
    return np.stack(images), np.array(labels, np.uint8)


TRAINING_SEED = 1  # the training drawings' default seed; the benchmark draws with seed 0


def save_training_set(path: Path, count: int, seed: int = TRAINING_SEED) -> int:
    """Write ``make_training_set(count, seed)`` as ``x_train``/``y_train`` (Keras layout).

    The file is written to a temporary name and renamed into place, so a half-written set is
    never read. Returns the number of drawings written.
    """
    x, y = make_training_set(count, seed)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as f:  # a file object: savez would add ".npz" to a name
        np.savez_compressed(f, x_train=x, y_train=y)
    partial.replace(path)
    return len(y)


def main(argv: list[str] | None = None) -> int:
    """``python -m devkit.drawn --training N --out drawings.npz``: the zoo's training drawings."""
    parser = argparse.ArgumentParser(
        description="Make synthetic training drawings (training styles and variations only) "
        "for `python -m lenet zoo --drawings`."
    )
    parser.add_argument("--training", type=int, required=True, metavar="N", help="drawings")
    parser.add_argument("--out", type=Path, required=True, help="the .npz to write")
    parser.add_argument(
        "--seed", type=int, default=TRAINING_SEED, help=f"(default: {TRAINING_SEED})"
    )
    args = parser.parse_args(argv)
    if args.training < 10:
        parser.error(f"--training {args.training} is invalid: give 10 or more")
    written = save_training_set(args.out, args.training, args.seed)
    print(f"{written} drawings -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
