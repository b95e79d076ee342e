"""Restores: a request from the catalogue carries its target (the school's expectation on its calendar) and tells
the user on their ticket; a restore from further back than the backups keep is refused at request time; restore
tests are recorded each term with evidence, and a task is raised for a job without one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fits.models import Activity
from incidents.models import Task
from om.storage import services
from om.storage.models import RestoreRequest, RestoreTest
from om.storage.requests import FORM_FIELDS
from servicedesk import services as desk_services
from servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def restore_item(highfield, desk, nightly):
    return desk_services.request_type_create(school=highfield, actor=desk, name="Restore a file or folder",
                                             summary="Get back a lost file.", fields=FORM_FIELDS,
                                             handler="storage.restore")  # fmt: skip


def ask(item, person, **answers):
    defaults = {"what": "Forces.pptx", "kind": "A file or a few files", "location": "\\\\HF-SRV-01\\Staff$\\Science"}
    return desk_services.request_log(school=item.school, logged_by=person, request_type=item,
                                     answers={**defaults, **answers})  # fmt: skip


def test_a_restore_request_carries_its_target_and_tells_the_user(restore_item, staff, nightly):
    day = timezone.localdate() - timedelta(days=3)
    asked = ask(restore_item, staff, restore_from=day.isoformat())
    restore = RestoreRequest.objects.get(ticket=asked.ticket)
    assert (restore.kind, restore.restore_from, restore.job) == ("file", day, nightly)  # matched by its share
    assert restore.target_hours == 8 and restore.target_at > restore.requested_at
    # One school day of school hours: never less than 8 hours later, and on a school day.
    assert restore.target_at - restore.requested_at >= timedelta(hours=8)
    assert timezone.localtime(restore.target_at).weekday() < 5
    told = Activity.objects.filter(object_id=asked.ticket.pk, kind="comment", public=True).values_list(
        "text", flat=True
    )
    (note,) = [text for text in told if text.startswith("Restore request:")]
    assert "from up to 30 days ago: we aim to restore within 1 school day: by " in note
    assert f"{timezone.localtime(restore.target_at):%a %d %b %H:%M}" in note


def test_the_target_follows_the_schools_expectations(restore_item, staff, highfield, netmgr):
    services.restore_expectation_save(actor=netmgr, school=highfield, kind="share", target_hours=24,
                                      notes="Out of hours where we can.")  # fmt: skip
    asked = ask(restore_item, staff, kind="A whole shared drive", what="Staff$")
    restore = RestoreRequest.objects.get(ticket=asked.ticket)
    assert restore.target_hours == 24 and "within 3 school days" in restore.expectation
    assert restore.expectation.endswith("Out of hours where we can.")


def test_a_restore_from_before_the_retention_is_refused_when_asked(restore_item, staff):
    too_old = timezone.localdate() - timedelta(days=45)
    with pytest.raises(ValidationError) as error:
        ask(restore_item, staff, restore_from=too_old.isoformat())
    assert "Backups are kept for 30 days" in str(error.value)
    assert not ServiceRequest.objects.exists() and not RestoreRequest.objects.exists()


def test_completing_a_restore_records_whether_the_target_was_met(restore_item, staff, tech, desk):
    restore = RestoreRequest.objects.get(ticket=ask(restore_item, staff).ticket)
    with pytest.raises(PermissionDenied):
        services.restore_complete(restore=restore, actor=desk, outcome="restored")
    with pytest.raises(ValidationError):
        services.restore_complete(restore=restore, actor=tech, outcome="partial")  # a partial one says why
    done = services.restore_complete(restore=restore, actor=tech, outcome="restored")
    assert done.met is True and done.completed_by == tech
    with pytest.raises(ValidationError, match="already"):
        services.restore_complete(restore=restore, actor=tech, outcome="restored")
    late = RestoreRequest.objects.get(ticket=ask(restore_item, staff).ticket)
    RestoreRequest.objects.filter(pk=late.pk).update(target_at=timezone.now() - timedelta(hours=1))
    late = services.restore_complete(restore=late, actor=tech, outcome="not_possible", note="Never backed up.")
    assert late.met is False
    texts = Activity.objects.filter(object_id=late.ticket_id, kind="comment").values_list("text", flat=True)
    assert any("could not be restored (after the target" in text for text in texts)


def test_hours_in_words():
    assert [services.hours_words(h) for h in (8, 24, 4, 1)] == ["1 school day", "3 school days", "4 school hours",
                                                               "1 school hour"]  # fmt: skip


def test_expectations_are_the_network_managers(highfield, tech, netmgr):
    with pytest.raises(PermissionDenied):
        services.restore_expectation_save(actor=tech, school=highfield, kind="file", target_hours=4)
    with pytest.raises(ValidationError):
        services.restore_expectation_save(actor=netmgr, school=highfield, kind="file", target_hours=0)
    services.restore_expectation_save(actor=netmgr, school=highfield, kind="file", target_hours=4)
    assert services.expectations_for(highfield)["file"] == (4, "")
    assert services.expectations_for(highfield)["system"][0] == 40  # the default stands for the rest


# =============================================================================
# Restore tests, each term
# =============================================================================


def test_a_term_without_a_restore_test_raises_one_task_and_recording_one_completes_it(highfield, nightly, tech,
                                                                                        netmgr):  # fmt: skip
    today = date(2026, 11, 24)  # the autumn term (the built-in terms: no calendar is set up)
    assert services.restore_tests_raise(today=today) == 1
    assert services.restore_tests_raise(today=today) == 0
    task = Task.objects.get(source_key__startswith=f"storage-restore-test:{nightly.pk}:")
    assert task.due_on == date(2026, 12, 31) and task.is_open
    test = services.restore_test_record(job=nightly, actor=tech, tested_on=timezone.localdate(),
                                        restored="Staff$\\Science\\Forces.pptx", minutes=12, verified_by=netmgr,
                                        restored_from=timezone.localdate() - timedelta(days=10),
                                        evidence="Opened in PowerPoint: 24 slides.")  # fmt: skip
    assert test.term_label.startswith("Autumn term")
    task.refresh_from_db()
    assert not task.is_open
    assert services.restore_tests_raise(today=today) == 0
    assert services.restore_tests_raise(today=date(2026, 12, 27)) == 0  # still the autumn term (fixed: to 31 Dec)


def test_no_task_in_a_holiday(highfield, nightly):
    assert services.restore_tests_raise(today=date(2026, 8, 10)) == 0  # August belongs to no term


def test_a_restore_test_needs_its_evidence_and_a_copy_that_can_exist(nightly, tech, staff):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        services.restore_test_record(job=nightly, actor=tech, tested_on=today, restored=" ", minutes=5,
                                     restored_from=today - timedelta(days=40), verified_by=staff,
                                     evidence="")  # fmt: skip
    assert {"restored", "restored_from", "evidence", "verified_by"} <= set(error.value.message_dict)
    assert not RestoreTest.objects.exists()


def test_the_deadline_skips_the_weekend(highfield):
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=LONDON)
    target = services._deadline(highfield, friday, 8)
    assert timezone.localtime(target).strftime("%a %H:%M") == "Mon 15:00"
