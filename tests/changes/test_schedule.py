"""The forward schedule of change: the month grid and the agenda, the iCalendar export, and the freeze and
maintenance windows the schedule is planned around."""

from __future__ import annotations

from datetime import date, time, timedelta

import icalendar
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from changes import schedule, services, windows
from changes.models import ChangeKind, Decision, FreezeWindow, MaintenanceWindow
from cmdb import services as cmdb_services
from cmdb.models import Kind
from tests.changes.conftest import at

pytestmark = pytest.mark.django_db

HOSTILE = 'Reboot, then; patch\nDTSTART:19700101T000000Z <script>alert("x")</script> ' + "long " * 20


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def planned(raise_change, tech, netmgr):
    """planned(start, end, **fields): a normal change at highfield, approved by the network manager and scheduled."""

    def make(start, end, **fields):
        change = raise_change(by=tech, **fields)
        services.rfc_vote(change=change, approver=netmgr, decision=Decision.APPROVE, comment="")
        return services.rfc_schedule(change=change, actor=tech, planned_start=start, planned_end=end)

    return make


@pytest.fixture
def riverside_change(raise_change, riverside, tech2):
    """An emergency change at riverside (no approval needed), scheduled on 12 March 2031."""
    change = raise_change(by=tech2, school=riverside, kind=ChangeKind.EMERGENCY, title="Replace the riverside router")
    return services.rfc_schedule(
        change=change, actor=tech2, planned_start=at(2031, 3, 12, 17), planned_end=at(2031, 3, 12, 18)
    )


# =============================================================================
# The month grid
# =============================================================================


def test_the_month_grid_shows_planned_changes_as_chips_and_freezes_shading_their_days(
    highfield, tech, netmgr, client_for, planned, raise_change, core_switch
):
    change = planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18), cis=[core_switch])
    raise_change(by=tech, title="A draft nobody approved", submit=False)
    windows.freeze_window_create(
        actor=netmgr, school=highfield, name="Spring mocks", starts=date(2031, 3, 17), ends=date(2031, 3, 19)
    )
    body = page(client_for(tech).get("/changes/schedule/?month=2031-03"))
    assert "March 2031" in body and 'id="schedule-grid"' in body
    # The change sits on its day, as a chip linking to it, coloured by its risk.
    day = body[body.index('data-date="2031-03-10"') :]
    day = day[: day.index("</td>")]
    assert (
        f'href="/changes/{change.pk}/"' in day
        and '<span class="fsc-ref">16:00 CHG-000001</span> Upgrade the core switch firmware' in day
    )
    assert "bg-green-lt" in day
    # The freeze shades each of its days with its name; the days around it are not shaded.
    for n in (17, 18, 19):
        cell = body[
            body.rindex("<td", 0, body.index(f'data-date="2031-03-{n}"')) : body.index(f'data-date="2031-03-{n}"')
        ]
        assert "fsc-frozen" in cell
    assert "fsc-frozen" not in body[body.rindex("<td", 0, body.index('data-date="2031-03-20"')) :][:80]
    assert body.count("Spring mocks</span>") == 3
    # Drafts are not on the schedule; previous and next month are one click away.
    assert "A draft nobody approved" not in body
    assert "month=2031-02" in body and "month=2031-04" in body
    assert 'id="schedule-empty"' not in body


def test_today_is_marked_and_an_implemented_change_is_greyed(highfield, tech, client_for, planned):
    now = timezone.localtime()
    change = planned(now + timedelta(hours=1), now + timedelta(hours=2), title="Swap the staffroom printer")
    change = services.rfc_start(change=change, actor=tech)
    services.rfc_implement(change=change, actor=tech, note="Done.")
    body = page(client_for(tech).get("/changes/schedule/"))
    assert f'aria-current="date" data-date="{timezone.localdate():%Y-%m-%d}"' in body
    assert "fsc-done" in body and "Swap the staffroom printer" in body and "(implemented)" in body


