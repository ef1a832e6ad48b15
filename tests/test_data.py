"""Tests for lenet.data: loading and validating MNIST, normalising, padding and splitting."""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lenet.data import (
    IDX_FILES,
    DatasetError,
    load_mnist,
    stratified_subset,
    train_val_split,
)

REAL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist.npz"
USER_MNIST_PATH = os.environ.get("MNIST_PATH")  # read before the autouse fixture clears it


def tiny_mnist(n_train: int = 20, n_test: int = 10) -> dict[str, np.ndarray]:
    """Random uint8 images with labels cycling 0..9, in the Keras .npz layout."""
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """IDX encoding: big-endian magic (2051 images, 2049 labels), dims, then raw uint8."""
    magic = magic if magic is not None else (2051 if array.ndim == 3 else 2049)
    return struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.tobytes()


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez_compressed(path, **arrays)
    return path


def write_idx_dir(folder: Path, arrays: dict[str, np.ndarray], gz: bool = False) -> Path:
    folder.mkdir(exist_ok=True)
    for name, key in zip(IDX_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True):
        data = idx_bytes(arrays[key])
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


def assert_same(loaded: tuple[np.ndarray, ...], arrays: dict[str, np.ndarray]) -> None:
    for got, key in zip(loaded, ("x_train", "y_train", "x_test", "y_test"), strict=True):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[key])


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_PATH", raising=False)


# --- loading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["npz", "idx", "idx.gz"])
def test_load_layouts(tmp_path: Path, layout: str) -> None:
    arrays = tiny_mnist()
    if layout == "npz":
        path = write_npz(tmp_path / "m.npz", arrays)
    else:
        path = write_idx_dir(tmp_path / "idx", arrays, gz=layout == "idx.gz")
    assert_same(load_mnist(path), arrays)
    assert_same(load_mnist(str(path)), arrays)


def test_env_var_used_and_argument_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_arrays, arg_arrays = tiny_mnist(20, 10), tiny_mnist(30, 10)
    monkeypatch.setenv("MNIST_PATH", os.fspath(write_npz(tmp_path / "env.npz", env_arrays)))
    assert_same(load_mnist(), env_arrays)
    assert_same(load_mnist(write_idx_dir(tmp_path / "arg", arg_arrays)), arg_arrays)


def test_integer_valued_other_dtypes_convert(tmp_path: Path) -> None:
    arrays = tiny_mnist()
    as_other = {"x_train": arrays["x_train"].astype(np.float32)} | {
        k: arrays[k].astype(np.int64) for k in ("y_train", "x_test", "y_test")
    }
    assert_same(load_mnist(write_npz(tmp_path / "m.npz", as_other)), arrays)


