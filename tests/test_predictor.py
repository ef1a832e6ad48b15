"""The TFLite predictor: bounded batches, and never reused after the interpreter failed."""

from __future__ import annotations

import numpy as np
import pytest

from lenet import infer


def test_a_large_batch_runs_in_bounded_chunks_with_the_same_answers(tiny_store, small_mnist):
    predictor = tiny_store.predictor("tiny")
    x = np.concatenate([small_mnist[2]] * 3)[:700].astype(np.float32) / 255
    resized: list[int] = []
    original = predictor._interp.resize_tensor_input
    predictor._interp.resize_tensor_input = lambda index, shape: (  # type: ignore[method-assign]
        resized.append(shape[0]),
        original(index, shape),
    )
    together = predictor.predict(x)
    assert max(resized) <= infer.MAX_BATCH  # never one interpreter call of 700 images
    one_by_one = np.concatenate([predictor.predict(x[i : i + 50]) for i in range(0, 700, 50)])
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)


def test_a_predictor_that_failed_is_never_invoked_again(tiny_store):
    predictor = tiny_store.predictor("tiny")
    calls = []

    def broken() -> None:
        calls.append(1)
        raise RuntimeError("XNNPack delegate failed to prepare")

    predictor._interp.invoke = broken  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="failed to prepare"):
        predictor.predict(np.zeros((2, 28, 28), np.float32))
    assert predictor.failed
    with pytest.raises(ValueError, match="cannot be reused"):
        predictor.predict(np.zeros((2, 28, 28), np.float32))
    assert len(calls) == 1  # the second call never reached the interpreter


def test_the_app_drops_a_failed_predictor_from_its_cache(app_home):
    import streamlit as st

    import ui

    st.cache_resource.clear()
    first = ui.predictor("tiny")
    assert ui.predictor("tiny") is first  # cached while it works
    first.failed = True
    second = ui.predictor("tiny")
    assert second is not first and not second.failed
    assert second.predict(np.zeros((28, 28), np.float32)).shape == (1, 10)


def test_no_images_give_empty_answers_and_the_predictor_stays_usable(tiny_store):
    predictor = tiny_store.predictor("tiny")
    assert predictor.predict(np.zeros((0, 28, 28), np.float32)).shape == (0, 10)
    assert not predictor.failed
    assert predictor.predict(np.zeros((3, 28, 28), np.float32)).shape == (3, 10)