def test_changes_that_overlap_on_the_same_ci_are_flagged_as_conflicts(
    tech, client_for, planned, core_switch, mis_server
):
    first = planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18), cis=[core_switch], title="Firmware")
    second = planned(at(2031, 3, 10, 17), at(2031, 3, 10, 19), cis=[core_switch, mis_server], title="Re-cable")
    apart = planned(at(2031, 3, 11, 16), at(2031, 3, 11, 18), cis=[core_switch], title="Later the next day")
    shown = schedule.month_grid(tech, school=None, month=date(2031, 3, 1), today=date(2031, 3, 1))
    flagged = {entry.change.pk: entry for entry in shown.entries}
    assert [c.pk for c, _ in flagged[first.pk].clashes] == [second.pk]
    assert [c.pk for c, _ in flagged[second.pk].clashes] == [first.pk]
    assert flagged[first.pk].conflict_text == f"{second.reference} also changes HF-CORE-01"
    assert not flagged[apart.pk].has_conflicts and shown.conflicts == 2
    agenda = page(client_for(tech).get("/changes/schedule/?view=agenda&from=2031-03-09"))
    assert f"{first.reference} also changes HF-CORE-01" in agenda and "HF-CORE-01, HF-SRV-01" in agenda


def test_a_change_caught_by_a_freeze_added_after_it_was_planned_is_flagged(
    highfield, bolton, consultant, tech, client_for, planned
):
    change = planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18))
    windows.freeze_window_create(
        actor=consultant,
        authority=bolton,
        name="Ofsted",
        kind="inspection",
        starts=date(2031, 3, 10),
        ends=date(2031, 3, 11),
    )
    shown = schedule.agenda(tech, school=highfield, first=date(2031, 3, 9))
    (entry,) = shown.entries
    assert entry.change == change and [f.name for f in entry.frozen] == ["Ofsted"]
    assert "In the freeze “Ofsted”" in page(client_for(tech).get("/changes/schedule/?view=agenda&from=2031-03-09"))
    assert "fsc-in-freeze" in page(client_for(tech).get("/changes/schedule/?month=2031-03"))


def test_an_empty_month_says_how_changes_get_there(tech, client_for):
    body = page(client_for(tech).get("/changes/schedule/?month=2031-07"))
    assert 'id="schedule-empty"' in body and "once it is approved and given a planned window" in body
    assert "/changes/new/" in body  # a technician may raise one


def test_the_agenda_lists_the_next_eight_weeks_with_freezes(highfield, netmgr, tech, client_for, planned, core_switch):
    inside = planned(at(2031, 3, 10, 16), at(2031, 3, 11, 9), cis=[core_switch])
    planned(at(2031, 6, 2, 16), at(2031, 6, 2, 17), title="Beyond eight weeks")
    windows.freeze_window_create(
        actor=netmgr, school=highfield, name="Easter exams", starts=date(2031, 4, 1), ends=date(2031, 4, 3)
    )
    body = page(client_for(tech).get("/changes/schedule/?view=agenda&from=2031-03-05"))
    assert 'id="schedule-agenda"' in body and "Week of Monday 3 March" in body
    row = body[body.index(inside.reference) :]
    row = row[: row.index("</tr>")]
    assert "Mon 10 Mar, 16:00 to Tue 11 Mar, 09:00" in row and "HF-CORE-01" in row and "Low" in row
    assert "Scheduled" in row
    assert "Freeze: Easter exams" in body and "Beyond eight weeks" not in body


# =============================================================================
# Whose schedule
# =============================================================================


def test_a_consultant_sees_the_authoritys_schools_side_by_side_and_can_narrow_to_one(
    consultant, client_for, planned, riverside_change
):
    change = planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18))
    client = client_for(consultant)
    both = page(client.get("/changes/schedule/?month=2031-03"))
    assert change.title in both and riverside_change.title in both
    assert "(Highfield" in both or "Highfield" in both
    narrowed = page(client.get("/changes/schedule/?month=2031-03&school=riverside"))
    assert riverside_change.title in narrowed and change.title not in narrowed
    assert client.get("/changes/schedule/?school=westfield").status_code == 404


def test_other_schools_and_ict_users_see_nothing(outsider, staff, tech2, client_for, planned):
    change = planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18))
    assert change.title not in page(client_for(outsider).get("/changes/schedule/?month=2031-03"))
    assert change.title not in page(client_for(tech2).get("/changes/schedule/?month=2031-03"))
    assert client_for(tech2).get("/changes/schedule/?school=highfield").status_code == 404
    assert client_for(staff).get("/changes/schedule/").status_code == 404
    assert Client().get("/changes/schedule/").status_code == 302


