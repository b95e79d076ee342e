"""Importing an authority's published .ics feed: terms, half-terms, INSET days; all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from servicelevels.calendars import calendar_create, calendar_roll_over
from servicelevels.ical import term_dates_import_ics
from servicelevels.models import Closure, TermDate

FEED = (Path(__file__).parent / "fixtures" / "bolton_terms_2026_27.ics").read_bytes()


@pytest.fixture
def calendar(bolton, consultant):
    return calendar_create(actor=consultant, authority=bolton, name="Bolton schools")


def test_feed_is_real_world_shaped():
    assert b"\r\n" in FEED and b"\r\n tary controlled" in FEED  # CRLF, folded lines
    assert b"TZID=Europe/London" in FEED and b"VALUE=DATE" in FEED


def test_import_splits_terms_at_half_terms_and_keeps_inset_days(calendar, consultant):
    report = term_dates_import_ics(calendar=calendar, actor=consultant, data=FEED)

    terms = list(TermDate.objects.filter(calendar=calendar).values_list("name", "school_year", "starts", "ends"))
    autumn = "Autumn term 2026 - schools open to pupils (Bolton community and voluntary controlled schools)"
    assert terms == [
        (f"{autumn} (1)", "2026-27", date(2026, 9, 2), date(2026, 10, 25)),
        (f"{autumn} (2)", "2026-27", date(2026, 10, 31), date(2026, 12, 18)),
        ("Spring term 2027 (1)", "2026-27", date(2027, 1, 4), date(2027, 2, 14)),
        ("Spring term 2027 (2)", "2026-27", date(2027, 2, 20), date(2027, 3, 26)),
    ]
    inset = Closure.objects.get(calendar=calendar)
    assert (inset.kind, inset.starts, inset.ends, inset.staff_working) == (
        "inset",
        date(2026, 9, 1),
        date(2026, 9, 1),
        True,
    )

    assert "line 23: INSET day (school closed to pupils) 01 Sep 2026 as INSET day" in report.imported
    assert "line 40: October half term 26 Oct 2026-30 Oct 2026 cut out of the term it falls in" in report.imported
    assert "line 47: Parents' evening: not a term, holiday, INSET day or closure" in report.skipped
    assert any(s.startswith("line 68: Good Friday (bank holiday): bank holidays come from") for s in report.skipped)

    again = term_dates_import_ics(calendar=calendar, actor=consultant, data=FEED)
    assert again.imported == [line for line in again.imported if "cut out" in line]
    assert TermDate.objects.filter(calendar=calendar).count() == 4
    assert Closure.objects.filter(calendar=calendar).count() == 1


def test_import_replaces_provisional_rolled_over_terms(calendar, consultant):
    TermDate.objects.create(
        calendar=calendar, school_year="2025-26", name="Autumn", starts=date(2025, 9, 3), ends=date(2025, 12, 19)
    )
    calendar_roll_over(calendar=calendar, actor=consultant, from_year="2025-26", to_year="2026-27")
    assert TermDate.objects.filter(provisional=True).count() == 1
    term_dates_import_ics(calendar=calendar, actor=consultant, data=FEED)
    assert not TermDate.objects.filter(provisional=True).exists()
    assert TermDate.objects.filter(school_year="2026-27").count() == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Term dates,2026\r\n", "not an iCalendar file: it must start with BEGIN:VCALENDAR (line 1)"),
        (b"\xff\xfeB\x00", "not UTF-8 text"),
        (
            FEED.replace(b"DTSTART;VALUE=DATE:20261026", b"DTSTART;VALUE=DATE:2026-10-2X"),
            'line 40 ("October half term"): DTSTART',
        ),
        (
            FEED.replace(b"DTSTART;VALUE=DATE:20270104\r\n", b""),
            'line 54 ("Spring term 2027"): the event has no DTSTART',
        ),
        (
            FEED.replace(b"DTEND;VALUE=DATE:20270220", b"DTEND;VALUE=DATE:20270210"),
            'line 61 ("February half term"): the event ends before it starts',
        ),
    ],
)
def test_malformed_feed_is_rejected_and_nothing_saved(calendar, consultant, data, message):
    with pytest.raises(ValidationError) as caught:
        term_dates_import_ics(calendar=calendar, actor=consultant, data=data)
    assert message in " ".join(caught.value.messages)
    assert not TermDate.objects.exists()
    assert not Closure.objects.exists()


def test_only_calendar_keepers_import(calendar, netmgr):
    with pytest.raises(PermissionDenied):
        term_dates_import_ics(calendar=calendar, actor=netmgr, data=FEED)
    assert not TermDate.objects.exists()
