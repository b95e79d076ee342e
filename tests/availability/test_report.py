"""The availability report page and CSV, the service page's availability, and the dashboards' source.

Times are relative to now (the pages measure up to now): a CI watched for ten days, an outage of two hours
five days ago, a custom period covering them.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from availability.models import CIState, Outage, State
from cmdb.models import ConfigurationItem, Relationship
from servicelevels import figures as sl_figures
from servicelevels import periods
from servicelevels.models import ITService

pytestmark = pytest.mark.django_db

URL = reverse("availability:report")


def watched(school, name: str, kind: str = "server", *, days: int = 10) -> ConfigurationItem:
    ci = ConfigurationItem.objects.create(school=school, name=name, kind=kind)
    CIState.objects.create(school=school, ci=ci, state=State.UP, since=timezone.now() - timedelta(days=days))
    return ci


def down_for(ci, hours: float, *, days_ago: int = 5, **extra) -> Outage:
    start = timezone.now() - timedelta(days=days_ago)
    return Outage.objects.create(
        school=ci.school, ci=ci, started_at=start, ended_at=start + timedelta(hours=hours), **extra
    )


def period_query() -> dict[str, str]:
    today = timezone.localdate()
    return {"period": "custom", "from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat()}


@pytest.fixture
def network(highfield, riverside):
    """Highfield: a flaky switch, a steady server under an around-the-clock email service; Riverside: a printer."""
    switch = watched(highfield, "Hall switch", "switch")
    down_for(switch, 6)
    server = watched(highfield, "Mail server")
    down_for(server, 1)
    email = watched(highfield, "Email", "service")
    down_for(email, 1, cause=server)
    Relationship.objects.create(school=highfield, source=email, target=server, kind="runs_on")
    service = ITService.objects.create(
        school=highfield, name="Email", ci=email, hours="around_the_clock", availability_target=99.9
    )
    printer = watched(riverside, "Office printer", "printer")
    return {"switch": switch, "server": server, "email": email, "service": service, "printer": printer}


def test_the_report_shows_services_against_target_and_cis_worst_first(network, tech, client_for):
    response = client_for(tech).get(URL, period_query())

    assert response.status_code == 200
    services = response.context["services"]
    assert [row["service"].name for row in services] == ["Email"]
    email = services[0]["figures"]
    assert email["downtime_minutes"] == 60
    assert email["met"] is False  # 1 h in 10 days is 99.58 %, under 99.9 %
    assert response.context["below_target"] == 1
    rows = response.context["ci_rows"]
    assert [row["name"] for row in rows] == ["Hall switch", "Mail server"]  # worst first; no service CIs
    assert rows[0]["figures"]["downtime_minutes"] == 360
    assert rows[1]["figures"]["hours"] == "around the clock"  # its widest service's hours
    assert "Office printer" not in response.content.decode()  # riverside: not tech's school
    assert "Hall switch" in response.content.decode()


def test_all_my_schools_and_one_school(network, consultant, client_for):
    client = client_for(consultant)

    every = client.get(URL, period_query())
    one = client.get(URL, {**period_query(), "school": "riverside"})

    assert {row["name"] for row in every.context["ci_rows"]} == {"Hall switch", "Mail server", "Office printer"}
    assert every.context["school"] is None
    assert [row["name"] for row in one.context["ci_rows"]] == ["Office printer"]
    assert one.context["school"].slug == "riverside"


def test_ict_users_are_refused_and_other_schools_answer_as_missing(network, staff, outsider, client_for):
    assert client_for(staff).get(URL).status_code == 403
    assert client_for(outsider).get(URL, {"school": "highfield"}).status_code == 404
    page = client_for(outsider).get(URL)
    assert page.status_code == 200
    assert not page.context["ci_rows"]
    assert "Hall switch" not in page.content.decode()


def test_csv_export_streams_services_then_cis_with_formulas_inert(network, highfield, tech, client_for):
    watched(highfield, "=HYPERLINK(evil)", "server")

    response = client_for(tech).get(URL, {**period_query(), "format": "csv"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["record", "school", "name"]
    assert (rows[1][0], rows[1][2]) == ("service", "Email")
    assert rows[1][8] == "60"
    names = [row[2] for row in rows[2:]]
    assert names[:2] == ["Hall switch", "Mail server"]
    assert "'=HYPERLINK(evil)" in names


def test_the_ci_table_costs_the_same_queries_whatever_its_length(highfield, tech, client_for):
    for i in range(3):
        down_for(watched(highfield, f"Switch {i}", "switch"), 1)
    client = client_for(tech)
    client.get(URL, period_query())  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL, period_query())
    for i in range(3, 60):
        down_for(watched(highfield, f"Switch {i}", "switch"), 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, period_query())
    assert len(many) == len(few)
    assert response.context["page_obj"].paginator.count == 60
    assert len(response.context["ci_rows"]) == 50
    second = client.get(URL, {**period_query(), "page": 2})
    assert len(second.context["ci_rows"]) == 10
    assert 'rel="prev"' in second.content.decode()


def test_the_service_page_shows_availability_against_target_and_recent_outages(network, tech, client_for):
    response = client_for(tech).get(network["service"].get_absolute_url())

    assert response.status_code == 200
    (month, month_row), (term, term_row) = response.context["availability"]
    assert term_row["source"] == "monitoring"
    assert term_row["target"] == 99.9
    assert [outage.ci_id for outage in response.context["outages"]] == [network["email"].pk]
    page = response.content.decode()
    assert "Availability against its target" in page
    assert "Mail server" in page  # the outage's cause


def test_the_dashboards_say_whether_monitoring_or_tickets_measured_a_service(network, highfield):
    ITService.objects.create(school=highfield, name="Wi-Fi", availability_target=98)
    today = timezone.localdate()
    period = periods.custom(today - timedelta(days=20), today)

    rows = {row["name"]: row for row in sl_figures.service_availability(highfield, period)}

    assert rows["Email"]["source"] == "monitoring"
    assert rows["Email"]["downtime_minutes"] == 60
    assert rows["Wi-Fi"]["source"] == "tickets"
    assert rows["Wi-Fi"]["downtime_minutes"] == 0
