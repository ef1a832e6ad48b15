"""Where the store finds the bundled models: ``LENET_BUNDLED``, else the checkout's assets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lenet.store import BUNDLED_ROOT, ModelStore

REPO = Path(__file__).resolve().parents[1]


def test_lenet_bundled_points_the_store_at_another_bundled_folder(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    bundled = tmp_path / "bundled"
    (bundled / "elsewhere").mkdir(parents=True)
    monkeypatch.setenv("LENET_BUNDLED", str(bundled))

    store = ModelStore(home=tmp_path / "home")

    assert store.bundled_root == bundled
    assert store.names() == ["elsewhere"]
    assert store.is_bundled("elsewhere")


def test_without_lenet_bundled_the_checkout_assets_are_bundled(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LENET_BUNDLED", raising=False)
    assert ModelStore(home=tmp_path / "home").bundled_root == BUNDLED_ROOT


def test_explicit_bundled_root_wins_over_the_environment(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LENET_BUNDLED", str(tmp_path / "from-env"))
    assert ModelStore(home=tmp_path / "home", bundled_root=None).bundled_root is None


def test_lenet_list_reads_lenet_bundled_in_a_fresh_process(tmp_path):  # type: ignore[no-untyped-def]
    """The CLI (and the workers it starts) read the variable too, not only in-process stores."""
    bundled = tmp_path / "bundled"
    (bundled / "elsewhere").mkdir(parents=True)  # not a model: listed as broken, by name
    env = {"LENET_BUNDLED": str(bundled), "LENET_HOME": str(tmp_path / "home"), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "lenet", "list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "elsewhere" in done.stdout
    assert "lenet5-1998" not in done.stdout
