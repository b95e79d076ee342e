"""Editing calendars: working hours (several spans a day), term dates, INSET days and closures; clocks follow."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from servicelevels import calendars
from servicelevels.forms import parse_spans
from servicelevels.models import Closure, TermDate, WorkingHours


@pytest.fixture
def own(highfield, netmgr):
    return calendars.calendar_create(actor=netmgr, school=highfield, name="Highfield hours")


@pytest.fixture
def refreshed(monkeypatch):
    from servicelevels import sla

    asked: list[list[int]] = []
    monkeypatch.setattr(sla, "schedule_refresh", lambda ids: asked.append(sorted(ids)))
    return asked


def test_spans_are_read_from_text():
    assert parse_spans("08:00-12:00, 13:00-16:30") == [(time(8), time(12)), (time(13), time(16, 30))]
    assert parse_spans("") == []
    with pytest.raises(Exception, match="Cannot read"):
        parse_spans("morning")


def test_hours_page_saves_several_spans_a_day(own, netmgr, client_for, refreshed, highfield):
    client = client_for(netmgr)
    url = reverse("servicelevels:calendar_hours", args=[own.pk])
    data = {f"day_{d}": "08:00-12:00, 13:00-16:00" for d in range(5)}
    assert client.post(url, data).status_code == 302
    assert WorkingHours.objects.filter(calendar=own).count() == 10
    assert refreshed == [[highfield.pk]]
    page = client.get(url).content.decode()
    assert 'value="08:00-12:00, 13:00-16:00"' in page
    response = client.post(url, {"day_0": "12:00-08:00"})
    assert response.status_code == 200 and "closes before it opens" in response.content.decode()


def test_authority_calendar_changes_refresh_all_its_schools(bolton, highfield, riverside, consultant, refreshed):
    shared = calendars.calendar_create(actor=consultant, authority=bolton, name="Bolton schools")
    calendars.closure_add(calendar=shared, actor=consultant, kind="closure", name="Snow", starts=date(2027, 1, 12))
    assert refreshed == [sorted([highfield.pk, riverside.pk])]


def test_terms_and_closures_are_added_edited_and_removed(own, netmgr, client_for, refreshed):
    client = client_for(netmgr)
    client.post(
        reverse("servicelevels:calendar_term_create", args=[own.pk]),
        {"name": "Autumn 1", "starts": "2026-09-03", "ends": "2026-10-23"},
    )
    term = TermDate.objects.get(calendar=own)
    assert term.school_year == "2026-27"
    client.post(
        reverse("servicelevels:calendar_term_edit", args=[term.pk]),
        {"name": "Autumn 1", "starts": "2026-09-02", "ends": "2026-10-23"},
    )
    term.refresh_from_db()
    assert term.starts == date(2026, 9, 2)
    client.post(
        reverse("servicelevels:calendar_closure_create", args=[own.pk]),
        {"kind": "inset", "name": "INSET day", "starts": "2026-09-01"},
    )
    inset = Closure.objects.get(calendar=own)
    assert inset.staff_working and inset.ends == inset.starts
    client.post(
        reverse("servicelevels:calendar_closure_edit", args=[inset.pk]),
        {
            "kind": "closure",
            "name": "Boiler failure",
            "starts": "2026-09-01",
            "ends": "2026-09-02",
            "staff_working": "",
        },
    )
    inset.refresh_from_db()
    assert (inset.kind, inset.staff_working, inset.ends) == ("closure", False, date(2026, 9, 2))
    client.post(reverse("servicelevels:calendar_closure_delete", args=[inset.pk]))
    client.post(reverse("servicelevels:calendar_term_delete", args=[term.pk]))
    assert not Closure.objects.exists() and not TermDate.objects.exists()
    assert len(refreshed) == 6


def test_a_term_ending_before_it_starts_is_refused_on_the_page(own, netmgr, client_for):
    term = calendars.term_date_add(
        calendar=own, actor=netmgr, name="Spring 1", starts=date(2027, 1, 5), ends=date(2027, 2, 12)
    )
    response = client_for(netmgr).post(
        reverse("servicelevels:calendar_term_edit", args=[term.pk]),
        {"name": "Spring 1", "starts": "2027-03-01", "ends": "2027-02-12"},
    )
    assert response.status_code == 200 and "cannot end before it starts" in response.content.decode()


def test_only_the_calendars_keepers_edit_it(own, netmgr, tech, tech2, client_for):
    with pytest.raises(PermissionDenied):
        calendars.working_hours_set(calendar=own, actor=tech, hours={0: [(time(8), time(9))]})
    term = calendars.term_date_add(
        calendar=own, actor=netmgr, name="Summer 1", starts=date(2027, 4, 19), ends=date(2027, 5, 28)
    )
    page = client_for(tech).get(reverse("servicelevels:calendar_term_edit", args=[term.pk]))
    assert page.status_code == 200 and "<fieldset disabled>" in page.content.decode()
    client_for(tech).post(reverse("servicelevels:calendar_term_delete", args=[term.pk]))
    assert TermDate.objects.filter(pk=term.pk).exists()
    # Another school's technician: as if it did not exist.
    assert client_for(tech2).get(reverse("servicelevels:calendar_term_edit", args=[term.pk])).status_code == 404


def test_importing_term_dates_refreshes_the_clocks(own, netmgr, refreshed, highfield):
    from pathlib import Path

    from servicelevels.ical import term_dates_import_ics

    feed = (Path(__file__).parent / "fixtures" / "bolton_terms_2026_27.ics").read_bytes()
    term_dates_import_ics(calendar=own, actor=netmgr, data=feed)
    assert refreshed == [[highfield.pk]]
    term_dates_import_ics(calendar=own, actor=netmgr, data=feed)  # nothing new: nothing to refresh
    assert refreshed == [[highfield.pk]]
