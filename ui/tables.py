"""pandas Stylers of the pages' tables: ranked columns, fixed decimals, a confusion matrix."""

from __future__ import annotations

from typing import Any

from lenet import plots


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
