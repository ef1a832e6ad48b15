"""Streamlit glue shared by the pages: cached loaders and the sidebar. Only the app imports it."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from lenet import plots
from lenet.analysis import Example
from lenet.evaluate import Report
from lenet.feedback import FeedbackStore
from lenet.infer import FeatureReader, Prediction, Predictor
from lenet.jobs import JobError, JobManager
from lenet.store import ModelCard, ModelStore, StoreError


def require_router() -> None:
    """Make sure the page runs inside ``app.py``'s navigation.

    A server whose first request is a deep link (``/draw``) runs the page file directly, in
    Streamlit's legacy mode for apps with a ``pages/`` folder, without ``app.py``'s layout and
    sidebar. Leave that mode and rerun, so ``app.py`` routes as on every later request.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def store() -> ModelStore:
    """The model store (reads ``LENET_HOME`` and ``LENET_BUNDLED`` on each call, so tests can
    point them elsewhere)."""
    return ModelStore()


def _store_signature(model_store: ModelStore) -> str:
    """What listing the store depends on, as a digest: every entry's files, mtimes and sizes.

    A few dozen ``stat`` calls (~0.1 ms), against ~25 ms for validating the entries again. A
    file changed in place (truncated, rewritten) changes its own size or mtime, not its
    folder's, so files are looked at one by one. Hidden entries (saves in progress) are left
    out: the rename that finishes a save changes the root's listing. A digest, because
    Streamlit's hashing of a nested tuple as a cache key would cost ~5 ms itself.
    """
    signature: list[Any] = []
    for root in (model_store.bundled_root, model_store.user_root):
        if root is None:
            continue
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except OSError:  # no such folder (yet)
            signature.append((str(root), None))
            continue
        signature.append(str(root))
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            try:
                stats = [(f.name, f.stat()) for f in os.scandir(entry)]
                files = sorted((name, st.st_mtime_ns, st.st_size) for name, st in stats)
            except OSError:  # removed while we looked: the next call sees it gone
                files = []
            signature.append((entry.name, tuple(files)))
    return hashlib.blake2b(repr(signature).encode(), digest_size=16).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=8)
def _listed(home: str, bundled_root: str | None, signature: str) -> tuple[ModelCard, ...]:
    del signature  # part of the cache key: any change in the store lists it again
    root = Path(bundled_root) if bundled_root is not None else None
    return tuple(ModelStore(home=Path(home), bundled_root=root).list())


def model_cards() -> list[ModelCard]:
    """Every stored model, bundled first; broken entries carry their error.

    Shared by all sessions and validated again only when a file in the store changed, so a
    stroke on the Draw page does not re-check every archive.
    """
    model_store = store()
    bundled = model_store.bundled_root
    return list(
        _listed(
            str(model_store.home),
            None if bundled is None else str(bundled),
            _store_signature(model_store),
        )
    )


def clear_store_cache() -> None:
    """Forget the cached model listing (tests that swap the store's folders)."""
    _listed.clear()


def usable_names() -> list[str]:
    return [c.name for c in model_cards() if not c.broken]


@st.cache_resource(show_spinner=False, max_entries=32)
def _predictor(path: str, mtime: float) -> Predictor:
    del mtime  # part of the cache key: a re-saved model gets a fresh predictor
    return Predictor.from_file(path)


def predictor(name: str) -> Predictor:
    """A cached TFLite predictor for a stored model.

    Raises:
        StoreError: if the model is missing or broken.
    """
    path = store().tflite_path(name)
    try:
        key = (str(path), os.path.getmtime(path))
        cached = _predictor(*key)
        if cached.failed:  # its interpreter raised once: reusing it can crash the server
            _predictor.clear(*key)
            cached = _predictor(*key)
        return cached
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot load {name!r}: {exc}") from exc


@st.cache_resource(show_spinner=False, max_entries=16)
def _features(path: str, mtime: float) -> FeatureReader:
    del mtime
    return store().features(Path(path).parent.name)  # a damaged file: StoreError


def features(name: str) -> FeatureReader:
    """A cached reader of the model's C1 and C3 feature maps."""
    path = store().tflite_path(name)
    return _features(str(path), os.path.getmtime(path))


@st.cache_data(show_spinner=False, max_entries=32)
def _filters(path: str, mtime: float) -> Any:
    del mtime
    import numpy as np

    return np.load(path)


def c1_filters(name: str) -> Any:
    """The model's learned first-layer filters, (k, k, filters)."""
    path = store().derived_path(name, "c1_filters.npy")
    return _filters(str(path), os.path.getmtime(path))


