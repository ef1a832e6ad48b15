"""Load MNIST from a local file or Keras, validate it, and cut it into subsets.

``load_mnist`` looks at the ``path`` argument, then ``MNIST_PATH``, then falls back to
``keras.datasets.mnist.load_data()`` (which downloads and hash-checks). A path is a Keras-layout
``.npz`` or a folder with the four IDX files, raw or gzipped. Every failure raises
``DatasetError`` naming the source, the problem and the fix. No TensorFlow at import time.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import socket
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

from lenet import npzfile

MnistArrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

NPZ_KEYS = tuple(key for split in npzfile.SPLITS for key in split)  # x_train, y_train, ...
# Same order as NPZ_KEYS; each name may also carry a ".gz" suffix.
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
# Where and how Keras's load_data() downloads MNIST; a network that accepts and never answers
# must not hang a command forever, so every socket wait is bounded.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT_S = 60.0
IDX_MAGIC = {3: 2051, 1: 2049}  # ndim -> magic number (0x0803 images, 0x0801 labels)
FIX = (
    "Fix: set MNIST_PATH (or pass --data) to a Keras-layout .npz with keys "
    f"{', '.join(NPZ_KEYS)}, or to a folder holding {', '.join(IDX_FILES)} (raw or .gz); "
    "or go online so keras.datasets.mnist.load_data() can download it."
)


class DatasetError(Exception):
    """MNIST could not be found, read or validated; the message says how to fix it."""


def _error(source: object, problem: str) -> DatasetError:
    return DatasetError(f"Cannot load MNIST from {source}: {problem}. {FIX}")


def load_mnist(path: str | os.PathLike[str] | None = None) -> MnistArrays:
    """Load and validate MNIST.

    Args:
        path: A ``.npz`` file or an IDX folder. ``None`` uses ``MNIST_PATH`` if set, else Keras.

    Returns:
        ``(x_train, y_train, x_test, y_test)``: images ``(N, 28, 28)`` uint8 in 0..255 and labels
        ``(N,)`` uint8 in 0..9 (60000 and 10000 rows for the real data; smaller files load too).

    Raises:
        DatasetError: The source is missing, unreadable, truncated or malformed, or the Keras
            download failed.
    """
    if path is None and os.environ.get("MNIST_PATH"):
        path = os.environ["MNIST_PATH"]
    if path is None:
        return _validate(_load_keras(), "keras.datasets.mnist.load_data()")
    source = Path(path)
    if source.is_dir():
        return _validate(tuple(_read_idx(_find_idx(source, name)) for name in IDX_FILES), source)
    if source.is_file():
        return _validate(_read_npz(source), source)
    raise _error(source, "no such file or folder")


_KEPT: dict[tuple[str, int, int], MnistArrays] = {}


def load_mnist_kept(path: str | os.PathLike[str] | None = None) -> MnistArrays:
    """``load_mnist`` once per process and file, for the warm worker's jobs.

    The warm worker reads MNIST before the first job and every job after reuses it. The arrays
    are read-only, so no job can change them for the next. A file that changed (size or
    modification time) is read again.
    """
    if path is None and os.environ.get("MNIST_PATH"):
        path = os.environ["MNIST_PATH"]
    elif path is None:
        path = local_source()  # Keras's cache when it is there: the file load_data() reads
    source = Path(path) if path is not None else None
    if source is None or not source.is_file():
        return load_mnist(path)  # Keras's cache or an IDX folder: not kept
    stat = source.stat()
    key = (str(source.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _KEPT:
        arrays = load_mnist(source)
        for a in arrays:
            a.setflags(write=False)
        _KEPT.clear()  # one dataset at a time: a process never holds two copies
        _KEPT[key] = arrays
    return _KEPT[key]


def local_source() -> Path | None:
    """Where MNIST can be read without a download: ``MNIST_PATH`` or Keras's cache, else None.

    Pages use this to offer actions that need the dataset only when it is at hand.
    """
    env = os.environ.get("MNIST_PATH")
    cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
    for candidate in ([Path(env)] if env else []) + [cached]:
        if candidate.exists():
            return candidate
    return None


def _load_keras() -> list[np.ndarray]:
    """Keras's cached or downloaded MNIST, as ``load_data()`` would fetch it, but bounded.

    The download waits at most ``DOWNLOAD_TIMEOUT_S`` for the network at each step, and Keras's
    "Downloading data from ..." and progress bar go to stderr, so ``--json`` output stays JSON.
    """
    previous = socket.getdefaulttimeout()
    try:
        import keras  # Lazy: TensorFlow takes seconds to import and the app must start without it.

        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # urlretrieve has no timeout of its own
        with contextlib.redirect_stdout(sys.stderr):
            path = keras.utils.get_file("mnist.npz", origin=MNIST_URL, file_hash=MNIST_SHA256)
        with np.load(path, allow_pickle=False) as npz:
            return [npz[key] for key in NPZ_KEYS]
    except Exception as exc:  # get_file raises bare Exception on network errors.
        reason = "no answer" if isinstance(exc, TimeoutError) or "timed out" in str(exc) else exc
        raise DatasetError(
            f"Downloading MNIST from {MNIST_URL} failed ({reason}); "
            "this machine may be offline. " + FIX
        ) from exc
    finally:
        socket.setdefaulttimeout(previous)


def _read_npz(path: Path) -> list[np.ndarray]:
    try:
        with path.open("rb") as f:
            if f.read(4) != b"PK\x03\x04":
                raise _error(path, "not an .npz (zip) file")
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in NPZ_KEYS if key not in npz.files]
            if missing:
                raise _error(path, f"missing key(s) {', '.join(missing)} (has {npz.files})")
            return [npz[key] for key in NPZ_KEYS]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise _error(path, f"corrupt or truncated .npz ({exc})") from exc


def _find_idx(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise _error(folder, f"missing IDX file {name} (or {name}.gz)")


def _read_idx(path: Path) -> np.ndarray:
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise _error(path, f"unreadable or truncated ({exc})") from exc
    ndim = 3 if "images" in path.name else 1
    header = 4 * (1 + ndim)  # magic + one big-endian uint32 per dimension
    if len(data) < header:
        raise _error(path, f"{len(data)} bytes is shorter than the {header}-byte IDX header")
    magic, *shape = struct.unpack(f">{1 + ndim}I", data[:header])
    if magic != IDX_MAGIC[ndim]:
        raise _error(path, f"magic number {magic}, expected {IDX_MAGIC[ndim]}")
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "trailing data"
        raise _error(path, f"{what}: header {shape} needs {expected} bytes, file has {len(data)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _as_uint8(array: np.ndarray, name: str, source: object) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    # Convert only when nothing is lost: finite whole numbers in 0..255.
    kind_ok = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    values = array.astype(np.float64) if kind_ok else None
    if values is None or not (
        np.all(np.isfinite(values))
        and np.all(values == np.round(values))
        and np.all((values >= 0) & (values <= 255))
    ):
        raise _error(source, f"{name} has dtype {array.dtype} with values not integers in 0..255")
    return array.astype(np.uint8)


def _validate(arrays: tuple[np.ndarray, ...] | list[np.ndarray], source: object) -> MnistArrays:
    out = [_as_uint8(np.asarray(a), key, source) for a, key in zip(arrays, NPZ_KEYS, strict=True)]
    for split, (x, y) in (("train", out[0:2]), ("test", out[2:4])):
        x_key, y_key = f"x_{split}", f"y_{split}"
        problem = npzfile.pair_problem(x_key, x.shape, y_key, y.shape)
        if problem is None and len(x) == 0:
            problem = f"{x_key} has shape {x.shape}, expected (N, 28, 28) with N > 0"
        problem = problem or npzfile.label_problem(y_key, y)
        if problem:
            raise _error(source, problem)
    return out[0], out[1], out[2], out[3]


def _stratified_rows(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of ``n`` of the rows of ``y``, drawn per class in proportion to its count.

    scikit-learn's stratified shuffle split picks them. It cannot stratify when a class has a
    single row or when ``n`` (or what is left) is smaller than the number of classes; the draw
    is then a plain seeded one (no split can then hold every class anyway).
    """
    from sklearn.model_selection import train_test_split  # slow import: lazy

    classes, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 and min(n, len(y) - n) >= len(classes) else None
    _, rows = train_test_split(np.arange(len(y)), test_size=n, random_state=seed, stratify=stratify)
    return np.sort(rows)


