"""Loading a stored model with Keras alone, outside the project: what to import is named."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import pytest

from lenet.model import build_model
from lenet.store import BUNDLED_ROOT
from lenet.zoo import ZOO

LOAD = "import sys, keras; keras.saving.load_model(sys.argv[1])"


def _keras_alone(path: str, cwd: str) -> subprocess.CompletedProcess[str]:
    """``keras.saving.load_model(path)`` in a fresh Python that cannot import ``lenet``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return subprocess.run(
        [sys.executable, "-c", LOAD, path],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # a fresh Python imports Keras and TensorFlow: ~8 s of CPU
def test_keras_alone_says_to_import_lenet_model(tmp_path):  # type: ignore[no-untyped-def]
    config, _ = ZOO["lenet5-1998"]  # scaled tanh and the sparse C3: both custom objects
    path = tmp_path / "model.keras"
    build_model(config).save(path)

    done = _keras_alone(str(path), cwd=str(tmp_path))

    assert done.returncode != 0
    assert "lenet.model>scaled_tanh" in done.stderr
    assert "make sure they are all imported" in done.stderr


def test_models_saved_under_the_old_names_load_after_importing_lenet_model():  # type: ignore[no-untyped-def]
    path = BUNDLED_ROOT / "lenet5-1998" / "model.keras"
    if not path.is_file():
        pytest.skip(f"lenet5-1998 is not bundled in {BUNDLED_ROOT}")
    model = keras.saving.load_model(path)
    assert model.get_layer("c3").__class__.__name__ == "SparseConv2D"
