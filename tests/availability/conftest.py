"""Real test peers for the availability probes: loopback servers, black holes and a private snmpd.

The SNMP agent is Debian's Net-SNMP snmpd on udp 127.0.0.1:1161, started by scripts/ci/snmpd.sh when it is not
running (its tests are skipped, saying why, only when snmpd is not installed). The black holes are ours: a TCP
port whose accept queue is full (connects hang, as to a dead host) and a UDP port that reads and never answers
(an agent that has gone away). Addresses in TEST-NET are not used as "dead" targets because some networks
(sandboxes, captive proxies) answer for them.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNMPD = Path("/usr/sbin/snmpd")
SNMP_HOST, SNMP_PORT = "127.0.0.1", 1161
SNMP_V3 = {"name": "fitsprobe", "auth_key": "fitsprobe-auth", "priv_key": "fitsprobe-priv"}  # scripts/ci/snmpd.sh


@pytest.fixture(scope="session")
def snmp_agent():
    """(host, port) of a real snmpd with the system MIBs, v2c community "public" and v3 user "fitsprobe"."""
    if not SNMPD.exists():
        pytest.skip(f"{SNMPD} is missing: apt-get install snmpd snmp (CI installs it in .ci/run)")
    started = subprocess.run(
        [str(REPO / "scripts/ci/snmpd.sh"), "start"],
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "FITS_SNMPD_PORT": str(SNMP_PORT)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert started.returncode == 0, f"scripts/ci/snmpd.sh start failed:\n{started.stdout}{started.stderr}"
    return SNMP_HOST, SNMP_PORT


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        status = {"/ok": 200, "/broken": 500}.get(self.path, 404)
        body = f"status {status}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - quiet test server
        pass


@pytest.fixture(scope="session")
def http_server():
    """Base address of a stdlib HTTP server on loopback: /ok answers 200, /broken 500, anything else 404."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    """A loopback TCP port nobody listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def tcp_black_hole():
    """A loopback TCP port whose accept queue is full: a connect gets no answer, like a dead host's."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    yield port
    for sock in [*fillers, listener]:
        sock.close()


@pytest.fixture
def silent_server():
    """A loopback TCP port that accepts connections (in the kernel) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def udp_black_hole():
    """A loopback UDP port that takes datagrams and never answers: an SNMP agent that has gone away."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory):
    """(certificate, key) of a self-signed certificate for 127.0.0.1 that expires in 10 days (openssl CLI)."""
    openssl = Path("/usr/bin/openssl")
    if not openssl.exists():
        pytest.skip("the openssl command is missing: the https probe test makes its certificate with it")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            str(openssl),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "10",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key
