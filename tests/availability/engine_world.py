"""Shared by the engine's tests: a TCP listener that comes and goes on one port, and checks on CIs."""

from __future__ import annotations

import socket
import socketserver
import threading
from datetime import datetime

from availability.models import Check, CheckKind
from cmdb.services import ci_create


class _Quiet(socketserver.BaseRequestHandler):
    def handle(self):
        pass  # accept and hang up: a TCP check only needs the handshake


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


class Listener:
    """A real TCP service on loopback that a test can stop and start again on the same port."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server = None

    def start(self) -> Listener:
        self._server = _Server(("127.0.0.1", self.port), _Quiet)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def make_ci(school, actor, name: str, kind: str = "server", address: str = "127.0.0.1"):
    return ci_create(school=school, actor=actor, kind=kind, name=name, management_address=address)


def tcp_check(ci, port: int, *, now: datetime | None = None, name: str = "", **fields) -> Check:
    """An active TCP check on `ci`, due at `now` (or never run, hence due at once)."""
    fields = {"timeout_seconds": 0.5, "retries": 0, "interval_seconds": 60, **fields}
    return Check.objects.create(
        school_id=ci.school_id,
        ci=ci,
        kind=CheckKind.TCP,
        name=name or f"TCP {port}",
        port=port,
        next_run_at=now,
        **fields,
    )
