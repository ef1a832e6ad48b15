"""Tables and selections the Evaluate and Compare pages show, computed from stored reports.

Everything here works from ``Report`` and ``ModelCard`` objects alone, so the pages need no
dataset: mistakes and disagreements come from the images each report carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lenet.config import LeNetConfig
from lenet.evaluate import Report, decode_images
from lenet.store import ModelCard

# Compare-table columns and whether higher is better (None: not ranked).
METRIC_COLUMNS: dict[str, bool] = {
    "test accuracy (%)": True,
    "macro F1": True,
    "parameters": False,
    "size (KB)": False,
    "train time (s)": False,
}


def classification_rows(report: Report) -> list[dict[str, Any]]:
    """The classification report as table rows: one per digit, then macro and weighted avg."""
    rows: list[dict[str, Any]] = [
        {
            "digit": str(int(r["digit"])),
            "precision": r["precision"],
            "recall": r["recall"],
            "F1": r["f1"],
            "support": int(r["support"]),
        }
        for r in report.per_class
    ]
    for kind in ("macro", "weighted"):
        rows.append(
            {
                "digit": f"{kind} avg",
                "precision": getattr(report, f"{kind}_precision"),
                "recall": getattr(report, f"{kind}_recall"),
                "F1": getattr(report, f"{kind}_f1"),
                "support": report.n,
            }
        )
    return rows


def confusion_rows(confusion: Any, normalise: bool = False) -> list[dict[str, Any]]:
    """A confusion matrix as table rows: "true" then one column per predicted digit "0"-"9".

    Args:
        confusion: (10, 10) counts, [true][predicted].
        normalise: give each cell's share of its true digit's images (0-1) instead of counts.
    """
    cm = np.asarray(confusion, dtype=np.int64)
    totals = cm.sum(1)
    rows = []
    for t, row in enumerate(cm):
        cells = row / max(int(totals[t]), 1) if normalise else row
        rows.append({"true": str(t), **{str(p): v.item() for p, v in enumerate(cells)}})
    return rows


@dataclass(frozen=True)
class Example:
    """One test image with what a model (or two) said about it."""

    index: int
    true: int
    predicted: int
    confidence: float
    image: np.ndarray  # (28, 28) uint8
    other_predicted: int | None = None  # the second model's answer, in a comparison


def mistakes(
    report: Report, true: int | None = None, predicted: int | None = None, limit: int = 60
) -> tuple[list[Example], int]:
    """Misclassified test images, optionally only those of one confusion-matrix cell.

    Returns:
        The examples whose image the report carries (at most ``limit``), and how many
        mistakes match in all (the report keeps images for the first few hundred only).
    """
    images = decode_images(report.misclassified_images)
    matches = [
        (i, m)
        for i, m in enumerate(report.misclassified)
        if (true is None or m["true"] == true)
        and (predicted is None or m["predicted"] == predicted)
    ]
    shown = [
        Example(
            int(m["index"]), int(m["true"]), int(m["predicted"]), float(m["confidence"]), images[i]
        )
        for i, m in matches
        if i < len(images)
    ][:limit]
    return shown, len(matches)


def samples(report: Report) -> list[Example]:
    """The report's fixed sample of test images, right and wrong."""
    images = decode_images(report.sample_images)
    return [
        Example(
            int(s["index"]), int(s["true"]), int(s["predicted"]), float(s["confidence"]), images[i]
        )
        for i, s in enumerate(report.sample)
    ]


def disagreements(a: Report, b: Report, limit: int = 60) -> tuple[list[Example], int]:
    """Test images on which two models give different answers (``predicted`` is A's).

    A model that is not in its report's mistakes list for an image answered the true digit.

    Returns:
        Examples with an image from either report's gallery (at most ``limit``), and the total
        number of disagreements.
    """
    wrong_a = {int(m["index"]): m for m in a.misclassified}
    wrong_b = {int(m["index"]): m for m in b.misclassified}
    gallery: dict[int, np.ndarray] = {}
    for report, wrong in ((a, wrong_a), (b, wrong_b)):
        imgs = decode_images(report.misclassified_images)
        gallery.update({int(idx): imgs[i] for i, idx in enumerate(wrong) if i < len(imgs)})
    out: list[Example] = []
    total = 0
    for index in sorted(set(wrong_a) | set(wrong_b)):
        ma, mb = wrong_a.get(index), wrong_b.get(index)
        true = int((ma or mb)["true"])  # type: ignore[index]
        pa = int(ma["predicted"]) if ma else true
        pb = int(mb["predicted"]) if mb else true
        if pa == pb:
            continue
        total += 1
        if index in gallery and len(out) < limit:
            conf = float(ma["confidence"]) if ma else float("nan")
            out.append(Example(index, true, pa, conf, gallery[index], other_predicted=pb))
    return out, total