@contextmanager
def timed_run(page: str) -> Iterator[None]:
    """Time one run of a page's script when ``LENET_TIMING_LOG`` names a file.

    Appends ``<unix time> <page> <wall ms> <thread CPU ms> <outcome>`` to that file, where
    outcome is ``done``, or the exception that ended the run (``RerunException`` when a newer
    event interrupted it, ``StopException`` for ``st.stop``). Unset, it costs one environment
    lookup. ``benchmarks/bench_load.py`` reads it to get the server's own time per stroke.
    """
    path = os.environ.get("LENET_TIMING_LOG")
    if not path:
        yield
        return
    start, cpu, outcome = time.perf_counter(), time.thread_time(), "done"
    try:
        yield
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        wall_ms, cpu_ms = (time.perf_counter() - start) * 1e3, (time.thread_time() - cpu) * 1e3
        with open(path, "a") as log:  # one short append per run: lines never interleave
            log.write(f"{time.time():.3f} {page} {wall_ms:.2f} {cpu_ms:.2f} {outcome}\n")


def sidebar() -> None:
    with st.sidebar:
        st.caption(
            "LeNet-5 on MNIST, from the 1998 paper to modern variants. "
            "Bundled models work offline; your own runs are saved under "
            f"`{store().user_root}`."
        )


CARD_CSS = """
<style>
.lenet-card {border: 1px solid #e5e7eb; border-radius: 14px; padding: 10px 14px 10px 14px;
             background: linear-gradient(180deg, #fafaff 0%, #ffffff 60%);
             container-type: inline-size;}
.lenet-card .name {font-weight: 600; color: #374151; font-size: 0.95rem; white-space: nowrap;
                   overflow: hidden; text-overflow: ellipsis;}
.lenet-card .digit {font-size: 4.2rem; font-weight: 800; line-height: 1.0; color: #4f46e5;}
.lenet-card .conf {color: #6b7280; font-size: 0.95rem; margin-left: 0.4rem;
                   white-space: nowrap; display: inline-block;}
@container (max-width: 190px) {  /* narrow cards (three to a row on a laptop) */
  .lenet-card .conf {display: block; margin-left: 0; font-size: 0.85rem;}
}
.lenet-card .unsure {color: #b45309; font-size: 0.9rem; font-weight: 600;}
.lenet-bars {display: flex; align-items: flex-end; gap: 4px; height: 100px; margin-top: 10px;}
/* min-width 0: the ten columns share the card's width whatever their labels need */
.lenet-bars .col {flex: 1 1 0; min-width: 0; display: flex; flex-direction: column;
                  align-items: center; justify-content: flex-end; height: 100%;}
.lenet-bars .bar {width: 100%; background: #c7d2fe; border-radius: 3px 3px 0 0;
                  min-height: 1px;}
.lenet-bars .bar.top {background: #4f46e5;}
.lenet-bars .pct {font-size: 0.62rem; color: #6b7280; height: 0.9rem; line-height: 0.9rem;
                  white-space: nowrap;}
.lenet-bars .lbl {font-size: 0.8rem; color: #374151; margin-top: 2px;}
@container (max-width: 330px) {  /* columns under ~24 px: a "100%" label would not fit across */
  .lenet-bars {gap: 2px;}
  .lenet-bars .pct {writing-mode: vertical-rl; transform: rotate(180deg); height: auto;
                    font-size: 0.55rem; line-height: 1; margin-bottom: 2px;}
}
@container (max-width: 190px) {  /* three narrow cards to a row: the bars use the padding */
  .lenet-bars {gap: 1px; margin-left: -6px; margin-right: -6px;}
}
</style>
"""


def _bars(probabilities: list[float], top: int) -> str:
    """Ten probability bars in plain HTML (no chart library to load in the browser)."""
    cols = []
    for d, p in enumerate(probabilities):
        pct = f"{p:.0%}" if p >= 0.01 else ""
        cols.append(
            f"<div class='col' title='{d}: {p:.2%}'><div class='pct'>{pct}</div>"
            f"<div class='bar{' top' if d == top else ''}' style='height:{p * 70:.1f}px'>"
            f"</div><div class='lbl'>{d}</div></div>"
        )
    return f"<div class='lenet-bars'>{''.join(cols)}</div>"


def card_style() -> None:
    """The cards' CSS, once per page run, before the cards. Kept out of the cards themselves:
    a ``<style>`` inside each card was re-inserted whenever its answer changed, and every
    insertion made the browser recompute the whole page's styles (most of a stroke's cost in
    the browser, measured with Chrome's profiler)."""
    st.html(CARD_CSS)


