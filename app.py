"""lenet-studio: routes to the pages and holds the shared sidebar."""

import streamlit as st

import ui

st.set_page_config(page_title="lenet-studio", page_icon="✏️", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/draw.py", title="Draw", icon="✏️"),
]
page = st.navigation(pages)
ui.sidebar()
page.run()