def _check_pair(x: np.ndarray, y: np.ndarray) -> None:
    if len(x) != len(y) or y.ndim != 1:
        raise ValueError(f"x has {len(x)} rows but y has shape {y.shape}; expected ({len(x)},)")


def stratified_subset(
    x: np.ndarray, y: np.ndarray, n: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pick ``n`` rows keeping the class proportions of ``y``.

    Args:
        x: ``(N, ...)`` samples.
        y: ``(N,)`` labels.
        n: Rows wanted; ``None`` or ``n >= N`` returns ``x, y`` unchanged.
        seed: Same seed, same rows.

    Returns:
        ``(x_subset, y_subset)`` in their original order.

    Raises:
        ValueError: ``n`` is below 1 or ``x`` and ``y`` disagree in length.
    """
    _check_pair(x, y)
    if n is None or n >= len(y):
        return x, y
    if n < 1:
        raise ValueError(f"stratified_subset n={n} must be at least 1")
    rows = _stratified_rows(y, n, seed)
    return x[rows], y[rows]


def train_val_split(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split off a stratified validation set.

    Args:
        x: ``(N, ...)`` samples.
        y: ``(N,)`` labels.
        fraction: Share of rows for validation, in [0, 1); 0 gives empty validation arrays.
        seed: Same seed, same split.

    Returns:
        ``(x_train, y_train, x_val, y_val)``, disjoint, together all ``N`` rows, each in the
        original order; empty validation arrays keep the trailing shape, e.g. ``(0, 28, 28)``.

    Raises:
        ValueError: ``fraction`` is outside [0, 1), leaves no training rows, or ``x`` and ``y``
            disagree in length.
    """
    _check_pair(x, y)
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"train_val_split fraction={fraction} must be in [0, 1)")
    n_val = round(fraction * len(y))
    if n_val >= len(y):
        raise ValueError(f"train_val_split fraction={fraction} leaves no training rows")
    val = np.zeros(len(y), dtype=bool)
    if n_val:
        val[_stratified_rows(y, n_val, seed)] = True
    return x[~val], y[~val], x[val], y[val]
