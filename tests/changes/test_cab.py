"""Change advisory boards, their meetings (agenda, members' own votes, minutes) and standard change templates."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes import cab, services
from changes.models import (
    CABMeeting,
    ChangeAdvisoryBoard,
    ChangeApproval,
    ChangeKind,
    ChangeTemplate,
    Decision,
    RequestForChange,
    Status,
)
from fits.models import Role
from tests.changes.conftest import HIGH_RISK, at
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def rnetmgr(riverside):
    """The network manager of riverside (not in the demo cast)."""
    return make_person("rnetmgr", school=riverside, role=Role.NETWORK_MANAGER)


@pytest.fixture
def board(highfield, netmgr, leader, tech):
    """Highfield's own CAB: the network manager and the leader approve, the technician advises; quorum 2."""
    return cab.board_create(
        actor=netmgr, school=highfield, name="Highfield CAB", members=[netmgr, leader, tech], quorum=2
    )


@pytest.fixture
def meeting(board, netmgr):
    return cab.meeting_schedule(board=board, actor=netmgr, held_at=at(2026, 12, 2, 16), chair=netmgr)


@pytest.fixture
def high_risk_change(board, tech, raise_change):
    change = raise_change(by=tech, answers=HIGH_RISK)
    assert change.status == Status.SUBMITTED and change.cab == board
    return change


# =============================================================================
# Who sets up boards
# =============================================================================


def test_the_network_manager_sets_up_the_schools_board_and_a_technician_cannot(
    highfield, netmgr, leader, tech, client_for
):
    with pytest.raises(PermissionDenied, match="network manager of Highfield"):
        cab.board_create(actor=tech, school=highfield, name="Tech's CAB", members=[tech], quorum=1)
    response = client_for(tech).get("/changes/boards/new/", follow=True)
    assert "network manager sets up its change advisory board" in page(response)
    assert not ChangeAdvisoryBoard.objects.exists()

    client = client_for(netmgr)
    form = page(client.get("/changes/boards/new/"))
    assert "Highfield Primary School only" in form and "Every school of" not in form
    response = client.post(
        "/changes/boards/new/",
        {"owner": f"school:{highfield.pk}", "name": "Highfield CAB", "members": [netmgr.pk, leader.pk], "quorum": 2},
    )
    board = ChangeAdvisoryBoard.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/changes/boards/{board.pk}/"
    assert board.school == highfield and board.quorum == 2
    assert set(board.members.all()) == {netmgr, leader}


def test_a_riverside_network_manager_cannot_see_or_change_highfields_board(board, rnetmgr, client_for):
    client = client_for(rnetmgr)
    assert "Highfield CAB" not in page(client.get("/changes/boards/"))
    assert client.get(f"/changes/boards/{board.pk}/").status_code == 404
    assert client.get(f"/changes/boards/{board.pk}/edit/").status_code == 404
    assert client.post(f"/changes/boards/{board.pk}/edit/", {"name": "Mine", "quorum": 1}).status_code == 404
    with pytest.raises(PermissionDenied):
        cab.board_update(board=board, actor=rnetmgr, name="Mine")
    board.refresh_from_db()
    assert board.name == "Highfield CAB"


def test_the_consultant_sets_up_the_authoritys_board_which_both_its_schools_see(
    bolton, highfield, riverside, consultant, netmgr, tech2, rnetmgr, outsider, client_for
):
    client = client_for(consultant)
    form = page(client.get("/changes/boards/new/"))
    assert "Every school of Bolton Council" in form and "Highfield Primary School only" not in form
    response = client.post(
        "/changes/boards/new/",
        {
            "owner": f"authority:{bolton.pk}",
            "name": "Bolton CAB",
            "members": [consultant.pk, rnetmgr.pk, netmgr.pk],
            "quorum": 2,
        },
    )
    assert response.status_code == 302
    board = ChangeAdvisoryBoard.objects.get()
    assert board.authority == bolton and board.school is None
    assert "Bolton CAB" in page(client.get("/changes/boards/"))
    # Both schools' staff see it; a school's network manager does not keep the authority's board.
    for person in (netmgr, rnetmgr, tech2):
        assert client_for(person).get(f"/changes/boards/{board.pk}/").status_code == 200
    edit = page(client_for(rnetmgr).get(f"/changes/boards/{board.pk}/edit/"))
    assert "The consultants of Bolton Council keep this board" in edit and 'id="board-form"' not in edit
    with pytest.raises(PermissionDenied, match="consultants of Bolton Council"):
        cab.board_update(board=board, actor=rnetmgr, quorum=1)
    # Wigan's technician does not.
    assert client_for(outsider).get(f"/changes/boards/{board.pk}/").status_code == 404
    # A policy check: a high-risk change at either school goes to it when the school has no board of its own.
    assert services.policy.board_for(riverside) == board


