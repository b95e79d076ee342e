"""The incident page at authority scale (issue 11): a bounded number of queries however long its timeline,
and its forms' choice lists, read in one query, drawn exactly as each form draws its own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import selectors, services
from incidents.forms import AssignForm
from incidents.models import Category
from incidents.work_forms import CategoryForm, EscalateForm, ServiceForm
from servicelevels.models import ITService
from tests.incidents.work_fixtures import lea_unit, supplier, team  # noqa: F401

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


@pytest.fixture
def busy(highfield, desk, staff, tech, netmgr, log_incident, team, lea_unit, supplier):  # noqa: F811
    """A call the desk took for a member of staff, in the school's team, with a category and an ICT service."""
    hardware = services.category_save(actor=netmgr, school=highfield, name="Hardware")
    services.category_save(actor=netmgr, school=highfield, name="Projector", parent=hardware)
    services.category_save(
        actor=netmgr,
        school=highfield,
        name="Breach",
    )
    Category.objects.filter(name="Breach").update(is_security=True)
    ITService.objects.create(school=highfield, name="Teaching rooms", is_default=True)
    ITService.objects.create(school=highfield, name="MIS")
    ticket = log_incident(highfield, by=desk, reporter=staff, channel="phone", category=hardware)
    services.incident_assign(incident=ticket, assignee=tech, actor=netmgr, group=team)
    return ticket


def comment(ticket, tech, upto: int) -> None:
    from fits.models import Activity

    have = Activity.objects.filter(object_id=ticket.pk, kind="comment").count()
    for n in range(have, upto):
        services.incident_comment(incident=ticket, author=tech, text=f"Note {n}", public=n % 3 != 0)


@pytest.mark.parametrize("viewer", ["tech", "netmgr", "desk", "staff"])
def test_the_page_costs_the_same_for_20_entries_as_for_200(busy, cast, client_for, viewer):
    client, url = client_for(cast[viewer]), busy.get_absolute_url()
    counts = []
    for entries in (20, 200):
        comment(busy, cast["tech"], entries)
        client.get(url)  # warm up: session, content types
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= MAX_QUERIES, [q["sql"][:120] for q in queries.captured_queries]


def test_the_technicians_page_with_200_entries(busy, tech, client_for, django_assert_max_num_queries):
    comment(busy, tech, 200)
    client = client_for(tech)
    client.get(busy.get_absolute_url())
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(busy.get_absolute_url())
    assert response.content.decode().count('class="timeline-item') >= 200


def options(form, name: str) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in form.fields[name].widget.choices]


@pytest.mark.parametrize("viewer", ["tech", "netmgr", "consultant"])
def test_choices_read_together_are_the_forms_own(busy, cast, viewer):
    user = cast[viewer]
    choices = selectors.form_choices(user, busy, groups=True, categories=True, services=True, technicians=True)
    assert choices.technicians and choices.groups and choices.categories and choices.services
    pairs = [
        (AssignForm, {}, ["assignee", "group"]),
        (CategoryForm, {"initial": {"category": busy.category_id}}, ["category"]),
        (ServiceForm, {"initial": {"service": busy.service_id}}, ["service"]),
        (EscalateForm, {}, ["group"]),
    ]
    for form_class, kwargs, fields in pairs:
        own = form_class(user=user, incident=busy, **kwargs)
        shared = form_class(user=user, incident=busy, choices=choices, **kwargs)
        for name in fields:
            assert options(shared, name) == options(own, name), (form_class.__name__, name)
            assert str(shared[name]) == str(own[name])  # the same HTML, the selected option too


def test_one_query_for_every_list(busy, tech, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.form_choices(tech, busy, groups=True, categories=True, services=True, technicians=True)
    with django_assert_num_queries(0):
        selectors.form_choices(tech, busy)


def test_the_flags_spare_reads_but_never_show_more(busy, tech, staff, log_incident, highfield, client_for):
    """A duplicate the viewer may not see is still not listed (the flag only says there are rows)."""
    from incidents.models import Incident

    hidden = log_incident(highfield, by=staff, title="Same projector", safeguarding=True)
    Incident.objects.filter(pk=hidden.pk).update(duplicate_of=busy)
    found = selectors.for_detail(Incident.objects.visible_to(tech), tech).get(pk=busy.pk)
    assert found.has_duplicates and not found.has_attachments and not found.has_time
    page = client_for(tech).get(busy.get_absolute_url()).content.decode()
    assert hidden.reference not in page


@pytest.mark.parametrize(
    "at",
    [
        "2026-01-05T09:05:07.123456+00:00",
        "2026-07-31T23:59:00+00:00",
        "2026-03-29T00:30:00+00:00",
        "1999-12-01T12:00:00+00:00",
    ],
)
def test_timeline_times_read_as_the_date_filters_wrote_them(at):
    """fits_ui.time_element (the timeline's `<time>`) gives what `date:'c'` and `date:"j M Y, H:i"` gave, BST too."""
    from datetime import datetime

    from django.template import Context, Template

    value = datetime.fromisoformat(at)
    before = Template(
        """{% load fits_ui %}<time datetime="{{ at|date:'c' }}">{{ at|date:"j M Y, H:i" }}</time>"""
    ).render(Context({"at": value}))
    after = Template("{% load fits_ui %}{{ at|time_element }}").render(Context({"at": value}))
    assert after == before
