"""Synthetic canvas drawings that are not digits, to train and measure the "not a digit" check.

People draw things on the canvas that are not a digit: a dash, a spiral, a scribble, a filled
blob, a letter, or two digits side by side. This module draws them the way the app's canvas
records them (white round-capped strokes on black, rendered like ``devkit.drawn``), as
(280, 280) uint8 luminance, one kind at a time.

Two parameter sets keep training and measuring apart (``TRAINING`` and ``MEASURING``); each is
used with its own seeds, and they differ in ranges and in kinds:

- **dash**: training 60-250 px long at up to 30 degrees from horizontal; measuring 80-270 px at
  up to 20 degrees. A dash steeper than that is a 1 (the drawn set slants 1s by up to ~50
  degrees from vertical), so it is not a non-digit at all;
- **spiral**: training 2-3 turns; measuring 2.5-4 turns, drawn from the outside in;
- **scribble**: a smoothed random path, training through 8-14 points, measuring 12-20; or
  (training 40%, measuring 50%) a zigzag hatch of 4-7 back-and-forth strokes in training,
  8-12 when measuring;
- **blob**: training filled ellipses and 3-5-cornered polygons; measuring 6-9-cornered
  polygons;
- **letter**: different letters (``TRAINING_LETTERS`` vs ``MEASURING_LETTERS``). Letters that
  are digit shapes are left out of both: O and o (0), I, l and i (1), Z and z (2), S and s
  (5), G and b (6), B (8), g and q (9), and C, c, U and J (an open 0, a U-shaped 0, a hooked
  1), since a detector that flagged them would have to flag those digits too;
- **pair**: two digits side by side, half of them two ``devkit.drawn`` templates (training:
  only templates outside ``HELD_OUT_STYLES``; measuring: all), half two MNIST digits (the
  caller passes training-split digits for training, test-split digits for measuring).

Every kind but the dash (and the blob, filled as drawn) is slanted by up to +-0.3 and turned
by up to 12 degrees in both sets, and jittered like a mouse stroke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from devkit.drawn import (
    _TEMPLATES,
    CANVAS_SIDE,
    HELD_OUT_STYLES,
    SUPERSAMPLE,
    _arc,
    _line,
    _render,
    _smooth_noise,
)

KINDS = ("dash", "spiral", "scribble", "blob", "letter", "pair")
JITTER = 0.004  # per-point mouse noise, fraction of the drawing's size (as in devkit.drawn)
SHEAR = 0.3  # slant: x shifts by up to +-0.3 of the height from bottom to top
ROTATION_DEG = 12.0  # every kind but the dash (whose angle is its own parameter) turns by this

Stroke = np.ndarray  # (K, 2) float64 points (x, y) in the unit box, y down


# --- letters as a person writes them with a mouse, in a unit box (x right, y down) ---

_LETTERS: dict[str, Callable[[], list[Stroke]]] = {
    "A": lambda: [_line((0.05, 1.0), (0.5, 0.0), (0.95, 1.0)), _line((0.25, 0.6), (0.75, 0.6))],
    "E": lambda: [
        _line((0.85, 0.0), (0.15, 0.0), (0.15, 1.0), (0.85, 1.0)),
        _line((0.15, 0.5), (0.7, 0.5)),
    ],
    "H": lambda: [
        _line((0.15, 0.0), (0.15, 1.0)),
        _line((0.85, 0.0), (0.85, 1.0)),
        _line((0.15, 0.5), (0.85, 0.5)),
    ],
    "K": lambda: [_line((0.2, 0.0), (0.2, 1.0)), _line((0.85, 0.0), (0.2, 0.55), (0.85, 1.0))],
    "M": lambda: [_line((0.05, 1.0), (0.1, 0.0), (0.5, 0.65), (0.9, 0.0), (0.95, 1.0))],
    "W": lambda: [_line((0.0, 0.0), (0.22, 1.0), (0.5, 0.35), (0.78, 1.0), (1.0, 0.0))],
    "X": lambda: [_line((0.1, 0.0), (0.9, 1.0)), _line((0.9, 0.0), (0.1, 1.0))],
    "P": lambda: [
        _line((0.2, 1.0), (0.2, 0.0)),
        np.concatenate([_line((0.2, 0.0), (0.5, 0.0)), _arc(0.5, 0.27, 0.3, 0.27, -90, 90)]),
    ],
    "e": lambda: [
        np.concatenate([_line((0.1, 0.55), (0.9, 0.55)), _arc(0.5, 0.6, 0.4, 0.4, 0, -300)])
    ],
    "h": lambda: [
        _line((0.2, 0.0), (0.2, 1.0)),
        np.concatenate([_arc(0.5, 0.65, 0.3, 0.25, 180, 360), _line((0.8, 0.65), (0.8, 1.0))]),
    ],
    "m": lambda: [
        _line((0.05, 0.35), (0.05, 1.0)),
        np.concatenate(
            [
                _arc(0.275, 0.55, 0.225, 0.2, 180, 360),
                _line((0.5, 0.55), (0.5, 1.0)),
                _line((0.5, 1.0), (0.5, 0.55)),
                _arc(0.725, 0.55, 0.225, 0.2, 180, 360),
                _line((0.95, 0.55), (0.95, 1.0)),
            ]
        ),
    ],
    "n": lambda: [
        _line((0.15, 0.3), (0.15, 1.0)),
        np.concatenate([_arc(0.5, 0.6, 0.35, 0.3, 180, 360), _line((0.85, 0.6), (0.85, 1.0))]),
    ],
    "r": lambda: [
        _line((0.25, 0.3), (0.25, 1.0)),
        _arc(0.6, 0.6, 0.35, 0.3, 180, 290),
    ],
    "w": lambda: [_line((0.0, 0.3), (0.25, 1.0), (0.5, 0.5), (0.75, 1.0), (1.0, 0.3))],
    "F": lambda: [
        _line((0.85, 0.0), (0.2, 0.0), (0.2, 1.0)),
        _line((0.2, 0.5), (0.7, 0.5)),
    ],
    "N": lambda: [_line((0.15, 1.0), (0.15, 0.0), (0.85, 1.0), (0.85, 0.0))],
    "R": lambda: [
        _line((0.2, 1.0), (0.2, 0.0)),
        np.concatenate(
            [
                _line((0.2, 0.0), (0.5, 0.0)),
                _arc(0.5, 0.25, 0.3, 0.25, -90, 90),
                _line((0.5, 0.5), (0.2, 0.5), (0.85, 1.0)),
            ]
        ),
    ],
    "T": lambda: [_line((0.05, 0.0), (0.95, 0.0)), _line((0.5, 0.0), (0.5, 1.0))],
    "V": lambda: [_line((0.05, 0.0), (0.5, 1.0), (0.95, 0.0))],
    "Y": lambda: [_line((0.05, 0.0), (0.5, 0.5), (0.95, 0.0)), _line((0.5, 0.5), (0.5, 1.0))],
    "k": lambda: [_line((0.2, 0.0), (0.2, 1.0)), _line((0.8, 0.35), (0.2, 0.7), (0.85, 1.0))],
    "x": lambda: [_line((0.1, 0.3), (0.9, 1.0)), _line((0.9, 0.3), (0.1, 1.0))],
    "L": lambda: [_line((0.2, 0.0), (0.2, 1.0), (0.85, 1.0))],
    "f": lambda: [
        np.concatenate([_arc(0.6, 0.2, 0.25, 0.2, -10, -180), _line((0.35, 0.2), (0.35, 1.0))]),
        _line((0.1, 0.4), (0.7, 0.4)),
    ],
    "t": lambda: [
        np.concatenate([_line((0.4, 0.0), (0.4, 0.8)), _arc(0.6, 0.8, 0.2, 0.2, 180, 90)]),
        _line((0.1, 0.3), (0.8, 0.3)),
    ],
}
# T and Y were measuring letters at first: unseen, the network took them for digits (a T for
# a 7) every time, so they moved to training and lowercase t, unseen, took their place.
TRAINING_LETTERS = ("A", "E", "H", "K", "M", "W", "X", "P", "T", "Y", "L") + (
    "e",
    "f",
    "h",
    "m",
    "n",
    "r",
    "w",
)
MEASURING_LETTERS = ("F", "N", "R", "V", "k", "t", "x")


@dataclass(frozen=True)
class Params:
    """One parameter set of the generator (see the module docstring for what differs).

    Attributes:
        name: "training" or "measuring".
        extent: (low, high) longer side of the drawing in px on the 280 px canvas.
        pens: (low, high) brush width in px.
        dash_length: (low, high) dash length in px.
        dash_angle: Largest angle from horizontal, degrees.
        spiral_turns: (low, high) turns of a spiral.
        spiral_inward: True draws spirals from the outside in.
        scribble_points: (low, high) points a scribble passes through.
        zigzag: Share of scribbles drawn as a zigzag hatch instead.
        zigzag_strokes: (low, high) back-and-forth strokes of a zigzag.
        blob_polygon: Share of blobs that are random polygons rather than ellipses.
        blob_vertices: (low, high) corners of a polygon blob.
        letters: The letters drawn.
        held_out_pairs: True lets drawn pairs use ``HELD_OUT_STYLES`` templates.
    """

    name: str
    extent: tuple[float, float]
    pens: tuple[float, float]
    dash_length: tuple[float, float]
    dash_angle: float
    spiral_turns: tuple[float, float]
    spiral_inward: bool
    scribble_points: tuple[int, int]
    zigzag: float
    zigzag_strokes: tuple[int, int]
    blob_polygon: float
    blob_vertices: tuple[int, int]
    letters: tuple[str, ...]
    held_out_pairs: bool


TRAINING = Params(
    "training",
    extent=(80.0, 260.0),
    pens=(8.0, 36.0),
    dash_length=(60.0, 250.0),
    dash_angle=30.0,
    spiral_turns=(2.0, 3.0),
    spiral_inward=False,
    scribble_points=(8, 14),
    zigzag=0.4,
    zigzag_strokes=(4, 7),
    blob_polygon=0.5,
    blob_vertices=(3, 5),
    letters=TRAINING_LETTERS,
    held_out_pairs=False,
)
MEASURING = Params(
    "measuring",
    extent=(90.0, 268.0),
    pens=(10.0, 30.0),
    dash_length=(80.0, 270.0),
    dash_angle=20.0,
    spiral_turns=(2.5, 4.0),
    spiral_inward=True,
    scribble_points=(12, 20),
    zigzag=0.5,
    zigzag_strokes=(8, 12),
    blob_polygon=1.0,
    blob_vertices=(6, 9),
    letters=MEASURING_LETTERS,
    held_out_pairs=True,
)


# --- shapes in a unit box ---


def _spiral(rng: np.random.Generator, params: Params) -> list[Stroke]:
    turns = rng.uniform(*params.spiral_turns)
    t = np.linspace(0.0, 1.0, int(120 * turns))
    angle = 2 * np.pi * turns * t * rng.choice([-1.0, 1.0]) + rng.uniform(0, 2 * np.pi)
    radius = 0.05 + 0.45 * t
    points = np.column_stack((0.5 + radius * np.cos(angle), 0.5 + radius * np.sin(angle)))
    return [points[::-1] if params.spiral_inward else points]


def _smooth_path(corners: np.ndarray) -> Stroke:
    """A curve through ``corners`` (Catmull-Rom), 12 points per segment."""
    padded = np.concatenate([corners[:1], corners, corners[-1:]])
    t = np.linspace(0.0, 1.0, 12, endpoint=False)[:, None]
    parts = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        parts.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    parts.append(corners[-1:])
    return np.concatenate(parts)


def _scribble(rng: np.random.Generator, params: Params) -> list[Stroke]:
    if rng.random() < params.zigzag:  # back-and-forth hatching, drifting down
        count = 1 + int(rng.integers(params.zigzag_strokes[0], params.zigzag_strokes[1] + 1))
        ys = np.linspace(0.0, 1.0, count) + rng.normal(0.0, 0.03, count)
        xs = np.where(np.arange(count) % 2 == 0, 0.0, 1.0) + rng.normal(0.0, 0.05, count)
        return [_line(*zip(xs.tolist(), ys.tolist(), strict=True))]
    count = int(rng.integers(params.scribble_points[0], params.scribble_points[1] + 1))
    return [_smooth_path(rng.uniform(0.0, 1.0, size=(count, 2)))]


def _letter(rng: np.random.Generator, params: Params) -> list[Stroke]:
    return _LETTERS[str(rng.choice(params.letters))]()


def _digit_pair(rng: np.random.Generator, params: Params) -> list[Stroke]:
    """Two ``devkit.drawn`` templates side by side, each in its own unit box."""
    strokes: list[Stroke] = []
    offset = 0.0
    for _ in range(2):
        digit = int(rng.integers(10))
        styles = [
            s
            for s in _TEMPLATES[digit]
            if params.held_out_pairs or (digit, s) not in HELD_OUT_STYLES
        ]
        template = _TEMPLATES[digit][str(rng.choice(styles))]
        width = rng.uniform(0.55, 0.8)  # digits are narrower than tall
        strokes += [np.column_stack((s[:, 0] * width + offset, s[:, 1])) for s in template()]
        offset += width + rng.uniform(0.2, 0.45)
    return strokes


# --- placing and rendering ---


def _place(
    strokes: list[Stroke],
    rng: np.random.Generator,
    extent_px: float,
    pen: float,
    turn: bool = True,
) -> list[np.ndarray]:
    """Slant and rotate (with ``turn``), scale so the longer side is ``extent_px``, jitter,
    and put anywhere on the canvas."""
    shear = rng.uniform(-SHEAR, SHEAR) if turn else 0.0
    angle = np.radians(rng.uniform(-ROTATION_DEG, ROTATION_DEG) if turn else 0.0)
    cos, sin = np.cos(angle), np.sin(angle)
    transform = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, -shear], [0.0, 1.0]])
    strokes = [(s - 0.5) @ transform.T for s in strokes]
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    factor = (extent_px - pen) / max(float((high - low).max()), 1e-6)
    span = (high - low) * factor
    margin = pen / 2 + 2.0
    room = np.maximum(CANVAS_SIDE - 2 * margin - span, 0.0)
    origin = margin + rng.uniform(0.0, 1.0, size=2) * room - low * factor
    out = []
    for stroke in strokes:
        noise = _smooth_noise(rng, len(stroke), 0.02) + rng.normal(0.0, JITTER, stroke.shape)
        out.append((stroke + noise * float((high - low).max())) * factor + origin)
    return out


def _blob(rng: np.random.Generator, params: Params, extent_px: float) -> np.ndarray:
    """A filled shape (the pen scrubbed over an area): (280, 280) uint8."""
    big = CANVAS_SIDE * SUPERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    size = extent_px * SUPERSAMPLE
    aspect = rng.uniform(0.5, 1.0)
    width, height = (size, size * aspect) if rng.random() < 0.5 else (size * aspect, size)
    left = rng.uniform(4, big - 4 - width)
    top = rng.uniform(4, big - 4 - height)
    if rng.random() < params.blob_polygon:
        count = int(rng.integers(params.blob_vertices[0], params.blob_vertices[1] + 1))
        # Corners spread round the centre (jittered): a fat shape, never a sliver like a 1.
        step = 2 * np.pi / count
        angles = rng.uniform(0, step) + step * (np.arange(count) + rng.uniform(-0.3, 0.3, count))
        radii = rng.uniform(0.6, 1.0, count)
        xs = left + width * (0.5 + 0.5 * radii * np.cos(angles))
        ys = top + height * (0.5 + 0.5 * radii * np.sin(angles))
        draw.polygon(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=255)
    else:
        draw.ellipse((left, top, left + width, top + height), fill=255)
    return np.asarray(canvas.reduce(SUPERSAMPLE))


def _mnist_pair(rng: np.random.Generator, digits: np.ndarray, extent_px: float) -> np.ndarray:
    """Two MNIST digits, each cropped to its ink, side by side and scaled up: (280, 280)."""
    parts = []
    for index in rng.integers(len(digits), size=2):
        image = digits[index]
        cols = np.flatnonzero(image.max(axis=0) > 0)
        parts.append(image[:, cols[0] : cols[-1] + 1])
        parts.append(np.zeros((28, int(rng.integers(2, 8))), np.uint8))
    pair = np.concatenate(parts[:-1], axis=1)  # (28, w)
    rows = np.flatnonzero(pair.max(axis=1) > 0)
    pair = pair[rows[0] : rows[-1] + 1]
    scale = extent_px / max(pair.shape)
    height, width = (max(1, round(n * scale)) for n in pair.shape)
    big = np.asarray(Image.fromarray(pair).resize((width, height), Image.Resampling.BILINEAR))
    canvas = np.zeros((CANVAS_SIDE, CANVAS_SIDE), np.uint8)
    top = int(rng.integers(0, CANVAS_SIDE - height + 1))
    left = int(rng.integers(0, CANVAS_SIDE - width + 1))
    canvas[top : top + height, left : left + width] = big
    return canvas


def draw_nondigit(
    kind: str,
    rng: np.random.Generator,
    params: Params = TRAINING,
    mnist_digits: np.ndarray | None = None,
) -> np.ndarray:
    """Draw one non-digit of ``kind`` on a 280 px canvas.

    Args:
        kind: One of ``KINDS``.
        rng: Source of all randomness.
        params: ``TRAINING`` or ``MEASURING`` (or your own ``Params``).
        mnist_digits: (N, 28, 28) uint8 MNIST digits; when given, half of the pairs are two
            of these side by side, the other half two drawn templates.

    Returns:
        (280, 280) uint8 luminance, white ink on black, like the canvas's R channel.

    Raises:
        ValueError: Unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is invalid: expected one of {list(KINDS)}")
    pen = rng.uniform(*params.pens)
    extent = rng.uniform(*params.extent)
    if kind == "blob":
        return _blob(rng, params, extent)
    if kind == "pair" and mnist_digits is not None and rng.random() < 0.5:
        return _mnist_pair(rng, mnist_digits, extent)
    if kind == "dash":
        length = rng.uniform(*params.dash_length)
        angle = np.radians(rng.uniform(-params.dash_angle, params.dash_angle))
        start = np.array([0.0, 0.0])
        end = np.array([np.cos(angle), np.sin(angle)])
        stroke = _line(tuple(start), tuple(end))
        # Scale by the length itself: a dash's extent is its length (plus the pen).
        pen = min(pen, 0.3 * length)
        return _render(_place([stroke], rng, length + pen, pen, turn=False), pen, CANVAS_SIDE)
    if kind == "spiral":
        strokes = _spiral(rng, params)
        # Rings 0.45 * extent / turns apart: a wider pen fills the spiral into a blob.
        turns = params.spiral_turns[1]
        pen = min(pen, 0.5 * 0.45 * extent / turns)
    elif kind == "scribble":
        strokes = _scribble(rng, params)
    elif kind == "letter":
        strokes = _letter(rng, params)
    else:
        strokes = _digit_pair(rng, params)
    pen = min(pen, 0.18 * extent)  # nobody writes a 30 px stroke in a 90 px letter
    return _render(_place(strokes, rng, extent, pen), pen, CANVAS_SIDE)


def make_nondigit_set(
    per_kind: int,
    seed: int,
    params: Params = TRAINING,
    mnist_digits: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``per_kind`` drawings of each of ``KINDS``, kinds interleaved.

    Args:
        per_kind: Drawings of each kind, at least 1.
        seed: The same seed (with the same params and digits) gives the same set.
        params: ``TRAINING`` or ``MEASURING``.
        mnist_digits: MNIST digits for half of the pairs (see ``draw_nondigit``).

    Returns:
        ``(images, kinds)``: (N, 280, 280) uint8 and (N,) str kind names,
        N = per_kind * len(KINDS).

    Raises:
        ValueError: ``per_kind`` is not a positive integer.
    """
    if isinstance(per_kind, bool) or not isinstance(per_kind, int) or per_kind < 1:
        raise ValueError(f"per_kind={per_kind!r} is invalid: expected an integer >= 1")
    rng = np.random.default_rng(seed)
    kinds = np.array([KINDS[i % len(KINDS)] for i in range(per_kind * len(KINDS))])
    images = np.stack([draw_nondigit(str(k), rng, params, mnist_digits) for k in kinds])
    return images, kinds
