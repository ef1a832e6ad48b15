"""The Train page's form and run list under AppTest (stand-ins take the workers' place)."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lenet.config import LeNetConfig
from lenet.presets import QUICK
from tests.helpers import started_job, visible

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture()
def train_page(app_home, stand_in_workers):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    return at


def test_defaults_are_the_quick_preset_with_an_estimate(train_page):
    at = train_page
    assert at.selectbox(key="train_activation").value == QUICK.activation
    assert at.number_input(key="train_train_subset").value == (QUICK.train_subset or 60_000)
    assert at.slider(key="train_epochs").value == QUICK.epochs
    assert at.selectbox(key="train_block_order").value == QUICK.block_order
    assert at.number_input(key="train_bn_momentum").value == QUICK.bn_momentum
    assert at.text_input(key="train_name").value == f"run-{QUICK.config_id}"
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


def test_start_queues_a_job_and_lists_it(train_page, app_home, stand_in_workers):
    at = train_page
    at.text_input(key="train_name").set_value("my-run").run()
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    job = started_job(app_home.home, "my-run")
    assert LeNetConfig.from_dict(job["config"]) == QUICK
    assert any("my-run" in m.value for m in at.markdown)
    assert job["state"] == "running", job
    assert [p.pid for p in stand_in_workers.started] == [job["pid"]]
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


@pytest.mark.parametrize(
    ("key", "value", "label"),
    [
        ("train_train_subset", 70_000, "Training images"),
        ("train_learning_rate", 5.0, "Learning rate"),
        ("train_seed", -1, "Seed"),
        ("train_filters0", 0, "Filters 1"),
        ("train_blocks", 4, "Conv blocks"),
        ("train_bn_momentum", 1.5, "BN momentum"),
    ],
)
def test_an_out_of_range_number_refuses_to_start_and_names_the_field(
    train_page, app_home, key, value, label
):
    at = train_page
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(e.startswith(f"{label} must be between") and "not started" in e for e in errors)
    assert not [b for b in at.button if b.key == "train_start"]
    assert not list((app_home.home / "jobs").iterdir())  # nothing queued (no pump here)


def test_the_page_says_which_grid_the_co2_figure_assumes(train_page, monkeypatch):
    at = train_page
    assert any("electricity grid of FRA" in c.value for c in at.caption)
    monkeypatch.setenv("LENET_CO2_COUNTRY", "deu")
    at.run()
    assert any("electricity grid of DEU" in c.value for c in at.caption)


def test_the_estimate_includes_start_up_and_evaluation(train_page):
    text = " ".join(m.value for m in train_page.markdown)
    assert "to start the worker and evaluate" in text


def test_a_damaged_job_folder_is_a_warning_not_a_traceback(app_home, stand_in_workers):
    folder = app_home.home / "jobs" / "123abc"
    folder.mkdir(parents=True)
    (folder / "job.json").write_text('{"id": "123abc", "state": "exploded"')
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert any("123abc" in w.value and "damaged" in w.value for w in at.warning)
    assert folder.exists()


def test_the_queue_resumes_when_the_server_starts(app_home, stand_in_workers):
    """A job left queued by a restart starts with the app, on any page (here Home)."""
    from tests.helpers import good_job, write_job

    write_job(app_home.home, "123abc", good_job("123abc", "left-queued", state="queued"))
    at = AppTest.from_file(APP, default_timeout=60).run()  # the Home page, not Train
    assert not at.exception
    job = started_job(app_home.home, "left-queued")
    assert job["state"] == "running", job
    assert [p.pid for p in stand_in_workers.started] == [job["pid"]]


def test_a_full_disk_at_start_is_one_sentence_and_leaves_nothing(
    app_home, stand_in_workers, monkeypatch, tmp_path
):
    import shutil

    from tests.helpers import fill_disk as fill
    from tests.helpers import mounted_tmpfs

    with mounted_tmpfs(tmp_path / "disk", "32m") as disk:
        home = disk / "home"
        shutil.copytree(app_home.home, home)
        monkeypatch.setenv("LENET_HOME", str(home))
        at = AppTest.from_file(APP, default_timeout=60).run()
        at.switch_page("pages/train.py").run()
        assert not at.exception
        fill(disk)
        at.button(key="train_start").click().run()
        assert not at.exception
        assert [visible(e.value) for e in at.error] == [
            f"The run was not queued: the disk holding {home} is full; free some space "
            "or set LENET_HOME to a writable folder."
        ]
        assert list((home / "jobs").iterdir()) == []


def test_finetune_queues_the_pipelines_recipe_on_the_chosen_model(app_home, stand_in_workers):
    from lenet.feedback import FeedbackStore
    from lenet.pipeline import finetune_config

    drawings = FeedbackStore(app_home.home / "drawings.sqlite3")
    for digit in (1, 2, 3, 4):
        drawings.add(digit, np.full((28, 28), 40 * digit, np.uint8), {})
    drawings.close()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="ft_base").set_value("other")
    at.slider(key="ft_epochs").set_value(2)
    at.number_input(key="ft_lr").set_value(0.001)
    at.number_input(key="ft_images").set_value(2000)
    at.text_input(key="ft_name").set_value("other-mine").run()
    at.button(key="ft_start").click().run()
    assert not at.exception and not at.error
    job = started_job(app_home.home, "other-mine")
    expected = finetune_config(
        app_home.config("other"), epochs=2, learning_rate=0.001, mnist_images=2000
    )
    assert LeNetConfig.from_dict(job["config"]) == expected
    assert (job["kind"], job["finetune"]["base"]) == ("finetune", "other")


def test_a_runs_curves_are_light_line_charts_not_plotly(app_home, stand_in_workers):
    """plotly's first draw stalls the browser for a second: no plotly on the Train page."""
    import json

    from tests.helpers import good_job, write_job

    history = [
        {
            "epoch": e,
            "loss": 1 / e,
            "accuracy": 0.9 + e / 100,
            "val_loss": 1.1 / e,
            "val_accuracy": 0.89 + e / 100,
            "seconds": 1.0,
            "images_per_s": 1000.0,
        }
        for e in (1, 2, 3)
    ]
    write_job(app_home.home, "456def", good_job("456def", "curvy", started=1.0, finished=9.0))
    progress = {"phase": "training", "epoch": 3, "epochs": 3, "history": history}
    (app_home.home / "jobs" / "456def" / "progress.json").write_text(json.dumps(progress))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert not at.get("plotly_chart")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # loss and accuracy, each training and validation
    specs = [json.loads(chart.proto.spec) for chart in charts]
    assert [s["encoding"]["y"]["field"] for s in specs] == ["loss", "accuracy"]
    import pyarrow as pa

    values = pa.ipc.open_stream(charts[1].proto.data.data).read_all().to_pylist()
    assert {(v["epoch"], v["series"]) for v in values} == {
        (e, s) for e in (1, 2, 3) for s in ("training", "validation")
    }
    assert {"epoch": 3, "series": "validation", "accuracy": 0.92} in values
