"""Turn a drawing, photo or upload into a 28x28 input the way MNIST itself was made.

MNIST digits were size-normalised to fit a 20x20 box (keeping their aspect ratio, with
anti-aliasing) and then placed in a 28x28 field so that their centre of mass sits at the
centre. ``to_mnist`` repeats those steps on any image:

1. **ink**: the alpha channel when it varies, otherwise the luminance; dark ink on light
   paper is inverted (the paper colour is the median of the border pixels); uneven paper (a
   photo) has a smooth estimate of itself subtracted; a threshold relative to the strongest
   ink plus a contrast stretch removes what is left of paper texture;
2. **cropped**: the bounding box of the ink;
3. **thinned** (only for a pen thick for the digit's size, e.g. a small digit): strokes
   eroded to ``MAX_STROKE_FRACTION`` of the longer side, as if drawn with a thinner pen;
4. **scaled**: longer side 20 px, by exact area averaging when shrinking, then stretched so
   the strongest pixel is full ink (MNIST strokes always reach it);
5. **centred**: pasted into 28x28 with the centre of mass moved to (14, 14) by a whole-pixel
   shift, as LeCun did.

Only NumPy and Pillow are used, so the module is cheap to import from a Streamlit page, and a
280x280 canvas takes a few tenths of a millisecond.
"""

from __future__ import annotations

import io
import math
import os
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

MNIST_SIDE = 28  # output side
BOX_SIDE = 20  # the longer side of the digit after size normalisation
CENTRE = 14.0  # where MNIST puts the centre of mass (row, column), in pixel indices
MIN_SIDE, MAX_SIDE = 8, 4096  # accepted input height and width
MAX_PIXELS = 50_000_000  # a 48 MP phone photo (8064x6048) is read; larger images are refused
WORK_SIDE = 1024  # photos are shrunk to this longer side: plenty for one digit, cheap after
# Pillow warns above this many pixels and refuses twice as many (a decompression bomb): set
# to the photo limit for every image this process opens.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

INK_LOW = 0.2  # ink below 20% of the paper-to-strongest-ink contrast is paper texture
INK_HIGH = 0.8  # ink above 80% of it counts as fully inked
MIN_CONTRAST = 0.1  # less contrast than this (fraction of full scale) is a blank image
DEFAULT_MIN_INK_FRACTION = 0.002  # fewer inked pixels than 0.2% of the area: stray pixels
MIN_EXTENT = 0.08  # a bounding box shorter than 8% of the image side is a click, not a digit
DOT_EXTENT = 0.2  # a solid blob smaller than 20% of the image side is a dot ...
DOT_FILL = 0.6  # ... where "solid" means ink covers more than 60% of its bounding box ...
DOT_ASPECT = 0.5  # ... and "blob" a box at least half as wide as long (a small 1 is no dot)
# ... and "a dot" one press of the pen: its longer side at most 1.2 times the widest disc that
# fits in the ink. A tap or a twitch of the pen measures 1.0-1.2; a digit 45-70 px tall drawn
# with the canvas's 20 px pen is as solid as a tap, but its strokes meet at angles, so the
# widest disc inside it is smaller: 1.26 and more (devkit.drawn's templates, every style).
DOT_SPAN = 1.2

# A pen that is thick for the digit's size (a small digit drawn with the canvas's 20 px brush)
# would reach the 20 px box as a blob: MNIST strokes are about 2-3 px there. Strokes wider
# than this fraction of the digit's longer side are thinned (eroded) to it before scaling.
# 0.18 leaves bold MNIST digits as they are (the MNIST test set scaled up to a 280 px canvas:
# lenet5-best 99.44% with it, 99.42% without thinning, 99.32% at 0.15).
MAX_STROKE_FRACTION = 0.18
WIDTH_CALIBRATION = 1.15  # 2 * area / boundary overstates a round-brush stroke's width by this
THIN_SIDE = 80  # thinning works on the crop shrunk to this longer side: cost independent of size

FLAT_SPREAD = 12  # border levels (10th to 90th percentile) wider than this: uneven paper
PAPER_GRID = 40  # the paper estimate is made on an image shrunk to about this many px ...
PAPER_WINDOW = 7  # ... with a minimum filter this wide: strokes up to ~15% of the side survive

REASON_NAN = "image contains NaN values"
REASON_BLANK = "no ink found — draw a digit"
REASON_STRAY = "only a few stray pixels — draw a digit"
REASON_DOT = "only a dot — draw a bigger digit"


