"""The calendar pages: the list, a month grid of open and closed days, the .ics import."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from servicelevels.calendars import calendar_create, working_hours_set
from servicelevels.models import Closure, TermDate

FEED = (Path(__file__).parent / "fixtures" / "bolton_terms_2026_27.ics").read_bytes()


@pytest.fixture
def bolton_calendar(bolton, highfield, consultant):
    calendar = calendar_create(actor=consultant, authority=bolton, name="Bolton schools")
    working_hours_set(calendar=calendar, actor=consultant, hours={d: [(time(8), time(16))] for d in range(5)})
    return calendar


def test_list_shows_the_calendars_in_force(bolton_calendar, netmgr, staff, outsider, client_for):
    page = client_for(netmgr).get(reverse("servicelevels:calendar_list"))
    assert page.status_code == 200
    assert "Bolton schools" in page.content.decode() and "all its schools" in page.content.decode()
    assert "Bolton schools" not in client_for(outsider).get(reverse("servicelevels:calendar_list")).content.decode()
    assert client_for(staff).get(reverse("servicelevels:calendar_list")).status_code == 404


def test_import_then_month_grid(bolton_calendar, consultant, netmgr, client_for):
    url = reverse("servicelevels:calendar_import", args=[bolton_calendar.pk])
    upload = SimpleUploadedFile("terms.ics", FEED, content_type="text/calendar")
    response = client_for(consultant).post(url, {"feed": upload}, follow=True)
    assert "Imported 7 entries, skipped 2." in response.content.decode()
    assert "Skipped line 47: Parents&#x27; evening" in response.content.decode()
    assert TermDate.objects.count() == 4 and Closure.objects.count() == 1

    detail = reverse("servicelevels:calendar_detail", args=[bolton_calendar.pk])
    october = client_for(netmgr).get(detail, {"month": "2026-10"}).content.decode()
    assert october.count("day-holiday") == 5  # half-term, Mon 26 - Fri 30 Oct 2026
    assert 'title="08:00–16:00"' in october
    september = client_for(netmgr).get(detail, {"month": "2026-09"}).content.decode()
    assert 'class="day-inset' in september and "INSET day (school closed to pupils)" in september
    assert "Late Summer Bank Holiday" in september  # Mon 31 Aug, in the grid's first week
    # The netmgr reads the authority's calendar but may not import into it.
    assert "Import term dates" not in october
    refused = client_for(netmgr).post(url, {"feed": SimpleUploadedFile("t.ics", FEED)}, follow=True)
    assert "You cannot change this calendar." in refused.content.decode()


def test_a_malformed_feed_says_what_and_where(bolton_calendar, consultant, client_for):
    url = reverse("servicelevels:calendar_import", args=[bolton_calendar.pk])
    bad = FEED.replace(b"DTSTART;VALUE=DATE:20270104\r\n", b"")
    response = client_for(consultant).post(url, {"feed": SimpleUploadedFile("t.ics", bad)}, follow=True)
    assert "line 54 (&quot;Spring term 2027&quot;): the event has no DTSTART." in response.content.decode()
    assert not TermDate.objects.exists()
