"""lenet-studio: routes to the pages and holds the shared sidebar."""

import streamlit as st

import ui

ui.batch_scheduling()  # a page run is not preempted by its own messages (ui/scheduling.py)
st.set_page_config(page_title="lenet-studio", page_icon="✏️", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/analytics:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/drawings.py", title="My drawings", icon=":material/gesture:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/sweep.py", title="Sweep", icon=":material/tune:"),
]
page = st.navigation(pages)
ui.start_jobs()  # a queue left by a restart resumes now, not when Train is first opened
ui.sidebar()
page.run()