def test_the_schedule_costs_the_same_queries_for_one_change_as_for_ten(tech, client_for, planned, highfield):
    client = client_for(tech)
    url = "/changes/schedule/?month=2031-03"

    def count(view: str) -> int:
        client.get(url + view)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url + view).status_code == 200
        return len(queries)

    first_ci = cmdb_services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name="SW-0")
    planned(at(2031, 3, 3, 16), at(2031, 3, 3, 17), cis=[first_ci])
    one = count(""), count("&view=agenda&from=2031-03-01")
    for n in range(1, 10):
        ci = cmdb_services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name=f"SW-{n}")
        planned(at(2031, 3, 3 + n, 16), at(2031, 3, 3 + n, 17), cis=[ci], title=f"Change {n}")
    assert (count(""), count("&view=agenda&from=2031-03-01")) == one


# =============================================================================
# The iCalendar export
# =============================================================================


def events(response) -> list:
    calendar = icalendar.Calendar.from_ical(b"".join(response) if response.streaming else response.content)
    return list(calendar.walk("VEVENT"))


def test_the_calendar_export_has_one_event_per_planned_change_and_per_freeze(
    highfield, netmgr, tech, client_for, planned, core_switch
):
    change = planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18), cis=[core_switch])
    windows.freeze_window_create(
        actor=netmgr, school=highfield, name="Summer exams", starts=date(2031, 5, 12), ends=date(2031, 6, 20)
    )
    response = client_for(tech).get("/changes/schedule.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    change_event, freeze_event = events(response)
    assert str(change_event["UID"]) == "CHG-000001@highfield.fits"
    assert change_event.decoded("DTSTART") == at(2031, 3, 10, 16) and change_event.decoded(
        "DTSTART"
    ).utcoffset() == timedelta(0)
    assert b"DTSTART:20310310T160000Z" in response.content  # UTC, not a local time zone
    assert str(change_event["STATUS"]) == "CONFIRMED"
    description = str(change_event["DESCRIPTION"])
    assert "Vendor security advisory." in description and "HF-CORE-01" in description and "Risk: Low" in description
    assert f"http://testserver/changes/{change.pk}/" in description and str(change_event["URL"]).endswith(
        f"/changes/{change.pk}/"
    )
    assert freeze_event.decoded("DTSTART") == date(2031, 5, 12) and freeze_event.decoded("DTEND") == date(2031, 6, 21)
    assert str(freeze_event["TRANSP"]) == "TRANSPARENT" and "Summer exams" in str(freeze_event["SUMMARY"])


def test_an_approved_change_not_yet_scheduled_again_is_tentative(highfield, tech, netmgr, raise_change, client_for):
    change = raise_change(by=tech, planned_start=at(2031, 3, 10, 16), planned_end=at(2031, 3, 10, 18))
    services.rfc_vote(change=change, approver=netmgr, decision=Decision.APPROVE, comment="")
    (event,) = events(client_for(tech).get("/changes/schedule.ics"))
    assert str(event["STATUS"]) == "TENTATIVE"


def test_hostile_titles_are_escaped_and_folded_in_the_calendar(tech, client_for, planned):
    planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18), title=HOSTILE[:200], reason=HOSTILE)
    response = client_for(tech).get("/changes/schedule.ics")
    raw = response.content.decode()
    lines = raw.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)  # folded at 75 octets
    assert "\nDTSTART:1970" not in raw and not any(line.startswith("DTSTART:1970") for line in lines)
    assert "Reboot\\, then\\; patch\\n" in raw.replace("\r\n ", "")
    (event,) = events(response)
    assert str(event["SUMMARY"]).startswith(f"CHG-000001 {HOSTILE[:200]}"[:60])
    assert HOSTILE.strip() in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART") == at(2031, 3, 10, 16)


