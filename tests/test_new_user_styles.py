"""What a new user draws first (issue #19): a flagged 1, an open 4, a small 7, a scribble.

The Draw page under AppTest with the bundled models, fed drawings from ``devkit.drawn`` the
way the canvas records them: the first default model names the digit, and a scribble gets
"not a digit". Fixed seeds: the same drawings every run.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from devkit.drawn import draw_digit
from tests.helpers import canvas_state

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CASES = [  # digit, template, ink size (px on the 280 px canvas), pen (px)
    (1, "flag", None, 20.0),
    (1, "flag_base", None, 20.0),
    (4, "open", None, 20.0),
    (7, "plain", 50.0, 8.0),  # a small 7, drawn with a fine pen
]


def first_answer(at: AppTest) -> tuple[str, int]:
    """The first card's model and digit."""
    html = " ".join(m.value for m in at.markdown)
    found = re.search(r"data-testid='prediction-([\w.-]+)'>(\d)<", html)
    assert found, "no prediction card on the page"
    return found.group(1), int(found.group(2))


@pytest.fixture(scope="module")
def draw_page(tmp_path_factory: pytest.TempPathFactory) -> AppTest:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LENET_HOME", str(home))
        at = AppTest.from_file(APP, default_timeout=60).run()
        at.switch_page("pages/draw.py").run()
        yield at


@pytest.mark.parametrize(("digit", "style", "extent", "pen"), CASES)
def test_a_new_users_digit_is_read_right(draw_page, digit, style, extent, pen):
    for seed in range(12):
        image = draw_digit(digit, np.random.default_rng(seed), style=style, extent=extent, pen=pen)
        draw_page.session_state["draw_canvas_0"] = canvas_state(image)
        draw_page.run()
        assert not draw_page.exception
        model, answer = first_answer(draw_page)
        assert answer == digit, f"{model} read a {style} {digit} (seed {seed}) as {answer}"
        assert not draw_page.warning  # and it is a digit