def prediction_card(name: str, pred: Prediction, bars: bool = True) -> None:
    """A model's answer: the digit large, its confidence, the top two when unsure, and (with
    ``bars``) the ten probabilities as bars."""
    unsure = (
        f"<div class='unsure'>Unsure: {pred.digit} ({pred.confidence:.0%}) or "
        f"{pred.runner_up} ({pred.runner_up_confidence:.0%})</div>"
        if pred.unsure
        else ""
    )
    st.markdown(
        f"<div class='lenet-card'><div class='name' title='{name}'>{name}</div>"
        f"<span class='digit' data-testid='prediction-{name}'>{pred.digit}</span>"
        f"<span class='conf'>{pred.confidence:.1%} confident</span>{unsure}"
        f"{_bars(pred.probabilities, pred.digit) if bars else ''}</div>",
        unsafe_allow_html=True,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _report(path: str, mtime: float) -> Report:
    del mtime  # a re-evaluated report replaces the cached one
    return store().report(Path(path).name)


def report(name: str) -> Report:
    """The stored report of a model (cached until the file changes)."""
    path = store().path(name)
    return _report(str(path), (path / "report.json").stat().st_mtime)


def short_count(n: float) -> str:
    """61,706 -> '61.7 k'; 1,256,080 -> '1.26 M' (fits a metric tile)."""
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n / 1e3:.1f} k" if n >= 1e4 else f"{n:,.0f}"


def short_bytes(n: float) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.0f} KB"


def model_picker(label: str, key: str, default: str | None = None) -> str | None:
    """A selectbox over the usable models; shows a hint and returns None when there are none."""
    names = usable_names()
    if not names:
        st.info(
            "No usable models yet: bundled ones live in `assets/models/`; train your own "
            "with `python -m lenet train`."
        )
        return None
    index = names.index(default) if default in names else 0
    return st.selectbox(label, names, index=index, key=key)


def image_grid(examples: list[Example], caption: Callable[[Example], str], width: int = 72) -> None:
    """Small 28x28 images with captions, wrapped in rows."""
    if not examples:
        st.caption("No images to show.")
        return
    st.image(
        [plots.upscale(e.image, 3) for e in examples],
        caption=[caption(e) for e in examples],
        width=width,
    )


def highlight_best(rows: list[dict[str, Any]], best: dict[str, Any]) -> Any:
    """A pandas Styler that bolds and tints the best value of each ranked column."""
    import pandas as pd

    frame = pd.DataFrame(rows)

    def mark(column: pd.Series) -> list[str]:
        if column.name not in best:
            return [""] * len(column)
        return [
            "background-color: #e0e7ff; font-weight: 700" if v == best[column.name] else ""
            for v in column
        ]

    return (
        frame.style.apply(mark)
        .format(precision=4, subset=["macro F1"])
        .format(precision=2, subset=["test accuracy (%)"])
        .format(thousands=",", subset=["parameters"])
    )