@dataclass(frozen=True)
class Preprocessed:
    """The result of ``to_mnist``.

    Attributes:
        image: (28, 28) float32 in [0, 1], white ink on black like MNIST; None when empty.
        empty: True when no digit was found (blank canvas, stray pixels, NaN values).
        reason: "" or a sentence saying why the image is empty, fit to show to a user.
        steps: Intermediate images in order, each 2-D float32 in [0, 1], for display:
            "ink" (input size), "cropped" (bounding box), "thinned" (only when the pen was
            thick for the digit's size), "scaled" (longer side 20) and "centred" (28x28).
            An empty result holds the steps reached before it stopped.
    """

    image: np.ndarray | None
    empty: bool
    reason: str = ""
    steps: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class _Ink:
    """An image reduced to one uint8 channel plus how to read ink out of it."""

    grey: np.ndarray  # (H, W) uint8, luminance or alpha
    invert: bool  # True when ink is dark on light paper
    low: float  # grey levels (in ink polarity) at or below this are paper
    high: float  # at or above this, full ink

    def ink_map(self) -> np.ndarray:
        """(H, W) float32 in [0, 1], 0 = paper, 1 = full ink."""
        ink = self.grey.astype(np.float32)
        if self.invert:
            np.subtract(np.float32(255.0), ink, out=ink)
        ink -= np.float32(self.low)
        ink *= np.float32(1.0 / (self.high - self.low))
        return np.clip(ink, 0.0, 1.0, out=ink)

    def mask(self) -> np.ndarray:
        """(H, W) bool, True where there is any ink at all."""
        # Integer thresholds keep the comparison in uint8 (a float one casts every pixel).
        if self.invert:
            return self.grey < np.uint8(math.ceil(255.0 - self.low))
        return self.grey > np.uint8(math.floor(self.low))


def _describe(image: object) -> str:
    if isinstance(image, np.ndarray):
        return f"shape {image.shape} and dtype {image.dtype}"
    return f"type {type(image).__name__}"


def _validate(image: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``image`` is an accepted shape and dtype.

    NaN values are not checked here: they make an image empty, not invalid.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a NumPy image array, got {_describe(image)}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"expected an image of shape (H, W) or (H, W, 1|3|4), got {_describe(image)}"
        )
    if image.dtype not in (np.uint8, np.float32, np.float64):
        raise ValueError(f"expected dtype uint8, float32 or float64, got {_describe(image)}")
    height, width = image.shape[:2]
    if not (MIN_SIDE <= height <= MAX_SIDE and MIN_SIDE <= width <= MAX_SIDE):
        raise ValueError(
            f"expected height and width between {MIN_SIDE} and {MAX_SIDE} px, "
            f"got {_describe(image)}"
        )


def _to_uint8(image: np.ndarray) -> np.ndarray | None:
    """Float images in [0, 1] become uint8; None when they hold NaN.

    Raises:
        ValueError: A float image with values outside [0, 1].
    """
    if image.dtype == np.uint8:
        return image
    if np.isnan(image).any():
        return None
    low, high = float(image.min()), float(image.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"float images must hold values in [0, 1], got range [{low:.4g}, {high:.4g}] "
            f"in an image of {_describe(image)}"
        )
    return np.rint(image * 255.0).astype(np.uint8)


def _alpha_is_constant(rgba: np.ndarray) -> bool:
    # Fast path for the drawing canvas, opaque everywhere: read the four bytes of each pixel
    # as one little-endian uint32 whose top byte is alpha (one pass instead of a strided one).
    if rgba.flags.c_contiguous and sys.byteorder == "little":
        packed = rgba.view(np.uint32)[..., 0]  # (H, W)
        if packed.min() >= 0xFF000000:
            return True
    alpha = rgba[..., 3]
    return bool(alpha.min() == alpha.max())


def _grey(image: np.ndarray) -> np.ndarray:
    """(H, W) uint8 channel that holds the ink: alpha when it varies, else luminance."""
    if image.ndim == 2:
        return image
    channels = image.shape[2]
    if channels == 1:
        return image[..., 0]
    if channels == 4 and not _alpha_is_constant(image):
        return np.ascontiguousarray(image[..., 3])
    # Pillow's ITU-R 601 luma in C is several times faster than the same sum in NumPy, and
    # exact when R = G = B as on the canvas.
    rgb = Image.fromarray(np.ascontiguousarray(image))  # mode RGB or RGBA from the shape
    return np.asarray(rgb.convert("L"))


