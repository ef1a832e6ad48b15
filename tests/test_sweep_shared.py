"""Two worker processes (separate LENET_HOMEs, like two machines) on one study.

On SQLite and on a real PostgreSQL (a throwaway cluster on 127.0.0.1, started here; the test
skips, saying why, only when PostgreSQL is not installed or does not start): every trained
configuration is distinct, both processes contribute, every trial trains with the study's seed,
and the Sweep page lists and shows the shared study.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from streamlit.testing.v1 import AppTest

from devkit.pg_cluster import ClusterUnavailable, postgres_cluster
from lenet.jobs import JobManager
from tests.helpers import SMALL_MNIST

pytestmark = pytest.mark.slow  # worker processes and a PostgreSQL server
ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
# 3 x 2 x 2 = 12 configurations: two workers drawing 2 each collide now and then, and must
# skip the repeat instead of training it.
SPACE = {
    "params": {
        "activation": ["relu", "tanh", "elu"],
        "batch_size": [32, 64],
        "padding": ["same", "valid"],
    },
    "base": {"epochs": 1},
}


def run_two_workers(tmp_path: Path, storage: str, study: str = "shared") -> list[str]:
    """Two ``sweep --here`` processes with their own LENET_HOME, 2 trials each; their output."""
    space = tmp_path / "space.json"
    space.write_text(json.dumps(SPACE))
    cmd = [
        sys.executable,
        "-m",
        "lenet",
        "sweep",
        "--here",
        "--space",
        str(space),
        "--trials",
        "2",
        "--storage",
        storage,
        "--study",
        study,
        "--subset",
        "200",
        "--data",
        str(SMALL_MNIST),
    ]
    workers = []
    for i in range(2):
        env = {**os.environ, "LENET_HOME": str(tmp_path / f"home{i}"), "LENET_PRECISION": "fp32"}
        env.pop("LENET_SWEEP_STORAGE", None)
        workers.append(
            subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    outputs = [w.communicate(timeout=600) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    return [out for out, _ in outputs]


def assert_shared_study(storage: str, study_name: str = "shared") -> None:
    study = optuna.load_study(study_name=study_name, storage=storage)
    trained = [t for t in study.trials if "duplicate_of" not in t.user_attrs]
    assert len(trained) == 4
    configs = [json.dumps(t.user_attrs["config"], sort_keys=True) for t in trained]
    assert len(set(configs)) == 4  # no configuration trained twice
    workers = [t.user_attrs["worker"] for t in trained]
    assert len(set(workers)) == 2 and all(workers.count(w) == 2 for w in workers)
    assert study.user_attrs["training_seed"] == 0
    assert {t.user_attrs["config"]["seed"] for t in trained} == {0}
    for skipped in (t for t in study.trials if "duplicate_of" in t.user_attrs):
        twin = study.trials[skipped.user_attrs["duplicate_of"]]
        assert twin.user_attrs["config"] == skipped.user_attrs["config"]


def assert_page_shows(storage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    monkeypatch.setenv("LENET_SWEEP_STORAGE", storage)
    monkeypatch.setattr(JobManager, "_start", lambda self, job: None)
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/sweep.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="sweep_view").options == ["shared"]
    where = " ".join(t.value for t in at.text)
    shown = storage if storage.startswith("sqlite") else storage.split("//", 1)[1]
    assert "Studies live in" in where and shown.removeprefix("sqlite:///") in where
    total = len(optuna.load_study(study_name="shared", storage=storage).trials)
    assert f"**{total} trials**" in " ".join(m.value for m in at.markdown)
    table = at.dataframe[0].value
    trained = table[~table["state"].str.startswith("skipped")]
    assert len(trained) == 4 and trained["worker"].nunique() == 2


def test_two_processes_on_sqlite_share_one_study(tmp_path, app_home, monkeypatch):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    run_two_workers(tmp_path, storage)
    assert_shared_study(storage)
    assert_page_shows(storage, monkeypatch)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    try:
        with postgres_cluster() as url:
            yield url
    except ClusterUnavailable as exc:
        pytest.skip(f"PostgreSQL is not available here: {exc}")


def test_two_processes_on_postgresql_share_one_study(postgres_url, tmp_path, app_home, monkeypatch):
    run_two_workers(tmp_path, postgres_url)
    assert_shared_study(postgres_url)
    assert_page_shows(postgres_url, monkeypatch)
