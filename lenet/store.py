"""The model store: every page and command reads models through it.

Each model is a folder named after it::

    <root>/<name>/model.keras  config.json  history.json  report.json  card.json  model.tflite

Two roots: the bundled, read-only models in ``assets/models/`` and the user's own in
``LENET_HOME/models`` (default ``~/.cache/lenet-studio/models``). A save is written into a
temporary folder and renamed into place, so a crash or a cancel leaves no entry. Listing reads
only the small JSON files and checks the archives, so it never imports TensorFlow.
"""

from __future__ import annotations

import builtins
import enum
import errno
import io
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lenet.config import LeNetConfig
from lenet.evaluate import Report
from lenet.files import (
    fsync_dir,
    lenet_home,
    pid_alive,
    read_json,
    write_atomic,
    write_json,
    write_synced,
)
from lenet.infer import FeatureReader, Predictor

# The checkout's bundled models; an installed package finds them through ``LENET_BUNDLED``.
BUNDLED_ROOT = Path(__file__).resolve().parent.parent / "assets" / "models"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
FILES = ("model.keras", "config.json", "history.json", "report.json", "card.json")


def _filters_npy(model: Any) -> bytes:
    buf = io.BytesIO()
    kernel = model.get_layer("c1").get_weights()[0]  # (k, k, 1, filters)
    np.save(buf, kernel[:, :, 0, :].astype(np.float32))
    return buf.getvalue()


def _float_tflite(model: Any) -> bytes:
    from lenet import export  # imports TensorFlow, and export imports this module

    return export.tflite_bytes(model)


# Files made from the Keras model when it is saved (and on first use for older entries).
DERIVED = {"model.tflite": _float_tflite, "c1_filters.npy": _filters_npy}


class StoreError(Exception):
    """A model that cannot be saved or loaded; the message says which and why."""


def default_bundled_root() -> Path | None:
    """``LENET_BUNDLED``, or the checkout's ``assets/models`` when it exists, else None.

    Read on each call, so an installed package (whose folder holds no ``assets/``) can be
    pointed at the bundled models, and tests can point it elsewhere.
    """
    env = os.environ.get("LENET_BUNDLED")
    if env:
        return Path(env).expanduser()
    return BUNDLED_ROOT if BUNDLED_ROOT.is_dir() else None


class _Default(enum.Enum):
    """The marker of an argument left to its environment default."""

    FROM_ENV = enum.auto()


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
        """Whether the entry is damaged (``error`` says why)."""
        return bool(self.error)


def _read_json(path: Path) -> Any:
    try:
        return read_json(path)
    except FileNotFoundError as exc:
        raise StoreError(f"{path.name} is missing in {path.parent}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is unreadable: {exc}") from exc


def _check_keras_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            bad = archive.testzip()
            inner = archive.read("config.json") if "config.json" in names else b""
    except FileNotFoundError as exc:
        raise StoreError(f"model.keras is missing in {path.parent}") from exc
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise StoreError(f"{path} is not a valid .keras archive: {exc}") from exc
    if bad is not None or not {"config.json", "model.weights.h5"} <= names:
        raise StoreError(f"{path} is corrupt (damaged or incomplete archive)")
    try:
        layers = json.loads(inner)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} has an unreadable config.json inside: {exc}") from exc
    if "Lambda" in _class_names(layers):
        raise StoreError(
            f"{path} holds a Lambda layer (arbitrary Python code), which is never loaded"
        )