def _truncate(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _npz(tmp: Path, **changes: np.ndarray) -> Path:
    return write_npz(tmp / "m.npz", tiny_mnist() | changes)


def _idx(tmp: Path, gz: bool = False) -> Path:
    return write_idx_dir(tmp / "idx", tiny_mnist(), gz=gz)


def _not_zip(tmp: Path) -> Path:
    (tmp / "x.npz").write_text("hello")
    return tmp / "x.npz"


def _truncated_npz(tmp: Path) -> Path:
    _truncate(path := _npz(tmp), 200)
    return path


def _npz_missing_key(tmp: Path) -> Path:
    return write_npz(tmp / "m.npz", {k: v for k, v in tiny_mnist().items() if k != "y_test"})


def _missing_idx_file(tmp: Path) -> Path:
    (folder := _idx(tmp)).joinpath(IDX_FILES[3]).unlink()
    return folder


def _truncated_idx(tmp: Path) -> Path:
    _truncate((folder := _idx(tmp)) / IDX_FILES[0], 16 + 28 * 28 * 3)  # 3 of 20 images
    return folder


def _idx_header_cut(tmp: Path) -> Path:
    _truncate((folder := _idx(tmp)) / IDX_FILES[1], 5)
    return folder


def _truncated_gzip(tmp: Path) -> Path:
    _truncate((folder := _idx(tmp, gz=True)) / f"{IDX_FILES[2]}.gz", 40)
    return folder


def _bad_magic(tmp: Path) -> Path:
    labels = idx_bytes(np.zeros(20, np.uint8), magic=2051)
    (folder := _idx(tmp)).joinpath(IDX_FILES[1]).write_bytes(labels)
    return folder


BAD_SOURCES = [
    ("missing file", lambda t: t / "nope.npz", "no such file"),
    ("not a zip", _not_zip, "not an .npz"),
    ("truncated npz", _truncated_npz, "corrupt or truncated"),
    ("npz missing key", _npz_missing_key, "missing key(s) y_test"),
    ("missing idx file", _missing_idx_file, f"missing IDX file {IDX_FILES[3]}"),
    ("truncated idx", _truncated_idx, "truncated: header [20, 28, 28]"),
    ("idx header cut", _idx_header_cut, "shorter than the 8-byte IDX header"),
    ("truncated gzip", _truncated_gzip, "unreadable or truncated"),
    ("bad magic", _bad_magic, "magic number 2051, expected 2049"),
    (
        "wrong image shape",
        lambda t: _npz(t, x_train=np.zeros((20, 28, 27), np.uint8)),
        "x_train has shape (20, 28, 27)",
    ),
    (
        "label count mismatch",
        lambda t: _npz(t, y_test=np.zeros(9, np.uint8)),
        "y_test has shape (9,), expected (10,)",
    ),
    ("label out of range", lambda t: _npz(t, y_train=np.full(20, 10, np.uint8)), "label 10"),
    (
        "non-integer pixels",
        lambda t: _npz(t, x_test=np.full((10, 28, 28), 0.5)),
        "x_test has dtype float64",
    ),
    (
        "pixels above 255",
        lambda t: _npz(t, x_test=np.full((10, 28, 28), 256, np.int32)),
        "x_test has dtype int32",
    ),
]


@pytest.mark.parametrize(("case", "make", "expected"), BAD_SOURCES, ids=[c[0] for c in BAD_SOURCES])
def test_bad_sources_raise_dataset_error(
    tmp_path: Path, case: str, make: Callable[[Path], Path], expected: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(DatasetError) as info:
        load_mnist(path)
    message = str(info.value)
    assert expected in message
    assert "MNIST_PATH" in message
    assert str(path) in message or str(path.parent) in message


def test_keras_download_failure_raises_dataset_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import keras

    def offline(*args: object, **kwargs: object) -> None:
        # keras.utils.get_file raises a bare Exception on network errors.
        raise Exception("URL fetch failure: no network")  # noqa: TRY002

    monkeypatch.delenv("MNIST_PATH", raising=False)
    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(
        DatasetError, match="Downloading MNIST .* failed.*URL fetch failure"
    ) as info:
        load_mnist()
    assert "MNIST_PATH" in str(info.value) and "--data" in str(info.value)


@pytest.fixture()
def silent_server():  # type: ignore[no-untyped-def]
    """A server on 127.0.0.1 that accepts connections and never answers; yields its URL."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/mnist.npz"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_download_that_never_answers_times_out_into_the_mnist_path_advice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, silent_server: str, capsys
) -> None:
    import time

    from lenet import data

    monkeypatch.delenv("MNIST_PATH", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no cached copy
    monkeypatch.setattr(data, "MNIST_URL", silent_server)
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 0.2)
    started = time.monotonic()
    with pytest.raises(DatasetError, match="no answer") as info:
        load_mnist()
    assert time.monotonic() - started < 30  # import + 0.2 s, not forever
    assert "MNIST_PATH" in str(info.value) and silent_server in str(info.value)
    out, err = capsys.readouterr()
    assert out == "" and "Downloading data from" in err


@pytest.mark.slow
def test_real_mnist() -> None:
    path = USER_MNIST_PATH or (REAL_MNIST if REAL_MNIST.exists() else None)
    if path is None:
        pytest.skip("full MNIST not available: set MNIST_PATH")
    x_train, y_train, x_test, y_test = load_mnist(path)
    assert (x_train.shape, y_train.shape) == ((60000, 28, 28), (60000,))
    assert (x_test.shape, y_test.shape) == ((10000, 28, 28), (10000,))
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y_test, minlength=10).tolist() == counts


# --- subsets and splits -----------------------------------------------------------------------


def imbalanced(n_per_class: tuple[int, ...] = (50, 30, 20)) -> tuple[np.ndarray, np.ndarray]:
    """Rows numbered 0..N-1 (so picks are traceable) with shuffled, imbalanced labels."""
    y = np.repeat(np.arange(len(n_per_class)), n_per_class).astype(np.uint8)
    y = np.random.default_rng(1).permutation(y)
    return np.arange(len(y)), y


@pytest.mark.parametrize(
    ("n", "expected_counts"), [(10, [5, 3, 2]), (50, [25, 15, 10]), (7, [4, 2, 1])]
)
def test_stratified_subset_keeps_proportions(n: int, expected_counts: list[int]) -> None:
    x, y = imbalanced()
    xs, ys = stratified_subset(x, y, n, seed=3)
    assert np.bincount(ys, minlength=3).tolist() == expected_counts
    np.testing.assert_array_equal(y[xs], ys)  # x and y stay aligned
    assert len(np.unique(xs)) == n


def test_stratified_subset_deterministic_per_seed() -> None:
    x, y = imbalanced()
    first, again, other = (stratified_subset(x, y, 20, seed=s)[0] for s in (0, 0, 1))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("n", [None, 100, 1000])
def test_stratified_subset_all(n: int | None) -> None:
    x, y = imbalanced()
    xs, ys = stratified_subset(x, y, n, seed=0)
    np.testing.assert_array_equal(xs, x)
    np.testing.assert_array_equal(ys, y)


@pytest.mark.parametrize(("fraction", "expected_val"), [(0.1, [5, 3, 2]), (0.5, [25, 15, 10])])
def test_train_val_split(fraction: float, expected_val: list[int]) -> None:
    x, y = imbalanced()
    x_tr, y_tr, x_val, y_val = train_val_split(x, y, fraction, seed=0)
    assert np.bincount(y_val, minlength=3).tolist() == expected_val
    assert not set(x_tr) & set(x_val)
    assert sorted(np.concatenate([x_tr, x_val]).tolist()) == list(range(100))
    np.testing.assert_array_equal(y[x_tr], y_tr)
    np.testing.assert_array_equal(y[x_val], y_val)
    np.testing.assert_array_equal(train_val_split(x, y, fraction, seed=0)[2], x_val)


def largest_remainder(counts: np.ndarray, n: int) -> np.ndarray:
    """Rows per class of the hand-written split that scikit-learn's replaced: floor of each
    class's share, the leftover rows to the largest fractions."""
    quota = counts * n / counts.sum()
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take), kind="stable")[: n - int(take.sum())]] += 1
    return take