def cell_from_selection(selection: Any) -> tuple[int, int] | None:
    """(true, predicted) of the confusion-table cell a person clicked, if any.

    Args:
        selection: what ``st.dataframe(..., on_select="rerun", selection_mode="single-cell")``
            returned for a table whose rows are the true digits 0-9 and whose columns "0" to
            "9" are the predicted ones (a dict-like with ``selection.cells``, each a
            (row position, column name) pair).
    """
    try:
        cells = selection["selection"]["cells"]
    except (KeyError, TypeError):
        return None
    for cell in cells or []:
        try:
            row, column = cell
            true, predicted = int(row), int(column)
        except (TypeError, ValueError):  # e.g. the "true" label column
            continue
        if 0 <= true < 10 and 0 <= predicted < 10:
            return true, predicted
    return None


def compare_rows(cards: list[ModelCard], configs: list[LeNetConfig]) -> list[dict[str, Any]]:
    """One row per model: the metrics, then the config fields that differ between them."""
    dicts = [c.to_dict() for c in configs]
    differing = [k for k in dicts[0] if len({repr(d[k]) for d in dicts}) > 1] if dicts else []
    rows = []
    for card, d in zip(cards, dicts, strict=True):
        row: dict[str, Any] = {
            "model": card.name,
            "test accuracy (%)": round(card.accuracy * 100, 2),
            "macro F1": round(card.macro_f1, 4),
            "parameters": card.params,
            "size (KB)": round(card.size_bytes / 1024),
            "train time (s)": round(card.train_seconds),
        }
        row.update(
            {
                k: ", ".join(map(str, v)) if isinstance(v, list) else str(v)
                for k, v in ((k, d[k]) for k in differing)
            }
        )
        rows.append(row)
    return rows


def split_compare_rows(
    rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``compare_rows`` as two tables that fit a laptop screen side by side with nothing cut.

    Returns:
        The metrics, one row per model; and the settings that differ, one row per setting
        with one column per model (empty when the models share every setting).
    """
    shown = ("model", *METRIC_COLUMNS)
    metrics = [{k: r[k] for k in shown if k in r} for r in rows]
    settings = [k for k in (rows[0] if rows else {}) if k not in shown]
    differ = [{"setting": k} | {r["model"]: r[k] for r in rows} for k in settings]
    return metrics, differ


def best_per_column(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The best value of each ranked metric column (highest accuracy, fewest parameters...)."""
    best = {}
    for column, higher in METRIC_COLUMNS.items():
        values = [r[column] for r in rows if r.get(column) is not None]
        if values:
            best[column] = max(values) if higher else min(values)
    return best


def model_pair(
    names: list[str], a: str | None, b: str | None, previous_a: str | None = None
) -> tuple[str, str]:
    """Two different models to compare, keeping what the person picked where it still holds.

    A model no longer among ``names`` is replaced by the first other one; picking as A the
    model that is B swaps them (B takes the previous A).

    Args:
        names: the chosen models, in order.
        a: the current pick for A (None at first).
        b: the current pick for B (None at first).
        previous_a: A before this pick, so that A taking B's model swaps them.

    Returns:
        (A, B), two different members of ``names``.

    Raises:
        ValueError: if fewer than two distinct names are given.
    """
    if len(set(names)) < 2:
        raise ValueError(f"need two different models to compare, got {names!r}")
    if a not in names:
        a = next(n for n in names if n != b)
    if b not in names or b == a:
        b = next(n for n in [previous_a, *names] if n in names and n != a)
    return a, b


def export_rows(reports: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    """One row per exported model: size, accuracy and latency of Keras, float and int8."""
    rows = []
    for name, r in reports.items():
        if not r or "int8_kb" not in r or "keras_accuracy" not in r:
            continue
        row: dict[str, Any] = {"model": name}
        for kind, label in (("keras", "Keras"), ("float", "TFLite"), ("int8", "int8")):
            row[f"{label} KB"] = r[f"{kind}_kb"]
        for kind, label in (("keras", "Keras"), ("float", "TFLite"), ("int8", "int8")):
            row[f"{label} acc. (%)"] = round(r[f"{kind}_accuracy"] * 100, 2)
        for kind, label in (("keras", "Keras"), ("float", "TFLite"), ("int8", "int8")):
            row[f"{label} ms"] = r[f"{kind}_ms"]
        rows.append(row)
    return rows


def confusion(true: list[int], predicted: np.ndarray) -> np.ndarray:
    """A 10x10 int64 confusion matrix [true][predicted] of digit labels (zeros for none)."""
    if len(true) == 0:  # scikit-learn refuses an empty set
        return np.zeros((10, 10), np.int64)
    from sklearn.metrics import confusion_matrix  # slow import: lazy

    return confusion_matrix(true, predicted, labels=list(range(10))).astype(np.int64)
