"""The model store: every page and command reads models through it.

Each model is a folder named after it::

    <root>/<name>/model.keras  config.json  history.json  report.json  card.json  model.tflite

Two roots: the bundled, read-only models in ``assets/models/`` and the user's own in
``LENET_HOME/models`` (default ``~/.cache/lenet-studio/models``). A save is written into a
temporary folder and renamed into place, so a crash or a cancel leaves no entry. Listing reads
only the small JSON files and checks the archives, so it never imports TensorFlow.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lenet.config import LeNetConfig
from lenet.evaluate import Report
from lenet.infer import FeatureReader, Predictor, write_atomic

BUNDLED_ROOT = Path(__file__).resolve().parent.parent / "assets" / "models"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
FILES = ("model.keras", "config.json", "history.json", "report.json", "card.json")


def _filters_npy(model: Any) -> bytes:
    buf = io.BytesIO()
    kernel = model.get_layer("c1").get_weights()[0]  # (k, k, 1, filters)
    np.save(buf, kernel[:, :, 0, :].astype(np.float32))
    return buf.getvalue()


def _float_tflite(model: Any) -> bytes:
    from lenet import infer

    return infer.tflite_bytes(model)


# Files made from the Keras model when it is saved (and on first use for older entries).
DERIVED = {"model.tflite": _float_tflite, "c1_filters.npy": _filters_npy}


class StoreError(Exception):
    """A model that cannot be saved or loaded; the message says which and why."""


def lenet_home() -> Path:
    """``LENET_HOME``, or a folder under the user's cache directory."""
    env = os.environ.get("LENET_HOME")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "lenet-studio"