# Class sizes and rows wanted whose shares have no tied fractions: scikit-learn then gives each
# class exactly the rows the hand-written split gave (on ties it breaks them at random).
UNTIED = [
    ((50, 30, 20), 7),
    ((41, 17, 56, 24), 63),
    ((9, 34, 3, 52), 11),
    ((11, 14, 17, 20, 23, 26, 29, 32, 35, 38), 37),
]


@pytest.mark.parametrize(("sizes", "n"), UNTIED)
def test_stratified_counts_are_the_old_splits(sizes: tuple[int, ...], n: int) -> None:
    counts = np.array(sizes)
    y = np.random.default_rng(5).permutation(np.repeat(np.arange(len(sizes)), sizes))
    x = np.arange(len(y))
    expected = largest_remainder(counts, n).tolist()
    xs, ys = stratified_subset(x, y, n, seed=11)
    assert np.bincount(ys, minlength=len(sizes)).tolist() == expected
    assert (np.diff(xs) > 0).all()  # original order, no repeats
    x_tr, _, x_val, y_val = train_val_split(x, y, n / len(y), seed=11)
    assert np.bincount(y_val, minlength=len(sizes)).tolist() == expected
    assert (np.diff(x_val) > 0).all() and (np.diff(x_tr) > 0).all()


@pytest.mark.parametrize(
    ("y", "n"),
    [
        (np.array([0, 1, 1, 2, 2, 2, 3, 3, 3, 3]), 4),  # class 0 has a single row
        (np.repeat(np.arange(10), 10), 5),  # fewer rows wanted than classes
        (np.repeat(np.arange(10), 10), 95),  # fewer rows left than classes
    ],
)
def test_a_split_that_cannot_be_stratified_is_still_a_seeded_draw(y: np.ndarray, n: int) -> None:
    x = np.arange(len(y))
    xs, ys = stratified_subset(x, y, n, seed=4)
    assert len(xs) == n and (np.diff(xs) > 0).all()
    np.testing.assert_array_equal(y[xs], ys)
    np.testing.assert_array_equal(stratified_subset(x, y, n, seed=4)[0], xs)
    x_tr, _, x_val, _ = train_val_split(x, y, n / len(y), seed=4)
    assert len(x_val) == n and not set(x_tr) & set(x_val)


def test_train_val_split_fraction_zero() -> None:
    x = np.zeros((12, 28, 28), np.uint8)
    y = np.arange(12) % 10
    x_tr, y_tr, x_val, y_val = train_val_split(x, y, 0.0, seed=0)
    assert x_tr.shape == (12, 28, 28) and y_tr.shape == (12,)
    assert x_val.shape == (0, 28, 28) and y_val.shape == (0,)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 0.999])
def test_train_val_split_rejects(fraction: float) -> None:
    x, y = imbalanced()
    with pytest.raises(ValueError, match="fraction"):
        train_val_split(x, y, fraction, seed=0)
