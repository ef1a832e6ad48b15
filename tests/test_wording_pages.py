"""The pages' sentences built from numbers read right (AppTest)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(f"pages/{page}.py").run()
    return at


def expected_sentence(a: str, b: str, difference: int) -> str:
    if difference == 0:
        return f"{a} gets as many test images right as {b}."
    count = abs(difference)
    nouns = "test image" if count == 1 else "test images"
    return f"{a} gets {count} {'more' if difference > 0 else 'fewer'} {nouns} right than {b}."


def test_compare_says_more_or_fewer_not_a_signed_number(app_home):
    at = open_page("compare")
    assert not at.exception
    a, b = at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value
    ra, rb = app_home.report(a), app_home.report(b)
    difference = round((ra.accuracy - rb.accuracy) * ra.n)
    assert difference != 0  # the two tiny models differ, so both signs are checked below
    for first, second, diff in ((a, b, difference), (b, a, -difference)):
        if at.selectbox(key="compare_a").value != first:
            at.selectbox(key="compare_a").set_value(first).run()  # picking B's model swaps them
        assert at.selectbox(key="compare_b").value == second
        captions = " ".join(c.value for c in at.caption)
        assert not at.exception
        assert expected_sentence(first, second, diff) in captions, captions
        assert "compared with" not in captions
