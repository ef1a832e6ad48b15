"""Tests for devkit.drawn: synthetic canvas drawings for the drawn-digit benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from devkit import drawn, nondigits
from devkit.drawn import (
    DIGIT_STYLES,
    HELD_OUT_STYLES,
    TRAINING_ONLY_STYLES,
    TRAINING_STYLES,
    TRAINING_VARIATIONS,
    VARIATIONS,
    Variation,
    draw_digit,
    is_held_out,
    make_drawn_set,
    make_style_set,
    make_training_set,
    save_training_set,
)
from lenet.npzfile import read_rows
from lenet.preprocess import to_mnist

ALL_STYLES = [(digit, style) for digit, styles in DIGIT_STYLES.items() for style in styles]


def test_every_digit_has_two_to_four_styles() -> None:
    assert sorted(DIGIT_STYLES) == list(range(10))
    for digit, styles in DIGIT_STYLES.items():
        assert 2 <= len(styles) <= 4, digit
        assert len(set(styles)) == len(styles), digit


@pytest.mark.parametrize(("digit", "style"), ALL_STYLES)
def test_each_style_draws_a_canvas_image(digit: int, style: str) -> None:
    image = draw_digit(digit, np.random.default_rng(digit), style=style)
    assert image.shape == (280, 280, 4) and image.dtype == np.uint8
    # Exactly what st_canvas returns on a black background.
    assert (image[..., 3] == 255).all()
    assert (image[..., 0] == image[..., 1]).all() and (image[..., 1] == image[..., 2]).all()
    grey = image[..., 0]
    assert grey.max() == 255  # solid stroke cores
    assert ((grey > 0) & (grey < 255)).any()  # anti-aliased edges
    assert 0.005 < (grey > 127).mean() < 0.5
    # Nothing is cut off by the canvas edge.
    assert max(grey[0].max(), grey[-1].max(), grey[:, 0].max(), grey[:, -1].max()) == 0


@pytest.mark.parametrize(("digit", "style"), ALL_STYLES)
def test_each_style_preprocesses_to_a_digit(digit: int, style: str) -> None:
    rng = np.random.default_rng(100 + digit)
    for _ in range(3):
        result = to_mnist(draw_digit(digit, rng, style=style))
        assert not result.empty, result.reason
        assert result.image is not None and result.image.shape == (28, 28)


def test_draw_digit_is_deterministic_per_generator() -> None:
    first = draw_digit(7, np.random.default_rng(5))
    again = draw_digit(7, np.random.default_rng(5))
    other = draw_digit(7, np.random.default_rng(6))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("size", [64, 140, 560])
def test_draw_digit_size(size: int) -> None:
    image = draw_digit(3, np.random.default_rng(0), size=size)
    assert image.shape == (size, size, 4)
    assert not to_mnist(image).empty


def test_samples_vary_in_size_place_and_width() -> None:
    rng = np.random.default_rng(0)
    extents, margins, widths = [], [], []
    for i in range(60):
        grey = draw_digit(i % 10, rng)[..., 0] > 127
        rows, cols = np.flatnonzero(grey.any(axis=1)), np.flatnonzero(grey.any(axis=0))
        extents.append(max(rows[-1] - rows[0], cols[-1] - cols[0]))
        margins.append(min(rows[0], cols[0], 279 - rows[-1], 279 - cols[-1]))
        widths.append(grey.sum() / extents[-1])  # ink area per unit length, ~ stroke width
    assert min(extents) < 140 and max(extents) > 230  # scale 0.3-0.95 of the canvas
    assert min(margins) <= 12 and max(margins) > 40  # some hug an edge, some float
    assert max(widths) > 2.5 * min(widths)  # thin and thick brushes


@pytest.mark.parametrize(("extent", "pen"), [(35.0, 8.0), (60.0, 20.0), (220.0, 20.0)])
def test_extent_and_pen_are_honoured(extent: float, pen: float) -> None:
    grey = draw_digit(7, np.random.default_rng(3), extent=extent, pen=pen)[..., 0] > 127
    rows, cols = np.flatnonzero(grey.any(axis=1)), np.flatnonzero(grey.any(axis=0))
    longer = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    assert abs(longer - extent) <= 3
    # A straight middle row of the 7's stem crosses one stroke about a pen wide (slanted).
    middle = grey[(rows[0] + rows[-1]) // 2]
    assert pen - 2 <= middle.sum() <= 2.5 * pen


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"digit": 10}, "digit=10"),
        ({"digit": -1}, "digit=-1"),
        ({"digit": 1, "style": "loop"}, "style='loop'"),
        ({"digit": 1, "size": 16}, "size=16"),
        ({"digit": 1, "pen": 0.5}, "pen=0.5"),
        ({"digit": 1, "pen": 20.0, "extent": 21.0}, "extent=21.0"),
        ({"digit": 1, "extent": 275.0}, "extent=275.0"),
    ],
)
def test_draw_digit_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw_digit(rng=np.random.default_rng(0), **kwargs)  # type: ignore[arg-type]


def test_make_drawn_set_shapes_and_balance() -> None:
    images, labels = make_drawn_set(3, seed=1)
    assert images.shape == (30, 280, 280) and images.dtype == np.uint8
    assert labels.shape == (30,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [3] * 10
    assert (images.reshape(30, -1).max(axis=1) == 255).all()  # every image has ink


def test_make_drawn_set_labels_match_drawings() -> None:
    images, labels = make_drawn_set(6, seed=0)
    assert labels[:10].tolist() == list(range(10))  # interleaved 0-9

    def aspect(image: np.ndarray) -> float:
        rows, cols = np.nonzero(image > 127)
        return float(np.ptp(cols) / np.ptp(rows))

    ones = np.mean([aspect(image) for image in images[labels == 1]])
    zeros = np.mean([aspect(image) for image in images[labels == 0]])
    assert ones < 0.7 * zeros  # a 1 is a narrow digit, a 0 a round one


def test_make_drawn_set_is_deterministic_per_seed() -> None:
    first_images, first_labels = make_drawn_set(2, seed=7)
    again_images, again_labels = make_drawn_set(2, seed=7)
    other_images, _ = make_drawn_set(2, seed=8)
    np.testing.assert_array_equal(first_images, again_images)
    np.testing.assert_array_equal(first_labels, again_labels)
    assert not np.array_equal(first_images, other_images)


def test_make_drawn_set_cycles_through_styles() -> None:
    # With per_digit = 4 each digit uses every one of its (at most 4) styles.
    images, labels = make_drawn_set(4, seed=0)
    ones = images[labels == 1] > 127
    # A bare stick is far narrower than a 1 with a base.
    widths = [np.ptp(np.flatnonzero(one.any(axis=0))) for one in ones]
    assert max(widths) > 1.5 * min(widths)


@pytest.mark.parametrize("per_digit", [0, -1, 1.5, True])
def test_make_drawn_set_rejects_bad_count(per_digit: object) -> None:
    with pytest.raises(ValueError, match="per_digit"):
        make_drawn_set(per_digit)  # type: ignore[arg-type]


# --- the style benchmark's set ---


@pytest.fixture(scope="module")
def style_set():  # type: ignore[no-untyped-def]
    return make_style_set(3, seed=0)


def test_held_out_styles_exist_and_leave_styles_to_train_on() -> None:
    for digit, style in HELD_OUT_STYLES:
        assert style in DIGIT_STYLES[digit]
        assert len(DIGIT_STYLES[digit]) > 1  # every digit keeps a style that is not held out
    assert any(v.held_out for v in VARIATIONS) and not all(v.held_out for v in VARIATIONS)


def test_style_set_covers_every_template_variation_and_pen(style_set) -> None:  # type: ignore[no-untyped-def]
    templates = sum(len(styles) for styles in DIGIT_STYLES.values())
    count = 3 * templates * len(VARIATIONS)
    assert style_set.images.shape == (count, 280, 280) and style_set.images.dtype == np.uint8
    for field in ("labels", "styles", "variations", "pens", "held_out"):
        assert getattr(style_set, field).shape == (count,), field
    assert len(set(style_set.styles.tolist())) == templates
    assert set(style_set.variations.tolist()) == {v.name for v in VARIATIONS}
    for variation in VARIATIONS:
        pens = style_set.pens[style_set.variations == variation.name]
        assert set(pens.tolist()) == set(variation.pens[:3])
    assert (style_set.images.reshape(count, -1).max(axis=1) == 255).all()


def test_style_set_marks_held_out_drawings(style_set) -> None:  # type: ignore[no-untyped-def]
    by_name = {v.name: v for v in VARIATIONS}
    for label, style, name, held in zip(
        style_set.labels, style_set.styles, style_set.variations, style_set.held_out, strict=True
    ):
        digit, template = style.split(" ")
        assert int(digit) == label
        assert held == is_held_out(int(digit), template, by_name[name])
    assert style_set.held_out.any() and not style_set.held_out.all()


def test_variations_change_size_and_slant(style_set) -> None:  # type: ignore[no-untyped-def]
    def extent(image: np.ndarray) -> int:
        rows, cols = np.nonzero(image > 127)
        return int(max(np.ptp(rows), np.ptp(cols)))

    def lean(image: np.ndarray) -> float:
        """Mean ink column of the top third minus that of the bottom third."""
        rows, cols = np.nonzero(image > 127)
        low, high = rows.min(), rows.max()
        third = (high - low) / 3
        return float(cols[rows < low + third].mean() - cols[rows > high - third].mean())

    def pick(variation: str, style: str) -> np.ndarray:
        chosen = (style_set.variations == variation) & (style_set.styles == style)
        return style_set.images[chosen]

    assert max(extent(i) for i in pick("very small", "3 round")) <= 72
    assert min(extent(i) for i in pick("very large", "3 round")) >= 230
    assert all(lean(i) > 10 for i in pick("slant right", "1 stick"))
    assert all(lean(i) < -10 for i in pick("slant left", "1 stick"))


@pytest.mark.parametrize("per_cell", [0, -2, 2.0, True])
def test_make_style_set_rejects_bad_count(per_cell: object) -> None:
    with pytest.raises(ValueError, match="per_cell"):
        make_style_set(per_cell)  # type: ignore[arg-type]


# --- the training drawings ---


def test_training_styles_and_variations_are_exactly_the_ones_not_held_out() -> None:
    assert set(TRAINING_STYLES) == (set(ALL_STYLES) - HELD_OUT_STYLES) | TRAINING_ONLY_STYLES
    assert len(TRAINING_STYLES) == len(set(TRAINING_STYLES))
    measured = {v.name for v in VARIATIONS}
    training_only = {v.name for v in TRAINING_VARIATIONS} - measured
    assert {v.name for v in TRAINING_VARIATIONS} & measured == {
        v.name for v in VARIATIONS if not v.held_out
    }
    assert training_only == {"small, wide pen"}  # drawn for training, never measured
    assert not any(v.held_out for v in TRAINING_VARIATIONS)
    assert sorted({digit for digit, _ in TRAINING_STYLES}) == list(range(10))


def test_training_set_never_draws_a_held_out_template_or_variation(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    drawn_with: list[tuple[int, str, Variation]] = []
    real = drawn._draw_grey

    def spy(digit, rng, style, size, extent=None, pen=None, variation=drawn.MOUSE, training=False):  # type: ignore[no-untyped-def]
        drawn_with.append((digit, style, variation))
        return real(digit, rng, style, size, extent, pen, variation, training)

    monkeypatch.setattr(drawn, "_draw_grey", spy)
    images, labels = make_training_set(80, seed=3)
    assert len(drawn_with) == 80
    assert not any(is_held_out(digit, style, v) for digit, style, v in drawn_with)
    # Every training variation is used, and the ordinary mouse as well as the others.
    assert {v.name for _, _, v in drawn_with} == {v.name for v in TRAINING_VARIATIONS}
    assert images.shape == (len(labels), 28, 28) and images.dtype == np.uint8
    assert len(labels) >= 76  # a very small drawing may read as a dot and is dropped
    assert labels.dtype == np.uint8 and set(labels.tolist()) == set(range(10))


def test_training_set_is_mnist_like_and_deterministic_per_seed() -> None:
    images, labels = make_training_set(20, seed=5)
    again, again_labels = make_training_set(20, seed=5)
    other, _ = make_training_set(20, seed=6)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, again_labels)
    assert not np.array_equal(images[:10], other[:10])
    assert (images.reshape(len(images), -1).max(axis=1) == 255).all()  # full ink, as MNIST


@pytest.mark.parametrize("count", [9, 0, 2.5, True])
def test_training_set_rejects_a_bad_count(count: object) -> None:
    with pytest.raises(ValueError, match="count="):
        make_training_set(count, seed=0)  # type: ignore[arg-type]


def test_saved_training_set_reads_back_as_keras_layout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "drawings.npz"
    written = save_training_set(path, 20, seed=2)
    x, y = read_rows(path, max_rows=100, max_bytes=2**20)
    expected_x, expected_y = make_training_set(20, seed=2)
    assert written == len(y) == len(expected_y)
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    assert [p.name for p in tmp_path.iterdir()] == ["drawings.npz"]  # no partial file left


def test_command_line_writes_the_training_drawings(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "d.npz"
    assert drawn.main(["--training", "10", "--seed", "4", "--out", str(path)]) == 0
    x, y = read_rows(path, max_rows=100, max_bytes=2**20)
    assert f"{len(y)} drawings -> {path}" in capsys.readouterr().out
    np.testing.assert_array_equal(x, make_training_set(10, seed=4)[0])
    with pytest.raises(SystemExit) as exit_info:
        drawn.main(["--training", "5", "--out", str(path)])
    assert exit_info.value.code == 2 and "--training 5 is invalid" in capsys.readouterr().err


# --- the training-only templates: same ideas as three held-out ones, other parameters ---


def test_training_only_templates_are_new_names_for_the_weak_held_out_digits() -> None:
    # A 0 with a bar, a 1 with a flag and base, a 9 with a curved tail: the held-out
    # templates they resemble are "barred", "flag_base" and "curved".
    assert {digit for digit, _ in TRAINING_ONLY_STYLES} == {0, 1, 9}
    assert not TRAINING_ONLY_STYLES & set(ALL_STYLES)  # never a measured template's name
    for digit, style in TRAINING_ONLY_STYLES:
        assert style not in DIGIT_STYLES[digit]
        with pytest.raises(ValueError, match="style="):  # draw_digit draws measured ones only
            draw_digit(digit, np.random.default_rng(0), style=style)


@pytest.mark.parametrize(("digit", "style"), sorted(TRAINING_ONLY_STYLES))
def test_training_only_template_draws_a_readable_digit(digit: int, style: str) -> None:
    rng = np.random.default_rng(10 + digit)
    for _ in range(3):
        grey = drawn._draw_grey(digit, rng, style, 280, training=True)
        assert grey.shape == (280, 280) and grey.max() == 255
        assert 0.005 < (grey > 127).mean() < 0.5
        result = to_mnist(grey)
        assert not result.empty, result.reason


def test_training_set_draws_the_training_only_templates(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    styles_drawn: set[tuple[int, str]] = set()
    real = drawn._draw_grey

    def spy(digit, rng, style, size, extent=None, pen=None, variation=drawn.MOUSE, training=False):  # type: ignore[no-untyped-def]
        styles_drawn.add((digit, style))
        return real(digit, rng, style, size, extent, pen, variation, training)

    monkeypatch.setattr(drawn, "_draw_grey", spy)
    make_training_set(300, seed=3)
    assert TRAINING_ONLY_STYLES <= styles_drawn
    assert not styles_drawn & HELD_OUT_STYLES


def test_style_set_never_draws_a_training_only_template(style_set) -> None:  # type: ignore[no-untyped-def]
    names = {f"{digit} {style}" for digit, style in TRAINING_ONLY_STYLES}
    assert not names & set(style_set.styles.tolist())


MEASURED_BEFORE = Path(__file__).parent / "fixtures" / "measuring_sets.json"


def _ink(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).sum(axis=1, dtype=np.int64)


def test_measuring_sets_are_the_ones_measured_before_the_training_only_templates() -> None:
    """The benchmarks (bench_drawn's style and drawn sets, bench_nondigit's pairs of
    templates) still draw the same drawings in the same order as before the training-only
    templates: ``tests/fixtures/measuring_sets.json`` holds each image's total ink and the
    sets' labels, made with the code of that time.

    Ink within 0.1%, not exact bytes: NumPy's sin and cos may differ in the last bit between
    CPUs (AVX2 against AVX-512), which moves an anti-aliased edge pixel by a grey level. A
    changed template, seed or order of random draws moves the ink by far more.
    """
    before = json.loads(MEASURED_BEFORE.read_text())
    style = make_style_set(1, seed=0)
    assert style.labels.tolist() == before["style"]["labels"]
    assert style.styles.astype("U").tolist() == before["style"]["styles"]
    assert style.variations.astype("U").tolist() == before["style"]["variations"]
    assert style.pens.tolist() == before["style"]["pens"]
    assert style.held_out.tolist() == before["style"]["held_out"]
    np.testing.assert_allclose(_ink(style.images), before["style"]["ink"], rtol=1e-3)
    drawn, labels = make_drawn_set(2, seed=0)
    assert labels.tolist() == before["drawn"]["labels"]
    np.testing.assert_allclose(_ink(drawn), before["drawn"]["ink"], rtol=1e-3)
    for params, key in (
        (nondigits.TRAINING, "nondigit_training"),
        (nondigits.MEASURING, "nondigit_measuring"),
    ):
        images, kinds = nondigits.make_nondigit_set(3, seed=0, params=params)
        assert [str(k) for k in kinds] == before[key]["kinds"]
        np.testing.assert_allclose(_ink(images), before[key]["ink"], rtol=1e-3)
