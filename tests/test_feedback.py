"""The drawings store: SQLite round trips, npz exchange, migration and crash safety."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lenet import feedback
from lenet.evaluate import predict_digits
from lenet.feedback import SCHEMA_VERSION, Drawing, FeedbackError, FeedbackStore

ROOT = Path(__file__).resolve().parents[1]


def image_of(seed: int) -> np.ndarray:
    """(28, 28) uint8, different for every seed."""
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def canvas(height: int = 280, width: int = 280) -> np.ndarray:
    """(H, W, 4) like ``st_canvas(...).image_data``: RGBA, opaque, a white stroke on black."""
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[height // 4 : 3 * height // 4, width // 2 - 10 : width // 2 + 10, :3] = 255
    return rgba


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[FeedbackStore]:
    opened = FeedbackStore(tmp_path / "drawings.sqlite3")
    yield opened
    opened.close()


def fill(store: FeedbackStore, digits: list[int]) -> list[int]:
    return [store.add(d, image_of(i), {"tiny": d}) for i, d in enumerate(digits)]


# --- insert and query ---
def test_add_and_read_back_round_trips_every_field(store: FeedbackStore) -> None:
    img = image_of(1)
    first = store.add(7, img, {"tiny": 1, "other": 7}, raw=canvas())
    second = store.add(3, img.astype(np.float32) / 255, {})
    drawings = store.all()
    assert [d.id for d in drawings] == [first, second] and first != second
    one, two = drawings
    assert isinstance(one, Drawing) and one.digit == 7 and two.digit == 3
    assert one.image.dtype == np.uint8 and one.image.shape == (28, 28)
    np.testing.assert_array_equal(one.image, img)
    np.testing.assert_array_equal(two.image, img)  # float [0, 1] stored as the same bytes
    assert one.predictions == {"tiny": 1, "other": 7} and two.predictions == {}
    assert one.created.endswith("+00:00") and len(one.created) == len("2024-01-01T00:00:00+00:00")
    assert two.raw_png is None
    with Image.open(io.BytesIO(one.raw_png)) as png:
        assert png.format == "PNG" and png.mode == "L" and png.size == (140, 140)
        ink = np.asarray(png)
    assert ink[70, 70] > 200 and ink[5, 5] < 20  # the white stroke on black survives


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((280, 280, 4), (140, 140)), ((400, 200, 3), (70, 140)), ((60, 90), (90, 60))],
)
def test_raw_canvas_is_stored_grey_and_at_most_140_pixels(
    store: FeedbackStore, shape: tuple[int, ...], expected: tuple[int, int]
) -> None:
    raw = np.full(shape, 255, np.uint8)
    store.add(0, image_of(0), {}, raw=raw)
    with Image.open(io.BytesIO(store.all()[0].raw_png)) as png:
        assert png.mode == "L" and png.size == expected


@pytest.mark.parametrize(
    ("value", "stored"),
    [(0.0, 0), (0.5, 128), (1.0, 255), (np.float32(1) + np.float32(1e-7), 255), (-1e-7, 0)],
)
def test_float_images_are_scaled_to_uint8(store: FeedbackStore, value: float, stored: int) -> None:
    store.add(2, np.full((28, 28), value, np.float32), {})
    assert store.all()[0].image.tolist() == np.full((28, 28), stored).tolist()


def test_image_cannot_be_changed_through_a_drawing(store: FeedbackStore) -> None:
    store.add(1, image_of(1), {})
    with pytest.raises(ValueError):
        store.all()[0].image[0, 0] = 1


def test_counts_and_filter_by_digit(store: FeedbackStore) -> None:
    ids = fill(store, [3, 1, 3, 9, 3])
    assert store.count() == 5
    assert store.counts() == [0, 1, 0, 3, 0, 0, 0, 0, 0, 1]
    threes = store.all(digit=3)
    assert [d.id for d in threes] == [ids[0], ids[2], ids[4]]
    assert all(d.digit == 3 for d in threes) and store.all(digit=5) == []


def test_empty_store(store: FeedbackStore) -> None:
    x, y = store.arrays()
    assert store.count() == 0 and store.counts() == [0] * 10 and store.all() == []
    assert x.shape == (0, 28, 28) and x.dtype == np.uint8 and y.shape == (0,)


def test_arrays_are_oldest_first(store: FeedbackStore) -> None:
    fill(store, [5, 0, 2])
    x, y = store.arrays()
    assert x.dtype == np.uint8 and y.dtype == np.uint8 and x.shape == (3, 28, 28)
    np.testing.assert_array_equal(y, [5, 0, 2])
    np.testing.assert_array_equal(x, np.stack([image_of(i) for i in range(3)]))


def test_default_path_is_under_lenet_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LENET_HOME", str(tmp_path / "home" / "deeper"))
    opened = FeedbackStore()
    assert opened.path == tmp_path / "home" / "deeper" / "drawings.sqlite3"
    assert opened.path.is_file()
    opened.close()


def test_rows_persist_across_stores(tmp_path: Path) -> None:
    first = FeedbackStore(tmp_path / "d.sqlite3")
    fill(first, [4, 2])
    first.close()
    again = FeedbackStore(tmp_path / "d.sqlite3")
    assert [d.digit for d in again.all()] == [4, 2]
    again.close()


# --- invalid input ---
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"digit": 10}, "digit=10"),
        ({"digit": -1}, "digit=-1"),
        ({"digit": 3.0}, "digit=3.0"),
        ({"digit": True}, "digit=True"),
        ({"image": np.zeros((27, 28), np.uint8)}, r"\(27, 28\)"),
        ({"image": np.zeros((28, 28, 1), np.uint8)}, r"\(28, 28, 1\)"),
        ({"image": np.full((28, 28), np.nan, np.float32)}, "NaN"),
        ({"image": np.full((28, 28), 2.0)}, "2.0"),
        ({"image": np.full((28, 28), 300, np.int64)}, "300"),
        ({"predictions": {"tiny": 12}}, "12"),
        ({"predictions": {3: 1}}, "3"),
        ({"predictions": [1]}, r"\[1\]"),
        ({"raw": np.zeros((10, 10), np.float32)}, "float32"),
        ({"raw": np.zeros((10, 10, 2), np.uint8)}, r"\(10, 10, 2\)"),
        ({"raw": np.zeros((0, 10), np.uint8)}, r"\(0, 10\)"),
    ],
)
def test_add_rejects_invalid_input_naming_it(
    store: FeedbackStore, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"digit": 1, "image": image_of(0), "predictions": {"tiny": 1}}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        store.add(**args)  # type: ignore[arg-type]
    assert store.count() == 0


# --- delete ---
def test_delete_one_then_unknown_then_all(store: FeedbackStore) -> None:
    ids = fill(store, [1, 2, 3])
    store.delete(ids[1])
    assert [d.digit for d in store.all()] == [1, 3]
    with pytest.raises(FeedbackError, match=str(ids[1])):
        store.delete(ids[1])
    with pytest.raises(FeedbackError, match="12345"):
        store.delete(12345)
    assert store.count() == 2
    assert store.delete_all() == 2
    assert store.count() == 0 and store.delete_all() == 0


# --- export and import ---
def test_export_has_the_keras_layout(store: FeedbackStore, tmp_path: Path) -> None:
    fill(store, [8, 6, 8])
    target = tmp_path / "out" / "mine.npz"
    target.parent.mkdir()
    assert store.export_npz(target) == 3
    with np.load(target, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert npz["x_train"].shape == (0, 28, 28) and npz["x_train"].dtype == np.uint8
        assert npz["y_train"].shape == (0,) and npz["y_train"].dtype == np.uint8
        x, y = store.arrays()
        assert npz["x_test"].dtype == np.uint8 and npz["y_test"].dtype == np.uint8
        np.testing.assert_array_equal(npz["x_test"], x)
        np.testing.assert_array_equal(npz["y_test"], [8, 6, 8])
    assert sorted(p.name for p in target.parent.iterdir()) == ["mine.npz"]  # no temp file left


def test_export_to_a_missing_folder_is_a_feedback_error(
    store: FeedbackStore, tmp_path: Path
) -> None:
    with pytest.raises(FeedbackError, match="no-such-folder"):
        store.export_npz(tmp_path / "no-such-folder" / "mine.npz")


@pytest.mark.parametrize("as_bytes", [False, True])
def test_export_import_round_trip(store: FeedbackStore, tmp_path: Path, as_bytes: bool) -> None:
    fill(store, [0, 9, 4, 4])
    assert store.export_npz(tmp_path / "mine.npz") == 4
    other = FeedbackStore(tmp_path / "other.sqlite3")
    source = (tmp_path / "mine.npz").read_bytes() if as_bytes else tmp_path / "mine.npz"
    assert other.import_npz(source).added == 4
    x, y = other.arrays()
    x0, y0 = store.arrays()
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    assert all(d.predictions == {} and d.raw_png is None for d in other.all())
    other.close()


def test_import_accepts_train_and_test_and_integer_arrays(store: FeedbackStore) -> None:
    source = npz_bytes(
        x_train=np.stack([image_of(1), image_of(2)]).astype(np.int64),
        y_train=np.array([1, 2], np.int32),
        x_test=image_of(3)[None],
        y_test=np.array([3], np.uint8),
    )
    assert store.import_npz(source).added == 3
    assert [d.digit for d in store.all()] == [1, 2, 3]
    np.testing.assert_array_equal(store.arrays()[0][0], image_of(1))


def test_import_of_the_small_mnist_fixture(store: FeedbackStore, small_mnist) -> None:
    x_train, y_train, x_test, y_test = small_mnist
    assert store.import_npz(ROOT / "tests" / "fixtures" / "mnist_small.npz").added == len(
        x_train
    ) + len(x_test)
    x, y = store.arrays()
    np.testing.assert_array_equal(x, np.concatenate([x_train, x_test]))
    assert store.counts() == np.bincount(np.concatenate([y_train, y_test]), minlength=10).tolist()


def _zip_without_arrays() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("hello.txt", "not an array")
    return buf.getvalue()


GOOD_X = np.stack([image_of(5), image_of(6)])
GOOD_Y = np.array([5, 6], np.uint8)
BAD_FILES = {
    "garbage": (b"\x00\x01garbage" * 40, "not an .npz"),
    "empty": (b"", "not an .npz"),
    "zip without arrays": (_zip_without_arrays(), "hello.txt"),
    "missing labels": (npz_bytes(x_test=GOOD_X), "y_test is missing"),
    "other keys": (npz_bytes(images=GOOD_X, labels=GOOD_Y), "no x_test"),
    "32x32 images": (npz_bytes(x_test=np.zeros((2, 32, 32), np.uint8), y_test=GOOD_Y), "32"),
    "label 10": (npz_bytes(x_test=GOOD_X, y_test=np.array([5, 10], np.uint8)), "label 10"),
    "negative label": (npz_bytes(x_test=GOOD_X, y_test=np.array([-1, 5])), "label -1"),
    "float labels": (npz_bytes(x_test=GOOD_X, y_test=GOOD_Y.astype(float)), "float64"),
    "float images": (npz_bytes(x_test=np.full((2, 28, 28), 0.5), y_test=GOOD_Y), "float64"),
    "images over 255": (
        npz_bytes(x_test=np.full((2, 28, 28), 256, np.int32), y_test=GOOD_Y),
        "256",
    ),
    "mismatched lengths": (npz_bytes(x_test=GOOD_X, y_test=GOOD_Y[:1]), r"\(1,\)"),
    "object arrays": (npz_bytes(x_test=np.array([None, 1], dtype=object), y_test=GOOD_Y), "pickle"),
    "truncated": (npz_bytes(x_test=GOOD_X, y_test=GOOD_Y)[:300], "unreadable"),
    # the good split must not be imported when the other split is bad
    "good train, bad test": (
        npz_bytes(x_train=GOOD_X, y_train=GOOD_Y, x_test=GOOD_X, y_test=GOOD_Y + 5),
        "label 11",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize("as_path", [False, True])
def test_bad_import_files_are_refused_and_nothing_is_imported(
    store: FeedbackStore, tmp_path: Path, case: str, as_path: bool
) -> None:
    data, message = BAD_FILES[case]
    fill(store, [2])
    source: bytes | Path = data
    if as_path:
        source = tmp_path / "bad.npz"
        source.write_bytes(data)
    with pytest.raises(FeedbackError, match=message) as info:
        store.import_npz(source)
    assert "nothing was imported" in str(info.value)
    assert store.count() == 1 and store.counts()[2] == 1


def test_import_of_a_missing_file(store: FeedbackStore, tmp_path: Path) -> None:
    with pytest.raises(FeedbackError, match="unreadable"):
        store.import_npz(tmp_path / "absent.npz")


# --- schema: migration and unusable files ---
V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE drawings (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    digit INTEGER NOT NULL CHECK (digit BETWEEN 0 AND 9),
    image BLOB NOT NULL,
    predictions TEXT NOT NULL DEFAULT '{}'
);
"""