def test_a_calendar_client_subscribes_with_the_api_token(tech, outsider, planned):
    planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18))
    token = Token.objects.create(user=tech)
    response = Client().get("/changes/schedule.ics?school=highfield", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and len(events(response)) == 1
    assert Client().get("/changes/schedule.ics", HTTP_AUTHORIZATION="Token nonsense").status_code == 401
    assert Client().get("/changes/schedule.ics").status_code == 302  # no token: sign in
    other = Token.objects.create(user=outsider)
    response = Client().get("/changes/schedule.ics", HTTP_AUTHORIZATION=f"Token {other.key}")
    assert response.status_code == 200 and events(response) == []


def test_the_calendar_follows_the_school_filter(consultant, client_for, planned, riverside_change):
    planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18))
    client = client_for(consultant)
    assert {str(e["UID"]) for e in events(client.get("/changes/schedule.ics"))} == {
        "CHG-000001@highfield.fits",
        "CHG-000001@riverside.fits",
    }
    assert [str(e["UID"]) for e in events(client.get("/changes/schedule.ics?school=riverside"))] == [
        "CHG-000001@riverside.fits"
    ]
    assert client.get("/changes/schedule.ics?school=westfield").status_code == 404


# =============================================================================
# Freeze and maintenance windows: the services
# =============================================================================


def test_the_network_manager_keeps_the_schools_freezes_and_a_technician_cannot(highfield, netmgr, tech):
    freeze = windows.freeze_window_create(
        actor=netmgr, school=highfield, name="GCSE exams", starts=date(2031, 5, 12), ends=date(2031, 6, 20)
    )
    assert freeze.school == highfield and freeze.kind == FreezeWindow.Kind.EXAMS
    with pytest.raises(PermissionDenied, match="network manager keeps its own"):
        windows.freeze_window_create(
            actor=tech, school=highfield, name="Mocks", starts=date(2031, 1, 5), ends=date(2031, 1, 9)
        )
    with pytest.raises(PermissionDenied):
        windows.freeze_window_delete(freeze=freeze, actor=tech)
    freeze = windows.freeze_window_update(
        freeze=freeze, actor=netmgr, name="GCSE and A level exams", kind="exams", starts=freeze.starts, ends=freeze.ends
    )
    assert FreezeWindow.objects.get().name == "GCSE and A level exams"
    windows.freeze_window_delete(freeze=freeze, actor=netmgr)
    assert not FreezeWindow.objects.exists()


def test_an_authoritys_freeze_is_kept_by_its_consultants(bolton, wigan, consultant, netmgr, highfield, riverside):
    freeze = windows.freeze_window_create(
        actor=consultant, authority=bolton, name="Ofsted week", kind="inspection", starts=date(2031, 2, 3),
        ends=date(2031, 2, 7),
    )  # fmt: skip
    assert freeze.applies_at(highfield) and freeze.applies_at(riverside)
    with pytest.raises(PermissionDenied):
        windows.freeze_window_create(
            actor=netmgr, authority=bolton, name="Mine", starts=date(2031, 2, 3), ends=date(2031, 2, 7)
        )
    with pytest.raises(PermissionDenied):
        windows.freeze_window_create(
            actor=consultant, authority=wigan, name="Not mine", starts=date(2031, 2, 3), ends=date(2031, 2, 7)
        )
    with pytest.raises(PermissionDenied):
        windows.freeze_window_create(actor=consultant, name="Everyone", starts=date(2031, 2, 3), ends=date(2031, 2, 7))


def test_freeze_validation_says_what_is_wrong(highfield, netmgr):
    with pytest.raises(ValidationError) as error:
        windows.freeze_window_create(
            actor=netmgr, school=highfield, name="Exams", starts=date(2031, 6, 20), ends=date(2031, 5, 12)
        )
    assert error.value.message_dict == {"ends": ["The freeze ends (12 May 2031) before it starts (20 Jun 2031)."]}
    with pytest.raises(ValidationError, match="Give the freeze a name"):
        windows.freeze_window_create(
            actor=netmgr, school=highfield, name="  ", starts=date(2031, 5, 1), ends=date(2031, 5, 2)
        )
    windows.freeze_window_create(
        actor=netmgr, school=highfield, name="Exams", starts=date(2031, 5, 12), ends=date(2031, 6, 20)
    )
    with pytest.raises(ValidationError, match="already has a freeze called “Exams” over those dates"):
        windows.freeze_window_create(
            actor=netmgr, school=highfield, name="exams", starts=date(2031, 6, 1), ends=date(2031, 6, 30)
        )
    # Same name, other dates: a second exam season is fine.
    windows.freeze_window_create(
        actor=netmgr, school=highfield, name="Exams", starts=date(2031, 11, 3), ends=date(2031, 11, 14)
    )
    assert FreezeWindow.objects.count() == 2