def number_table(rows: list[dict[str, Any]], decimals: dict[str, int]) -> Any:
    """A pandas Styler of ``rows`` showing the named columns with fixed decimals and the
    other numbers with thousands separators."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    styler = frame.style.format(thousands=",")
    for column, places in decimals.items():
        styler = styler.format(precision=places, subset=[column])
    return styler


def confusion_table(confusion: Any, normalise: bool = False) -> Any:
    """A pandas Styler of the confusion matrix: true digits down, predicted across, errors
    tinted by size and the diagonal greyed (``plots.confusion_cell_css``)."""
    import pandas as pd

    from lenet.analysis import confusion_rows

    frame = pd.DataFrame(confusion_rows(confusion, normalise))
    css = [["font-weight: 600", *row] for row in plots.confusion_cell_css(confusion, normalise)]
    styler = frame.style.apply(
        lambda _: pd.DataFrame(css, index=frame.index, columns=frame.columns), axis=None
    )
    # Four characters at most ("1131", "0.3%", "99%"), so that ten columns fit a laptop.
    share = lambda v: f"{v:.1%}" if v < 0.0995 else f"{v:.0%}"  # noqa: E731
    return styler.format(share if normalise else "{:d}", subset=[str(d) for d in range(10)])


@st.cache_resource(show_spinner=False, on_release=lambda m: m.stop_background())
def _job_manager(home: str, workers: int) -> JobManager:
    from lenet.warm import WarmLauncher, idle_seconds

    launcher = {"launcher": WarmLauncher(slots=workers)} if idle_seconds() > 0 else {}
    manager = JobManager(
        Path(home), workers=workers, data_path=os.environ.get("MNIST_PATH"), **launcher
    )
    manager.start_background()
    return manager


def job_manager() -> JobManager:
    """The app's job manager (one per server and ``LENET_HOME``), pumping in the background.

    ``LENET_WORKERS`` sets how many jobs train at once (default 1). Jobs run in a warm worker
    (``lenet.warm``) unless ``LENET_WARM_IDLE_S=0``.
    """
    return _job_manager(str(store().home), int(os.environ.get("LENET_WORKERS", "1")))


def start_jobs() -> None:
    """Start the job manager with the server, so a queue left by a restart resumes at once.

    Cheap (no TensorFlow): it reads the jobs folder and starts the pump thread. A home that
    cannot hold jobs is reported by the Train and Sweep pages, not here.
    """
    try:
        job_manager()
    except JobError:
        pass


def _scaled(value: float, units: tuple[tuple[float, str], ...]) -> str:
    """``value`` in the largest unit it reaches (units from large to small), 3 significant."""
    for factor, unit in units:
        if abs(value) >= factor:
            return f"{value / factor:.3g} {unit}"
    return f"{value / units[-1][0]:.3g} {units[-1][1]}" if value else f"0 {units[-1][1]}"


def mass_text(kg: float) -> str:
    """A CO2 mass readable at any size: ``1.2 kg``, ``3.4 g``, ``56 mg``, ``7.8 µg``."""
    return _scaled(kg, ((1.0, "kg"), (1e-3, "g"), (1e-6, "mg"), (1e-9, "µg")))


def energy_text(kwh: float) -> str:
    """An energy readable at any size: ``1.2 kWh``, ``3.4 Wh``, ``56 mWh``, ``7.8 µWh``."""
    return _scaled(kwh, ((1.0, "kWh"), (1e-3, "Wh"), (1e-6, "mWh"), (1e-9, "µWh")))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def sweep_storage() -> str:
    """The sweeps' storage URL: ``$LENET_SWEEP_STORAGE``, else LENET_HOME/sweeps.db."""
    from lenet.sweep import sweep_storage as storage_url

    return storage_url(store().home)


def studies() -> list[str]:
    """Names of the sweep studies in the sweeps' storage (see ``sweep_storage``).

    Raises:
        SweepError: one sentence if the storage cannot be read (bad URL, missing driver, no
            server, a damaged or busy SQLite file).
    """
    import optuna

    from lenet.sweep import open_storage, sqlite_path, storage_errors

    url = sweep_storage()
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return []  # reading must not create the file
    storage = open_storage(url, busy_timeout_s=2.0)
    with storage_errors(url):
        return sorted(s.study_name for s in optuna.get_all_study_summaries(storage))


def study(name: str) -> Any:
    """One study of the sweeps' storage (raises ``SweepError`` like ``studies``)."""
    import optuna

    from lenet.sweep import open_storage, storage_errors

    url = sweep_storage()
    storage = open_storage(url, busy_timeout_s=2.0)
    with storage_errors(url):
        return optuna.load_study(study_name=name, storage=storage)


def feedback_store() -> FeedbackStore:
    """The person's saved drawings (LENET_HOME/drawings.sqlite3)."""
    return _feedback_store(str(store().home / "drawings.sqlite3"))


@st.cache_resource(show_spinner=False)
def _feedback_store(path: str) -> FeedbackStore:
    return FeedbackStore(path)


def drawings_npz() -> bytes:
    """All saved drawings as a Keras-layout ``.npz`` file's bytes (cached until they change)."""
    drawings = feedback_store()
    return _drawings_npz(str(drawings.path), drawings.revision())


@st.cache_data(show_spinner=False, max_entries=4)
def _drawings_npz(db: str, revision: tuple[int, int, int]) -> bytes:
    del db, revision  # the cache key
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drawings.npz"
        feedback_store().export_npz(path)
        return path.read_bytes()


def drawing_predictions(name: str) -> Any:
    """The digit a model predicts for each saved drawing, oldest first: (N,) int64.

    Cached until the drawings or the model change; the model sees the drawings in bounded
    batches.

    Raises:
        FeedbackError: the drawings database cannot be read.
        StoreError: the model cannot be loaded.
    """
    path = store().tflite_path(name)
    drawings = feedback_store()
    return _drawing_predictions(
        name, str(path), os.path.getmtime(path), str(drawings.path), drawings.revision()
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _drawing_predictions(
    name: str, path: str, mtime: float, db: str, revision: tuple[int, int, int]
) -> Any:
    del path, mtime, db, revision  # the cache key
    from lenet.evaluate import predict_digits

    x, _ = feedback_store().arrays()
    return predict_digits(x, predictor(name).predict)