def test_ict_users_are_answered_404(board, meeting, staff, client_for):
    client = client_for(staff)
    for url in (
        "/changes/boards/",
        f"/changes/boards/{board.pk}/",
        f"/changes/meetings/{meeting.pk}/",
        "/changes/templates/",
    ):
        assert client.get(url).status_code == 404, url


# =============================================================================
# Quorum and members
# =============================================================================


@pytest.mark.parametrize(
    ("quorum", "message"),
    [(0, "at least one approving vote"), (3, "A quorum of 3 cannot be reached by 2 members"), ("x", "a number")],
)
def test_the_quorum_is_between_one_and_the_number_of_members(highfield, netmgr, leader, quorum, message):
    with pytest.raises(ValidationError, match=message):
        cab.board_create(actor=netmgr, school=highfield, name="CAB", members=[netmgr, leader], quorum=quorum)
    assert not ChangeAdvisoryBoard.objects.exists()


def test_an_edit_that_would_decide_a_change_without_a_vote_is_refused(board, high_risk_change, netmgr):
    services.rfc_vote(change=high_risk_change, approver=netmgr, decision=Decision.APPROVE, comment="Fine.")
    with pytest.raises(ValidationError, match="CHG-000001 would be decided without a vote"):
        cab.board_update(board=board, actor=netmgr, quorum=1)
    board.refresh_from_db()
    assert board.quorum == 2 and board.members.count() == 3
    cab.board_update(board=board, actor=netmgr, name="Highfield change advisory board")  # harmless: allowed
    board.refresh_from_db()
    assert board.name == "Highfield change advisory board"


def test_removing_members_below_the_quorum_is_refused(board, netmgr, leader, client_for):
    with pytest.raises(ValidationError, match="A quorum of 2 cannot be reached by 1 member"):
        cab.board_update(board=board, actor=netmgr, members=[leader])
    response = client_for(netmgr).post(
        f"/changes/boards/{board.pk}/edit/", {"name": "Highfield CAB", "members": [leader.pk], "quorum": 2}
    )
    assert response.status_code == 200 and "cannot be reached by 1 member" in page(response)
    assert board.members.count() == 3
    cab.board_update(board=board, actor=netmgr, members=[leader], quorum=1)
    board.refresh_from_db()
    assert board.quorum == 1 and list(board.members.all()) == [leader]


def test_members_hold_a_role_where_the_board_works(highfield, netmgr, tech2, client_for):
    with pytest.raises(ValidationError, match="Tech2 holds no role at Highfield"):
        cab.board_create(actor=netmgr, school=highfield, name="CAB", members=[netmgr, tech2], quorum=1)
    # The page does not even offer riverside's people.
    assert "Tech2" not in page(client_for(netmgr).get("/changes/boards/new/"))


# =============================================================================
# The agenda, meetings and minuted votes
# =============================================================================