def _border(grey: np.ndarray) -> np.ndarray:
    """(2H + 2W - 4,) the outermost pixels."""
    return np.concatenate((grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]))


def _median(values: np.ndarray) -> float:
    """The upper median, a quarter of the cost of ``np.median``'s mean of the middle two."""
    middle = len(values) // 2
    return float(np.partition(values, middle)[middle])


def _paper_is_flat(border: np.ndarray) -> bool:
    """True for a canvas or a clean scan; False for a photo with texture or uneven light."""
    if border.min() == border.max():  # the drawing canvas: exact, and one cheap pass
        return True
    low, high = np.percentile(border, [10, 90])  # a digit touching an edge is an outlier
    return bool(high - low <= FLAT_SPREAD)


def _flatten_paper(ink: np.ndarray) -> np.ndarray:
    """Subtract a smooth estimate of the paper from an ink-is-bright (H, W) uint8 image."""
    height, width = ink.shape
    image = Image.fromarray(ink)
    factor = max(1, math.ceil(max(height, width) / PAPER_GRID))
    small = image.reduce(factor) if factor > 1 else image
    # Strokes are bright and narrower than the window, so a minimum filter leaves the paper;
    # the blur smooths away the noise minima it picks up.
    paper = small.filter(ImageFilter.MinFilter(PAPER_WINDOW))
    paper = paper.filter(ImageFilter.BoxBlur(PAPER_WINDOW // 2))
    paper = paper.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(ImageChops.subtract(image, paper))  # saturates at 0


def _find_ink(grey: np.ndarray) -> _Ink | None:
    """Decide polarity and the paper-to-ink levels; None when there is no contrast."""
    darkest, brightest = int(grey.min()), int(grey.max())
    if brightest - darkest < MIN_CONTRAST * 255:
        return None
    # The paper is what most of the border shows; a digit touching an edge covers little of it.
    border = _border(grey)
    paper = _median(border)
    invert = paper > (darkest + brightest) / 2
    if not _paper_is_flat(border):
        grey = _flatten_paper(255 - grey if invert else grey)
        invert = False
        paper, peak = _median(_border(grey)), float(grey.max())
    elif invert:
        paper, peak = 255.0 - paper, 255.0 - darkest
    else:
        peak = float(brightest)
    contrast = peak - paper
    if contrast < MIN_CONTRAST * 255:
        return None
    return _Ink(grey, invert, paper + INK_LOW * contrast, paper + INK_HIGH * contrast)


def _ink(image: np.ndarray) -> _Ink | str:
    """Validate and find the ink; a reason string when the image is empty."""
    _validate(image)
    as_uint8 = _to_uint8(image)
    if as_uint8 is None:
        return REASON_NAN
    found = _find_ink(_grey(as_uint8))
    return REASON_BLANK if found is None else found


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), bottom and right exclusive, of a mask with some True."""
    rows = np.asarray(mask.any(axis=1))  # (H,) bool
    top, bottom = int(rows.argmax()), len(rows) - int(rows[::-1].argmax())
    cols = np.asarray(mask[top:bottom].any(axis=0))  # only the inked rows: less to scan
    left, right = int(cols.argmax()), len(cols) - int(cols[::-1].argmax())
    return top, bottom, left, right


def _resample_axis(image: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Resample one axis of a 2-D image to ``size`` pixels.

    Shrinking averages the exact area each output pixel covers (MNIST's anti-aliasing):
    whole input pixels are summed with ``reduceat`` and the two partly covered ones added by
    weight. Growing interpolates linearly between pixel centres. Only arrays of the output's
    size are allocated: on this kind of machine fresh memory pages for a full-size copy cost
    more than the arithmetic does.
    """
    size_in = image.shape[axis]
    shape = [1, 1]
    shape[axis] = size

    def pick(index: np.ndarray) -> np.ndarray:
        # Fancy indexing, not np.take, which first copies a non-contiguous view whole.
        return image[index] if axis == 0 else image[:, index]

    if size < size_in:
        # Output pixel i covers input [e_i, e_i+1) with e_i = i * size_in / size; kept exact
        # as integer quotient (whole pixels) and remainder (the fraction, in 1/size units).
        whole, part = np.divmod(np.arange(size + 1) * size_in, size)
        sums = np.add.reduceat(image, whole[:-1], axis=axis)
        enter = pick(whole[:-1]) * (part[:-1] / size).reshape(shape)
        leave = pick(np.minimum(whole[1:], size_in - 1)) * (part[1:] / size).reshape(shape)
        return ((sums - enter + leave) * (size / size_in)).astype(np.float32)
    centres = np.clip((np.arange(size) + 0.5) * (size_in / size) - 0.5, 0.0, size_in - 1)
    low = np.floor(centres).astype(np.intp)
    high = np.minimum(low + 1, size_in - 1)
    weight = (centres - low).reshape(shape)
    return (pick(low) * (1.0 - weight) + pick(high) * weight).astype(np.float32)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D float32 image in [0, 1] (a view is fine) to (height, width) float32."""
    if image.shape[0] != height:
        image = _resample_axis(image, height, axis=0)
    if image.shape[1] != width:
        image = _resample_axis(image, width, axis=1)
    return np.clip(image, 0.0, 1.0)


def _edge_count(mask: np.ndarray) -> int:
    """Inked pixels with a 4-neighbour of paper (the image's outside counts as paper)."""
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    inner[[0, -1]] = False
    inner[:, [0, -1]] = False
    return int(np.count_nonzero(mask & ~inner))


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in px: a stroke of width w and length L has area wL and edge 2L."""
    return 2.0 * float(np.count_nonzero(mask)) / max(1, _edge_count(mask)) / WIDTH_CALIBRATION


def _erode(image: np.ndarray, radius: int) -> np.ndarray:
    """Grey-level erosion by about a disc of ``radius`` px: 3x3 squares and crosses in turn."""
    out = np.pad(image, 1)  # paper all round, so ink at the crop's edge erodes too
    for step in range(radius):
        rows = out.copy()  # min over each pixel and its upper and lower neighbours
        np.minimum(rows[1:-1], out[:-2], out=rows[1:-1])
        np.minimum(rows[1:-1], out[2:], out=rows[1:-1])
        # Squares (even steps) use the row minimum across columns, crosses the pixel itself;
        # alternating them makes an octagon, nearly round, so diagonals thin like the rest.
        source = rows if step % 2 == 0 else out
        both = rows.copy()
        np.minimum(both[:, 1:-1], source[:, :-2], out=both[:, 1:-1])
        np.minimum(both[:, 1:-1], source[:, 2:], out=both[:, 1:-1])
        out = both
    return out[1:-1, 1:-1]


def _inscribed_diameter(mask: np.ndarray) -> int:
    """Width in px of the widest disc (an octagon, as in ``_erode``) that fits in the ink."""
    inked = np.pad(mask, 1)  # paper all round
    steps = 0
    while inked.any():
        inner = inked.copy()
        inner[1:-1, 1:-1] &= inked[:-2, 1:-1] & inked[2:, 1:-1] & inked[1:-1, :-2] & inked[1:-1, 2:]
        if steps % 2:  # crosses and squares in turn, as in _erode
            inner[1:-1, 1:-1] &= inked[:-2, :-2] & inked[:-2, 2:] & inked[2:, :-2] & inked[2:, 2:]
        inner[[0, -1]] = False
        inner[:, [0, -1]] = False
        inked = inner
        steps += 1
    # A disc of diameter d survives about d / 2 erosions by one pixel.
    return 2 * steps


def _is_dot(mask: np.ndarray) -> bool:
    """True when the cropped ink is one press of the pen (a tap), not a small solid digit.

    Args:
        mask: (h, w) bool, the inked pixels of the ink's bounding box, before thinning.
    """
    return max(mask.shape) <= DOT_SPAN * _inscribed_diameter(mask)


def _thin(cropped: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """The crop with strokes eroded to ``MAX_STROKE_FRACTION`` of the digit's longer side.

    Args:
        cropped: (h, w) float32 ink map of the bounding box.
        mask: (h, w) bool, its inked pixels.

    Returns:
        The thinned ink map cropped to its own bounding box (smaller than ``cropped``, and
        shrunk to ``THIN_SIDE`` first when larger), or None when the pen is thin enough.
    """
    longer = max(cropped.shape)
    width = _stroke_width(mask)
    # Eroding by r takes 2r off both the stroke width and the longer side.
    radius = (width - MAX_STROKE_FRACTION * longer) / (2.0 * (1.0 - MAX_STROKE_FRACTION))
    if radius < 1.0:
        return None
    if longer > THIN_SIDE:
        factor = THIN_SIDE / longer
        height, width_px = cropped.shape
        cropped = _resize(cropped, max(1, round(height * factor)), max(1, round(width_px * factor)))
        radius *= factor
    thinned = _erode(cropped, round(radius))
    inked = thinned > 0.0
    if not inked.any():  # a blob: nothing survives, keep what was there
        return None
    top, bottom, left, right = _bounding_box(inked)
    return thinned[top:bottom, left:right]


def _centre(scaled: np.ndarray) -> np.ndarray:
    """Paste (h, w) with h, w <= 28 into 28x28 with its centre of mass nearest (14, 14)."""
    height, width = scaled.shape
    total = float(scaled.sum())
    com_row = float(scaled.sum(axis=1) @ np.arange(height)) / total
    com_col = float(scaled.sum(axis=0) @ np.arange(width)) / total
    # Whole-pixel shift as in MNIST; clamped so the digit is never cut off.
    top = min(max(round(CENTRE - com_row), 0), MNIST_SIDE - height)
    left = min(max(round(CENTRE - com_col), 0), MNIST_SIDE - width)
    out = np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    out[top : top + height, left : left + width] = scaled
    return out


def to_mnist(
    image: np.ndarray, *, min_ink_fraction: float = DEFAULT_MIN_INK_FRACTION
) -> Preprocessed:
    """Crop, size-normalise and centre a digit the way MNIST was made.

    Args:
        image: (H, W) or (H, W, 1|3|4), uint8 or float32/float64 in [0, 1], with H and W
            between 8 and 4096. Either polarity works (white on black, like the drawing
            canvas, or dark ink on paper); an RGBA image whose alpha varies is read by alpha.
        min_ink_fraction: Fewer inked pixels than this fraction of the image area count as
            stray pixels, and the result is empty.

    Returns:
        A ``Preprocessed`` whose ``image`` is (28, 28) float32 in [0, 1] with the digit's
        longer side 20 px and its centre of mass at (14, 14) (whole-pixel shift), or an empty
        result with a reason for blank, constant, NaN, stray-pixel and single-dot images.

    Raises:
        ValueError: The image has an unsupported shape, size or dtype, or float values
            outside [0, 1]; or ``min_ink_fraction`` is not in [0, 1).
    """
    if not 0.0 <= min_ink_fraction < 1.0:
        raise ValueError(f"min_ink_fraction={min_ink_fraction!r} is invalid: expected [0, 1)")
    found = _ink(image)
    if isinstance(found, str):
        return Preprocessed(None, True, found, {})
    mask = found.mask()
    height, width = mask.shape
    ink_pixels = int(np.count_nonzero(mask))
    steps: dict[str, np.ndarray] = {"ink": found.ink_map()}
    if ink_pixels < max(1.0, min_ink_fraction * height * width):
        return Preprocessed(None, True, REASON_STRAY, steps)
    top, bottom, left, right = _bounding_box(mask)
    box_h, box_w = bottom - top, right - left
    longer, side = max(box_h, box_w), min(height, width)
    if longer < max(2.0, MIN_EXTENT * side):
        return Preprocessed(None, True, REASON_DOT, steps)
    cropped = steps["ink"][top:bottom, left:right]
    steps["cropped"] = cropped
    # A tap fills its box (a disc: 78%), and so does a small digit drawn with a wide pen: the
    # widest disc inside the ink tells them apart (the digit's strokes meet at angles).
    if (
        longer < DOT_EXTENT * side
        and ink_pixels > DOT_FILL * box_h * box_w
        and min(box_h, box_w) >= DOT_ASPECT * longer
        and _is_dot(mask[top:bottom, left:right])
    ):
        return Preprocessed(None, True, REASON_DOT, steps)
    # A small digit drawn with a wide pen is mostly ink: thin its strokes to MNIST's width.
    thinned = _thin(cropped, mask[top:bottom, left:right])
    if thinned is not None:
        steps["thinned"] = cropped = thinned
        box_h, box_w = cropped.shape

    longer = max(box_h, box_w)
    scale = BOX_SIDE / longer
    scaled = _resize(cropped, max(1, round(box_h * scale)), max(1, round(box_w * scale)))
    peak = float(scaled.max())
    if peak == 0.0:  # unreachable in practice: the crop holds ink by construction
        return Preprocessed(None, True, REASON_STRAY, steps)
    scaled *= np.float32(1.0 / peak)  # thin strokes shrink faint; MNIST's reach full ink
    steps["scaled"] = scaled
    centred = _centre(scaled)
    steps["centred"] = centred
    return Preprocessed(centred, False, "", steps)


def naive_resize(image: np.ndarray) -> np.ndarray:
    """The naive path, for comparison: the whole ink map shrunk to 28x28, no crop or centring.

    Args:
        image: Same as ``to_mnist``.

    Returns:
        (28, 28) float32 in [0, 1]; all zeros when the image has no ink (blank or NaN).

    Raises:
        ValueError: Same as ``to_mnist``.
    """
    found = _ink(image)
    if isinstance(found, str):
        return np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    return _resize(found.ink_map(), MNIST_SIDE, MNIST_SIDE)


def fit_within(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` shrunk (by area averaging) so its longer side is at most ``side`` px.

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4).
        side: The longest side allowed.

    Returns:
        The image itself when it already fits, else a smaller uint8 copy with the same aspect.
    """
    height, width = image.shape[:2]
    if max(height, width) <= side:
        return image
    picture = Image.fromarray(image)
    picture.thumbnail((side, side), Image.Resampling.BOX)
    return np.asarray(picture, dtype=np.uint8).copy()


def _too_large(label: str, width: int, height: int) -> ValueError:
    return ValueError(
        f"cannot read image {label}: too large, {width}x{height} px "
        f"({width * height / 1e6:.0f} megapixels); "
        f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels"
    )


def _open(source: str | os.PathLike[str] | bytes, label: str) -> Image.Image:
    """Pillow's lazy open: reads the header only (format, size), never the pixels."""
    if isinstance(source, bytes | bytearray) and not source:
        raise ValueError(f"cannot read image {label}: the file is empty")
    target = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with warnings.catch_warnings():  # 50-100 MP: refused below, with the size in words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(target)
    except FileNotFoundError as exc:
        raise ValueError(f"cannot read image {label}: the file does not exist") from exc
    except Image.DecompressionBombError as exc:
        raise ValueError(
            f"cannot read image {label}: too large, over {2 * MAX_PIXELS / 1e6:.0f} megapixels; "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ValueError(f"cannot read image {label}: not a PNG or JPEG image") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # malformed headers in some plugins
        raise ValueError(f"cannot read image {label}: damaged ({exc})") from exc


def _decode(img: Image.Image, label: str) -> np.ndarray:
    """Decode an opened image, shrunk to ``WORK_SIDE`` (JPEGs already while decoding)."""
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise _too_large(label, width, height)
    scale = WORK_SIDE / max(width, height)
    if scale < 1:  # JPEG decodes at 1/2, 1/4 or 1/8 scale, still at least WORK_SIDE; others no-op
        img.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
    try:
        img.load()
        img = ImageOps.exif_transpose(img)
    except (OSError, ValueError, SyntaxError) as exc:
        problem = "truncated (the file ends early)" if "truncated" in str(exc) else "damaged"
        raise ValueError(f"cannot read image {label}: {problem}") from exc
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey PNG: keep the top byte
        wide = np.asarray(img).astype(np.int64)
        return fit_within((np.clip(wide, 0, 65535) >> 8).astype(np.uint8), WORK_SIDE)
    if img.mode in ("1", "L", "F"):
        target = "L"
    elif img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info:
        target = "RGBA"
    else:
        target = "RGB"
    return fit_within(np.asarray(img.convert(target), dtype=np.uint8).copy(), WORK_SIDE)


def load_image(source: str | os.PathLike[str] | bytes, name: str | None = None) -> np.ndarray:
    """Read a PNG, JPEG or any image Pillow can open, upright per its EXIF orientation.

    The size is read from the header first: an image over ``MAX_PIXELS`` is refused before
    its pixels are decoded, and a larger photo is shrunk to ``WORK_SIDE`` on its longer side
    (a JPEG while it is decoded, in Pillow's draft mode), so a 48 MP phone photo costs about
    a quarter of its pixels and the result is small enough for every later step.

    Args:
        source: A file path or the file's bytes (e.g. from ``st.file_uploader``).
        name: How to call the file in error messages (the uploaded file's name); the path,
            or "the file", when not given.

    Returns:
        uint8 (H, W) for grey images, (H, W, 4) for images with transparency,
        (H, W, 3) otherwise; the longer side at most ``WORK_SIDE``.

    Raises:
        ValueError: The file is missing, empty, not an image, truncated, damaged or too
            large; the message names the file and says which, in words.
    """
    label = name or ("the file" if isinstance(source, bytes | bytearray) else os.fspath(source))
    with _open(source, label) as img:
        return _decode(img, label)
