"""The Sweep page under AppTest: empty state, a finished study's table and plots, launching."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lenet.config import LeNetConfig
from lenet.jobs import JobManager
from lenet.sweep import SweepSettings, trials_table
from tests.helpers import good_job, started_job, visible, write_job

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture()
def sweep_page(app_home, stand_in_workers):
    def open_page() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90).run()
        at.switch_page("pages/sweep.py").run()
        assert not at.exception
        return at

    return open_page


def test_no_study_yet(sweep_page):
    at = sweep_page()
    assert "No sweeps yet" in at.info[0].value


def test_a_finished_study_shows_its_trials_and_plots(sweep_page, app_home, grid_study, monkeypatch):
    study, settings, _ = grid_study
    states = [t.state.name for t in study.trials]
    assert states[:2] == ["COMPLETE"] * 2 and set(states) <= {"COMPLETE", "PRUNED"}
    complete = states.count("COMPLETE")
    monkeypatch.setenv("LENET_SWEEP_STORAGE", settings.storage)
    at = sweep_page()
    at.selectbox(key="sweep_view").set_value("mine").run()
    table = at.dataframe[0].value
    assert list(table["trial"]) == [r["trial"] for r in trials_table(study)]
    assert f"**4 trials**, {complete} completed" in " ".join(m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 3
    at.text_input(key="sweep_model_name").set_value("mine-best").run()
    at.button(key="sweep_retrain").click().run()
    assert not at.exception and "Queued mine-best" in visible(at.success[0].value)
    job = started_job(app_home.home, "mine-best")  # read from its file: list() would pump
    config = LeNetConfig.from_dict(job["config"])
    best = max((t for t in study.trials if t.state.name == "COMPLETE"), key=lambda t: t.value)
    assert config.train_subset is None
    assert config.learning_rate == best.params["learning_rate"]
    assert config.batch_size == best.params["batch_size"]


def test_start_sweep_queues_a_sweep_job(sweep_page, app_home, stand_in_workers):
    at = sweep_page()
    at.number_input(key="sweep_trials").set_value(3)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception and not at.error
    (folder,) = (app_home.home / "jobs").iterdir()
    name = json.loads((folder / "job.json").read_text())["name"]
    job = started_job(app_home.home, name)
    assert (job["kind"], job["sweep"]["trials"], job["state"]) == ("sweep", 3, "running")
    assert [p.pid for p in stand_in_workers.started] == [job["pid"]]


def page_texts(at: AppTest) -> list[str]:
    """The source of every text element the page rendered (markdown and alerts included)."""
    kinds = ("markdown", "caption", "text", "error", "warning", "success", "info", "toast")
    found = [e.value for kind in kinds for e in at.get(kind)]
    found += [e.proto.text for e in at.get("progress")]
    return [str(v) for v in found]


def test_a_damaged_sweeps_db_is_one_sentence_that_says_move_it_aside(sweep_page, app_home):
    (app_home.home / "sweeps.db").write_bytes(b"not a database at all" * 200)
    at = sweep_page()
    assert "move it aside" in at.error[0].value
    assert not any("delete" in t.lower() for t in page_texts(at))
    assert (app_home.home / "sweeps.db").read_bytes().startswith(b"not a database")


def test_a_locked_sweeps_db_says_busy(sweep_page, app_home):
    import sqlite3

    import optuna

    path = app_home.home / "sweeps.db"
    # Optuna's own SQLite file (rollback journal): a lock held elsewhere blocks readers too.
    optuna.create_study(study_name="mine", storage=f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        at = sweep_page()
    finally:
        holder.close()
    assert "busy" in at.error[0].value and "try again" in at.error[0].value


def test_the_page_reads_the_storage_set_in_lenet_sweep_storage(
    sweep_page, app_home, monkeypatch, grid_study
):
    _, settings, _ = grid_study  # a study in a SQLite file outside LENET_HOME
    elsewhere = settings.storage
    monkeypatch.setenv("LENET_SWEEP_STORAGE", elsewhere)
    at = sweep_page()
    assert at.selectbox(key="sweep_view").options == ["mine"]
    path = elsewhere.removeprefix("sqlite:///")
    assert f"Studies live in the SQLite file {path}." in page_texts(at)
    at.number_input(key="sweep_trials").set_value(2)
    at.button[0].click().run()
    assert not at.exception and not at.error
    (folder,) = (app_home.home / "jobs").iterdir()  # read from its file: list() would pump
    job = json.loads((folder / "job.json").read_text())
    assert job["sweep"]["storage"] == elsewhere  # the worker writes where the page reads


def test_a_bad_storage_setting_is_one_sentence_on_the_page(sweep_page, monkeypatch):
    monkeypatch.setenv("LENET_SWEEP_STORAGE", "postgres-server-on-my-desk")
    at = sweep_page()
    assert "is not a database URL" in at.error[0].value


def test_the_page_warns_before_launch_when_mnist_is_missing(sweep_page, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PATH", str(tmp_path / "absent.npz"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras"))
    at = sweep_page()
    assert any("MNIST is not on this machine" in w.value for w in at.warning)


def test_an_old_failure_goes_once_a_later_sweep_finished(sweep_page, app_home):
    ended = [("1aaa", "a", "failed", "the old failure"), ("2bbb", "b", "done", "")]
    for created, (job_id, study, state, error) in enumerate(ended):
        job = good_job(
            job_id, f"sweep-{study}", kind="sweep", sweep={"study": study}, state=state,
            error=error, created=float(created),
        )  # fmt: skip
        write_job(app_home.home, job_id, job)
    assert [j.state for j in JobManager(app_home.home).list()] == ["failed", "done"]
    at = sweep_page()
    assert not any("the old failure" in t for t in page_texts(at))
    assert any("sweep-b: done" in visible(s.value) for s in at.success)


def test_a_study_name_is_shown_as_text_not_rendered_as_markdown(
    sweep_page, app_home, stand_in_workers
):
    name = "![x](http://example.invalid/x.png)"
    manager = JobManager(app_home.home, launcher=stand_in_workers)  # submit pumps: a stand-in
    manager.submit_sweep(SweepSettings(space="blocks-filters-lr", study=name))
    at = sweep_page()
    shown = [t for t in page_texts(at) if "example" in t]
    assert shown and not any("![x](" in t for t in shown)  # escaped in the source
    assert any(name in visible(t) for t in shown)  # and read as written