def _class_names(node: Any) -> set[str]:
    """Every ``class_name`` in a Keras config, however deeply nested."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("class_name"), str):
                found.add(item["class_name"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


CARD_TYPES: dict[str, Callable[[object], bool]] = {
    "created": lambda v: isinstance(v, str),
    "params": _is_int,
    "size_bytes": _is_int,
    "accuracy": _is_number,
    "macro_f1": _is_number,
    "train_seconds": _is_number,
    "config_id": lambda v: isinstance(v, str),
    "description": lambda v: isinstance(v, str),
}
REPORT_ROW_KEYS = {
    "per_class": ("digit", "precision", "recall", "f1", "support", "accuracy"),
    "misclassified": ("index", "true", "predicted", "confidence"),
    "sample": ("index", "true", "predicted", "confidence"),
}


def _check_card(data: Any, where: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise StoreError(f"{where} is not a JSON object")
    for key, ok in CARD_TYPES.items():
        if key in data and not ok(data[key]):
            raise StoreError(f"{where} has {key}={data[key]!r}, of the wrong type")
    return {k: v for k, v in data.items() if k in CARD_TYPES}


def _check_history(data: Any, where: Path) -> None:
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise StoreError(f"{where} is not a list of per-epoch objects")
    for row in data:
        for key, value in row.items():
            if not _is_number(value):
                raise StoreError(f"{where} has {key}={value!r}, expected a number")


def _check_report(data: Any, where: Path) -> None:
    if not isinstance(data, dict):
        raise StoreError(f"{where} is not a JSON object")
    try:
        report = Report.from_dict(data)
    except TypeError as exc:
        raise StoreError(f"{where} is invalid: {exc}") from exc
    numbers = [report.accuracy, report.macro_precision, report.macro_recall, report.macro_f1]
    numbers += [report.weighted_precision, report.weighted_recall, report.weighted_f1]
    if not _is_int(report.n) or not all(_is_number(v) for v in numbers):
        raise StoreError(f"{where} has a count or metric that is not a number")
    confusion = report.confusion
    if not (
        isinstance(confusion, list)
        and len(confusion) == 10
        and all(isinstance(r, list) and len(r) == 10 and all(map(_is_int, r)) for r in confusion)
    ):
        raise StoreError(f"{where} has a confusion matrix that is not 10x10 integers")
    for field, keys in REPORT_ROW_KEYS.items():
        rows = getattr(report, field)
        if not isinstance(rows, list) or not all(
            isinstance(r, dict) and all(_is_number(r.get(k)) for k in keys) for r in rows
        ):
            raise StoreError(f"{where} has {field} rows without numbers {', '.join(keys)}")
    if len(report.per_class) != 10:
        raise StoreError(f"{where} has {len(report.per_class)} per-class rows, expected 10")
    for field in ("misclassified_images", "sample_images"):
        if not isinstance(getattr(report, field), list) or not all(
            isinstance(v, str) for v in getattr(report, field)
        ):
            raise StoreError(f"{where} has {field} that are not encoded images")


def _check_tflite(path: Path) -> None:
    """A shipped ``.tflite`` loads (LiteRT verifies the flatbuffer; no TensorFlow)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"{path} is unreadable: {exc}") from exc
    if len(content) < 8 or content[4:8] != b"TFL3":
        raise StoreError(f"{path} is not a TFLite model (empty, truncated or another file)")
    try:
        FeatureReader.check(content)
    except ValueError as exc:
        raise StoreError(f"{path} is not a usable TFLite model: {exc}") from exc


def _check_filters(path: Path) -> None:
    try:
        filters = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise StoreError(f"{path} is unreadable: {exc}") from exc
    if not isinstance(filters, np.ndarray) or filters.ndim != 3 or filters.dtype.kind != "f":
        raise StoreError(f"{path} is not (k, k, filters) floats")


def _validate(folder: Path) -> dict[str, Any]:
    """Check every file of an entry; returns the card's fields. Raises ``StoreError``."""
    for file in FILES:
        if not (folder / file).is_file():
            raise StoreError(f"{file} is missing in {folder}")
    card = _check_card(_read_json(folder / "card.json"), folder / "card.json")
    try:
        config = _read_json(folder / "config.json")
        if not isinstance(config, dict):
            raise TypeError(f"expected a JSON object, got {type(config).__name__}")
        LeNetConfig.from_dict(config)
    except (TypeError, ValueError, AttributeError) as exc:
        raise StoreError(f"{folder / 'config.json'} is invalid: {exc}") from exc
    _check_history(_read_json(folder / "history.json"), folder / "history.json")
    _check_report(_read_json(folder / "report.json"), folder / "report.json")
    _check_keras_archive(folder / "model.keras")
    if (folder / "model.tflite").exists():  # made on first use when missing
        _check_tflite(folder / "model.tflite")
    if (folder / "c1_filters.npy").exists():
        _check_filters(folder / "c1_filters.npy")
    return card


# folder -> (its files' names, sizes and mtimes; the card fields or the StoreError)
_VALIDATED: dict[str, tuple[tuple[Any, ...], dict[str, Any] | StoreError]] = {}


def _signature(folder: Path) -> tuple[Any, ...]:
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries))
    except OSError:
        return ()


def validated_card(folder: Path) -> dict[str, Any]:
    """The card fields of an entry whose every file was checked (types, not only presence).

    The result is cached until a file of the folder changes (name, size or mtime), so a
    listing on every page run costs one ``scandir`` per entry.

    Raises:
        StoreError: a file is missing or invalid; the message names it.
    """
    signature = _signature(folder)
    cached = _VALIDATED.get(str(folder))
    if cached is None or cached[0] != signature:
        try:
            result: dict[str, Any] | StoreError = _validate(folder)
        except StoreError as exc:
            result = exc
        cached = _VALIDATED[str(folder)] = (signature, result)
    if isinstance(cached[1], StoreError):
        raise StoreError(str(cached[1]))
    return dict(cached[1])


STALE_AFTER_S = 600  # a save takes seconds: an older temporary folder was left by a crash
_TEMP_RE = re.compile(r"^\.(?P<name>[a-z0-9][a-z0-9._-]{0,63})\.(?P<kind>tmp|old|del)-(?P<pid>\d+)")
_CLEANED: set[str] = set()