def test_maintenance_windows_are_validated_and_kept_by_the_network_manager(highfield, netmgr, tech):
    window = windows.maintenance_window_create(
        actor=netmgr, school=highfield, weekday=2, opens=time(16), closes=time(18), name="After school"
    )
    assert str(window) == "Wednesday 16:00-18:00"
    with pytest.raises(ValidationError, match=r"closes \(15:00\) before it opens \(16:00\)"):
        windows.maintenance_window_create(actor=netmgr, school=highfield, weekday=3, opens=time(16), closes=time(15))
    with pytest.raises(ValidationError, match="already has a maintenance window then \\(Wednesday 16:00-18:00\\)"):
        windows.maintenance_window_create(actor=netmgr, school=highfield, weekday=2, opens=time(17), closes=time(19))
    with pytest.raises(PermissionDenied):
        windows.maintenance_window_create(actor=tech, school=highfield, weekday=4, opens=time(16), closes=time(18))
    windows.maintenance_window_update(window=window, actor=netmgr, weekday=4, opens=time(15, 30), closes=time(17))
    assert str(MaintenanceWindow.objects.get()) == "Friday 15:30-17:00"
    windows.maintenance_window_delete(window=window, actor=netmgr)
    assert not MaintenanceWindow.objects.exists()


# =============================================================================
# Freeze and maintenance windows: the pages
# =============================================================================


def test_the_freeze_list_shows_the_schools_and_the_authoritys_and_collapses_the_past(
    highfield, bolton, netmgr, consultant, tech, client_for
):
    today = timezone.localdate()
    windows.freeze_window_create(
        actor=netmgr,
        school=highfield,
        name="Mock exams",
        starts=today + timedelta(days=10),
        ends=today + timedelta(days=12),
    )
    windows.freeze_window_create(
        actor=consultant,
        authority=bolton,
        name="Ofsted",
        starts=today + timedelta(days=20),
        ends=today + timedelta(days=21),
    )
    windows.freeze_window_create(
        actor=netmgr,
        school=highfield,
        name="Last summer",
        starts=today - timedelta(days=90),
        ends=today - timedelta(days=60),
    )
    body = page(client_for(tech).get("/changes/freezes/"))
    current = body[body.index('id="freezes"') : body.index("</table>")]
    assert "Mock exams" in current and "Ofsted" in current and "Bolton" in current and "shared" in current
    assert "Last summer" not in current
    assert '<details class="card" id="past-freezes">' in body and "Last summer" in body
    assert "Add a freeze window" not in body  # a technician adds none
    assert ">View<" in body
    netmgr_page = page(client_for(netmgr).get("/changes/freezes/"))
    assert "Add a freeze window" in netmgr_page and ">Edit<" in netmgr_page