def test_version_1_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    with conn:
        conn.executemany(
            "INSERT INTO drawings (created, digit, image, predictions) VALUES (?, ?, ?, ?)",
            [
                ("2024-01-01T00:00:00+00:00", 6, image_of(6).tobytes(), json.dumps({"a": 5})),
                ("2024-01-02T00:00:00+00:00", 2, image_of(2).tobytes(), "{}"),
            ],
        )
    conn.close()

    upgraded = FeedbackStore(path)
    old = upgraded.all()
    assert [(d.id, d.digit, d.created) for d in old] == [
        (1, 6, "2024-01-01T00:00:00+00:00"),
        (2, 2, "2024-01-02T00:00:00+00:00"),
    ]
    np.testing.assert_array_equal(old[0].image, image_of(6))
    assert old[0].predictions == {"a": 5} and old[0].raw_png is None
    new = upgraded.add(1, image_of(1), {}, raw=canvas())
    assert upgraded.all(digit=1)[0].id == new and upgraded.all(digit=1)[0].raw_png
    upgraded.close()

    check = sqlite3.connect(path)
    version = check.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert int(version[0]) == SCHEMA_VERSION == 2
    assert "raw_png" in {row[1] for row in check.execute("PRAGMA table_info(drawings)")}
    check.close()
    reopened = FeedbackStore(path)  # opening an up-to-date file changes nothing
    assert reopened.count() == 3
    reopened.close()


