"""Shared fixtures: the small MNIST sample, a tiny trained model, and an isolated store."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Training precision is pinned: ``auto`` picks bf16 on CPUs with native bf16, whose rounding
# moves the numbers that tests compare (int8 agreement, accuracies). Tests of the bf16 path set
# LENET_PRECISION themselves; job and CLI subprocesses inherit this.
os.environ["LENET_PRECISION"] = "fp32"
# No warm worker behind the pages' job manager (each would import TensorFlow in a process of
# its own): page tests stand in for workers. tests/test_warm.py and the browser tests that
# train turn it on.
os.environ["LENET_WARM_IDLE_S"] = "0"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lenet.config import LeNetConfig  # noqa: E402
from tests.helpers import SMALL_MNIST  # noqa: E402

TINY = LeNetConfig(epochs=1, batch_size=64, validation_split=0.1, seed=3)


@pytest.fixture(scope="session")
def small_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    with np.load(SMALL_MNIST) as d:
        return d["x_train"], d["y_train"], d["x_test"], d["y_test"]


@pytest.fixture(scope="session")
def tiny_trained(small_mnist):  # type: ignore[no-untyped-def]
    """One tiny model trained once per session: (TrainResult, Report)."""
    from lenet.evaluate import build_report
    from lenet.model import predict_proba
    from lenet.train import train

    x_train, y_train, x_test, y_test = small_mnist
    result = train(TINY, (x_train, y_train))
    return result, build_report(predict_proba(result.model, x_test), y_test, x_test)


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory, tiny_trained):  # type: ignore[no-untyped-def]
    """A store (no bundled root) holding one saved model, ``tiny``. Do not modify it."""
    from lenet.store import ModelStore

    store = ModelStore(home=tmp_path_factory.mktemp("home"), bundled_root=None)
    result, report = tiny_trained
    store.save(
        "tiny",
        result.model,
        result.config,
        result.history,
        report,
        result.seconds,
        "a tiny test model",
    )
    return store


@pytest.fixture(scope="session")
def second_trained(small_mnist):  # type: ignore[no-untyped-def]
    """A second tiny model, different from ``tiny`` (tanh, average pooling)."""
    from lenet.evaluate import build_report
    from lenet.model import predict_proba
    from lenet.train import train

    x_train, y_train, x_test, y_test = small_mnist
    config = TINY.replace(activation="tanh", pooling="average", train_subset=600)
    result = train(config, (x_train, y_train))
    return result, build_report(predict_proba(result.model, x_test), y_test, x_test)


@pytest.fixture(scope="session")
def two_model_home(tmp_path_factory, tiny_store, second_trained):  # type: ignore[no-untyped-def]
    """A home holding ``tiny`` and ``other``, saved once per session. Do not modify it: copy it.

    Saving converts the model to TFLite (about a second); tests get a copy instead.
    """
    import shutil

    from lenet.store import ModelStore

    home = tmp_path_factory.mktemp("two") / "home"
    shutil.copytree(tiny_store.home, home)
    store = ModelStore(home=home, bundled_root=None)
    result, report = second_trained
    store.save("other", result.model, result.config, result.history, report, result.seconds)
    return home


# Four configurations, all valid: the grid sampler draws each once (no invalid or repeated
# trial), and the first two always complete (the median pruner starts after two trials).
GRID = {"params": {"learning_rate": [0.01, 0.001], "batch_size": [32, 64]}}


@pytest.fixture(scope="session")
def grid_study(tmp_path_factory, small_mnist):  # type: ignore[no-untyped-def]
    """A finished four-trial grid sweep, run once per session (four trainings).

    Returns ``(study, settings, seen)``: the study "mine" in its own SQLite file
    (``settings.storage``), and the trials ``run_sweep`` passed to ``on_trial``. Read it only:
    a test that adds trials or studies runs a sweep of its own.
    """
    import json

    from lenet.sweep import SweepSettings, run_sweep

    folder = tmp_path_factory.mktemp("grid")
    (folder / "grid.json").write_text(json.dumps(GRID))
    settings = SweepSettings(
        space=str(folder / "grid.json"), trials=4, sampler="grid", study="mine", subset=300,
        epochs=1, seed=2, storage=f"sqlite:///{folder / 'sweeps.db'}",
    )  # fmt: skip
    seen: list = []
    study = run_sweep(settings, small_mnist[:2], on_trial=seen.append)
    return study, settings, seen


@pytest.fixture()
def app_home(two_model_home, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """LENET_HOME holding ``tiny`` and ``other``, and no bundled models; returns the store."""
    import shutil

    from lenet.store import ModelStore

    shutil.copytree(two_model_home, tmp_path / "home")
    monkeypatch.setenv("LENET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LENET_BUNDLED", str(tmp_path / "no-bundled"))
    return ModelStore(home=tmp_path / "home", bundled_root=None)


@pytest.fixture()
def stand_in_workers():  # type: ignore[no-untyped-def]
    """The app's job manager starts ``sleep 60`` stand-ins instead of training workers.

    Injected through ``ui.use_launcher``; the stand-ins are killed and the real launcher is
    put back afterwards. Yields the ``StandInWorkers`` (its ``started`` lists the processes).
    """
    import ui
    from tests.helpers import StandInWorkers

    workers = StandInWorkers()
    ui.use_launcher(workers)
    yield workers
    ui.use_launcher(None)  # also stops the manager's pump thread
    for proc in workers.started:
        proc.kill()
        proc.wait()


@pytest.fixture(autouse=True)
def _release_job_manager():  # type: ignore[no-untyped-def]
    """After a test that ran the app, stop its job manager's pump thread (each test's
    LENET_HOME gets its own manager, which would otherwise pump for the rest of the session)."""
    yield
    import sys

    ui = sys.modules.get("ui")
    if ui is not None:
        ui.use_launcher(None)


@pytest.fixture(scope="session", autouse=True)
def _component_scan_once():  # type: ignore[no-untyped-def]
    """Scan the installed packages for Streamlit components once per session, not per AppTest.

    Every new ``AppTest`` makes a ``BidiComponentManager`` whose first run reads the metadata
    of every installed distribution (``manifest_scanner.scan_component_manifests``): ~0.3 s
    of CPU per AppTest here, ~20 s of the quick tier's 158. The installed packages do not change
    during a session, so the first scan's answer is reused; each AppTest still registers the
    components in a manager of its own.
    """
    import functools
    import sys

    if "streamlit.testing.v1" not in sys.modules:  # no collected test file uses AppTest
        yield
        return
    from streamlit.components.v2 import manifest_scanner

    with pytest.MonkeyPatch.context() as patch:
        scan = functools.cache(manifest_scanner.scan_component_manifests)
        patch.setattr(manifest_scanner, "scan_component_manifests", scan)
        yield


@pytest.fixture(autouse=True)
def _frozen_heap():  # type: ignore[no-untyped-def]
    """Collect, then freeze what is alive: later collections skip those objects.

    Streamlit calls ``keras.backend.clear_session()`` after every script run once Keras is
    imported (``script_runner._clean_problem_modules``), and that runs a full ``gc.collect()``:
    with TensorFlow and the session's models in memory, ~0.5 s per AppTest run here, most of a
    page test's time. Frozen, the heap of TensorFlow and of earlier tests is not walked again.
    """
    import gc

    gc.collect()
    gc.freeze()
    yield
