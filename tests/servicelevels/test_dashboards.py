"""The dashboards as their readers see them: the school's (leader, network manager, desk, technician, the LEA's
consultant), the authority's (consultant, administrator); who is refused; the API with the same figures."""

from __future__ import annotations

import json
import re
from datetime import date
from unittest import mock

import pytest
from django.urls import reverse

from fits.models import School
from servicelevels.figures import authority_table, school_summary
from servicelevels.periods import Period
from servicelevels.rollups import rollup
from tests.servicelevels.history import autumn_history

pytestmark = pytest.mark.django_db

DASHBOARD, AUTHORITY = "/service-levels/dashboard/", "/service-levels/authority/"
AUTUMN = "?period=custom&from=2026-09-01&to=2026-12-31"
TODAY = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _today():
    """The demo's school year: "this term" is the autumn term of 2026-27."""
    with mock.patch("servicelevels.dashboard_views.timezone.localdate", return_value=TODAY):
        yield


@pytest.fixture
def history(highfield, riverside, westfield, staff, tech2, outsider, log_incident):
    made = [
        *autumn_history(highfield, staff, log_incident),
        *autumn_history(riverside, tech2, log_incident),
        *autumn_history(westfield, outsider, log_incident),
    ]
    rollup(start=date(2026, 8, 1), end=date(2026, 12, 31))
    return made


def data_of(response) -> dict:
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', response.text, re.S)
    assert found, "the page carries its chart data in a json_script"
    return json.loads(found.group(1))


# =============================================================================
# The school's dashboard
# =============================================================================


@pytest.mark.parametrize("who", ["leader", "netmgr", "tech", "desk"])
def test_school_staff_see_their_schools_dashboard(who, cast, history, client_for):
    response = client_for(cast[who]).get(DASHBOARD + AUTUMN)
    assert response.status_code == 200
    assert "Highfield Primary School: service levels" in response.text
    assert "vendor/chartjs/chart.umd.min.js" in response.text


def test_the_figures_on_the_page_are_the_figures_module(leader, highfield, history, client_for):
    response = client_for(leader).get(DASHBOARD + AUTUMN)
    period = response.context["period"]
    expected = school_summary(highfield, period)
    summary = response.context["summary"]
    for key in ("logged", "resolved", "pct_within_sla", "pct_first_time_fix", "open_now", "breaches"):
        assert summary[key] == expected[key]
    assert '<div class="stat-value" id="pct-within-sla">80.0 %</div>' in response.text
    data = data_of(response)
    assert data["priority"]["logged"] == [row["logged"] for row in expected["by_priority"]]
    assert sum(data["service"]["logged"]) == 7
    assert data["trend"]["labels"][-1] == "Autumn term 2026-27"


def test_period_picker(leader, history, client_for):
    client = client_for(leader)
    this_term = client.get(DASHBOARD)
    assert this_term.context["period"].key == "2026-27-autumn"
    custom = client.get(DASHBOARD + "?period=custom&from=2026-09-07&to=2026-09-07")
    assert custom.context["summary"]["logged"] == 2
    assert "7 Sep 2026 – 7 Sep 2026" in custom.text
    year = client.get(DASHBOARD + "?period=this-year")
    assert year.context["period"].label == "School year 2026-27"


def test_empty_state_helps(leader, client_for):
    response = client_for(leader).get(DASHBOARD + "?period=last-term")
    assert response.status_code == 200
    assert "No tickets in" in response.text
    assert "No services in the catalogue yet" in response.text


def test_the_consultant_drills_into_a_school_of_their_authority(consultant, history, client_for):
    client = client_for(consultant)
    response = client.get(DASHBOARD + AUTUMN + "&school=riverside")
    assert response.status_code == 200 and response.context["school"].slug == "riverside"
    assert client.get(DASHBOARD + "?school=westfield").status_code == 404


def test_ict_users_and_other_schools_are_refused(staff, leader, outsider, history, client_for):
    assert client_for(staff).get(DASHBOARD).status_code == 403
    assert client_for(leader).get(DASHBOARD + "?school=westfield").status_code == 404
    assert client_for(leader).get(DASHBOARD + "?school=riverside").status_code == 404
    response = client_for(outsider).get(DASHBOARD + AUTUMN)
    assert response.status_code == 200 and "Westfield" in response.text and "Highfield" not in response.text


def test_open_breaches_list_only_open_visible_tickets(leader, highfield, history, client_for):
    from incidents.models import Incident
    from servicelevels.models import ClockEvent

    open_one = Incident.objects.get(school=highfield, title="Projector fault", status="in_progress")
    closed = Incident.objects.filter(school=highfield, status="closed").first()
    for incident in (open_one, closed):
        ClockEvent.objects.create(school=highfield, incident=incident, clock="resolution", level="breach",
                                  due_at=incident.created_at, reached_at=incident.created_at)  # fmt: skip
    response = client_for(leader).get(DASHBOARD + AUTUMN)
    assert [event.incident for event in response.context["open_breaches"]] == [open_one]
    assert open_one.reference in response.text