def test_new_database_has_the_documented_schema(store: FeedbackStore) -> None:
    check = sqlite3.connect(store.path)
    version = check.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    columns = [row[1] for row in check.execute("PRAGMA table_info(drawings)")]
    assert int(version[0]) == SCHEMA_VERSION
    assert columns == ["id", "created", "digit", "image", "predictions", "raw_png"]
    with pytest.raises(sqlite3.IntegrityError):  # the CHECK guards writers other than this one
        with check:
            check.execute(
                "INSERT INTO drawings (created, digit, image) VALUES ('x', 10, ?)",
                (image_of(0).tobytes(),),
            )
    check.close()


def _set_version(path: Path, value: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    conn.close()


def _unusable_files() -> dict[str, object]:
    def newer(path: Path) -> None:
        FeedbackStore(path).close()
        _set_version(path, str(SCHEMA_VERSION + 1))

    def bad_version(path: Path) -> None:
        FeedbackStore(path).close()
        _set_version(path, "two")

    def other_sqlite(path: Path) -> None:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.close()

    def garbage(path: Path) -> None:
        path.write_bytes(b"this is not a database, just some bytes\n" * 100)

    def short_garbage(path: Path) -> None:
        path.write_bytes(b"junk")

    return {
        "newer version": (newer, "newer"),
        "unreadable version": (bad_version, "'two'"),
        "another sqlite file": (other_sqlite, "no meta table"),
        "garbage": (garbage, "not a readable SQLite database"),
        "short garbage": (short_garbage, "not a readable SQLite database"),
    }


UNUSABLE = _unusable_files()


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_unusable_database_says_where_it_is_and_to_move_it_aside(tmp_path: Path, case: str) -> None:
    make, message = UNUSABLE[case]
    path = tmp_path / "drawings.sqlite3"
    make(path)
    before = path.read_bytes()
    with pytest.raises(FeedbackError, match=message) as info:
        FeedbackStore(path)
    message = str(info.value)
    assert str(path) in message and f"mv '{path}' '{path}.bak'" in message
    assert "delete" not in message and "rm " not in message  # advice that would lose drawings
    assert path.read_bytes() == before  # refused, not "repaired"


# --- locks, and a file deleted or replaced under a running app ---
@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another program holding an exclusive lock on the database (like ``sqlite3`` mid-write)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_locked_database_is_busy_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "drawings.sqlite3"
    first = FeedbackStore(path)
    fill(first, [3, 4])
    first.close()
    before = path.read_bytes()
    with locked(path), pytest.raises(FeedbackError, match="busy") as info:
        FeedbackStore(path, busy_timeout=0.05)
    message = str(info.value)
    assert "try again" in message and "delete" not in message and "not a readable" not in message
    assert path.read_bytes() == before
    again = FeedbackStore(path, busy_timeout=0.2)  # the lock is gone: the drawings are there
    assert again.count() == 2
    again.close()


def test_a_lock_taken_after_opening_is_a_busy_feedback_error(tmp_path: Path) -> None:
    path = tmp_path / "drawings.sqlite3"
    store = FeedbackStore(path, busy_timeout=0.05)
    fill(store, [1, 2])
    with locked(path):
        for call in (store.all, store.count, store.counts, store.arrays, store.delete_all):
            with pytest.raises(FeedbackError, match="busy"):
                call()
        with pytest.raises(FeedbackError, match="busy"):
            store.add(5, image_of(5), {})
        with pytest.raises(FeedbackError, match="busy"):
            store.import_npz(npz_bytes(x_test=image_of(9)[None], y_test=np.array([9], np.uint8)))
    assert store.count() == 2  # nothing half-done
    store.close()


def test_a_database_deleted_while_open_is_recreated_not_readonly(tmp_path: Path) -> None:
    path = tmp_path / "drawings.sqlite3"
    store = FeedbackStore(path)
    fill(store, [1, 2, 3])
    path.unlink()
    store.add(7, image_of(7), {"tiny": 7})  # SQLite says "readonly database" on the old file
    assert [d.digit for d in store.all()] == [7] and path.is_file()
    assert FeedbackStore(path).count() == 1  # written to the new file, not the deleted one
    store.close()


def test_a_database_replaced_while_open_is_reopened(tmp_path: Path) -> None:
    path, other = tmp_path / "drawings.sqlite3", tmp_path / "other.sqlite3"
    store = FeedbackStore(path)
    fill(store, [1])
    elsewhere = FeedbackStore(other)
    fill(elsewhere, [4, 5])
    elsewhere.close()
    os.replace(other, path)  # e.g. a backup restored while the app runs
    assert [d.digit for d in store.all()] == [4, 5]
    store.close()


# --- crash safety and threads ---
def test_an_exception_inside_a_write_transaction_leaves_no_row(store: FeedbackStore) -> None:
    fill(store, [1])
    with pytest.raises(RuntimeError, match="crash"):
        with store._transaction() as conn:
            conn.execute(
                "INSERT INTO drawings (created, digit, image) VALUES ('now', 5, ?)",
                (image_of(5).tobytes(),),
            )
            raise RuntimeError("crash after the insert, before the commit")
    assert store.count() == 1 and store.counts()[5] == 0


CRASH_SCRIPT = """
import os, sys
import numpy as np
from lenet.feedback import FeedbackStore

store = FeedbackStore(sys.argv[1])
# Die like a killed process the moment the commit starts: the row is inserted, not committed.
store._conn.set_trace_callback(lambda sql: os._exit(3) if sql.startswith("COMMIT") else None)
store.add(4, np.zeros((28, 28), np.uint8), {"tiny": 4})
os._exit(0)
"""


def test_a_process_killed_mid_add_leaves_no_row(tmp_path: Path) -> None:
    path = tmp_path / "drawings.sqlite3"
    first = FeedbackStore(path)
    fill(first, [1, 2])
    first.close()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(path)], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 3, done.stderr.decode()  # 0 would mean it committed without COMMIT
    after = FeedbackStore(path)
    assert after.count() == 2 and after.counts()[4] == 0
    after.add(4, image_of(4), {})  # and the file is still writable
    assert after.count() == 3
    after.close()


