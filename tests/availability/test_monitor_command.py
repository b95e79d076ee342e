"""`manage.py monitor --once` (DESIGN 6: a contract): runs the checks in-process and prints a table."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from availability.models import CheckResult, PollRun, State

from .engine_world import Listener, make_ci, tcp_check


@pytest.fixture
def listener():
    server = Listener().start()
    yield server
    server.stop()


def monitor(*args: str) -> str:
    out = StringIO()
    call_command("monitor", *args, stdout=out)
    return out.getvalue()


def test_without_once_it_says_what_runs_monitoring():
    text = monitor()
    assert "celery -A fits worker --queues celery,monitoring" in text
    assert "celery -A fits beat" in text
    assert "monitor --once" in text


def test_once_runs_the_due_checks_and_prints_a_table(highfield, tech, listener, closed_port):
    now = timezone.now()
    web = tcp_check(make_ci(highfield, tech, "Web server"), listener.port, now=now, name="Intranet")
    tcp_check(make_ci(highfield, tech, "Database server"), closed_port, now=now, name="SQL")
    tcp_check(make_ci(highfield, tech, "Spare server"), listener.port, now=now + timedelta(hours=1), name="Later")

    text = monitor("--once")

    lines = text.splitlines()
    assert lines[0].split() == ["CI", "Check", "Target", "State", "Latency", "Message"]
    database, web_line = lines[2], lines[3]  # by CI name
    assert database.split()[:5] == ["Database", "server", "SQL", "127.0.0.1", "down"]
    assert f"127.0.0.1:{closed_port} did not accept a connection" in database
    assert web_line.split()[:5] == ["Web", "server", "Intranet", "127.0.0.1", "up"] and " ms " in web_line
    assert "Later" not in text
    assert lines[-1] == "2 checks: 1 up, 1 down"
    run = PollRun.objects.get()
    assert run.worker.startswith("monitor --once@") and run.finished_at is not None
    web.refresh_from_db()
    assert web.state == State.UP and CheckResult.objects.filter(for_check=web).count() == 1


def test_all_runs_every_active_check_of_one_school(highfield, riverside, tech, tech2, listener):
    later = timezone.now() + timedelta(hours=1)
    tcp_check(make_ci(highfield, tech, "Web server"), listener.port, now=later, name="Intranet")
    tcp_check(make_ci(riverside, tech2, "Riverside server"), listener.port, now=later, name="Theirs")

    assert "No due checks at highfield" in monitor("--once", "--school", "highfield")
    text = monitor("--once", "--all", "--school", "highfield")

    assert "Intranet" in text and "Theirs" not in text
    assert text.splitlines()[-1] == "1 check: 1 up"


def test_an_unknown_school_is_an_error(db):
    with pytest.raises(CommandError, match="No school with the slug 'nowhere'"):
        monitor("--once", "--school", "nowhere")


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit):
        call_command("monitor", "--help")
    text = capsys.readouterr().out
    assert "--once" in text and "--school SLUG" in text and "--all" in text
    assert "every active check runs" in text
