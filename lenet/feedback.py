"""Your drawings: digits drawn on the Draw page, kept with their true label as a personal test set.

Each drawing is one row of a local SQLite database, by default ``LENET_HOME/drawings.sqlite3``::

    meta(key TEXT PRIMARY KEY, value TEXT)        -- ('schema_version', '2')
    drawings(id INTEGER PRIMARY KEY, created TEXT, digit INTEGER CHECK(digit BETWEEN 0 AND 9),
             image BLOB, predictions TEXT, raw_png BLOB NULL)

``image`` holds the 784 raw bytes of the preprocessed (28, 28) uint8 image, ``predictions`` a JSON
object {model name: predicted digit}, ``raw_png`` the canvas as a small grey PNG. Schema version 1
is the same without ``raw_png``; it is upgraded in place when opened. Every write is one
transaction, so a crash never leaves a half-written row or a half-done import. The drawings
export to, and import from, an ``.npz`` in the layout of ``keras.datasets.mnist`` (``npzfile``);
a model's answers on them are ``evaluate.predict_digits``.

Only the standard library, NumPy and Pillow: never TensorFlow or Streamlit.
"""

from __future__ import annotations

import errno
import io
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from lenet import npzfile
from lenet.files import lenet_home

SCHEMA_VERSION = 2
FILENAME = "drawings.sqlite3"
IMAGE_SHAPE = (28, 28)
IMAGE_BYTES = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
RAW_MAX_SIDE = 140  # the stored canvas is at most 140x140: enough to see, ~2-5 KB as a PNG
FLOAT_SLACK = 1e-5

_CREATE_META = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_CREATE_DRAWINGS = """
CREATE TABLE drawings (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    digit INTEGER NOT NULL CHECK (digit BETWEEN 0 AND 9),
    image BLOB NOT NULL,
    predictions TEXT NOT NULL DEFAULT '{}',
    raw_png BLOB
)"""
_COLUMNS = ("id", "created", "digit", "image", "predictions", "raw_png")


