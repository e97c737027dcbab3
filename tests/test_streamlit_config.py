"""`.streamlit/config.toml`: what an unexpected error shows, the upload limit, the host names."""

from __future__ import annotations

import tomllib

import pytest
from streamlit import config
from streamlit.elements import exception

from hccdash.paths import PROJECT_DIR
from hccdash.settings import CohortSettings

CONFIG = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text())
MIB = 1024 * 1024


@pytest.fixture
def error_details():
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", CONFIG["client"]["showErrorDetails"])
    yield
    config.set_option("client.showErrorDetails", before)


def test_an_unexpected_error_shows_no_message_paths_or_stack(error_details):
    try:
        open("/no/such/dir/hccdash.duckdb")  # noqa: SIM115 - an error whose message holds a path
    except OSError as exc:
        error = exc
    shown = exception._error_detail_visibility(apply_show_error_details=True)
    assert not shown.show_message and not shown.show_trace  # both would show the path
    proto = exception.ExceptionProto()
    exception.marshall(proto, error, apply_show_error_details=True)
    assert "/no/such/dir" not in proto.message and not proto.stack_trace
    assert len(proto.message) < 300 and proto.type == "FileNotFoundError"


def test_upload_limit_fits_the_largest_ct_volume_the_app_reads():
    limit = CONFIG["server"]["maxUploadSize"] * MIB
    largest = CohortSettings().max_voxels * 2 + 352  # int16 voxels and a NIfTI-1 header, uncompressed
    assert largest <= limit < 2 * largest


def test_websocket_answers_only_to_local_host_names():
    assert set(CONFIG["server"]["allowedHosts"]) == {"127.0.0.1", "localhost"}
    assert CONFIG["server"]["address"] == "127.0.0.1"