def clean_stale_temporaries(root: Path, now: float | None = None) -> list[str]:
    """Remove the hidden folders a killed save or delete left in ``root``.

    Saves write ``.NAME.tmp-PID-*``, replacing saves ``.NAME.old-PID`` and deletes
    ``.NAME.del-PID``. One is removed when its process is gone or it is older than
    ``STALE_AFTER_S``, so a save running now (in this or another process) is left alone; an
    ``.old-`` folder whose entry is missing is the only copy and is renamed back instead.

    Returns:
        The names of the folders removed.
    """
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if age <= STALE_AFTER_S and pid_alive(int(match["pid"])):
            continue
        final = root / match["name"]
        if match["kind"] == "old" and not final.exists():
            # Killed between moving the old entry aside and moving the new one in: the old
            # one is the only copy, so it goes back rather than away.
            try:
                os.replace(entry.path, final)
                continue
            except OSError:
                continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.name)
    return removed


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


# What ``storage_problem`` says, found again in a job's error message.
STORAGE_FAILURE = re.compile(r"the disk holding .* is full|is read-only")


def storage_problem(exc: BaseException, where: Path) -> str | None:
    """'the disk ... is full' or '... is read-only' when that caused ``exc``, else None."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "errno", None)
        if code == errno.ENOSPC or "No space left" in str(seen):
            return f"the disk holding {where} is full"
        if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "Read-only file system" in str(seen):
            return f"{where} is read-only"
        seen = seen.__cause__ or seen.__context__
    return None


class ModelStore:
    """Bundled and user models by name; user names may not shadow bundled ones."""

    def __init__(
        self,
        home: Path | None = None,
        bundled_root: Path | None | _Default = _Default.FROM_ENV,
    ) -> None:
        """Open the store.

        Args:
            home: the user's folder (``LENET_HOME`` by default); models live in ``home/models``.
            bundled_root: the read-only bundled models (``default_bundled_root()`` by default), or
                ``None`` for none.
        """
        self.home = Path(home) if home is not None else lenet_home()
        self.user_root = self.home / "models"
        self.bundled_root = (
            default_bundled_root() if bundled_root is _Default.FROM_ENV else bundled_root
        )
        if str(self.user_root) not in _CLEANED:  # once per process: stores are made often
            _CLEANED.add(str(self.user_root))
            clean_stale_temporaries(self.user_root)

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
        """Whether ``name`` is one of the bundled, read-only models."""
        return self.bundled_root is not None and (self.bundled_root / name).is_dir()

    def names(self) -> list[str]:
        """The names of all entries, bundled first, each root sorted."""
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
        return ModelCard(
            name=name, bundled=self.is_bundled(name), path=str(folder), **validated_card(folder)
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
        """A model's configuration; raises ``StoreError`` when it is missing or invalid."""
        try:
            return LeNetConfig.from_dict(_read_json(self.path(name) / "config.json"))
        except (TypeError, ValueError) as exc:
            raise StoreError(f"config.json of {name!r} is invalid: {exc}") from exc

    def history(self, name: str) -> builtins.list[dict[str, float]]:
        """A model's training history: one dict of metrics per epoch."""
        return _read_json(self.path(name) / "history.json")

    def report(self, name: str) -> Report:
        """A model's test report; raises ``StoreError`` when it is missing or invalid."""
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
        history: builtins.list[dict[str, float]],
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
        tmp: Path | None = None
        try:
            root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}.tmp-{os.getpid()}-"))
            model.save(tmp / "model.keras")
            _fsync_file(tmp / "model.keras")
            for filename, make in DERIVED.items():
                write_synced(tmp / filename, make(model))
            config_json = json.dumps(config.to_dict(), indent=1, sort_keys=True)
            write_synced(tmp / "config.json", config_json.encode())
            write_synced(tmp / "history.json", json.dumps(history, indent=1).encode())
            write_synced(tmp / "report.json", report.to_json().encode())
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
            write_synced(tmp / "card.json", json.dumps(card, indent=1).encode())
            fsync_dir(tmp)  # the files' names are on disk before the folder is renamed
            if final.exists():
                old = final.with_name(f".{name}.old-{os.getpid()}")
                os.replace(final, old)
                try:
                    os.replace(tmp, final)
                except BaseException:
                    os.replace(old, final)  # put the previous entry back
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, final)
            fsync_dir(root)
        except BaseException as exc:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, Exception):
                problem = storage_problem(exc, root) or str(exc)
                raise StoreError(f"saving {name!r} failed, nothing was written: {problem}") from exc
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
        write_json(folder / "card.json", card)

    def delete(self, name: str) -> None:
        """Delete a user model. Bundled models cannot be deleted."""
        if self.is_bundled(name):
            raise StoreError(f"{name!r} is bundled and cannot be deleted")
        folder = self.path(name)
        trash = folder.with_name(f".{name}.del-{os.getpid()}")
        os.replace(folder, trash)  # one rename: the entry disappears at once
        shutil.rmtree(trash, ignore_errors=True)
