"""The shipped .streamlit/config.toml: safe defaults for a server nobody configured."""

import sys
import tomllib
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def server() -> dict:
    with CONFIG.open("rb") as f:
        return tomllib.load(f)["server"]


def test_the_app_listens_on_this_machine_only():
    assert server()["address"] == "127.0.0.1"


def test_uploads_are_limited_to_what_a_phone_photo_needs():
    # A 48 MP phone JPEG is 10-25 MB; Streamlit's own default is 200 MB.
    assert 25 <= server()["maxUploadSize"] <= 50


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not exist on Windows")
def test_the_server_runs_its_event_loop_on_uvloop(tmp_path):
    # streamlit[performance] (requirements.txt) brings uvloop, httptools and orjson; Streamlit
    # then runs its server on uvloop. bench_load: the server's p95 per stroke at 20 sessions
    # fell from 111-118 ms to about 80 ms with them.
    from devkit import browser_util as bu

    port = bu.free_port()
    proc = bu.start_server(port, tmp_path / "home", tmp_path / "streamlit.log")
    try:
        bu.wait_for_port(port, proc, timeout=60)
        assert bu.maps_library(proc.pid, "uvloop"), "the server's event loop is not uvloop"
    finally:
        bu.stop_server(proc)
