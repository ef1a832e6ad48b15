"""Evaluate and Compare pages under AppTest, on a store of two tiny models made in tmp_path."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lenet import analysis

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(f"pages/{page}.py").run()
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_evaluate_shows_the_reports_numbers(app_home):
    at = open_page("evaluate")
    at.selectbox(key="evaluate_model").set_value("tiny").run()
    assert not at.exception
    report, card = app_home.report("tiny"), app_home.card("tiny")
    shown = metrics(at)
    assert shown["Accuracy"] == f"{report.accuracy:.2%}"
    assert shown["Macro F1"] == f"{report.macro_f1:.4f}"
    assert shown["Macro precision"] == f"{report.macro_precision:.4f}"
    assert shown["Parameters"] == f"{card.params / 1e3:.1f} k"
    table = at.table[0].value  # the classification report, shown at once
    assert list(table["digit"])[:10] == [str(d) for d in range(10)]
    assert table["F1"].iloc[10] == pytest.approx(report.macro_f1)
    matrix = at.dataframe[0].value  # the confusion matrix
    assert matrix.loc[3, "5"] == report.confusion[3][5] and list(matrix.columns)[0] == "true"
    assert f"{len(report.misclassified)} mistakes" in " ".join(m.value for m in at.markdown)


def test_evaluate_first_visit_sends_no_chart_until_its_tab_is_opened(app_home):
    """plotly.js (4.7 MB) compiled in the browser held back the whole page on a first visit."""
    at = open_page("evaluate")
    at.selectbox(key="evaluate_model").set_value("tiny").run()
    assert not at.get("plotly_chart") and not at.exception
    for tab in ("Accuracy per digit", "Training curves"):
        at.session_state["evaluate_tab"] = tab
        at.run()
        assert len(at.get("plotly_chart")) == 1, tab
        assert not at.table  # the report's tab is closed: not computed
    at.session_state["evaluate_tab"] = "Test samples"
    at.run()
    assert not at.get("plotly_chart") and len(at.get("image")) == 2  # mistakes and samples


def test_evaluate_filters_mistakes_by_cell(app_home):
    at = open_page("evaluate")
    at.selectbox(key="evaluate_model").set_value("tiny").run()
    report = app_home.report("tiny")
    m = report.misclassified[0]
    at.selectbox(key="evaluate_true").set_value(m["true"]).run()
    at.selectbox(key="evaluate_pred").set_value(m["predicted"]).run()
    _, total = analysis.mistakes(report, m["true"], m["predicted"])
    text = " ".join(x.value for x in at.markdown)
    assert f"**{total} mistake" in text and not at.exception
    at.selectbox(key="evaluate_pred").set_value(m["true"]).run()
    assert "diagonal" in at.info[0].value


def test_compare_table_curves_and_difference(app_home):
    at = open_page("compare")
    assert not at.exception
    assert at.multiselect(key="compare_models").value == ["other", "tiny"]
    row = at.dataframe[0].value.set_index("model")
    assert row.loc["tiny", "test accuracy (%)"] == round(app_home.card("tiny").accuracy * 100, 2)
    assert "macro F1" in row.columns and "activation" not in row.columns  # metrics only
    settings = at.dataframe[1].value.set_index("setting")  # one row per setting that differs
    assert set(settings.index) >= {"activation", "pooling", "train_subset"}
    assert list(settings.columns) == ["other", "tiny"]
    assert "epochs" not in settings.index  # same in both: not shown
    assert len(at.get("plotly_chart")) == 3
    _, total = analysis.disagreements(app_home.report("other"), app_home.report("tiny"))
    assert f"**{total} test images**" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("page", ["evaluate", "compare"])
def test_empty_store_gives_a_helpful_message(app_home, page):
    app_home.delete("tiny")
    app_home.delete("other")
    at = open_page(page)
    assert not at.exception
    assert "model" in at.info[0].value.lower()


def test_broken_entry_is_left_out_with_a_message(app_home):
    (app_home.path("other") / "model.keras").write_bytes(b"not a model")
    at = open_page("compare")
    assert not at.exception
    assert "at least two usable models" in at.info[0].value
    at = open_page("evaluate")
    assert at.selectbox(key="evaluate_model").options == ["tiny"]
    home = AppTest.from_file(APP, default_timeout=60).run()
    assert "other" in home.warning[0].value


@pytest.mark.parametrize("page", ["evaluate", "compare"])
def test_unreadable_report_leaves_the_entry_out_not_a_traceback(app_home, page):
    # The store checks every file when it lists: the entry is broken, named with its reason.
    (app_home.path("other") / "report.json").write_text("{broken")
    assert "report.json" in {c.name: c for c in app_home.list()}["other"].error
    at = open_page(page)
    assert not at.exception
    if page == "evaluate":
        assert at.selectbox(key="evaluate_model").options == ["tiny"]
    else:
        assert "at least two usable models" in at.info[0].value


def test_compare_keeps_a_and_b_apart_when_model_a_is_removed(app_home):
    import shutil

    shutil.copytree(app_home.path("tiny"), app_home.path("tiny").with_name("third"))
    at = open_page("compare")
    at.multiselect(key="compare_models").set_value(["other", "third", "tiny"]).run()
    assert (at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value) == (
        "other",
        "third",
    )
    at.multiselect(key="compare_models").set_value(["third", "tiny"]).run()  # A goes
    assert not at.exception
    a, b = at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value
    assert {a, b} == {"third", "tiny"}
    assert at.get("plotly_chart")[-1].proto.spec  # the difference heatmap is drawn
    assert not [i for i in at.info if "different" in i.value]


def test_compare_picking_b_as_a_swaps_them(app_home):
    at = open_page("compare")
    assert (at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value) == (
        "other",
        "tiny",
    )
    at.selectbox(key="compare_a").set_value("tiny").run()
    assert (at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value) == (
        "tiny",
        "other",
    )
    assert not at.info


def test_evaluate_shows_a_model_description_as_plain_text(app_home):
    import json

    card_path = app_home.path("tiny") / "card.json"
    card = json.loads(card_path.read_text())
    card["description"] = "mine ![x](http://example.invalid/x.png) *bold*"
    card_path.write_text(json.dumps(card))
    at = open_page("evaluate")
    at.selectbox(key="evaluate_model").set_value("tiny").run()
    assert not at.exception
    caption = next(m.value for m in at.caption if "test images" in m.value)
    assert r"\!\[x\]\(" in caption and r"\*bold\*" in caption  # shown, not rendered
    assert "![x](" not in caption
