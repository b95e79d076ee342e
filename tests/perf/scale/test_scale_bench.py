"""Benchmarks at authority scale (issue 11): every scenario of the issue's table, on data made by `seed_scale`.

Run on demand (marker `perf`, never in `make test`):

    # once: generate the authority (several minutes at 500 schools)
    createdb -h 127.0.0.1 -U postgres h_perf_500
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_perf_500 python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_perf_500 python manage.py seed_scale --schools 500
    # then, as often as needed (the floor first, then each scenario; JSON under var/bench/, a table printed):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_perf_500 FITS_SCALE_DB=h_perf_500 make bench ARGS="-k scale -s"

Without FITS_SCALE_DB a small authority (FITS_SCALE_SCHOOLS, default 5) is generated into the test database, which
proves the runner works but measures little. FITS_SCALE_SKIP="load,patches" leaves out the slow scenarios.
Every figure is recorded with the machine's load: other engineers' tests share this machine.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import tracemalloc

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from fits.models import Activity, AuthorityRole, School, User
from incidents.models import Incident, Status
from tests.perf.bench import Report, machine, percentile, queries_of, rss_mb, timed

pytestmark = [pytest.mark.perf]

RUNS = int(os.environ.get("FITS_SCALE_RUNS", "30"))
SKIP = set(filter(None, os.environ.get("FITS_SCALE_SKIP", "").split(",")))


def get(client: Client, url: str, expect: int = 200):
    response = client.get(url)
    assert response.status_code == expect, (url, response.status_code)
    return response


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if not os.environ.get("FITS_SCALE_DB"):
            call_command("seed_scale", schools=int(os.environ.get("FITS_SCALE_SCHOOLS", "5")), tickets=600)
        consultant_role = AuthorityRole.objects.select_related("user", "authority").order_by("-authority_id").first()
        authority = consultant_role.authority
        schools = list(School.objects.filter(authority=authority).order_by("pk"))
        first = schools[0]
        people = {u.username.rsplit("-", 1)[1]: u for u in User.objects.filter(username__startswith=f"{first.slug}-")}
        yield {
            "authority": authority,
            "schools": schools,
            "school": first,
            "consultant": consultant_role.user,
            "tech": people["tech1"],
            "leader": people["leader1"],
            "desk": people["desk1"],
            "netmgr": people["netmgr1"],
            "tickets": Incident.objects.count(),
        }


def test_scale(scale, django_db_blocker, settings):
    from fits.celery import app

    app.conf.task_always_eager = False  # a notification is queued (to the broker), as in production
    from fits.wsgi import _settle

    _settle()  # set up as a web worker is (fits/wsgi.py): every view imported, long-lived objects frozen
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        report = Report("scale")
        report.meta = machine() | {
            "schools": len(scale["schools"]),
            "tickets": scale["tickets"],
            "runs": RUNS,
        }
        report.measure_floor()
        try:
            scenarios(report, scale)
        finally:
            path = report.write()
            print()
            print(report.table())
            print(f"written to {path}")


def scenarios(report: Report, s: dict) -> None:
    tech, consultant, leader = Client(), Client(), Client()
    tech.force_login(s["tech"])
    consultant.force_login(s["consultant"])
    leader.force_login(s["leader"])
    school = s["school"]

    # Technician queue: every ticket of the school, filtered to incidents, soonest due first; page 1 and the last.
    workbench = reverse("workbench")
    per_school = Incident.objects.filter(school=school, kind="incident").count()
    last = max(1, min(100, per_school // 50))
    url = f"{workbench}?queue=all&kind=incident&sort=due"
    samples = timed(lambda: get(tech, url), RUNS)
    q1 = queries_of(lambda: get(tech, url))
    qn = queries_of(lambda: get(tech, f"{url}&page={last}"))
    far = timed(lambda: get(tech, f"{url}&page={last}"), RUNS)
    tech_p95 = percentile(samples, 0.95) * 1000
    report.add_timings("technician queue p1 (50/page, due)", samples, target_ms=50)
    report.add_timings(f"technician queue p{last}", far, target_ms=50)
    report.add(
        "technician queue queries p1 / pN", "queries", q1, "queries", target="<= 8, same", met=q1 <= 8 and q1 == qn
    )
    report.add("technician queue queries pN", "queries", qn, "queries")

    # The consultant's cross-school queue: open tickets of every school, soonest due first.
    url = f"{workbench}?queue=open&sort=due"
    samples = timed(lambda: get(consultant, url), RUNS)
    p100 = timed(lambda: get(consultant, f"{url}&page=100"), max(5, RUNS // 3))
    cq = queries_of(lambda: get(consultant, url))
    cq100 = queries_of(lambda: get(consultant, f"{url}&page=100"))
    p95 = percentile(samples, 0.95) * 1000
    report.add_timings(f"consultant queue p1 ({len(s['schools'])} schools)", samples)
    report.add(
        "consultant queue p95 / technician p95",
        "ratio",
        p95 / tech_p95,
        "x",
        target="<= 1.5",
        met=p95 / tech_p95 <= 1.5,
    )
    report.add_timings("consultant queue p100", p100)
    report.add("consultant queue queries p1 / p100", "queries", cq, "queries", met=cq == cq100, note=f"p100: {cq100}")

    # Full-text search over every ticket of the authority (the consultant sees them all).
    search = f"{workbench}?queue=all&q=freezing+projector"
    samples = timed(lambda: get(consultant, search), max(5, RUNS // 2))
    report.add_timings(f"ticket search over {s['tickets']:,} tickets (consultant)", samples, target_ms=150)
    samples = timed(lambda: get(tech, search), max(5, RUNS // 2))
    report.add_timings("ticket search, one school (technician)", samples)

    # CMDB list, 100 a page, at one school and across the authority.
    cmdb = reverse("cmdb:ci_list")
    samples = timed(lambda: get(tech, f"{cmdb}?per_page=100"), RUNS)
    q1 = queries_of(lambda: get(tech, f"{cmdb}?per_page=100"))
    q3 = queries_of(lambda: get(tech, f"{cmdb}?per_page=100&page=3"))
    report.add_timings("CMDB list, 100/page, one school", samples, target_ms=60)
    report.add("CMDB list queries p1 / p3", "queries", q1, "queries", met=q1 == q3, note=f"p3: {q3}")
    samples = timed(lambda: get(consultant, f"{cmdb}?per_page=100"), max(5, RUNS // 3))
    report.add_timings("CMDB list, 100/page, every school (consultant)", samples, target_ms=60)
    far = timed(lambda: get(consultant, f"{cmdb}?per_page=100&page=500"), max(5, RUNS // 3), warmup=1)
    report.add_timings("CMDB list, consultant, page 500", far)

    # Incident detail with 200 timeline entries.
    ticket_type = Activity.objects.filter(school=school).values_list("content_type_id", flat=True).first()
    busy = (
        Activity.objects.filter(school=school, content_type_id=ticket_type)
        .values("object_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    detail = reverse("incidents:detail", args=[busy["object_id"]])
    samples = timed(lambda: get(tech, detail), RUNS)
    dq = queries_of(lambda: get(tech, detail))
    report.add_timings(f"incident detail, {busy['n']} timeline entries", samples, target_ms=80)
    report.add("incident detail queries", "queries", dq, "queries", target="<= 15", met=dq <= 15)

    # Dashboards.
    dash = reverse("servicelevels:dashboard")
    samples = timed(lambda: get(leader, dash), RUNS)
    report.add_timings(
        "leader dashboard", samples, target_ms=100, note=f"{queries_of(lambda: get(leader, dash))} queries"
    )
    lea = reverse("servicelevels:authority")
    samples = timed(lambda: get(consultant, lea), max(5, RUNS // 3))
    report.add_timings(
        f"consultant dashboard, {len(s['schools'])} schools",
        samples,
        target_ms=400,
        note=f"{queries_of(lambda: get(consultant, lea))} queries",
    )

    # Memory of a process that has served every page above (in-process, like one web worker).
    rss = rss_mb()
    report.add("RSS of the serving process after the pages", "rss", rss, "MB", target="<= 250 MB", met=rss <= 250)

    # Full CMDB export, streamed (the consultant's: every school).
    if "export" not in SKIP:
        export_all(report, consultant)

    # Incident create: the service, one at a time, then four clients at once.
    if "create" not in SKIP:
        incident_create(report, s)

    if "patches" not in SKIP:
        from om.patches.compliance import compliance_compute

        started = time.perf_counter()
        result = compliance_compute()
        seconds = time.perf_counter() - started
        report.add(
            f"patch compliance recompute, {result.rows:,} pairs",
            "wall",
            seconds,
            "s",
            target="<= 60 s",
            met=seconds <= 60,
            note=f"changed {result.changed:,}; stages " + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()),
        )


def export_all(report: Report, client: Client) -> None:
    from cmdb.models import ConfigurationItem

    url = reverse("cmdb:export")
    rss_before = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200
    lines = 0
    peak_rss = rss_before
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        if lines % 20_000 < 250:
            peak_rss = max(peak_rss, rss_mb())
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = lines - 1
    expected = ConfigurationItem.objects.count()
    report.add(
        f"CMDB export, {rows:,} CIs streamed",
        "rate",
        rows / seconds,
        "rows/s",
        target=">= 20,000 rows/s",
        met=rows / seconds >= 20_000,
        note=f"{seconds:.1f} s; {expected:,} CIs in the database",
    )
    growth = max(peak_rss - rss_before, traced_peak / 1e6)
    report.add("CMDB export memory growth", "peak", growth, "MB", target="<= 100 MB", met=growth <= 100)


def _close_connections() -> None:
    """Close this process's connections and its psycopg pool (Django's; none on SQLite or without the pool)."""
    connections.close_all()
    for conn in connections.all(initialized_only=True):
        if getattr(conn, "pool", None) is not None:
            conn.close_pool()


def incident_create(report: Report, s: dict) -> None:
    from incidents.services import incident_log

    # At the last schools: the first school's queue, measured above and on the next run, keeps its own size.
    school = s["schools"][-1]
    desk = User.objects.get(username=f"{school.slug}-desk1")
    samples = timed(
        lambda: incident_log(
            school=school, logged_by=desk, title="Bench: projector fault", description="-", impact=2, urgency=2
        ),
        RUNS * 2,
    )
    report.add_timings(
        "incident create (service: reference, SLA, audit, notification)", samples, target_ms=40, per="insert"
    )

    # Four clients, each its own process and connection, as a web server's workers or Celery's are (threads of one
    # interpreter would measure its lock, not the service), for a few seconds. They are forked, so they run with
    # this run's settings and database; the connection pool, not safe to fork, is closed first and made in each.
    schools = s["schools"][-min(4, len(s["schools"])) :]
    desks = {sc.pk: User.objects.filter(username=f"{sc.slug}-desk1").get() for sc in schools}
    seconds_each = float(os.environ.get("FITS_SCALE_CREATE_SECONDS", "10"))
    forked = multiprocessing.get_context("fork")
    go, answers = forked.Event(), forked.Queue()

    def client(n: int) -> None:
        made, error = 0, ""
        go.wait()
        stop = time.perf_counter() + seconds_each
        try:
            while time.perf_counter() < stop:
                sc = schools[(n + made) % len(schools)] if n % 2 else school
                incident_log(
                    school=sc,
                    logged_by=desks.get(sc.pk, desk),
                    title=f"Bench {n}",
                    description="-",
                    impact=2,
                    urgency=2,
                )
                made += 1
        except Exception as failure:  # noqa: BLE001 - counted and reported
            error = repr(failure)
        finally:
            _close_connections()
        answers.put((made, error))

    before = Incident.objects.count()
    _close_connections()
    processes = [forked.Process(target=client, args=(n,)) for n in range(4)]
    for process in processes:
        process.start()
    started = time.perf_counter()
    go.set()
    results = [answers.get(timeout=seconds_each + 120) for _ in processes]
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    errors = [error for _, error in results if error]
    created = Incident.objects.count() - before
    duplicates = (
        Incident.objects.values("school_id", "reference").annotate(n=Count("pk")).filter(n__gt=1).order_by().count()
    )
    report.add(
        "incident create, 4 clients",
        "rate",
        created / seconds,
        "per s",
        target=">= 200/s, no duplicates",
        met=created / seconds >= 200 and not duplicates and not errors,
        note=f"{created} in {seconds:.1f} s; duplicate references {duplicates}; errors {len(errors)} {errors[:1]}",
    )
    assert not errors, errors
    assert connection.vendor != "postgresql" or duplicates == 0
    assert Incident.objects.filter(school=school, status=Status.NEW).exists()
