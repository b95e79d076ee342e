"""The availability probes against real peers on loopback: TCP, HTTP(S), ICMP, DNS and many at once.

No mocks: servers are real sockets, and "dead" targets are black holes we own (see conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import threading
import time
from datetime import UTC, datetime

import pytest

from availability import probes
from availability.probes import DEGRADED, DOWN, UNKNOWN, UP, ProbeResult


def run(coroutine):
    return asyncio.run(coroutine)


def timed(coroutine):
    started = time.perf_counter()
    result = asyncio.run(coroutine)
    return result, time.perf_counter() - started


def test_a_result_only_takes_known_states():
    result = ProbeResult(UP, 1.5, "fine")
    assert result.ok and result.values == {} and result.checked_at.tzinfo is UTC
    assert abs((datetime.now(UTC) - result.checked_at).total_seconds()) < 5
    with pytest.raises(ValueError, match="state must be one of"):
        ProbeResult("sideways")


# --- TCP ---


def test_tcp_up_against_a_listening_server():
    async def scenario():
        server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await probes.tcp("127.0.0.1", port, timeout=1), port

    result, port = run(scenario())
    assert result.state == UP
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert result.values == {"port": port}
    assert f"127.0.0.1:{port} accepted" in result.message


def test_tcp_refused_port_is_down_at_once(closed_port):
    result, elapsed = timed(probes.tcp("127.0.0.1", closed_port, timeout=2, retries=1))
    assert result.state == DOWN and result.latency_ms is None
    assert f"127.0.0.1:{closed_port} did not accept a connection after 2 tries" in result.message
    assert elapsed < 1


def test_tcp_dead_target_times_out_within_its_timeout(tcp_black_hole):
    result, elapsed = timed(probes.tcp("127.0.0.1", tcp_black_hole, timeout=0.4))
    assert result.state == DOWN
    assert "timed out" in result.message
    assert 0.35 < elapsed < 0.9


def test_tcp_retries_multiply_the_wait_not_more(tcp_black_hole):
    result, elapsed = timed(probes.tcp("127.0.0.1", tcp_black_hole, timeout=0.25, retries=2))
    assert result.state == DOWN and "after 3 tries (timed out)" in result.message
    assert 0.7 < elapsed < 1.3


def test_tcp_unresolvable_name_is_down_not_an_exception():
    result = run(probes.tcp("no-such-host.invalid", 80, timeout=1))
    assert result.state == DOWN
    assert "no-such-host.invalid:80 did not accept" in result.message


# --- HTTP ---


def test_http_expected_status_is_up(http_server):
    result = run(probes.http(f"{http_server}/ok", timeout=2))
    assert result.state == UP
    assert result.values["status"] == 200
    assert "answered 200 OK" in result.message
    assert "cert_days_left" not in result.values


def test_http_server_error_is_down_and_says_what_it_got(http_server):
    result = run(probes.http(f"{http_server}/broken", timeout=2))
    assert result.state == DOWN
    assert result.values["status"] == 500
    assert result.message == f"{http_server}/broken answered 500 Internal Server Error, expected 200"


def test_http_accepts_a_set_of_expected_statuses(http_server):
    result = run(probes.http(f"{http_server}/missing", expect_status={200, 404}, timeout=2))
    assert result.state == UP and result.values["status"] == 404


def test_http_refused_is_down(closed_port):
    result = run(probes.http(f"http://127.0.0.1:{closed_port}/", timeout=1, retries=1))
    assert result.state == DOWN
    assert result.message.startswith(f"no answer from http://127.0.0.1:{closed_port}/ after 2 tries")


def test_http_silent_server_times_out_within_its_timeout(silent_server):
    result, elapsed = timed(probes.http(f"http://127.0.0.1:{silent_server}/", timeout=0.4))
    assert result.state == DOWN and "(timed out)" in result.message
    assert 0.35 < elapsed < 0.9


def test_http_not_a_web_address_is_down_not_an_exception():
    result = run(probes.http("ftp://127.0.0.1/file", timeout=1))
    assert result.state == DOWN and "not an http(s) address" in result.message


def _tls_server_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


async def _https_answer(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    await writer.drain()
    writer.close()


def test_https_reports_certificate_days_left_and_warns_before_expiry(tls_certificate):
    cert, key = tls_certificate

    async def scenario():
        server = await asyncio.start_server(_https_answer, "127.0.0.1", 0, ssl=_tls_server_context(cert, key))
        url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        async with server:
            return (
                await probes.http(url, timeout=3, ca_file=str(cert)),
                await probes.http(url, timeout=3, ca_file=str(cert), cert_warn_days=5),
                await probes.http(url, timeout=3),
                await probes.http(url, timeout=3, verify_tls=False),
            )

    warned, fine, untrusted, unverified = run(scenario())
    assert warned.state == DEGRADED
    assert warned.values["cert_days_left"] in (9, 10)
    assert "certificate expires in" in warned.message
    assert fine.state == UP and fine.values["status"] == 200 and fine.values["tls_version"].startswith("TLS")
    assert untrusted.state == DOWN and "CERTIFICATE_VERIFY_FAILED" in untrusted.message
    assert unverified.state == UP and unverified.values["cert_days_left"] is None


# --- ICMP ---


def test_ping_loopback_says_which_socket_it_used():
    result = run(probes.ping("127.0.0.1", count=2, timeout=1, interval=0.05))
    if result.state == UNKNOWN:
        pytest.skip(f"ICMP is impossible here (not root, ping_group_range excludes us): {result.message}")
    assert result.state == UP
    assert result.values["sent"] == 2 and result.values["received"] == 2
    assert result.values["privileged"] in (True, False)
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert result.message == "127.0.0.1 answered 2 pings"


def test_ping_unusable_socket_mode_is_unknown_with_the_reason():
    with open("/proc/sys/net/ipv4/ping_group_range") as handle:
        low, high = (int(part) for part in handle.read().split())
    if low <= os.getgid() <= high:
        pytest.skip("unprivileged ICMP is allowed here, so there is no refusal to observe")
    result = run(probes.ping("127.0.0.1", count=1, timeout=0.5, privileged=False))
    assert result.state == UNKNOWN
    assert result.message == "cannot ping 127.0.0.1: unprivileged ICMP socket not permitted"


def test_ping_unresolvable_name_is_unknown():
    result = run(probes.ping("no-such-host.invalid", count=1, timeout=0.5))
    assert result.state == UNKNOWN
    assert result.message == "cannot resolve no-such-host.invalid"


def test_ping_test_net_address_finishes_within_its_budget():
    """192.0.2.1 (TEST-NET-1) should be silent; some sandboxes answer for it, so only the time is asserted."""
    result, elapsed = timed(probes.ping("192.0.2.1", count=2, timeout=0.3, interval=0.05))
    assert isinstance(result, ProbeResult)
    assert elapsed < 2 * (0.3 + 0.05) + 1.0
    if result.state == DOWN:
        assert result.message == "no reply from 192.0.2.1 after 2 tries"


# --- DNS ---


def test_dns_resolves_localhost():
    result = run(probes.dns("localhost", timeout=2))
    assert result.state == UP
    assert "127.0.0.1" in result.values["addresses"] or "::1" in result.values["addresses"]


def test_dns_unknown_name_is_down():
    result = run(probes.dns("no-such-host.invalid", timeout=2))
    assert result.state == DOWN and result.message.startswith("no-such-host.invalid did not resolve after 1 try")


@pytest.fixture
def dns_server():
    """A real DNS server on a loopback UDP port (dnspython's wire format): intranet.school.test has an address,
    every other name does not exist."""
    import dns.message
    import dns.rcode
    import dns.rdatatype
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            question = query.question[0]
            if question.name.to_text() == "intranet.school.test.":
                if question.rdtype == dns.rdatatype.A:
                    response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", "10.20.0.80"))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(2)
    sock.close()


def test_dns_asks_the_named_server(dns_server):
    result = run(probes.dns("intranet.school.test", server="127.0.0.1", port=dns_server, timeout=2))
    assert result.state == UP
    assert result.values == {"server": "127.0.0.1", "addresses": ["10.20.0.80"]}
    assert result.message == "127.0.0.1 resolves intranet.school.test to 10.20.0.80"


def test_dns_a_name_the_server_does_not_know_is_down(dns_server):
    result = run(probes.dns("nothing.school.test", server="127.0.0.1", port=dns_server, timeout=2))
    assert result.state == DOWN and result.message == "127.0.0.1 says nothing.school.test does not exist"


def test_dns_a_silent_server_is_down_within_its_time(udp_black_hole):
    started = time.perf_counter()
    result = run(probes.dns("intranet.school.test", server="127.0.0.1", port=udp_black_hole, timeout=0.5, retries=1))
    assert (
        result.state == DOWN and "did not answer for intranet.school.test after 2 tries (timed out)" in result.message
    )
    assert time.perf_counter() - started < 3


def test_dns_a_server_name_that_does_not_resolve_is_unknown():
    result = run(probes.dns("intranet.school.test", server="no-such-dc.invalid", timeout=2))
    assert result.state == UNKNOWN and result.message.startswith("cannot find the DNS server no-such-dc.invalid")


# --- Many at once ---


def test_run_many_200_targets_20_dead_take_about_one_timeout(http_server, tcp_black_hole, closed_port):
    """One slow target never delays the others: 20 dead in 200 cost one timeout, not twenty."""
    timeout = 0.5

    async def scenario():
        server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0, backlog=512)
        live = server.sockets[0].getsockname()[1]
        targets = []
        for number in range(200):
            if number % 10 == 3:
                targets.append(probes.tcp("127.0.0.1", tcp_black_hole, timeout=timeout))
            else:
                targets.append(probes.tcp("127.0.0.1", live, timeout=timeout))
        async with server:
            started = time.perf_counter()
            results = await probes.run_many(targets, concurrency=200)
            return results, time.perf_counter() - started

    results, elapsed = run(scenario())
    assert len(results) == 200
    states = [result.state for result in results]
    assert states.count(DOWN) == 20 and states.count(UP) == 180
    assert all(results[number].state == DOWN for number in range(3, 200, 10))  # in the order given
    assert elapsed < 2 * timeout, f"200 probes took {elapsed:.2f} s"


def test_run_many_turns_failures_and_overruns_into_unknown_results(closed_port):
    async def broken():
        raise RuntimeError("agent table corrupt")

    async def sluggish():
        await asyncio.sleep(5)
        return ProbeResult(UP)

    async def scenario():
        return await probes.run_many(
            [broken(), sluggish, probes.tcp("127.0.0.1", closed_port, timeout=1)], concurrency=2, timeout=0.3
        )

    (failed, overran, refused), elapsed = timed(scenario())
    assert failed.state == UNKNOWN and failed.message == "probe failed: RuntimeError: agent table corrupt"
    assert overran.state == UNKNOWN and overran.message == "probe gave no result within 0.3 s"
    assert refused.state == DOWN
    assert elapsed < 1.5
