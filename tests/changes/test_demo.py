"""The demo's Change Management (changes.demo, run by seed_demo): a change in every status at highfield, bolton's
board and standard changes, the freezes the service enforces, and the conflict on the forward schedule."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from changes import demo, policy, services
from changes.models import (
    ApprovalRole,
    ChangeAdvisoryBoard,
    ChangeKind,
    ChangeTemplate,
    FreezeWindow,
    MaintenanceWindow,
    RequestForChange,
    Risk,
    Status,
)
from fits.models import Activity, School, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(seeded_demo, db) -> str:
    return seeded_demo


def demo_titles(slug: str) -> set[str]:
    """The titles of changes.demo's stories at a school (other demos, e.g. releases', add changes of their own)."""
    school = School.objects.get(slug=slug)
    builder = demo.ChangeBuilder(school, {user.username: user for user in User.objects.all()})
    return {story.title for story in demo.STORIES[slug](builder, school)}


def demo_changes(slug: str):
    return RequestForChange.objects.filter(school__slug=slug, title__in=demo_titles(slug))


def highfield_changes():
    return demo_changes("highfield")


def person(username: str) -> User:
    return User.objects.get(username=username)


def test_highfield_has_a_change_in_every_status(seeded):
    assert highfield_changes().count() == len(demo_titles("highfield"))
    assert set(highfield_changes().values_list("status", flat=True)) == set(Status.values)
    assert "Change management: " in seeded and "requests for change" in seeded


def test_the_changes_are_on_the_demo_cmdb(seeded):
    firmware = highfield_changes().get(title="Upgrade the core switch firmware to 17.12.4")
    assert [ci.name for ci in firmware.cis.all()] == ["HF-CORE-01"]
    mis = highfield_changes().get(title="Upgrade the MIS to the spring release in half-term")
    assert {ci.name for ci in mis.cis.all()} == {"HF-SRV-01", "MIS"}
    band_steering = highfield_changes().get(title="Enable band steering on the hall access point")
    assert [i.title for i in band_steering.incidents.all()] == ["Wi-Fi drops in the hall during assemblies"]
    # Every named CI exists: none of the stories lost its items.
    assert not highfield_changes().filter(cis__isnull=True).exists()


def test_bolton_has_the_standard_changes_and_the_board(seeded):
    templates = ChangeTemplate.objects.filter(authority__slug="bolton", school=None)
    assert set(templates.values_list("name", flat=True)) == {name for name, *_ in demo.TEMPLATES}
    assert all(t.implementation_plan and t.backout_plan and t.duration_minutes for t in templates)
    board = ChangeAdvisoryBoard.objects.get(authority__slug="bolton", school=None)
    assert board.name == "Bolton schools CAB" and board.quorum == 2
    assert set(board.members.values_list("username", flat=True)) == {"netmgr", "leader", "consultant"}
    meeting = board.meetings.get()
    assert meeting.status == "planned"
    assert 0 < (timezone.localtime(meeting.held_at).date() - timezone.localdate()).days <= 14


def test_the_freezes_and_the_maintenance_window(seeded):
    today = timezone.localdate()
    exams = FreezeWindow.objects.get(authority__slug="bolton", name="GCSE and A-level exams")
    assert exams.starts.month == 5 and exams.ends.month == 6 and exams.ends >= today
    assert exams.starts - today < timedelta(days=366)
    term = FreezeWindow.objects.get(authority__slug="bolton", kind=FreezeWindow.Kind.TERM_START)
    assert today < term.starts and (term.ends - term.starts).days == 2
    mocks = FreezeWindow.objects.get(school__slug="highfield", name="Mock exams")
    assert mocks.starts.month == 1 and mocks.ends >= today
    window = MaintenanceWindow.objects.get(school__slug="highfield")
    assert str(window) == "Wednesday 16:00-18:00"


def test_the_exam_freeze_refuses_a_normal_change(seeded):
    highfield = highfield_changes().first().school
    exams = FreezeWindow.objects.get(name="GCSE and A-level exams")
    change = services.rfc_create(
        school=highfield,
        requester=person("tech"),
        title="Swap the hall projector",
        reason="The lamp is dim.",
        implementation_plan="Swap it.",
        backout_plan="Swap it back.",
    )
    services.rfc_assess(change=change, actor=person("tech"), answers=demo.LOW)
    services.rfc_submit(change=change, actor=person("tech"))
    services.rfc_approve(change=change, approver=person("netmgr"))
    start = demo._at(exams.starts + timedelta(days=2), 16)
    with pytest.raises(ValidationError, match="GCSE and A-level exams"):
        services.rfc_schedule(
            change=change, actor=person("tech"), planned_start=start, planned_end=start + timedelta(hours=1)
        )
    change.refresh_from_db()
    assert change.status == Status.APPROVED


def test_normal_changes_are_planned_outside_the_freezes(seeded):
    for change in highfield_changes().exclude(kind=ChangeKind.EMERGENCY).filter(planned_start__isnull=False):
        assert not policy.freezes_over(change.school, change.planned_start, change.planned_end), change


def test_two_scheduled_changes_conflict_on_the_core_switch(seeded):
    repatch = highfield_changes().get(title="Re-patch the Junior block uplink to the new fibre module")
    firmware = highfield_changes().get(title="Upgrade the core switch firmware to 17.12.4")
    assert repatch.status == firmware.status == Status.SCHEDULED
    found = services.conflicts(repatch)
    assert [c.change for c in found] == [firmware]
    assert [ci.name for ci in found[0].same] == ["HF-CORE-01"]
    assert [c.change for c in services.conflicts(firmware)] == [repatch]
    assert firmware.planned_start > timezone.now()


def test_the_high_risk_change_awaits_the_board_with_one_vote_of_two(seeded):
    mis = highfield_changes().get(title="Upgrade the MIS to the spring release in half-term")
    assert mis.risk == Risk.HIGH and mis.status == Status.SUBMITTED
    assert mis.cab.name == "Bolton schools CAB"
    state = policy.approval_state(mis)
    assert state.awaiting == [ApprovalRole.CAB]
    assert (state.cab_approvals, mis.cab.quorum) == (1, 2)
    assert [v.approver.username for v in mis.approvals.all()] == ["netmgr"]


def test_the_stories_end_where_they_should(seeded):
    by_title = {change.title: change for change in highfield_changes()}
    rejected = by_title["Give the Year 6 coding club local administrator rights"]
    assert rejected.status == Status.REJECTED
    assert "administrator rights" in rejected.approvals.get().comment
    closed = by_title["Upgrade the core switch firmware to 17.12.3"]
    assert closed.status == Status.CLOSED and closed.review_outcome == "successful" and closed.cmdb_updated
    emergency = by_title["Block the phishing sender's domain at the firewall"]
    assert emergency.kind == ChangeKind.EMERGENCY and emergency.status == Status.IMPLEMENTED
    assert not emergency.approvals.filter(role=ApprovalRole.RETROSPECTIVE).exists()
    toner = by_title["Replace a printer's toner"]
    assert toner.kind == ChangeKind.STANDARD and toner.status == Status.SCHEDULED
    assert policy.fits_maintenance_window(
        policy.maintenance_windows(toner.school), toner.planned_start, toner.planned_end
    )
    assert by_title["Move the staff room printer to the follow-me print queue"].status == Status.SUBMITTED


def test_the_timelines_are_dated_like_the_story(seeded):
    closed = highfield_changes().get(status=Status.CLOSED)
    now = timezone.now()
    order = [
        closed.created_at,
        closed.submitted_at,
        closed.approved_at,
        closed.actual_start,
        closed.actual_end,
        closed.reviewed_at,
        closed.closed_at,
    ]
    assert order == sorted(order) and order[-1] < now
    assert closed.actual_start == closed.planned_start
    assert (now - closed.created_at).days >= 20
    entries = Activity.objects.filter(content_type__model="requestforchange", object_id=closed.pk).order_by("pk")
    times = list(entries.values_list("created_at", flat=True))
    assert times[0] == closed.created_at and times == sorted(times) and times[-1] == closed.closed_at


def test_riverside_has_changes_the_consultant_sees_beside_highfield(seeded):
    riverside = demo_changes("riverside")
    assert riverside.count() == len(demo_titles("riverside")) == 3
    assert set(riverside.values_list("requester__username", flat=True)) == {"tech2"}
    seen = RequestForChange.objects.visible_to(person("consultant"))
    assert set(seen.values_list("school__slug", flat=True)) == {"highfield", "riverside"}
    assert not RequestForChange.objects.visible_to(person("outsider")).exists()


def test_seeding_again_adds_no_changes(seeded):
    before = (RequestForChange.objects.count(), FreezeWindow.objects.count(), ChangeTemplate.objects.count())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Change management: already set up." in out.getvalue()
    assert (RequestForChange.objects.count(), FreezeWindow.objects.count(), ChangeTemplate.objects.count()) == before
