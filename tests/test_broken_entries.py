"""Every page keeps working, and lists the entry as broken, when one file of a model is bad."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from lenet.feedback import FeedbackStore
from tests.helpers import ENTRY_DAMAGE, damage_entry

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_pages_work_and_show_broken_entries(app_home, small_mnist):
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    for i, case in enumerate(ENTRY_DAMAGE):
        damage_entry(app_home, f"bad-{i:02d}", case)
    drawings = FeedbackStore(app_home.home / "drawings.sqlite3")
    for image, digit in zip(small_mnist[2][:8], small_mnist[3][:8], strict=True):
        drawings.add(int(digit), image, {})
    drawings.close()
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    home = at.dataframe[0].value.set_index("model")
    for i, case in enumerate(ENTRY_DAMAGE):
        about = home.loc[f"bad-{i:02d}", "about"]
        assert about.startswith("⚠️ broken") and ENTRY_DAMAGE[case][0] in about
    assert f"{len(ENTRY_DAMAGE)} models could not be read" in at.warning[0].value
    for page in ("drawings", "evaluate", "compare", "train"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
        offered = {o for box in at.selectbox for o in box.options if isinstance(o, str)} | {
            o for box in at.multiselect for o in box.options
        }
        assert not any(o.startswith("bad-") for o in offered), page
        assert {"tiny", "other"} <= offered, page
