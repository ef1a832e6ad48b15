"""The Train page's form and run list under AppTest (workers are not started here)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lenet.config import SMALL_RUN
from lenet.jobs import JobManager

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture()
def train_page(app_home, monkeypatch):
    import streamlit as st

    monkeypatch.setattr(JobManager, "_start", lambda self, job: None)  # stays queued
    st.cache_resource.clear()  # a fresh job manager for this LENET_HOME
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    return at


def test_defaults_are_the_small_run_with_an_estimate(train_page):
    at = train_page
    assert at.selectbox(key="train_activation").value == SMALL_RUN.activation
    assert at.number_input(key="train_train_subset").value == SMALL_RUN.train_subset
    assert at.slider(key="train_epochs").value == SMALL_RUN.epochs
    assert at.text_input(key="train_name").value == f"run-{SMALL_RUN.config_id}"
    assert "Estimated time" in " ".join(m.value for m in at.markdown)
    assert "No runs yet." in [c.value for c in at.caption]


def test_invalid_settings_are_refused_with_the_configs_message(train_page):
    at = train_page
    at.text_input(key="train_dense").set_value("120, zero").run()
    assert "Invalid setting" in at.error[0].value and not at.exception
    at.text_input(key="train_dense").set_value("120, 84").run()
    assert not at.error
    at.number_input(key="train_blocks").set_value(3).run()
    assert "filters=" in at.error[0].value  # three valid-padding blocks collapse 28x28
    assert not [b for b in at.button if b.key == "train_start"]


def test_start_queues_a_job_and_lists_it(train_page, app_home):
    at = train_page
    at.text_input(key="train_name").set_value("my-run").run()
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    jobs = JobManager(app_home.home).list()
    assert [(j.name, j.state) for j in jobs] == [("my-run", "queued")]
    assert jobs[0].lenet_config == SMALL_RUN
    assert any("my-run" in m.value for m in at.markdown)
    at.button(key="train_start").click().run()  # the same name again
    assert "already trains" in at.error[0].value


def test_preset_and_dropout_shortcut_fill_the_form(train_page, app_home):
    at = train_page
    at.selectbox(key="train_preset").set_value("other").run()
    other = app_home.config("other")
    assert at.selectbox(key="train_activation").value == other.activation == "tanh"
    assert at.selectbox(key="train_pooling").value == "average"
    at.slider(key="train_dropout").set_value(0.25).run()
    assert at.slider(key="train_cdrop1").value == 0.25
    assert at.slider(key="train_ddrop0").value == 0.25
