"""Lesson impact: the timetable of each room (kept by hand, or imported from the MIS export all or nothing),
and a fault logged in a room while a lesson is on raising the urgency."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from incidents import services
from incidents.models import Lesson
from incidents.timetable import parse_time, parse_weekday
from tests.incidents.portal_world import lesson_not_now, lesson_on_now


def lesson(rooms, actor, **fields):
    values = {"location": rooms.ict_suite, "weekday": 0, "starts": time(9), "ends": time(10), "name": "9X2 Computing"}
    return services.lesson_create(actor=actor, **{**values, **fields})


def csv_bytes(*rows: str, header: str = "room,weekday,start,end,class,teacher") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


# =============================================================================
# Lessons by hand
# =============================================================================


def test_the_desk_and_technicians_keep_the_timetable(rooms, desk, tech, staff, leader):
    first = lesson(rooms, desk)
    assert (first.school_id, first.location, str(first)) == (
        rooms.ict_suite.school_id,
        rooms.ict_suite,
        "9X2 Computing, Monday 09:00–10:00",
    )
    lesson(rooms, tech, starts=time(10), ends=time(11), name="10A Computing")
    for outsider in (staff, leader):
        with pytest.raises(PermissionDenied):
            lesson(rooms, outsider, weekday=1)
    assert Lesson.objects.count() == 2


def test_a_lesson_must_make_sense(rooms, tech):
    lesson(rooms, tech)
    cases = {
        "ends": {"starts": time(11), "ends": time(10)},
        "starts": {"starts": time(9, 30), "ends": time(10, 30)},  # clashes with 9X2 Computing
        "location": {"location": rooms.classroom4.parent, "weekday": 2},  # a building, not a room
        "name": {"name": "  ", "weekday": 3},
    }
    for field, values in cases.items():
        with pytest.raises(ValidationError) as error:
            lesson(rooms, tech, **values)
        assert field in error.value.message_dict, field
    assert "ICT suite is taken then: 9X2 Computing, Monday 09:00–10:00." in str(
        pytest.raises(ValidationError, lesson, rooms, tech, starts=time(9, 30), ends=time(10, 30)).value
    )


def test_update_and_delete(rooms, tech):
    first = lesson(rooms, tech)
    second = lesson(rooms, tech, starts=time(10), ends=time(11), name="Second")
    with pytest.raises(ValidationError):
        services.lesson_update(lesson=second, actor=tech, starts=time(9, 45))
    moved = services.lesson_update(lesson=second, actor=tech, location=rooms.classroom4, starts=time(9, 45))
    assert (moved.location, moved.starts) == (rooms.classroom4, time(9, 45))
    services.lesson_delete(lesson=first, actor=tech)
    assert list(Lesson.objects.all()) == [moved]


def test_a_lesson_on_now_raises_urgency_on_logging(rooms, tech, staff, highfield, log_incident):
    lesson_on_now(rooms.classroom4, tech)
    lesson_not_now(rooms.ict_suite, tech)
    urgent = log_incident(highfield, by=staff, location=rooms.classroom4, impact=2, urgency=3)
    calm = log_incident(highfield, by=staff, location=rooms.ict_suite, impact=2, urgency=3)
    assert (urgent.urgency, urgent.priority, urgent.lesson) == (1, 2, "9X2 Computing, " + urgent.lesson.split(", ")[1])
    assert (calm.urgency, calm.priority, calm.lesson) == (3, 4, "")


# =============================================================================
# Reading the MIS export
# =============================================================================


def test_day_and_time_formats():
    assert [parse_weekday(v) for v in ("Monday", "tue", "WEDS", "thurs.", "5", "7", "0", "Funday")] == [
        0,
        1,
        2,
        3,
        4,
        6,
        None,
        None,
    ]
    assert [parse_time(v) for v in ("09:00", "9:05", "0900", "13.15", "10:00:00", "24:00", "9")] == [
        time(9),
        time(9, 5),
        time(9),
        time(13, 15),
        time(10),
        None,
        None,
    ]


def test_a_clean_export_is_read_row_by_row(rooms, tech, highfield):
    data = csv_bytes(
        "ICT suite,Monday,09:00,10:00,9X2 Computing,Mr Patel",
        "Main site / Infant block / Classroom 4,Tue,13:15,14:15,Year 1 Phonics,",
        "ict SUITE,1,10:00,11:00,10A Computing,Ms Ward",
    )
    timetable = services.lessons_check(school=highfield, actor=tech, data=data)
    assert timetable.ok and timetable.problems == []
    assert [(r.row, r.room, r.weekday, r.starts, r.name) for r in timetable.rows] == [
        (2, rooms.ict_suite, 0, time(9), "9X2 Computing"),
        (3, rooms.infant_classroom4, 1, time(13, 15), "Year 1 Phonics"),
        (4, rooms.ict_suite, 0, time(10), "10A Computing"),
    ]


def test_other_headings_separators_and_encodings(rooms, tech, highfield):
    data = "Room;Day;Start Time;End Time;Group;Staff\nICT suite;Friday;14:00;15:00;Club café;Mme Dupré\n"
    timetable = services.lessons_check(school=highfield, actor=tech, data=data.encode("cp1252"))
    assert timetable.ok
    assert (timetable.rows[0].name, timetable.rows[0].teacher) == ("Club café", "Mme Dupré")


def test_every_problem_is_reported_by_row_and_column(rooms, tech, highfield):
    data = csv_bytes(
        "Classroom 4,Monday,09:00,10:00,Ambiguous room,",  # two rooms are called Classroom 4
        "Sports hall,Monday,09:00,10:00,Unknown room,",
        "ICT suite,Someday,9am,08:00,,",
        "ICT suite,Monday,11:00,10:00,Ends first,",
        "ICT suite,Monday,09:00,10:00,First,",
        "ICT suite,Monday,09:30,10:30,Clashes with row 6,",
        "Classroom 4 RV,Monday,09:00,10:00,Another school's room,",
    )
    timetable = services.lessons_check(school=highfield, actor=tech, data=data)
    assert not timetable.ok
    found = {(p.row, p.column) for p in timetable.problems}
    assert found == {
        (2, "room"),
        (3, "room"),
        (4, "weekday"),
        (4, "start"),
        (4, "class"),
        (5, "end"),
        (7, "start"),
        (8, "room"),
    }
    messages = {(p.row, p.column): p.message for p in timetable.problems}
    assert messages[(2, "room")].startswith("2 rooms are called “Classroom 4”: give the path, e.g. “Main site /")
    assert "add it to the CMDB" in messages[(3, "room")]
    assert messages[(7, "start")] == "ICT suite is taken then: row 6 (First)."
    assert timetable.bad_rows == {2, 3, 4, 5, 7, 8}


def test_a_missing_column_or_an_empty_file(tech, highfield, rooms):
    timetable = services.lessons_check(school=highfield, actor=tech, data=b"room,day,start,class\nICT suite,1,9:00,X\n")
    assert [(p.row, p.column) for p in timetable.problems] == [(1, "end")]
    assert not services.lessons_check(school=highfield, actor=tech, data=b"").ok
    assert not services.lessons_check(school=highfield, actor=tech, data=csv_bytes()).ok


# =============================================================================
# Importing
# =============================================================================


def test_the_import_is_all_or_nothing(rooms, tech, highfield):
    good, bad = "ICT suite,Monday,09:00,10:00,9X2 Computing,", "ICT suite,Monday,99:00,10:00,Broken,"
    with pytest.raises(ValidationError):
        services.lessons_import(school=highfield, actor=tech, data=csv_bytes(good, bad))
    assert not Lesson.objects.exists()
    result = services.lessons_import(school=highfield, actor=tech, data=csv_bytes(good))
    assert len(result.rows) == 1 and Lesson.objects.get().name == "9X2 Computing"


def test_replacing_touches_only_the_rooms_in_the_file(rooms, tech, highfield):
    kept = lesson(rooms, tech, location=rooms.classroom4, name="Kept")
    lesson(rooms, tech, name="Replaced")
    result = services.lessons_import(school=highfield, actor=tech, data=csv_bytes("ICT suite,Wed,09:00,10:00,New,"))
    assert result.removed == 1
    assert set(Lesson.objects.values_list("name", flat=True)) == {"Kept", "New"}
    assert Lesson.objects.filter(pk=kept.pk).exists()


def test_adding_without_replacing_checks_clashes_with_the_lessons_there(rooms, tech, highfield):
    lesson(rooms, tech, name="Already there")
    timetable = services.lessons_check(
        school=highfield, actor=tech, replace=False, data=csv_bytes("ICT suite,Monday,09:30,10:30,Clash,")
    )
    assert [p.message for p in timetable.problems] == [
        "ICT suite is taken then: the existing Already there, Monday 09:00–10:00."
    ]


def test_only_timetable_keepers_import(staff, leader, highfield, rooms):
    for person in (staff, leader):
        with pytest.raises(PermissionDenied):
            services.lessons_check(school=highfield, actor=person, data=csv_bytes())


# =============================================================================
# Pages
# =============================================================================


def test_the_timetable_page(client_for, tech, desk, rooms):
    lesson(rooms, tech)
    lesson(rooms, tech, weekday=5, starts=time(10), ends=time(12), name="Saturday club")
    response = client_for(desk).get(reverse("incidents:timetable"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "ICT suite" in content and "9X2 Computing" in content and "Saturday club" in content
    assert "Classroom 4 RV" not in content  # riverside's
    assert reverse("incidents:timetable_import") in content
    only = client_for(desk).get(reverse("incidents:timetable"), {"with": "lessons"}).content.decode()
    assert "ICT suite" in only and "Comms room" not in only


def test_the_timetable_is_not_there_for_ict_users(client_for, staff, tech, rooms):
    first = lesson(rooms, tech)
    client = client_for(staff)
    assert client.get(reverse("incidents:timetable")).status_code == 404
    assert client.get(reverse("incidents:timetable_room", args=[rooms.ict_suite.pk])).status_code == 404
    assert client.get(reverse("incidents:lesson_edit", args=[first.pk])).status_code == 404
    assert client.post(reverse("incidents:lesson_delete", args=[first.pk])).status_code == 404
    assert client.get(reverse("incidents:timetable_import")).status_code == 404
    assert Lesson.objects.exists()


def test_add_change_and_remove_a_lesson_from_the_room_page(client_for, tech, rooms):
    client = client_for(tech)
    page = client.get(reverse("incidents:timetable_room", args=[rooms.ict_suite.pk])).content.decode()
    assert "Add a lesson" in page
    response = client.post(
        reverse("incidents:lesson_create", args=[rooms.ict_suite.pk]),
        {
            "location": rooms.ict_suite.pk,
            "weekday": 2,
            "starts": "09:00",
            "ends": "10:00",
            "name": "7B Computing",
            "teacher": "Mr Hill",
        },
    )
    assert response.status_code == 302
    created = Lesson.objects.get()
    clash = client.post(
        reverse("incidents:lesson_create", args=[rooms.ict_suite.pk]),
        {"location": rooms.ict_suite.pk, "weekday": 2, "starts": "09:30", "ends": "10:30", "name": "Clash"},
    )
    assert clash.status_code == 400 and "ICT suite is taken then" in clash.content.decode()
    edit = client.post(
        reverse("incidents:lesson_edit", args=[created.pk]),
        {
            "location": rooms.classroom4.pk,
            "weekday": 2,
            "starts": "11:00",
            "ends": "12:00",
            "name": "7B Computing",
            "teacher": "Mr Hill",
        },
    )
    assert edit.status_code == 302
    created.refresh_from_db()
    assert (created.location, created.starts) == (rooms.classroom4, time(11))
    client.post(reverse("incidents:lesson_delete", args=[created.pk]))
    assert not Lesson.objects.exists()


def test_the_import_pages_preview_then_import(client_for, tech, rooms):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(tech)
    data = csv_bytes("ICT suite,Monday,09:00,10:00,9X2 Computing,Mr Patel", "Classroom 4,Tue,13:00,14:00,Clash,")
    preview = client.post(
        reverse("incidents:timetable_import"),
        {"file": SimpleUploadedFile("timetable.csv", data, "text/csv"), "replace": "on"},
    )
    content = preview.content.decode()
    assert "Nothing can be imported yet" in content and "2 rooms are called" in content
    assert reverse("incidents:timetable_import_confirm") not in content
    assert not Lesson.objects.exists()
    good = csv_bytes("ICT suite,Monday,09:00,10:00,9X2 Computing,Mr Patel")
    preview = client.post(
        reverse("incidents:timetable_import"),
        {"file": SimpleUploadedFile("timetable.csv", good, "text/csv"), "replace": "on"},
    )
    assert "Ready to import" in preview.content.decode() and not Lesson.objects.exists()
    done = client.post(reverse("incidents:timetable_import_confirm"), follow=True)
    assert Lesson.objects.get().name == "9X2 Computing"
    assert any("Imported 1 lessons in 1 room" in str(m) for m in done.context["messages"])
    again = client.post(reverse("incidents:timetable_import_confirm"), follow=True)  # the preview is used up
    assert any("no checked file waiting" in str(m) for m in again.context["messages"])
    assert Lesson.objects.count() == 1


def test_the_lessons_api(api_for, tech, staff, tech2, rooms):
    api = api_for(tech)
    created = api.post(
        "/api/lessons/",
        {"location": rooms.ict_suite.pk, "weekday": 0, "starts": "09:00", "ends": "10:00", "name": "9X2 Computing"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    clash = api.post(
        "/api/lessons/",
        {"location": rooms.ict_suite.pk, "weekday": 0, "starts": "09:30", "ends": "10:30", "name": "Clash"},
        format="json",
    )
    assert clash.status_code == 400 and [e["attr"] for e in clash.json()["errors"]] == ["starts"]
    assert [row["name"] for row in api.get("/api/lessons/").json()["results"]] == ["9X2 Computing"]
    changed = api.patch(f"/api/lessons/{pk}/", {"teacher": "Mr Patel"}, format="json")
    assert changed.status_code == 200 and changed.json()["teacher"] == "Mr Patel"
    assert api_for(staff).get("/api/lessons/").json()["results"] == []  # the timetable is support staff's
    assert api_for(tech2).get(f"/api/lessons/{pk}/").status_code == 404
    assert (
        api_for(tech2)
        .post(
            "/api/lessons/",
            {"location": rooms.ict_suite.pk, "weekday": 0, "starts": "12:00", "ends": "13:00", "name": "X"},
            format="json",
        )
        .status_code
        == 400
    )
    assert api.delete(f"/api/lessons/{pk}/").status_code == 204 and not Lesson.objects.exists()