def test_threads_can_share_one_store(store: FeedbackStore) -> None:
    def add_ten(worker: int) -> list[int]:
        return [store.add(worker, image_of(worker * 10 + i), {}) for i in range(10)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = [i for batch in pool.map(add_ten, range(4)) for i in batch]
    assert len(set(ids)) == 40 and store.count() == 40
    assert store.counts() == [10, 10, 10, 10, 0, 0, 0, 0, 0, 0]


def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    one, two = FeedbackStore(tmp_path / "d.sqlite3"), FeedbackStore(tmp_path / "d.sqlite3")
    one.add(3, image_of(3), {})
    assert two.count() == 1
    two.delete_all()
    assert one.count() == 0
    one.close()
    two.close()


# --- a model's answers on the drawings ---
def test_predict_digits_with_a_fake_model(store: FeedbackStore) -> None:
    for digit, guess in [(1, 1), (2, 2), (3, 8), (4, 4)]:
        img = np.zeros((28, 28), np.uint8)
        img[0, 0] = guess * 20  # the fake model reads its answer from this pixel
        store.add(digit, img, {})
    seen: list[np.ndarray] = []

    def predict(x: np.ndarray) -> np.ndarray:
        seen.append(x)
        return np.eye(10)[np.rint(x[:, 0, 0] * 255 / 20).astype(int)]

    predicted = predict_digits(np.stack([d.image for d in store.all()]), predict)
    np.testing.assert_array_equal(predicted, [1, 2, 8, 4])
    (x,) = seen
    assert x.dtype == np.float32 and x.shape == (4, 28, 28) and 0 <= x.min() and x.max() <= 1


def test_predict_digits_on_nothing_calls_no_model() -> None:
    none = np.zeros((0, 28, 28), np.uint8)
    assert predict_digits(none, lambda x: pytest.fail("predict called")).shape == (0,)


def test_predict_digits_rejects_a_predict_of_the_wrong_shape(store: FeedbackStore) -> None:
    fill(store, [1, 2])
    images = np.stack([d.image for d in store.all()])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        predict_digits(images, lambda x: np.zeros((len(x), 3)))


def test_module_never_imports_streamlit_or_tensorflow() -> None:
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, lenet.feedback; print(sorted(sys.modules))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "streamlit" not in imported and "tensorflow" not in imported
    assert feedback.FILENAME == "drawings.sqlite3"


# --- imports: repeated, capped, and checked before reading ---
def test_importing_your_own_export_again_adds_nothing(store: FeedbackStore, tmp_path: Path) -> None:
    fill(store, [1, 2, 3])
    store.export_npz(tmp_path / "mine.npz")
    again = store.import_npz(tmp_path / "mine.npz")
    assert (again.added, again.already) == (0, 3)
    assert again.message() == "Imported 0 new drawings; 3 were already there."
    assert store.count() == 3


def test_import_skips_only_the_same_image_with_the_same_label(store: FeedbackStore) -> None:
    store.add(1, image_of(1), {})
    source = npz_bytes(
        x_test=np.stack([image_of(1), image_of(1), image_of(2), image_of(2)]),
        y_test=np.array([1, 7, 2, 2], np.uint8),  # same image relabelled is new; a repeat is not
    )
    result = store.import_npz(source)
    assert (result.added, result.already) == (2, 2)
    assert result.message() == "Imported 2 new drawings; 2 were already there."
    assert sorted(d.digit for d in store.all()) == [1, 2, 7]
    assert feedback.ImportResult(1, 0).message() == "Imported 1 new drawing."
    assert feedback.ImportResult(12000, 0).message() == "Imported 12,000 new drawings."
    assert feedback.ImportResult(3, 1).message() == "Imported 3 new drawings; 1 was already there."


def _npz_declaring(n: int) -> bytes:
    """A small zip whose .npy headers declare n images and n labels but hold a few bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, shape in (("x_test", (n, 28, 28)), ("y_test", (n,))):
            npy = io.BytesIO()
            header = {"descr": "|u1", "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_1_0(npy, header)
            npy.write(b"\0" * 64)
            archive.writestr(f"{key}.npy", npy.getvalue())
    return buf.getvalue()


def test_a_tiny_file_declaring_a_huge_array_is_refused_unread(store: FeedbackStore) -> None:
    import tracemalloc

    data = _npz_declaring(36 * 2**30 // 784)  # 36 GiB of images
    assert len(data) < 2000
    tracemalloc.start()
    try:
        with pytest.raises(FeedbackError, match="at most 20,000") as info:
            store.import_npz(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "nothing was imported" in str(info.value)
    assert peak < 20 * 2**20  # refused from the header: nothing near the declared size read
    assert store.count() == 0


def test_an_import_over_the_cap_is_refused(store: FeedbackStore) -> None:
    blank = npz_bytes(
        x_test=np.zeros((feedback.MAX_IMPORT + 1, 28, 28), np.uint8),
        y_test=np.zeros((feedback.MAX_IMPORT + 1,), np.uint8),
    )
    with pytest.raises(FeedbackError, match="20,001"):
        store.import_npz(blank)
    assert store.count() == 0


def test_models_see_the_drawings_in_bounded_batches(store: FeedbackStore) -> None:
    sizes: list[int] = []

    def predict(x: np.ndarray) -> np.ndarray:
        sizes.append(len(x))
        return np.eye(10, dtype=np.float32)[np.zeros(len(x), int)]

    images = np.zeros((600, 28, 28), np.uint8)
    assert predict_digits(images, predict).tolist() == [0] * 600
    assert sizes == [256, 256, 88]
