"""Fine-tuning on a person's drawings: the held-out split, the data mix, and a real job."""

import numpy as np
import pytest

from lenet.finetune import DRAWING_SHARE, mix, split_drawings


def drawings(per_digit: int) -> tuple[np.ndarray, np.ndarray]:
    y = np.repeat(np.arange(10, dtype=np.uint8), per_digit)
    x = np.stack([np.full((28, 28), i % 256, np.uint8) for i in range(len(y))])
    return x, y


def test_split_holds_out_a_share_of_every_digit_and_is_disjoint():
    x, y = drawings(5)
    (x_fit, y_fit), (x_held, y_held) = split_drawings(x, y, 0.4, seed=0)
    assert np.bincount(y_held, minlength=10).tolist() == [2] * 10
    assert len(y_fit) + len(y_held) == 50
    assert not {r.tobytes() for r in x_fit} & {r.tobytes() for r in x_held}
    again = split_drawings(x, y, 0.4, seed=0)
    np.testing.assert_array_equal(again[1][0], x_held)


def test_split_needs_a_few_drawings():
    x, y = drawings(1)
    (_, _), (_, y_held) = split_drawings(x[:4], y[:4], 0.3, seed=1)
    assert len(y_held) >= 1
    with pytest.raises(ValueError, match="at least 4 saved drawings"):
        split_drawings(x[:3], y[:3], 0.3, seed=0)


def test_mix_gives_drawings_about_a_fifth():
    x_m = np.zeros((6000, 28, 28), np.uint8)
    y_m = np.zeros(6000, np.uint8)
    x_d, y_d = drawings(3)
    x, y = mix(x_m, y_m, x_d, y_d)
    share = (len(x) - 6000) / len(x)
    assert abs(share - DRAWING_SHARE) < 0.02 and len(x) == len(y)
    assert mix(x_m, y_m, x_d[:0], y_d[:0])[0] is x_m


@pytest.mark.slow  # a worker subprocess trains
def test_a_finetune_job_reports_before_and_after_on_held_out_drawings(
    tmp_path, tiny_store, small_mnist
):
    import shutil

    from lenet.feedback import FeedbackStore
    from lenet.jobs import JobManager

    shutil.copytree(tiny_store.home, tmp_path / "home")
    home = tmp_path / "home"
    feedback = FeedbackStore(home / "drawings.sqlite3")
    x_test, y_test = small_mnist[2], small_mnist[3]
    for image, digit in zip(x_test[:40], y_test[:40], strict=True):
        feedback.add(int(digit), image, {"tiny": int(digit)})
    from tests.helpers import SMALL_MNIST

    manager = JobManager(home, data_path=str(SMALL_MNIST))
    try:
        base = tiny_store.config("tiny").replace(epochs=1, train_subset=600, learning_rate=3e-4)
        job = manager.wait(manager.submit_finetune("tiny", base, "tiny-mine").id, 240)
    finally:
        manager.shutdown()
    assert job.state == "done", job.error
    d = job.result.drawings
    assert d is not None and d.held_out + d.used == 40 and 8 <= d.held_out <= 16
    assert 0.0 <= d.before <= 1.0 and 0.0 <= d.after <= 1.0
    from lenet.store import ModelStore

    card = ModelStore(home=home, bundled_root=None).card("tiny-mine")
    assert "fine-tuned from tiny" in card.description


def test_finetune_refuses_unknown_base_and_bad_holdout(tmp_path):
    from lenet.config import LeNetConfig
    from lenet.jobs import JobError, JobManager

    manager = JobManager(tmp_path)
    with pytest.raises(JobError, match="cannot fine-tune 'nope'"):
        manager.submit_finetune("nope", LeNetConfig(), "x")