def test_the_board_page_shows_the_agenda_with_votes_so_far(board, high_risk_change, netmgr, desk, client_for):
    services.rfc_vote(change=high_risk_change, approver=netmgr, decision=Decision.APPROVE, comment="Tested at home.")
    body = page(client_for(desk).get(f"/changes/boards/{board.pk}/"))
    assert high_risk_change.reference in body and "High" in body
    assert "1 of 2 needed" in body and "Tested at home." in body
    assert "Call a meeting" not in body  # the desk reads; the network manager calls meetings
    assert "Call a meeting" in page(client_for(netmgr).get(f"/changes/boards/{board.pk}/"))
    listing = page(client_for(desk).get("/changes/boards/"))
    assert "Highfield CAB" in listing and f'href="/changes/boards/{board.pk}/#agenda">1<' in listing


def test_a_meeting_minutes_the_votes_until_the_quorum_approves_the_change(
    board, high_risk_change, netmgr, leader, client_for
):
    client = client_for(netmgr)
    response = client.post(
        f"/changes/boards/{board.pk}/meetings/new/", {"held_at": "2026-12-02T16:00", "chair": netmgr.pk}
    )
    meeting = CABMeeting.objects.get()
    assert response["Location"] == f"/changes/meetings/{meeting.pk}/"
    assert meeting.board == board and meeting.school == board.school and meeting.chair == netmgr
    agenda = page(client.get(f"/changes/meetings/{meeting.pk}/"))
    assert high_risk_change.reference in agenda and "0 of 2 needed" in agenda and "vote-form" in agenda

    client.post(
        f"/changes/meetings/{meeting.pk}/vote/",
        {"change": high_risk_change.pk, "decision": "approve", "comment": "Backout is sound."},
    )
    high_risk_change.refresh_from_db()
    assert high_risk_change.status == Status.SUBMITTED
    assert "1 of 2 needed" in page(client.get(f"/changes/meetings/{meeting.pk}/"))

    response = client_for(leader).post(
        f"/changes/meetings/{meeting.pk}/vote/",
        {"change": high_risk_change.pk, "decision": "approve", "comment": "Fine by the school."},
        follow=True,
    )
    assert f"{high_risk_change.reference} is approved" in page(response)
    high_risk_change.refresh_from_db()
    assert high_risk_change.status == Status.APPROVED
    votes = ChangeApproval.objects.filter(change=high_risk_change)
    assert {(v.approver, v.meeting) for v in votes} == {(netmgr, meeting), (leader, meeting)}
    assert set(meeting.attendees.all()) == {netmgr, leader}

    client.post(
        f"/changes/meetings/{meeting.pk}/minutes/",
        {"attendees": [netmgr.pk, leader.pk], "minutes": "Approved CHG-000001.", "mark_held": "on"},
    )
    meeting.refresh_from_db()
    assert meeting.status == CABMeeting.Status.HELD and meeting.minutes == "Approved CHG-000001."
    held = page(client.get(f"/changes/meetings/{meeting.pk}/"))
    assert "Changes decided at the meeting" in held and high_risk_change.reference in held
    assert "Backout is sound." in held and "Fine by the school." in held and "vote-form" not in held
    assert '/static/fits/css/cab_print.css" media="print">' in held  # the minutes on paper (no inline style: CSP)
    # A held meeting takes no more votes.
    with pytest.raises(ValidationError, match="is over"):
        cab.meeting_vote(meeting=meeting, change=high_risk_change, actor=leader, decision="approve", comment="x")


def test_a_rejection_is_minuted_with_its_reason(board, meeting, high_risk_change, netmgr, leader, client_for):
    cab.board_update(board=board, actor=netmgr, members=[netmgr, leader], quorum=2)
    response = client_for(leader).post(
        f"/changes/meetings/{meeting.pk}/vote/",
        {"change": high_risk_change.pk, "decision": "reject", "comment": "Not during mock exams."},
        follow=True,
    )
    assert f"{high_risk_change.reference} is rejected" in page(response)
    high_risk_change.refresh_from_db()
    assert high_risk_change.status == Status.REJECTED
    vote = ChangeApproval.objects.get(change=high_risk_change)
    assert (vote.decision, vote.meeting, vote.comment) == (Decision.REJECT, meeting, "Not during mock exams.")
    minutes = page(client_for(netmgr).get(f"/changes/meetings/{meeting.pk}/"))
    assert 'id="decisions"' in minutes and "Not during mock exams." in minutes