def test_the_network_manager_adds_edits_and_removes_a_freeze_through_the_pages(highfield, netmgr, client_for):
    client = client_for(netmgr)
    form = page(client.get("/changes/freezes/new/"))
    assert "Highfield" in form and "Every school of" not in form  # no authority-wide freezes for a school's manager
    response = client.post(
        "/changes/freezes/new/",
        {"owner": f"school:{highfield.pk}", "name": "Year 11 mocks", "kind": "exams", "starts": "2031-01-05",
         "ends": "2031-01-02"},
    )  # fmt: skip
    assert response.status_code == 200 and "The freeze ends (02 Jan 2031) before it starts (05 Jan 2031)." in page(
        response
    )
    response = client.post(
        "/changes/freezes/new/",
        {"owner": f"school:{highfield.pk}", "name": "Year 11 mocks", "kind": "exams", "starts": "2031-01-05",
         "ends": "2031-01-09"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/changes/freezes/"
    freeze = FreezeWindow.objects.get()
    assert freeze.school == highfield and freeze.ends == date(2031, 1, 9)
    response = client.post(
        f"/changes/freezes/{freeze.pk}/",
        {"name": "Year 11 mocks", "kind": "exams", "starts": "2031-01-05", "ends": "2031-01-16"},
    )
    assert response.status_code == 302
    freeze.refresh_from_db()
    assert freeze.ends == date(2031, 1, 16)
    assert client.post(f"/changes/freezes/{freeze.pk}/delete/").status_code == 302
    assert not FreezeWindow.objects.exists()


def test_a_technician_reads_a_freeze_but_cannot_change_or_remove_it(highfield, netmgr, tech, client_for):
    freeze = windows.freeze_window_create(
        actor=netmgr, school=highfield, name="Exams", starts=date(2031, 5, 12), ends=date(2031, 6, 20)
    )
    client = client_for(tech)
    body = page(client.get(f"/changes/freezes/{freeze.pk}/"))
    assert "You can read it here" in body and "<form" not in body.split('id="freeze"')[1].split("</dl>")[0]
    client.post(
        f"/changes/freezes/{freeze.pk}/",
        {"name": "Gone", "kind": "exams", "starts": "2031-05-12", "ends": "2031-05-13"},
    )
    client.post(f"/changes/freezes/{freeze.pk}/delete/")
    freeze.refresh_from_db()
    assert freeze.name == "Exams"
    response = client.get("/changes/freezes/new/")
    assert response.status_code == 302 and response["Location"] == "/changes/freezes/"


def test_a_consultant_adds_a_freeze_for_every_school_of_the_authority(bolton, highfield, consultant, client_for):
    client = client_for(consultant)
    form = page(client.get("/changes/freezes/new/"))
    assert "Every school of Bolton" in form
    response = client.post(
        "/changes/freezes/new/",
        {"owner": f"authority:{bolton.pk}", "name": "Ofsted", "kind": "inspection", "starts": "2031-02-03",
         "ends": "2031-02-07"},
    )  # fmt: skip
    assert response.status_code == 302
    assert FreezeWindow.objects.get().authority == bolton


def test_another_schools_window_answers_404(highfield, netmgr, outsider, tech2, client_for):
    freeze = windows.freeze_window_create(
        actor=netmgr, school=highfield, name="Exams", starts=date(2031, 5, 12), ends=date(2031, 6, 20)
    )
    window = windows.maintenance_window_create(
        actor=netmgr, school=highfield, weekday=2, opens=time(16), closes=time(18)
    )
    for person in (outsider, tech2):
        client = client_for(person)
        assert client.get(f"/changes/freezes/{freeze.pk}/").status_code == 404
        assert client.post(f"/changes/freezes/{freeze.pk}/delete/").status_code == 404
        assert client.get(f"/changes/maintenance-windows/{window.pk}/").status_code == 404
        assert "Exams" not in page(client.get("/changes/freezes/"))
    assert FreezeWindow.objects.exists() and MaintenanceWindow.objects.exists()


def test_maintenance_windows_through_the_pages(highfield, netmgr, tech, client_for):
    client = client_for(netmgr)
    response = client.post(
        "/changes/maintenance-windows/new/",
        {
            "owner": f"school:{highfield.pk}",
            "name": "After school",
            "weekday": "2",
            "opens": "16:00",
            "closes": "15:00",
        },
    )
    assert "The window closes (15:00) before it opens (16:00)." in page(response)
    response = client.post(
        "/changes/maintenance-windows/new/",
        {
            "owner": f"school:{highfield.pk}",
            "name": "After school",
            "weekday": "2",
            "opens": "16:00",
            "closes": "18:00",
        },
    )
    assert response.status_code == 302
    listing = page(client_for(tech).get("/changes/maintenance-windows/"))
    assert "Wednesday 16:00-18:00" in listing and "After school" in listing
    schedule_page = page(client_for(tech).get("/changes/schedule/"))
    assert "Wednesday 16:00-18:00" in schedule_page
    assert "/changes/freezes/" in schedule_page and "/changes/maintenance-windows/" in schedule_page


def test_hostile_names_are_escaped_on_the_pages(highfield, netmgr, tech, client_for, planned):
    windows.freeze_window_create(
        actor=netmgr,
        school=highfield,
        name='<script>alert("f")</script>',
        starts=date(2031, 3, 3),
        ends=date(2031, 3, 4),
    )
    planned(at(2031, 3, 10, 16), at(2031, 3, 10, 18), title='<img src=x onerror="alert(1)">')
    client = client_for(tech)
    for url in (
        "/changes/schedule/?month=2031-03",
        "/changes/schedule/?view=agenda&from=2031-03-01",
        "/changes/freezes/",
    ):
        body = page(client.get(url))
        assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;" in page(client.get("/changes/freezes/"))
