"""The models' answers as HTML cards (the digit, its confidence and ten probability bars), all
in one element; and above them, the one "not a digit" notice per drawing (``lenet.nondigit``)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lenet.infer import Prediction
from lenet.nondigit import HOW_IT_IS_DECIDED, NonDigitDetector, bundled_detector
from lenet.wording import plain

CARD_CSS = """
<style>
/* three cards to a row, as st.columns(3) laid them out, but one element for all the cards */
.lenet-cards {display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 1rem;}
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


def card_html(name: str, pred: Prediction, bars: bool = True) -> str:
    """A model's answer: the digit large, its confidence, the top two when unsure, and (with
    ``bars``) the ten probabilities as bars."""
    unsure = (
        f"<div class='unsure'>Unsure: {pred.digit} ({pred.confidence:.0%}) or "
        f"{pred.runner_up} ({pred.runner_up_confidence:.0%})</div>"
        if pred.unsure
        else ""
    )
    return (
        f"<div class='lenet-card'><div class='name' title='{name}'>{name}</div>"
        f"<span class='digit' data-testid='prediction-{name}'>{pred.digit}</span>"
        f"<span class='conf'>{pred.confidence:.1%} confident</span>{unsure}"
        f"{_bars(pred.probabilities, pred.digit) if bars else ''}</div>"
    )


def prediction_cards(answers: dict[str, Prediction], bars: bool = True) -> None:
    """Every model's answer as a card, three to a row, sent as ONE element.

    One element, not ``st.columns`` with a card in each: a stroke's run then sends 7 fewer
    messages (the row, three columns, three cards), and each message costs the server's event
    loop a wake-up and the browser a React update (``benchmarks/bench_load.py``).
    """
    if answers:
        cards = "".join(card_html(name, pred, bars) for name, pred in answers.items())
        st.markdown(f"<div class='lenet-cards'>{cards}</div>", unsafe_allow_html=True)


@st.cache_resource(show_spinner=False)
def nondigit_detector() -> NonDigitDetector | None:
    """The bundled non-digit detector, loaded once per process (None where it is absent)."""
    return bundled_detector()


def nondigit_notice(image28: np.ndarray) -> bool:
    """Say "That doesn't look like a digit: <reason>" and how that is decided, when it is so.

    One decision per drawing, whichever models are chosen; nothing is shown for a digit.

    Returns:
        Whether the drawing looks like a digit (True where the detector is missing).
    """
    try:
        detector = nondigit_detector()
    except ValueError as exc:
        st.warning(plain(str(exc)))
        return True
    if detector is None:
        return True
    verdict = detector.judge(image28)
    if not verdict.is_digit:
        st.warning(
            f"**That doesn't look like a digit: {verdict.reason}.**  \n{HOW_IT_IS_DECIDED}",
            icon=":material/gesture:",
        )
    return verdict.is_digit