def test_members_vote_for_themselves_only(board, meeting, high_risk_change, netmgr, leader, tech, client_for):
    # The chair posting "for" the leader casts the chair's own vote, never the leader's.
    client_for(netmgr).post(
        f"/changes/meetings/{meeting.pk}/vote/",
        {
            "change": high_risk_change.pk,
            "decision": "approve",
            "comment": "Yes",
            "approver": leader.pk,
            "actor": leader.pk,
        },
    )
    assert list(ChangeApproval.objects.values_list("approver__username", flat=True)) == ["netmgr"]
    # A chair who does not sit on the board has no vote at all.
    ChangeApproval.objects.all().delete()
    cab.board_update(board=board, actor=netmgr, members=[leader, tech], quorum=1)
    with pytest.raises(ValidationError, match="Only members of Highfield CAB vote"):
        cab.meeting_vote(meeting=meeting, change=high_risk_change, actor=netmgr, decision="approve", comment="Again")
    assert 'class="mt-2 vote-form"' not in page(client_for(netmgr).get(f"/changes/meetings/{meeting.pk}/"))
    # The technician sits on the board but cannot approve, and raised the change besides.
    with pytest.raises(ValidationError, match="You raised"):
        cab.meeting_vote(meeting=meeting, change=high_risk_change, actor=tech, decision="approve", comment="Mine")


def test_a_meeting_votes_only_on_its_own_boards_changes(bolton, board, high_risk_change, consultant, leader):
    other = cab.board_create(
        actor=consultant, authority=bolton, name="Bolton CAB", members=[consultant, leader], quorum=1
    )
    elsewhere = cab.meeting_schedule(board=other, actor=consultant, held_at=at(2026, 12, 3))
    with pytest.raises(ValidationError, match="is not on the agenda of Bolton CAB"):
        cab.meeting_vote(meeting=elsewhere, change=high_risk_change, actor=leader, decision="approve", comment="Ok")
    assert not ChangeApproval.objects.exists()


def test_the_chair_minutes_the_meeting_and_others_cannot(meeting, board, netmgr, leader, desk, client_for):
    cab.board_update(board=board, actor=netmgr, members=[netmgr, leader], quorum=1)
    chaired = cab.meeting_schedule(board=board, actor=netmgr, held_at=at(2026, 12, 9), chair=leader)
    cab.meeting_record(meeting=chaired, actor=leader, attendees=[leader], minutes="Quiet week.")
    with pytest.raises(PermissionDenied, match="Only the chair"):
        cab.meeting_record(meeting=chaired, actor=desk, minutes="Forged.")
    client_for(desk).post(f"/changes/meetings/{chaired.pk}/minutes/", {"minutes": "Forged.", "mark_held": "on"})
    chaired.refresh_from_db()
    assert chaired.minutes == "Quiet week." and chaired.status == CABMeeting.Status.PLANNED
    assert "record-form" not in page(client_for(desk).get(f"/changes/meetings/{chaired.pk}/"))


def test_minutes_are_escaped(meeting, netmgr, client_for):
    cab.meeting_record(meeting=meeting, actor=netmgr, minutes="<script>alert(1)</script>")
    body = page(client_for(netmgr).get(f"/changes/meetings/{meeting.pk}/"))
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_another_schools_meetings_answer_404(meeting, high_risk_change, tech2, client_for):
    client = client_for(tech2)
    assert client.get(f"/changes/meetings/{meeting.pk}/").status_code == 404
    response = client.post(
        f"/changes/meetings/{meeting.pk}/vote/", {"change": high_risk_change.pk, "decision": "reject", "comment": "No"}
    )
    assert response.status_code == 404
    assert client.post(f"/changes/meetings/{meeting.pk}/minutes/", {"minutes": "Mine"}).status_code == 404
    assert not ChangeApproval.objects.exists()


