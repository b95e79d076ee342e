"""`seed_scale` at a small N, in the normal suite: the generated authority is consistent, so every page works on it.

(The benchmarks in tests/perf/scale run it at N=500 on PostgreSQL; here the SQLite fallback at two schools.)
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from availability.models import Check
from availability.models import State as CheckState
from cmdb.models import ConfigurationItem, Kind
from fits.models import Activity, AuthorityRole, ReferenceSequence, School, User
from incidents.models import Incident, TicketKind
from incidents.services import incident_log
from om.patches.compliance import compliance_compute
from om.patches.models import ComplianceState
from servicelevels.models import Agreement

pytestmark = pytest.mark.django_db

SMALL = {"schools": 2, "tickets": 150, "cis": 100, "monitored": 10, "updates": 5, "people": 10}


def seed(authority: str = "scale", seed: int = 11) -> str:
    out = StringIO()
    call_command("seed_scale", authority=authority, seed=seed, stdout=out, **SMALL)
    return out.getvalue()


@pytest.fixture
def scale(db):
    output = seed()
    schools = list(School.objects.filter(authority__slug="scale").order_by("pk"))
    return output, schools


def test_it_generates_what_it_says_and_reports_its_rate(scale):
    output, schools = scale
    assert len(schools) == 2
    assert "rows/s" in output
    assert Incident.objects.filter(school__in=schools).count() == 2 * 150
    assert ConfigurationItem.objects.filter(school__in=schools).count() == 2 * 100
    assert User.objects.filter(username__startswith="scale-0001-").count() == 10
    assert AuthorityRole.objects.filter(user__username="scale-consultant", authority__slug="scale").exists()
    desktops = ConfigurationItem.objects.filter(school__in=schools, kind=Kind.DESKTOP).count()
    assert desktops > 0
    assert ComplianceState.objects.filter(school__in=schools).count() == desktops * 5
    checks = Check.objects.filter(school__in=schools)
    assert checks.count() == 2 * 10
    assert set(checks.values_list("state", flat=True)) <= {CheckState.UP, CheckState.DOWN}
    # Every ticket has a timeline, and one ticket per school has the long one (200 entries).
    longest = Activity.objects.values("object_id").annotate(n=Count("pk")).aggregate(Max("n"))["n__max"]
    assert longest >= 200
    assert not Incident.objects.filter(school__in=schools).exclude(
        pk__in=Activity.objects.filter(kind=Activity.Kind.CREATED).values("object_id")
    )


def test_references_are_unique_and_the_counters_carry_on_after_them(scale, settings):
    _, schools = scale
    assert not Incident.objects.values("school", "reference").annotate(n=Count("pk")).filter(n__gt=1).order_by()
    for school in schools:
        for kind, prefix in ((TicketKind.INCIDENT, "INC"), (TicketKind.REQUEST, "REQ")):
            count = Incident.objects.filter(school=school, kind=kind).count()
            assert ReferenceSequence.objects.get(school=school, prefix=prefix).last_number == count
    school = schools[0]
    last = ReferenceSequence.objects.get(school=school, prefix="INC").last_number
    desk = User.objects.get(username=f"{school.slug}-desk1")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    incident = incident_log(
        school=school, logged_by=desk, title="After the generation", description="-", impact=2, urgency=2
    )
    assert incident.reference == f"INC-{last + 1:06d}"
    # The SLA clock runs on the school's generated agreement.
    assert incident.agreement == Agreement.objects.get(school=school)
    assert incident.resolution_due_at is not None


def test_open_tickets_have_their_sla_clock(scale):
    _, schools = scale
    open_tickets = Incident.objects.filter(school__in=schools, closed_at__isnull=True, resolved_at__isnull=True)
    assert open_tickets.exists()
    assert not open_tickets.filter(resolution_due_at__isnull=True)
    assert not open_tickets.filter(clock_check_at__isnull=True)
    assert not Incident.objects.filter(school__in=schools, agreement__isnull=True)


def test_a_compliance_recompute_finds_nothing_to_change(scale):
    result = compliance_compute()
    assert result.rows == ComplianceState.objects.count()
    assert result.changed == 0


def test_pages_open_on_the_generated_data_at_a_fixed_query_count(scale, client):
    _, schools = scale
    school = schools[0]
    client.force_login(User.objects.get(username=f"{school.slug}-tech1"))
    workbench = reverse("workbench")
    counts = []
    for page in (1, 2):
        with CaptureQueriesContext(__import__("django.db").db.connection) as queries:
            response = client.get(f"{workbench}?queue=all&sort=due&page={page}")
        assert response.status_code == 200
        counts.append(len(queries))
        assert response.context["rows"]
        assert {row.school_id for row in response.context["rows"]} == {school.pk}
    assert counts[0] == counts[1]
    cmdb = client.get(reverse("cmdb:ci_list"))
    assert cmdb.status_code == 200
    first = ConfigurationItem.objects.filter(school=school).order_by("name").first()
    assert first.name.encode() in cmdb.content
    busy = Activity.objects.filter(school=school).values("object_id").annotate(n=Count("pk")).order_by("-n").first()
    detail = client.get(reverse("incidents:detail", args=[busy["object_id"]]))
    assert detail.status_code == 200
    assert b"Update 198: still investigating." in detail.content
    client.force_login(User.objects.get(username="scale-consultant"))
    consultant_queue = client.get(f"{workbench}?queue=open&sort=due")
    assert consultant_queue.status_code == 200
    assert {row.school_id for row in consultant_queue.context["rows"]} == {s.pk for s in schools}
    assert client.get(reverse("servicelevels:authority")).status_code == 200


def test_the_same_seed_makes_the_same_authority_and_a_second_run_is_refused(scale):
    seed("other", seed=11)
    first = list(Incident.objects.filter(school__slug="scale-0001").order_by("pk").values_list("title", "priority"))
    again = list(Incident.objects.filter(school__slug="other-0001").order_by("pk").values_list("title", "priority"))
    assert first == again
    with pytest.raises(CommandError, match="exists already"):
        seed()