class FeedbackError(Exception):
    """A drawings database or import file that cannot be used; the message says which and why."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing ndarray fields elementwise is ambiguous
class Drawing:
    """One saved drawing."""

    id: int
    created: str  # ISO-8601 UTC, seconds
    digit: int  # the true digit the person gave, 0-9
    image: np.ndarray  # (28, 28) uint8, read-only: the preprocessed MNIST-like form
    predictions: dict[str, int]  # model name -> predicted digit at the time
    raw_png: bytes | None  # the raw canvas, grey, at most 140x140, PNG


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    added: int  # new drawings stored
    already: int  # drawings skipped: the same image and label were already stored

    def message(self) -> str:
        """One sentence for the page.

        For example 'Imported 3 new drawings; 2 were already there.'
        """
        added = f"{self.added:,} new drawing{'' if self.added == 1 else 's'}"
        if not self.already:
            return f"Imported {added}."
        already = "1 was" if self.already == 1 else f"{self.already:,} were"
        return f"Imported {added}; {already} already there."


# --- validation and encoding ---
def _check_digit(digit: object, name: str = "digit") -> int:
    if isinstance(digit, bool) or not isinstance(digit, int | np.integer) or not 0 <= digit <= 9:
        raise ValueError(f"{name}={digit!r} is invalid: expected an integer 0-9")
    return int(digit)


def _image_bytes(image: np.ndarray) -> bytes:
    """(28, 28) float in [0, 1] or integers in 0..255 -> 784 raw uint8 bytes."""
    image = np.asarray(image)
    if image.shape != IMAGE_SHAPE:
        raise ValueError(f"image has shape {image.shape}, expected {IMAGE_SHAPE}")
    if image.dtype == np.uint8:
        return np.ascontiguousarray(image).tobytes()
    if np.issubdtype(image.dtype, np.floating):
        if not np.all(np.isfinite(image)):
            raise ValueError("image has NaN or infinite values, expected floats in [0, 1]")
        # A little slack: float32 arithmetic (e.g. ``x * (1 / x.max())``) can land just past 1.
        if image.min() < -FLOAT_SLACK or image.max() > 1 + FLOAT_SLACK:
            raise ValueError(
                f"image has values in [{image.min()}, {image.max()}], expected floats in [0, 1]"
            )
        return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8).tobytes()
    if np.issubdtype(image.dtype, np.integer):
        if image.min() < 0 or image.max() > 255:
            raise ValueError(
                f"image has values in [{image.min()}, {image.max()}], expected integers 0..255"
            )
        return image.astype(np.uint8).tobytes()
    raise ValueError(f"image has dtype {image.dtype}, expected uint8 or float in [0, 1]")


def _check_predictions(predictions: object) -> dict[str, int]:
    if not isinstance(predictions, dict):
        raise ValueError(f"predictions={predictions!r} is invalid: expected a dict name -> digit")
    checked = {}
    for name, digit in predictions.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"predictions has model name {name!r}, expected a non-empty string")
        checked[name] = _check_digit(digit, f"predictions[{name!r}]")
    return checked


def _grey(raw: np.ndarray) -> np.ndarray:
    """(H, W) uint8 holding the ink: alpha where it varies, else luminance (as ``preprocess``)."""
    if raw.ndim == 2:
        return raw
    if raw.shape[2] == 1:
        return raw[..., 0]
    if raw.shape[2] == 4 and raw[..., 3].min() != raw[..., 3].max():
        return raw[..., 3]
    return np.asarray(Image.fromarray(np.ascontiguousarray(raw[..., :3])).convert("L"))


def _raw_png(raw: np.ndarray) -> bytes:
    """A canvas array (H, W[, C]) uint8 -> a grey PNG at most ``RAW_MAX_SIDE`` on a side."""
    raw = np.asarray(raw)
    if raw.dtype != np.uint8:
        raise ValueError(f"raw has dtype {raw.dtype}, expected uint8")
    shaped = raw.ndim == 2 or (raw.ndim == 3 and raw.shape[2] in (1, 3, 4))
    if not shaped or raw.shape[0] == 0 or raw.shape[1] == 0:
        raise ValueError(f"raw has shape {raw.shape}, expected (H, W) or (H, W, 1|3|4), H, W > 0")
    picture = Image.fromarray(np.ascontiguousarray(_grey(raw)))
    picture.thumbnail((RAW_MAX_SIDE, RAW_MAX_SIDE), Image.Resampling.LANCZOS)  # only shrinks
    buf = io.BytesIO()
    picture.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- the npz interchange format ---
MAX_IMPORT = 20_000  # drawings one import accepts: twice the MNIST test set, ~16 MB of images
MAX_IMPORT_BYTES = 256 * 2**20  # an import file larger than this is refused unread


def _npz_rows(source: str | os.PathLike[str] | bytes) -> tuple[np.ndarray, np.ndarray]:
    """Read and check a Keras-layout npz (``npzfile.read_rows``), at most ``MAX_IMPORT`` rows."""
    where = "the uploaded file" if isinstance(source, bytes | bytearray) else str(source)
    try:
        return npzfile.read_rows(source, MAX_IMPORT, MAX_IMPORT_BYTES)
    except npzfile.NpzError as exc:
        raise FeedbackError(f"cannot import {where}: {exc}; nothing was imported") from exc


# --- the store ---
BUSY_TIMEOUT_S = 5.0  # how long a write or read waits for another program's lock
# SQLite primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a file, or None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


class FeedbackStore:
    """The saved drawings in one SQLite file. Thread-safe: one connection behind a lock.

    If the file is deleted or replaced while the store is open (by hand, or by another
    program), the next call notices and opens the file now at that path (a new, empty
    database if there is none), rather than writing into a file that no longer has a name.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, busy_timeout: float = BUSY_TIMEOUT_S
    ) -> None:
        """Open the database, creating it (and its folder) or upgrading an older one.

        Args:
            path: the database file; ``LENET_HOME/drawings.sqlite3`` by default.
            busy_timeout: seconds to wait when another program holds a lock on the file.

        Raises:
            FeedbackError: the file is locked by another program (busy: try again), cannot be
                created (full or read-only disk), is not a drawings database or was written by
                a newer version; the message says which, where the file is, and never advises
                deleting it.
        """
        self.path = Path(path) if path is not None else lenet_home() / FILENAME
        self.busy_timeout = float(busy_timeout)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None
        with self._lock:
            self._open()

    def _open(self) -> None:
        """(Re)connect to ``self.path`` and check or create its schema."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; ``_transaction`` opens each one.
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                check_same_thread=False,
                isolation_level=None,
            )
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc, "open") from exc
        self._conn = conn
        try:
            self._migrate()
        except BaseException:
            conn.close()
            self._conn = None
            raise
        self._file = _file_id(self.path)

    def _unusable(self, problem: str) -> FeedbackError:
        return FeedbackError(
            f"the drawings database {self.path} cannot be used: {problem}. Your drawings in it "
            f"are kept; to start a new, empty one, move that file aside, e.g. "
            f"`mv '{self.path}' '{self.path}.bak'`, and reload the page"
        )

    def _error(self, exc: BaseException, doing: str) -> FeedbackError:
        """One clear sentence for an SQLite or OS error met while ``doing`` something."""
        code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
        where = f"the drawings database {self.path}"
        if code in (_BUSY, _LOCKED):
            return FeedbackError(
                f"{where} is busy: another program is using it (waited "
                f"{self.busy_timeout:g} s for it); nothing was lost, try again in a moment"
            )
        if code == _FULL or getattr(exc, "errno", None) == errno.ENOSPC:
            return FeedbackError(
                f"cannot {doing} {where}: the disk is full; nothing was changed, free some "
                "space and try again"
            )
        if code in (_READONLY, _CANTOPEN) or getattr(exc, "errno", None) in (
            errno.EROFS,
            errno.EACCES,
        ):
            return FeedbackError(
                f"cannot {doing} {where}: the file or its folder is read-only; nothing was changed"
            )
        if code in (_NOTADB, _CORRUPT):
            return self._unusable(f"it is not a readable SQLite database ({exc})")
        return FeedbackError(f"cannot {doing} {where}: {exc}")

    def _current(self) -> sqlite3.Connection:
        """The connection, reopened first if the file was deleted or replaced since."""
        if self._conn is None or _file_id(self.path) != self._file:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._open()
        assert self._conn is not None
        return self._conn

    @contextmanager
    def _db(self, doing: str = "read") -> Iterator[sqlite3.Connection]:
        """The current connection under the lock; SQLite errors become ``FeedbackError``."""
        with self._lock:
            conn = self._current()
            try:
                yield conn
            except (sqlite3.Error, OSError) as exc:
                raise self._error(exc, doing) from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any exception."""
        with self._db("write to") as conn, conn:  # the connection's ``with`` commits or rolls back
            conn.execute("BEGIN IMMEDIATE")  # take the write lock now, not mid-way
            yield conn

    def _migrate(self) -> None:
        assert self._conn is not None
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                self._migrate_in(self._conn)
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from exc

    def _migrate_in(self, conn: sqlite3.Connection) -> None:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            conn.execute(_CREATE_META)
            conn.execute(_CREATE_DRAWINGS)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            return
        if "meta" not in tables:
            raise self._unusable(f"it has no meta table (tables: {sorted(tables)})")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise self._unusable(f"its schema_version is {row and row[0]!r}") from None
        if version > SCHEMA_VERSION:
            raise self._unusable(
                f"it was written by a newer lenet-studio (schema version {version}; this one "
                f"reads up to {SCHEMA_VERSION}). Upgrade lenet-studio to keep the drawings"
            )
        if version < 1:
            raise self._unusable(f"its schema_version is {version}")
        if "drawings" not in tables:
            raise self._unusable("it has no drawings table")
        if version == 1:
            conn.execute("ALTER TABLE drawings ADD COLUMN raw_png BLOB")
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                (str(SCHEMA_VERSION),),
            )
        columns = {r[1] for r in conn.execute("PRAGMA table_info(drawings)")}
        if missing := [c for c in _COLUMNS if c not in columns]:
            raise self._unusable(f"its drawings table lacks column(s) {', '.join(missing)}")

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    # --- writing ---
    def add(
        self,
        digit: int,
        image: np.ndarray,
        predictions: dict[str, int],
        raw: np.ndarray | None = None,
    ) -> int:
        """Save one drawing.

        Args:
            digit: the true digit, 0-9.
            image: the preprocessed image, (28, 28) float in [0, 1] or uint8.
            predictions: model name -> the digit it predicted.
            raw: the canvas, (H, W) or (H, W, C) uint8, kept as a grey PNG of at most 140x140;
                or None.

        Returns:
            The new drawing's id.

        Raises:
            ValueError: an argument is invalid; the message names it.
        """
        row = (
            _now(),
            _check_digit(digit),
            _image_bytes(image),
            json.dumps(_check_predictions(predictions), sort_keys=True),
            None if raw is None else _raw_png(raw),
        )
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO drawings (created, digit, image, predictions, raw_png) "
                "VALUES (?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid or 0)

    def delete(self, drawing_id: int) -> None:
        """Delete one drawing.

        Raises:
            FeedbackError: there is no drawing with that id.
        """
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM drawings WHERE id = ?", (int(drawing_id),))
            if deleted.rowcount == 0:
                raise FeedbackError(f"no drawing with id {drawing_id!r}")

    def delete_all(self) -> int:
        """Delete every drawing; returns how many there were."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM drawings").rowcount

    # --- reading ---
    def _row(self, row: tuple[Any, ...]) -> Drawing:
        drawing_id, created, digit, image, predictions, raw_png = row
        try:
            if len(image) != IMAGE_BYTES:
                raise ValueError(f"image has {len(image)} bytes, expected {IMAGE_BYTES}")
            decoded = json.loads(predictions)
            if not isinstance(decoded, dict):
                raise ValueError(f"predictions is {decoded!r}, expected a JSON object")
            return Drawing(
                id=drawing_id,
                created=created,
                digit=digit,
                image=np.frombuffer(image, np.uint8).reshape(IMAGE_SHAPE),
                predictions={str(k): int(v) for k, v in decoded.items()},
                raw_png=raw_png,
            )
        except (TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise self._unusable(f"drawing {drawing_id} is corrupt ({exc})") from exc

    def all(self, digit: int | None = None) -> list[Drawing]:
        """The drawings, oldest first; only those of ``digit`` if given."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM drawings"
        if digit is None:
            args: tuple[int, ...] = ()
        else:
            query, args = query + " WHERE digit = ?", (_check_digit(digit),)
        with self._db() as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [self._row(row) for row in rows]

    def count(self) -> int:
        """How many drawings there are."""
        with self._db() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM drawings").fetchone()[0])

    def revision(self) -> tuple[int, int, int]:
        """A value that changes whenever drawings are added or deleted (a cache key)."""
        with self._db() as conn:
            n, last, total = conn.execute(
                "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(id), 0) FROM drawings"
            ).fetchone()
        return int(n), int(last), int(total)

    def counts(self) -> list[int]:
        """How many drawings there are of each digit: ten counts, 0 first."""
        found = [0] * 10
        with self._db() as conn:
            for digit, n in conn.execute("SELECT digit, COUNT(*) FROM drawings GROUP BY digit"):
                found[digit] = n
        return found

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every drawing as a labelled set, oldest first.

        Returns:
            x: (N, 28, 28) uint8 images; y: (N,) uint8 true digits.
        """
        with self._db() as conn:
            rows = conn.execute("SELECT image, digit FROM drawings ORDER BY id").fetchall()
        if any(len(image) != IMAGE_BYTES for image, _ in rows):
            raise self._unusable("a drawing's image is not 784 bytes")
        x = np.frombuffer(b"".join(image for image, _ in rows), np.uint8).reshape(-1, *IMAGE_SHAPE)
        return x.copy(), np.array([digit for _, digit in rows], dtype=np.uint8)

    # --- exchange ---
    def export_npz(self, path: str | os.PathLike[str]) -> int:
        """Write every drawing to an ``.npz`` in the layout of ``keras.datasets.mnist``.

        The drawings are ``x_test``/``y_test``; ``x_train``/``y_train`` are present and empty, so
        readers that expect all four keys accept the file. The write is atomic.

        Args:
            path: the file to write (replaced if it exists).

        Returns:
            How many drawings were written.

        Raises:
            FeedbackError: the file cannot be written (nothing is left behind).
        """
        x, y = self.arrays()
        target = Path(path)
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        except OSError as exc:
            raise FeedbackError(f"cannot write {target}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as f:  # a file object: savez would add ".npz" to a name
                npzfile.write_test_split(f, x, y)
            os.replace(tmp, target)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise FeedbackError(f"cannot write {target}: {exc}") from exc
            raise
        return len(y)

    def import_npz(self, source: str | os.PathLike[str] | bytes) -> ImportResult:
        """Add every image of a Keras-layout ``.npz`` as a drawing (without predictions).

        A drawing already stored (the same image with the same label), or repeated in the
        file, is skipped, so importing your own export again adds nothing.

        Args:
            source: a path, or the file's bytes (e.g. from ``st.file_uploader``). It holds
                ``x_test``/``y_test`` and/or ``x_train``/``y_train``: (N, 28, 28) integers in
                0..255 and (N,) labels 0-9, at most ``MAX_IMPORT`` rows in all. All rows are
                read, train first.

        Returns:
            How many drawings were added and how many were already there.

        Raises:
            FeedbackError: the file is unreadable, invalid or too large, or the database cannot
                be written (busy, disk full); nothing is imported.
        """
        x, y = _npz_rows(source)
        created = _now()
        with self._transaction() as conn:
            seen = {
                (int(d), bytes(im)) for d, im in conn.execute("SELECT digit, image FROM drawings")
            }
            rows = []
            for im, d in zip(x, y, strict=True):
                key = (int(d), im.tobytes())
                if key not in seen:
                    seen.add(key)
                    rows.append((created, key[0], key[1], "{}"))
            conn.executemany(
                "INSERT INTO drawings (created, digit, image, predictions) VALUES (?, ?, ?, ?)",
                rows,
            )
        return ImportResult(added=len(rows), already=len(y) - len(rows))
