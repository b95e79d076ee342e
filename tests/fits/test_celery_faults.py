"""Every task survives a worker's death without running twice (DESIGN.md 4.6, issue 12 part 7).

With acks_late, a message is acknowledged only when its task ends: a worker killed mid-task leaves it
unacknowledged and Redis hands it to another worker after the visibility timeout. That is only safe when
nothing legitimately keeps a message unacknowledged longer than the timeout: a task's run time (its hard time
limit), a countdown, an ETA, or a retry's back-off. Otherwise a task still running, or still waiting to
retry, is delivered a second time. This test holds every task of the project to that, from the registered
tasks themselves and from the source (countdowns and ETAs are arguments, not task options).

The kill itself is proven with real workers in tests/availability/test_worker_kill.py, and the one-beat lock
with two real beats in tests/fits/test_beat.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from fits.celery import app

REPO = Path(settings.BASE_DIR).resolve()
VISIBILITY = settings.FITS_BROKER_VISIBILITY_TIMEOUT


def project_tasks():
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(tasks) > 20, "the project's tasks were not found"
    return tasks


def test_the_redis_broker_uses_the_visibility_timeout_the_tasks_are_held_to():
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == VISIBILITY


def test_every_task_is_acknowledged_late_and_given_back_when_its_worker_dies():
    problems = [
        name for name, task in project_tasks().items() if not task.acks_late or task.reject_on_worker_lost is False
    ]
    assert not problems, f"tasks acknowledged before they run, or dropped when their worker dies: {problems}"


def test_every_run_time_and_retry_wait_is_shorter_than_the_visibility_timeout():
    problems = []
    for name, task in project_tasks().items():
        hard_limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        if not hard_limit or hard_limit >= VISIBILITY:
            problems.append(f"{name}: may run {hard_limit or 'forever'} s")
        if getattr(task, "autoretry_for", ()):
            # Celery caps an exponential back-off at 600 s unless the task says otherwise
            wait = getattr(task, "retry_backoff_max", 600) if task.retry_backoff else task.default_retry_delay
            if wait >= VISIBILITY:
                problems.append(f"{name}: waits up to {wait} s before a retry")
    assert not problems, f"longer than the broker's visibility timeout ({VISIBILITY} s): {problems}"


def test_no_countdown_or_eta_in_the_code_outlasts_the_visibility_timeout():
    problems = []
    for path in REPO.rglob("*.py"):
        relative = path.relative_to(REPO)
        if relative.parts[0] in {".venv", "tests", "node_modules"} or "site-packages" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.keyword) or node.arg not in {"countdown", "eta", "expires"}:
                continue
            where = f"{relative}:{node.value.lineno}"
            if node.arg == "eta":
                problems.append(f"{where}: an ETA can be any time away; use a countdown below {VISIBILITY} s")
            elif not (isinstance(node.value, ast.Constant) and node.value.value < VISIBILITY):
                problems.append(f"{where}: {node.arg} must be a number of seconds below {VISIBILITY}")
    assert not problems, "\n".join(problems)
