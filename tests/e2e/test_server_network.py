"""The server keeps to the machine: a websocket from a foreign origin is refused without
Streamlit asking an outside service for the machine's external IP address (its
``net_util.get_external_ip``), and one naming a foreign host (DNS rebinding) is refused.

Any lookup would go through ``HTTP_PROXY`` / ``HTTPS_PROXY``, which point at a local listener
that records every connection."""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
from urllib.parse import urlparse

import pytest

from e2e_servers import running_server

pytestmark = pytest.mark.slow


class Recorder:
    """A TCP listener on 127.0.0.1 that counts the connections it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def recorder():
    listener = Recorder()
    yield listener
    listener.close()


def handshake(url: str, *, host: str | None = None, origin: str | None = None) -> int:
    """The HTTP status of a websocket opening handshake to the app's stream."""
    address = urlparse(url)
    host = host or address.netloc
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
               + (f"Origin: {origin}\r\n" if origin else "") + "\r\n")
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(request.encode())
        return int(sock.recv(4096).split(b" ", 2)[1])


def _proxied(recorder: Recorder) -> dict[str, str]:
    return {"HTTP_PROXY": recorder.url, "HTTPS_PROXY": recorder.url, "http_proxy": recorder.url,
            "https_proxy": recorder.url, "NO_PROXY": "", "no_proxy": ""}


def test_foreign_origin_first_is_refused_without_an_outside_lookup(hccdash_home, recorder):
    with running_server(hccdash_home, launcher=True, env=_proxied(recorder)) as url:
        assert handshake(url, origin="http://evil.example") == 403  # the server's very first websocket
        time.sleep(3)  # Streamlit's lookup would time out after 1 s per address
        assert recorder.connections == 0
        assert handshake(url, origin=url) == 101  # the app's own page still connects


def test_foreign_origin_after_a_plain_streamlit_run_session_is_refused_without_a_lookup(
        hccdash_home, recorder, browser, wait_for_script):
    with running_server(hccdash_home, env=_proxied(recorder)) as url:
        page = browser.new_page()
        page.goto(url)
        wait_for_script(page)  # app.py has run once
        assert handshake(url, origin="http://evil.example") == 403
        time.sleep(3)
        assert recorder.connections == 0


@pytest.mark.parametrize("launcher", [True, False])
def test_a_foreign_host_name_is_refused(hccdash_home, launcher):
    with running_server(hccdash_home, launcher=launcher) as url:
        port = urlparse(url).port
        assert handshake(url, host=f"rebound.example:{port}", origin=f"http://rebound.example:{port}") == 403
        assert handshake(url, host=f"localhost:{port}", origin=f"http://localhost:{port}") == 101
        assert handshake(url) == 101
