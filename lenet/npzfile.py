"""The ``.npz`` layout of ``keras.datasets.mnist``: ``x_train``/``y_train``/``x_test``/``y_test``.

MNIST itself (``data.load_mnist``) and the drawings' export and import (``feedback``) use this
layout; both check a split with ``pair_problem`` and ``label_problem``. ``read_rows`` reads an
untrusted file (an upload) safely: every array's shape and dtype are checked from its ``.npy``
header before any data is read, and nothing is unpickled.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

SPLITS = (("x_train", "y_train"), ("x_test", "y_test"))
IMAGE_SHAPE = (28, 28)


class NpzError(ValueError):
    """A file that is not a usable Keras-layout ``.npz``; the message says why."""


def pair_problem(
    x_key: str, x_shape: tuple[int, ...], y_key: str, y_shape: tuple[int, ...]
) -> str | None:
    """Why arrays of these shapes are not a split (N, 28, 28) images + (N,) labels, or None."""
    if len(x_shape) != 3 or tuple(x_shape[1:]) != IMAGE_SHAPE:
        return f"{x_key} has shape {tuple(x_shape)}, expected (N, 28, 28)"
    if tuple(y_shape) != (x_shape[0],):
        return f"{y_key} has shape {tuple(y_shape)}, expected ({x_shape[0]},) like {x_key}"
    return None


def label_problem(y_key: str, y: np.ndarray) -> str | None:
    """Why integer labels ``y`` are not all digits 0-9 (naming the first bad value), or None."""
    if not y.size:
        return None
    low, high = y.min(), y.max()
    if low < 0 or high > 9:
        return f"{y_key} has label {high if high > 9 else low}, expected 0..9"
    return None


def npy_header(archive: zipfile.ZipFile, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an ``.npy`` member of an npz declares, read without its data.

    Raises:
        ValueError: the member is not an ``.npy`` file numpy can read safely.
    """
    with archive.open(f"{key}.npy") as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"{key} is in .npy format version {version}, expected 1.0 or 2.0")
    if dtype.hasobject:
        raise ValueError(f"{key} holds Python objects, which cannot be read without pickle")
    return tuple(shape), dtype


def read_rows(
    source: str | os.PathLike[str] | bytes, max_rows: int, max_bytes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every row of both splits of an untrusted npz: (N, 28, 28) uint8 images, (N,) uint8 labels.

    Either split may be absent but not half of one; rows come train first.

    Args:
        source: a path, or the file's bytes.
        max_rows: the most rows accepted, both splits together (checked from the headers).
        max_bytes: a file larger than this is refused unread.

    Raises:
        NpzError: the file is unreadable, not this layout, invalid, or too large.
    """
    try:
        if isinstance(source, bytes | bytearray):
            data = bytes(source)
        else:
            size = Path(source).stat().st_size
            if size > max_bytes:
                raise NpzError(f"it is {size / 2**20:.0f} MB, more than an import accepts")
            data = Path(source).read_bytes()
    except OSError as exc:
        raise NpzError(f"unreadable ({exc})") from exc
    if not data.startswith(b"PK"):
        raise NpzError("not an .npz (zip) file")
    xs, ys = [], []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [n.removesuffix(".npy") for n in archive.namelist()]
            found = [(x, y) for x, y in SPLITS if x in files or y in files]
            if not found:
                raise NpzError(f"no x_test/y_test or x_train/y_train arrays (has {files})")
            total = 0
            for x_key, y_key in found:
                missing = [key for key in (x_key, y_key) if key not in files]
                if missing:
                    raise NpzError(
                        f"{x_key} and {y_key} come together, but {missing[0]} is missing"
                    )
                (x_shape, x_dtype), (y_shape, y_dtype) = (
                    npy_header(archive, key) for key in (x_key, y_key)
                )
                problem = pair_problem(x_key, x_shape, y_key, y_shape)
                if problem:
                    raise NpzError(problem)
                if x_dtype.kind not in "iu":
                    raise NpzError(f"{x_key} has dtype {x_dtype}, expected uint8 (integers 0..255)")
                if y_dtype.kind not in "iu":
                    raise NpzError(f"{y_key} has dtype {y_dtype}, expected integer labels 0..9")
                total += x_shape[0]
            if total > max_rows:
                raise NpzError(
                    f"it holds {total:,} drawings; one import accepts at most {max_rows:,} "
                    "(split the file)"
                )
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                for x_key, y_key in found:
                    x, y = npz[x_key], npz[y_key]
                    if x.size and (x.min() < 0 or x.max() > 255):
                        raise NpzError(
                            f"{x_key} has values in [{x.min()}, {x.max()}], expected 0..255"
                        )
                    problem = label_problem(y_key, y)
                    if problem:
                        raise NpzError(problem)
                    xs.append(x.astype(np.uint8))
                    ys.append(y.astype(np.uint8))
    except NpzError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise NpzError(f"unreadable .npz: corrupt, truncated or holding objects ({exc})") from exc
    return np.concatenate(xs), np.concatenate(ys)


def write_test_split(f: BinaryIO, x: np.ndarray, y: np.ndarray) -> None:
    """Write ``x``/``y`` as ``x_test``/``y_test``, with empty train arrays, compressed.

    The empty ``x_train``/``y_train`` are there so readers that expect all four keys (like
    ``keras.datasets.mnist``'s) accept the file.

    Args:
        f: an open binary file (a file object: ``savez`` would add ".npz" to a name).
        x: (N, 28, 28) uint8 images.
        y: (N,) uint8 labels.
    """
    np.savez_compressed(
        f,
        x_train=np.zeros((0, *IMAGE_SHAPE), np.uint8),
        y_train=np.zeros((0,), np.uint8),
        x_test=x,
        y_test=y,
    )