def validate_name(name: object) -> str:
    """Return ``name`` if it is a valid model name, else raise ``ValueError``.

    Names are lower-case letters, digits, ``.``, ``_`` and ``-``, at most 64 characters and
    not starting with punctuation, so no name can leave the store's folders.
    """
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or name in (".", ".."):
        raise ValueError(
            f"model name {name!r} is invalid: use 1-64 characters a-z, 0-9, '.', "
            "'_', '-', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class ModelCard:
    """What the model lists show. ``error`` is set (and the rest may be empty) when broken."""

    name: str
    bundled: bool
    path: str
    created: str = ""
    params: int = 0
    size_bytes: int = 0
    accuracy: float = 0.0
    macro_f1: float = 0.0
    train_seconds: float = 0.0
    config_id: str = ""
    description: str = ""
    error: str = ""

    @property
    def broken(self) -> bool:
        return bool(self.error)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise StoreError(f"{path.name} is missing in {path.parent}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is unreadable: {exc}") from exc


def _check_keras_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            bad = archive.testzip()
    except FileNotFoundError as exc:
        raise StoreError(f"model.keras is missing in {path.parent}") from exc
    except (OSError, zipfile.BadZipFile) as exc:
        raise StoreError(f"{path} is not a valid .keras archive: {exc}") from exc
    if bad is not None or not {"config.json", "model.weights.h5"} <= names:
        raise StoreError(f"{path} is corrupt (damaged or incomplete archive)")


class ModelStore:
    """Bundled and user models by name; user names may not shadow bundled ones."""

    def __init__(self, home: Path | None = None, bundled_root: Path | None = BUNDLED_ROOT) -> None:
        """Open the store.

        Args:
            home: the user's folder (``LENET_HOME`` by default); models live in ``home/models``.
            bundled_root: the read-only bundled models, or ``None`` for none.
        """
        self.home = Path(home) if home is not None else lenet_home()
        self.user_root = self.home / "models"
        self.bundled_root = bundled_root

    # --- reading ---
    def _roots(self) -> list[tuple[Path, bool]]:
        roots = [(self.bundled_root, True)] if self.bundled_root is not None else []
        return [*roots, (self.user_root, False)]

    def path(self, name: str) -> Path:
        """The folder of an existing model. Raises ``StoreError`` if there is none."""
        validate_name(name)
        for root, _ in self._roots():
            if (root / name).is_dir():
                return root / name
        raise StoreError(f"no model named {name!r} (see `python -m lenet list`)")

    def is_bundled(self, name: str) -> bool:
        return self.bundled_root is not None and (self.bundled_root / name).is_dir()

    def names(self) -> list[str]:
        found: list[str] = []
        for root, _ in self._roots():
            if root.is_dir():
                found += sorted(
                    p.name
                    for p in root.iterdir()
                    if p.is_dir() and NAME_RE.fullmatch(p.name) and p.name not in found
                )
        return found

    def card(self, name: str) -> ModelCard:
        """The card of a model, checked: raises ``StoreError`` when the entry is broken."""
        folder = self.path(name)
        data = _read_json(folder / "card.json")
        for file in FILES:
            if not (folder / file).is_file():
                raise StoreError(f"{file} is missing in {folder}")
        _check_keras_archive(folder / "model.keras")
        if not isinstance(data, dict):
            raise StoreError(f"{folder / 'card.json'} is not a JSON object")
        known = ModelCard.__dataclass_fields__.keys() - {"name", "bundled", "path", "error"}
        return ModelCard(
            name=name,
            bundled=self.is_bundled(name),
            path=str(folder),
            **{k: v for k, v in data.items() if k in known},
        )

    def list(self) -> list[ModelCard]:
        """Every model, bundled first; a broken entry is listed with its ``error``."""
        cards = []
        for name in self.names():
            try:
                cards.append(self.card(name))
            except StoreError as exc:
                cards.append(
                    ModelCard(
                        name=name,
                        bundled=self.is_bundled(name),
                        path=str(self.path(name)),
                        error=str(exc),
                    )
                )
        return cards

    def config(self, name: str) -> LeNetConfig:
        try:
            return LeNetConfig.from_dict(_read_json(self.path(name) / "config.json"))
        except (TypeError, ValueError) as exc:
            raise StoreError(f"config.json of {name!r} is invalid: {exc}") from exc

    def history(self, name: str) -> list[dict[str, float]]:
        return _read_json(self.path(name) / "history.json")

    def report(self, name: str) -> Report:
        try:
            return Report.from_dict(_read_json(self.path(name) / "report.json"))
        except TypeError as exc:
            raise StoreError(f"report.json of {name!r} is invalid: {exc}") from exc

    def load_model(self, name: str) -> Any:
        """The Keras model, loaded with ``safe_mode=True`` (imports TensorFlow)."""
        import keras

        import lenet.model  # noqa: F401  registers the custom layer and activation

        path = self.path(name) / "model.keras"
        _check_keras_archive(path)
        try:
            return keras.saving.load_model(path, safe_mode=True)
        except Exception as exc:  # Keras raises many kinds for a bad archive
            raise StoreError(f"cannot load {path}: {exc}") from exc

    def derived_path(self, name: str, filename: str) -> Path:
        """A file made from the Keras model (see ``DERIVED``); made on first use if missing.

        Older entries may lack one; a bundled model gets it in ``home/derived/<name>/``,
        since assets are read-only.
        """
        if filename not in DERIVED:
            raise ValueError(f"filename={filename!r} is invalid: expected one of {list(DERIVED)}")
        shipped = self.path(name) / filename
        if shipped.is_file():
            return shipped
        target = shipped if not self.is_bundled(name) else self.home / "derived" / name / filename
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, DERIVED[filename](self.load_model(name)))
        return target

    def tflite_path(self, name: str) -> Path:
        """The model's float ``.tflite``."""
        return self.derived_path(name, "model.tflite")

    def c1_filters(self, name: str) -> np.ndarray:
        """The learned first-layer filters: (k, k, filters) float32."""
        return np.load(self.derived_path(name, "c1_filters.npy"))

    def features(self, name: str) -> FeatureReader:
        """A reader of the model's C1 and C3 feature maps (from its float ``.tflite``)."""
        path = self.tflite_path(name)
        try:
            return FeatureReader(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot load {path}: {exc}") from exc

    def export_dir(self, name: str) -> Path:
        """Where exports of a model go: its folder, or ``home/exports/<name>`` if bundled."""
        return self.path(name) if not self.is_bundled(name) else self.home / "exports" / name

    def export_files(self, name: str) -> dict[str, Path]:
        """Downloadable files of a model that exist: Keras, TFLite float and int8."""
        folder = self.path(name)
        found = {"model.keras": folder / "model.keras", "model.tflite": folder / "model.tflite"}
        for where in (folder, self.export_dir(name)):
            if (where / "model_int8.tflite").is_file():
                found["model_int8.tflite"] = where / "model_int8.tflite"
        return {k: v for k, v in found.items() if v.is_file()}

    def export_report(self, name: str) -> dict[str, Any] | None:
        """Sizes, accuracies and latencies written by ``export`` (or None)."""
        for where in (self.path(name), self.export_dir(name)):
            if (where / "export.json").is_file():
                return _read_json(where / "export.json")
        return None

    def predictor(self, name: str) -> Predictor:
        """A fast TFLite predictor for the model."""
        path = self.tflite_path(name)
        try:
            return Predictor.from_file(path)
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot load {path}: {exc}") from exc

    # --- writing ---
    def save(
        self,
        name: str,
        model: Any,
        config: LeNetConfig,
        history: list[dict[str, float]],
        report: Report,
        train_seconds: float,
        description: str = "",
        *,
        bundled: bool = False,
        overwrite: bool = False,
    ) -> ModelCard:
        """Save a trained model atomically.

        Args:
            name: the new entry's name (validated).
            model: the trained Keras model.
            config: its configuration.
            history: per-epoch training history.
            report: its evaluation on the test set.
            train_seconds: wall time of the training run.
            description: one line shown in lists.
            bundled: write into the bundled root (the zoo command does; users never do).
            overwrite: replace an existing entry of that name in the same root.

        Returns:
            The new entry's card.

        Raises:
            ValueError: if the name is invalid.
            StoreError: if the name is taken, or the write failed (nothing is left behind).
        """
        validate_name(name)
        root = self.bundled_root if bundled else self.user_root
        if root is None:
            raise StoreError("this store has no bundled root")
        if not bundled and self.is_bundled(name):
            raise StoreError(f"{name!r} is a bundled model: choose another name")
        final = root / name
        if final.exists() and not overwrite:
            raise StoreError(f"a model named {name!r} already exists: choose another name")
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}.tmp-"))
        try:
            model.save(tmp / "model.keras")
            for filename, make in DERIVED.items():
                (tmp / filename).write_bytes(make(model))
            (tmp / "config.json").write_text(json.dumps(config.to_dict(), indent=1, sort_keys=True))
            (tmp / "history.json").write_text(json.dumps(history, indent=1))
            (tmp / "report.json").write_text(report.to_json())
            card = {
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "params": int(model.count_params()),
                "size_bytes": (tmp / "model.keras").stat().st_size,
                "accuracy": report.accuracy,
                "macro_f1": report.macro_f1,
                "train_seconds": round(float(train_seconds), 1),
                "config_id": config.config_id,
                "description": description,
            }
            (tmp / "card.json").write_text(json.dumps(card, indent=1))
            if final.exists():
                old = final.with_name(f".{name}.old-{os.getpid()}")
                os.replace(final, old)
                os.replace(tmp, final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, final)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, Exception):
                raise StoreError(f"saving {name!r} failed, nothing was written: {exc}") from exc
            raise
        return self.card(name)

    def save_report(self, name: str, report: Report) -> None:
        """Replace a user model's report (and its card's numbers) after a re-evaluation."""
        folder = self.path(name)
        if self.is_bundled(name):
            raise StoreError(f"{name!r} is bundled and read-only")
        card = _read_json(folder / "card.json")
        card.update(accuracy=report.accuracy, macro_f1=report.macro_f1)
        write_atomic(folder / "report.json", report.to_json().encode())
        write_atomic(folder / "card.json", json.dumps(card, indent=1).encode())

    def delete(self, name: str) -> None:
        """Delete a user model. Bundled models cannot be deleted."""
        if self.is_bundled(name):
            raise StoreError(f"{name!r} is bundled and cannot be deleted")
        folder = self.path(name)
        trash = folder.with_name(f".{name}.del-{os.getpid()}")
        os.replace(folder, trash)  # one rename: the entry disappears at once
        shutil.rmtree(trash, ignore_errors=True)
