"""The My drawings page's expander: export, import and delete the saved drawings."""

from __future__ import annotations

import streamlit as st

from lenet.feedback import MAX_IMPORT, FeedbackError
from lenet.wording import plural
from ui.drawings import drawings_npz, feedback_store
from ui.messages import flash


def on_import() -> None:
    upload = st.session_state.get("drawings_import")
    if upload is None:
        return
    try:
        result = feedback_store().import_npz(upload.getvalue())
    except FeedbackError as exc:
        flash("drawings_message", "error", str(exc))
    else:
        flash("drawings_message", "success", result.message())


def on_delete_all() -> None:
    try:
        n = feedback_store().delete_all()
    except FeedbackError as exc:
        flash("drawings_message", "error", str(exc))
    else:
        flash("drawings_message", "success", f"Deleted {plural(n, 'drawing')}.")


def manage(count: int) -> None:
    """An expander to export all ``count`` drawings, import an ``.npz``, or delete them all."""
    with st.expander("Export, import, delete"):
        a, b, c = st.columns(3)
        if count:
            a.download_button(
                "Export all (.npz, Keras layout)",
                drawings_npz(),
                file_name="my-drawings.npz",
                key="drawings_export",
                icon=":material/download:",
            )
        b.file_uploader(
            "Import an .npz",
            type=["npz"],
            key="drawings_import",
            on_change=on_import,
            help=f"Keras layout (x_test/y_test, x_train/y_train), at most {MAX_IMPORT:,} "
            "drawings per file; drawings you already have are skipped.",
        )
        sure = c.checkbox("Yes, delete all my drawings", key="drawings_sure")
        c.button(
            "Delete all",
            key="drawings_delete_all",
            disabled=not (sure and count),
            on_click=on_delete_all,
        )
        st.caption(f"Stored in `{feedback_store().path}`; nothing leaves this machine.")