def test_chart_js_is_loaded_only_on_dashboards(leader, client_for):
    assert "chart.umd.min.js" not in client_for(leader).get(reverse("home")).text


def test_the_menu_offers_the_dashboards(leader, consultant, client_for):
    assert DASHBOARD in client_for(leader).get(reverse("home")).text
    assert AUTHORITY not in client_for(leader).get(reverse("home")).text
    assert AUTHORITY in client_for(consultant).get(reverse("home")).text


# =============================================================================
# The authority's dashboard
# =============================================================================


def test_the_consultant_sees_their_schools_side_by_side(consultant, highfield, riverside, history, client_for):
    response = client_for(consultant).get(AUTHORITY + AUTUMN)
    assert response.status_code == 200
    names = [row["school"]["name"] for row in response.context["rows"]]
    assert names == ["Highfield Primary School", "Riverside Academy"]
    assert "Westfield" not in response.text
    assert f"{DASHBOARD}?school=riverside" in response.text  # drill down
    expected = authority_table([highfield, riverside], response.context["period"])
    assert [row["pct_within_sla"] for row in response.context["rows"]] == [
        row["pct_within_sla"] for row in expected["rows"]
    ]
    assert data_of(response)["ranking"]["target"] == 90.0


def test_sorting_columns(consultant, bolton, history, client_for):
    School.objects.create(slug="quiet", name="Aardvark Quiet School", authority=bolton)
    client = client_for(consultant)
    response = client.get(AUTHORITY + AUTUMN + "&sort=logged&dir=desc")
    assert [row["school"]["slug"] for row in response.context["rows"]][-1] == "quiet"
    response = client.get(AUTHORITY + AUTUMN + "&sort=pct_within_sla")
    # A school with nothing measured stays last whichever way the column is sorted.
    assert response.context["rows"][-1]["school"]["slug"] == "quiet"
    assert 'aria-sort="ascending"' in response.text


@pytest.mark.parametrize("who", ["leader", "netmgr", "tech", "staff", "outsider"])
def test_only_consultants_read_the_authority_dashboard(who, cast, client_for):
    assert client_for(cast[who]).get(AUTHORITY).status_code == 403


def test_the_administrator_picks_an_authority(admin_user, wigan, history, client_for):
    response = client_for(admin_user).get(AUTHORITY + AUTUMN + f"&authority={wigan.pk}")
    assert response.status_code == 200
    assert [row["school"]["slug"] for row in response.context["rows"]] == ["westfield"]


@pytest.mark.parametrize("n", [3, 30])
def test_the_authority_page_costs_the_same_whatever_the_number_of_schools(
    n, consultant, bolton, history, client_for, django_assert_max_num_queries
):
    for i in range(n - 2):
        School.objects.create(slug=f"extra-{i}", name=f"Extra {i}", authority=bolton)
    client = client_for(consultant)
    client.get(AUTHORITY)  # warm the session
    with django_assert_max_num_queries(16):
        response = client.get(AUTHORITY + AUTUMN)
    assert len(response.context["rows"]) == n


# =============================================================================
# The API
# =============================================================================


def test_api_school_summary(consultant, riverside, history, api_for):
    response = api_for(consultant).get("/api/service-levels/dashboard/" + AUTUMN + "&school=riverside")
    assert response.status_code == 200
    body = response.json()
    period = Period("x", "x", date(2026, 9, 1), date(2026, 12, 31))
    expected = school_summary(riverside, period)
    assert body["school"]["slug"] == "riverside"
    assert (body["logged"], body["pct_within_sla"], body["breaches"]) == (
        expected["logged"],
        expected["pct_within_sla"],
        expected["breaches"],
    )
    assert [row["logged"] for row in body["by_priority"]] == [row["logged"] for row in expected["by_priority"]]


def test_api_is_scoped(consultant, staff, leader, api_for, history):
    assert api_for(consultant).get("/api/service-levels/dashboard/?school=westfield").status_code == 404
    assert api_for(leader).get("/api/service-levels/dashboard/?school=riverside").status_code == 404
    assert api_for(staff).get("/api/service-levels/dashboard/").status_code == 403
    assert api_for(leader).get("/api/service-levels/authority/").status_code == 403


def test_api_authority_table(consultant, wigan, api_for, history):
    client = api_for(consultant)
    body = client.get("/api/service-levels/authority/" + AUTUMN).json()
    assert body["authority"]["name"] == "Bolton Council" or body["authority"]["id"]
    assert [row["school"]["slug"] for row in body["rows"]] == ["highfield", "riverside"]
    assert body["totals"]["logged"] == 14
    assert client.get(f"/api/service-levels/authority/?authority={wigan.pk}").status_code == 404


def test_api_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/service-levels/dashboard/" in schema["paths"]
    assert "/api/service-levels/authority/" in schema["paths"]