def test_the_agenda_costs_the_same_for_one_change_as_for_four(board, meeting, tech, netmgr, raise_change, client_for):
    client = client_for(netmgr)
    raise_change(by=tech, answers=HIGH_RISK)
    urls = [f"/changes/boards/{board.pk}/", f"/changes/meetings/{meeting.pk}/", "/changes/boards/"]
    for url in urls:
        client.get(url)
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        small[url] = len(queries)
    for _ in range(3):
        change = raise_change(by=tech, answers=HIGH_RISK)
        services.rfc_vote(change=change, approver=netmgr, decision=Decision.APPROVE, comment="Fine.")
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            body = page(client.get(url))
        assert len(queries) == small[url], url
    assert body.count("Highfield CAB") >= 1


# =============================================================================
# Standard change templates
# =============================================================================


def test_the_library_of_standard_changes(highfield, bolton, netmgr, consultant, tech, client_for):
    with pytest.raises(PermissionDenied):
        cab.template_create(actor=tech, school=highfield, name="Replace toner", implementation_plan="Swap it.")
    assert "Add a standard change" not in page(client_for(tech).get("/changes/templates/"))

    response = client_for(netmgr).post(
        "/changes/templates/new/",
        {
            "owner": f"school:{highfield.pk}",
            "name": "Replace toner",
            "implementation_plan": "Swap the cartridge.",
            "duration_minutes": 15,
        },
    )
    assert response.status_code == 302
    toner = ChangeTemplate.objects.get(name="Replace toner")
    assert toner.school == highfield and toner.duration_minutes == 15
    shared = cab.template_create(
        actor=consultant, authority=bolton, name="Add a user to a group", implementation_plan="Add them in AD."
    )
    with pytest.raises(PermissionDenied):
        cab.template_update(template=shared, actor=netmgr, name="Mine now")

    change = services.rfc_create(school=highfield, requester=tech, title="", kind=ChangeKind.STANDARD, template=toner)
    services.rfc_submit(change=change, actor=tech)
    listing = page(client_for(tech).get("/changes/templates/"))
    assert "Replace toner" in listing and "Add a user to a group" in listing and "1 change<" in listing
    assert "Bolton Council" in listing

    # Retired, it is offered no more, and no change follows it; reinstated, it is back.
    client_for(netmgr).post(f"/changes/templates/{toner.pk}/retire/")
    toner.refresh_from_db()
    assert not toner.is_active and "Retired" in page(client_for(tech).get("/changes/templates/"))
    with pytest.raises(ValidationError, match="is not a standard change"):
        services.rfc_create(school=highfield, requester=tech, title="", kind=ChangeKind.STANDARD, template=toner)
    cab.template_reinstate(template=toner, actor=netmgr)
    toner.refresh_from_db()
    assert toner.is_active

    # The technician reads a template; only its keepers edit it.
    edit = page(client_for(tech).get(f"/changes/templates/{toner.pk}/"))
    assert "keeps this standard change" in edit and 'id="template-form"' not in edit
    client_for(tech).post(
        f"/changes/templates/{toner.pk}/", {"name": "Hijacked", "implementation_plan": "x", "duration_minutes": 5}
    )
    toner.refresh_from_db()
    assert toner.name == "Replace toner"
    client_for(netmgr).post(
        f"/changes/templates/{toner.pk}/",
        {"name": "Replace toner or drum", "implementation_plan": "Swap it.", "duration_minutes": 20},
    )
    toner.refresh_from_db()
    assert (toner.name, toner.duration_minutes) == ("Replace toner or drum", 20)
    assert RequestForChange.objects.get().implementation_plan == "Swap the cartridge."


def test_a_template_needs_a_name_and_steps(highfield, netmgr):
    with pytest.raises(ValidationError, match="Write the steps"):
        cab.template_create(actor=netmgr, school=highfield, name="Toner", implementation_plan="  ")
    with pytest.raises(ValidationError, match="between 1 minute and a day"):
        cab.template_create(actor=netmgr, school=highfield, name="Toner", implementation_plan="x", duration_minutes=0)
