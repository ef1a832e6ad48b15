"""The one Streamlit-internals fix of the app: deep links run inside ``app.py``'s navigation.

Kept in this one place on purpose; ``tests/test_browser_pages.py`` opens ``/draw`` directly in
a real browser to check it.
"""

from __future__ import annotations

import streamlit as st


def require_router() -> None:
    """Make sure the page runs inside ``app.py``'s navigation.

    A server whose first request is a deep link (``/draw``) runs the page file directly, in
    Streamlit's legacy mode for apps with a ``pages/`` folder, without ``app.py``'s layout and
    sidebar. Leave that mode and rerun, so ``app.py`` routes as on every later request.
    Streamlit decides that mode from the folder's existence at start-up
    (``streamlit/runtime/pages_manager.py``); the flag is a class attribute, so this is a
    process-wide switch, flipped once.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
