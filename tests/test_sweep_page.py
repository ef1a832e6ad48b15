"""The Sweep page under AppTest: empty state, a finished study's table and plots, launching."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lenet.jobs import JobManager
from lenet.sweep import SweepSettings, run_sweep, trials_table

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture()
def sweep_page(app_home, monkeypatch):
    import streamlit as st

    monkeypatch.setattr(JobManager, "_start", lambda self, job: None)  # stays queued
    st.cache_resource.clear()

    def open_page() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90).run()
        at.switch_page("pages/sweep.py").run()
        assert not at.exception
        return at

    return open_page


def test_no_study_yet(sweep_page):
    at = sweep_page()
    assert "No sweeps yet" in at.info[0].value


def test_a_finished_study_shows_its_trials_and_plots(sweep_page, app_home, small_mnist):
    settings = SweepSettings(
        space="blocks-filters-lr", trials=4, subset=300, epochs=1, study="mine", seed=2
    )
    study = run_sweep(settings, small_mnist[:2])
    at = sweep_page()
    at.selectbox(key="sweep_view").set_value("mine").run()
    table = at.dataframe[0].value
    assert list(table["trial"]) == [r["trial"] for r in trials_table(study)]
    complete = sum(t.state.name == "COMPLETE" for t in study.trials)
    assert f"**4 trials**, {complete} completed" in " ".join(m.value for m in at.markdown)
    if complete >= 2:
        assert len(at.get("plotly_chart")) == 3
        at.text_input(key="sweep_model_name").set_value("mine-best").run()
        at.button(key="sweep_retrain").click().run()
        assert not at.exception and "Queued mine-best" in at.success[0].value
        job = JobManager(app_home.home).list()[0]
        best = max((t for t in study.trials if t.state.name == "COMPLETE"), key=lambda t: t.value)
        assert job.name == "mine-best" and job.lenet_config.train_subset is None
        assert job.lenet_config.learning_rate == best.params["learning_rate"]


def test_start_sweep_queues_a_sweep_job(sweep_page, app_home):
    at = sweep_page()
    at.number_input(key="sweep_trials").set_value(3)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception and not at.error
    jobs = JobManager(app_home.home).list()
    assert [(j.kind, j.state, j.sweep["trials"]) for j in jobs] == [("sweep", "queued", 3)]
