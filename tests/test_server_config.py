"""The shipped .streamlit/config.toml: safe defaults for a server nobody configured."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def server() -> dict:
    with CONFIG.open("rb") as f:
        return tomllib.load(f)["server"]


def test_the_app_listens_on_this_machine_only():
    assert server()["address"] == "127.0.0.1"


def test_uploads_are_limited_to_what_a_phone_photo_needs():
    # A 48 MP phone JPEG is 10-25 MB; Streamlit's own default is 200 MB.
    assert 25 <= server()["maxUploadSize"] <= 50
