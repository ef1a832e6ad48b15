"""The Keras-layout npz checks that MNIST loading and the drawings' import share."""

from __future__ import annotations

import io

import numpy as np
import pytest

from lenet import npzfile


@pytest.mark.parametrize(
    ("x_shape", "y_shape", "problem"),
    [
        ((3, 28, 28), (3,), None),
        ((0, 28, 28), (0,), None),  # an empty split is a layout, not a problem
        ((3, 28, 27), (3,), "x_test has shape (3, 28, 27), expected (N, 28, 28)"),
        ((3, 784), (3,), "x_test has shape (3, 784), expected (N, 28, 28)"),
        ((3, 28, 28), (2,), "y_test has shape (2,), expected (3,) like x_test"),
    ],
)
def test_pair_problem(x_shape, y_shape, problem) -> None:
    assert npzfile.pair_problem("x_test", x_shape, "y_test", y_shape) == problem


@pytest.mark.parametrize(
    ("labels", "problem"),
    [([0, 9, 5], None), ([], None), ([3, 10], "y has label 10"), ([-1, 4], "y has label -1")],
)
def test_label_problem(labels, problem) -> None:
    found = npzfile.label_problem("y", np.array(labels, np.int64))
    assert found == (None if problem is None else f"{problem}, expected 0..9")


def test_what_is_written_reads_back() -> None:
    x = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    y = np.array([1, 2, 3, 4], np.uint8)
    buf = io.BytesIO()
    npzfile.write_test_split(buf, x, y)
    back_x, back_y = npzfile.read_rows(buf.getvalue(), max_rows=4, max_bytes=2**20)
    np.testing.assert_array_equal(back_x, x)
    np.testing.assert_array_equal(back_y, y)
    with pytest.raises(npzfile.NpzError, match="at most 3"):
        npzfile.read_rows(buf.getvalue(), max_rows=3, max_bytes=2**20)
