"""Page messages left by a callback for the page to show in place.

A callback runs before the page's script, so a message it drew itself would land above the
page's title; it leaves the message under a session-state key instead, and the page shows it
where it belongs. Every page message goes through ``flash`` and ``show_flash``.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from lenet.wording import plain

Kind = Literal["success", "info", "warning", "error"]


def flash(key: str, kind: Kind, text: str) -> None:
    """Leave ``text`` under ``key`` for ``show_flash`` (replacing any message left there)."""
    st.session_state[key] = (kind, text)


def clear_flash(key: str) -> None:
    """Forget the message under ``key``, if any."""
    st.session_state.pop(key, None)


def show_flash(key: str, *, keep: bool = False) -> bool:
    """Show the message left under ``key`` as plain text (markdown in it is not rendered).

    Args:
        key: the session-state key the callback used.
        keep: show it again on later runs, until replaced or cleared; by default a message
            shows once and is gone.

    Returns:
        Whether there was a message.
    """
    message = st.session_state.get(key) if keep else st.session_state.pop(key, None)
    if not message:
        return False
    kind, text = message
    getattr(st, kind)(plain(text))
    return True
