"""The change record around its workflow: editing a draft, its impact from the CMDB, the problems behind it,
who is told when it is scheduled or runs as an emergency, and the FITS measures (list card and pack section)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from changes import measures, services
from changes.models import ChangeKind, RequestForChange, ReviewOutcome
from changes.packs import changes_section
from changes.selectors import change_impact
from cmdb import services as cmdb_services
from cmdb.models import Kind, Location
from fits.models import Membership, Notification, Role
from servicelevels import packs
from servicelevels import services as sl_services
from servicelevels.periods import custom
from tests.changes.conftest import at
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def community(school) -> int:
    return Membership.objects.filter(school=school).values("user").distinct().count()


# =============================================================================
# Editing a draft
# =============================================================================


def test_the_requester_edits_a_draft_from_its_page(highfield, tech, client_for, core_switch, mis_server, raise_change):
    change = raise_change(by=tech, answers=None, submit=False, cis=[core_switch])
    client = client_for(tech)
    detail = page(client.get(f"/changes/{change.pk}/"))
    assert f'href="/changes/{change.pk}/edit/"' in detail

    form = page(client.get(f"/changes/{change.pk}/edit/"))
    assert "Edit the draft CHG-000001" in form and "Upgrade the core switch firmware" in form
    assert 'name="kind"' not in form and 'name="implementer"' in form

    response = client.post(
        f"/changes/{change.pk}/edit/",
        {
            "title": "Upgrade the core switch and the MIS server",
            "reason": "Vendor security advisory.",
            "cis": [core_switch.pk, mis_server.pk],
            "implementation_plan": "Upload the image, reboot in the evening.",
            "backout_plan": "Boot the previous image.",
            "planned_start": "2026-12-02T16:00",
            "planned_end": "2026-12-02T18:00",
            "implementer": tech.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/changes/{change.pk}/"
    change.refresh_from_db()
    assert change.title == "Upgrade the core switch and the MIS server"
    assert set(change.cis.all()) == {core_switch, mis_server} and change.implementer == tech
    assert change.planned_start == at(2026, 12, 2, 16) and change.test_plan == ""
    assert "Edited: summary" in page(client.get(f"/changes/{change.pk}/"))


def test_a_submitted_change_is_not_edited_and_another_school_gets_404(highfield, tech, tech2, client_for, raise_change):
    change = raise_change(by=tech)
    client = client_for(tech)
    assert 'id="edit-change"' not in page(client.get(f"/changes/{change.pk}/"))
    response = client.get(f"/changes/{change.pk}/edit/", follow=True)
    assert "only a draft can be edited" in page(response)
    response = client.post(f"/changes/{change.pk}/edit/", {"title": "Sneaky", "reason": "x"})
    change.refresh_from_db()
    assert change.title == "Upgrade the core switch firmware"
    draft = raise_change(by=tech, submit=False)
    assert client_for(tech2).get(f"/changes/{draft.pk}/edit/").status_code == 404


def test_the_raise_form_names_the_implementer(highfield, tech, netmgr, client_for):
    client = client_for(tech)
    response = client.post(
        "/changes/new/",
        {"school": highfield.pk, "kind": ChangeKind.NORMAL, "title": "Replace the firewall", "reason": "End of life.",
         "implementer": netmgr.pk},
    )  # fmt: skip
    assert response.status_code == 302
    assert RequestForChange.objects.get().implementer == netmgr


# =============================================================================
# Impact
# =============================================================================


@pytest.fixture
def network(highfield, tech, netmgr, leader, staff, core_switch, mis_server):
    """The core switch carries the MIS server (in the server room, owned by the network manager), which runs
    the school's MIS service; the server room also holds a printer owned by the leader."""
    site = cmdb_services.location_create(school=highfield, actor=tech, kind=Location.Kind.SITE, name="Main site")
    block = cmdb_services.location_create(
        school=highfield, actor=tech, kind=Location.Kind.BUILDING, name="Main block", parent=site
    )
    room = cmdb_services.location_create(
        school=highfield, actor=tech, kind=Location.Kind.ROOM, name="Server room", parent=block
    )
    cmdb_services.ci_update(ci=mis_server, actor=tech, location=room, owner=netmgr)
    cmdb_services.ci_create(
        school=highfield, actor=tech, kind=Kind.PRINTER, name="HF-PRN-01", location=room, owner=leader
    )
    mis = cmdb_services.ci_create(
        school=highfield, actor=tech, kind=Kind.SERVICE, name="MIS", attributes={"purpose": "management"}
    )
    cmdb_services.relationship_add(source=mis, target=mis_server, actor=tech)
    return {"room": room, "mis": mis}


def test_impact_merges_the_cmdb_walk_rooms_services_and_owners(highfield, tech, netmgr, leader, network, core_switch,
                                                              raise_change):  # fmt: skip
    change = raise_change(by=tech, submit=False, cis=[core_switch])
    impact = change_impact(change)
    assert [ci.name for ci in impact.items] == ["HF-CORE-01", "HF-SRV-01", "MIS"]
    assert [room.path for room in impact.rooms] == ["Main site / Main block / Server room"]
    assert [ci.name for ci in impact.services] == ["MIS"]
    # The server's owner, and the printer's owner in the same room.
    assert set(impact.owners) == {netmgr, leader}
    # The MIS service stands in no room: it serves the whole school.
    everyone = community(highfield)
    assert impact.whole_school and impact.community == everyone == impact.people
    assert impact.summary == (
        f"Affects 3 configuration items, 1 room, 1 service (MIS); everyone at the school ({everyone} people)."
    )


def test_a_catalogue_service_is_named_and_a_local_change_reaches_only_owners(
    highfield, tech, netmgr, leader, network, mis_server, raise_change
):
    sl_services.it_service_create(school=highfield, actor=netmgr, name="School information system", ci=network["mis"])
    change = raise_change(by=tech, submit=False, cis=[mis_server])
    impact = change_impact(change)
    assert impact.service_names == ["School information system"] and impact.whole_school

    printer_change = raise_change(by=tech, submit=False, cis=[mis_server.__class__.objects.get(name="HF-PRN-01")])
    local = change_impact(printer_change)
    assert not local.whole_school and set(local.owners) == {netmgr, leader}
    assert local.summary == "Affects 1 configuration item, 1 room; 2 people."


def test_impact_reads_in_a_bounded_number_of_queries(highfield, tech, network, core_switch, raise_change):
    change = raise_change(by=tech, submit=False, cis=[core_switch])
    with CaptureQueriesContext(connection) as before:
        change_impact(change)
    # More affected items at the same depth cost no more queries: nothing is read one item at a time.
    for i in range(5):
        pc = cmdb_services.ci_create(
            school=highfield, actor=tech, kind=Kind.DESKTOP, name=f"PC-{i}", location=network["room"], owner=tech
        )
        cmdb_services.relationship_add(source=pc, target=core_switch, actor=tech)
    with CaptureQueriesContext(connection) as after:
        impact = change_impact(change)
    assert len(impact.items) == 8 and tech in impact.owners
    assert len(after) == len(before)


def test_no_items_no_impact(highfield, tech, raise_change):
    impact = change_impact(raise_change(by=tech, submit=False))
    assert impact.is_empty and impact.summary.startswith("No configuration items are named")


def test_the_change_page_shows_impact_and_the_problems_behind_it(
    highfield, tech, client_for, network, core_switch, raise_change
):
    from problems import services as problem_services

    change = raise_change(by=tech, cis=[core_switch])
    problem = problem_services.problem_log(
        school=highfield, logged_by=tech, title="The MIS slows to a crawl every Monday", description="Slow."
    )
    problem_services.problem_link_change(problem=problem, change=change, actor=tech)
    detail = page(client_for(tech).get(f"/changes/{change.pk}/"))
    assert 'id="impact"' in detail and "everyone at the school" in detail.lower()
    assert "Main site / Main block:</span> Server room" in detail
    assert problem.reference in detail and "The MIS slows to a crawl every Monday" in detail


# =============================================================================
# Notifications
# =============================================================================


def test_scheduling_warns_the_service_desk_and_the_implementer(
    highfield, tech, netmgr, desk, network, core_switch, raise_change, django_capture_on_commit_callbacks
):
    change = raise_change(by=tech, cis=[core_switch], implementer=netmgr)
    services.rfc_vote(change=change, approver=netmgr, decision="approve")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.rfc_schedule(change=change, actor=tech, planned_start=at(2026, 12, 2), planned_end=at(2026, 12, 2, 18))
    told = Notification.objects.filter(event="change_scheduled")
    assert {n.recipient for n in told} == {desk, netmgr}
    assert told.first().title == "CHG-000001 scheduled: Upgrade the core switch firmware"
    body = next(m.body for m in mail.outbox if desk.email in m.to)
    assert "Wed 02 Dec 2026 16:00 to 18:00" in body and "HF-CORE-01" in body
    assert f"everyone at the school ({community(highfield)} people)" in body


def test_the_approvers_read_the_impact_when_a_change_is_submitted(
    highfield, tech, netmgr, network, core_switch, raise_change, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        raise_change(by=tech, cis=[core_switch])
    body = next(m.body for m in mail.outbox if netmgr.email in m.to)
    assert "Impact: Affects 3 configuration items, 1 room, 1 service (MIS)" in body


def test_an_emergency_change_asks_for_its_retrospective_review(
    highfield, tech, netmgr, leader, desk, raise_change, django_capture_on_commit_callbacks
):
    change = raise_change(by=tech, kind=ChangeKind.EMERGENCY, answers=None, submit=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.rfc_start(change=change, actor=tech)
    told = Notification.objects.filter(event="change_review_needed")
    assert {n.recipient for n in told} == {netmgr, leader}
    assert "Work on it has started" in told.first().text
    assert any("needs your review" in m.subject for m in mail.outbox)

    services.rfc_implement(change=change, actor=tech)
    assert Notification.objects.filter(event="change_review_needed").count() == 4  # again, when it finished

    # Once reviewed, finishing (here: backing out another emergency change after review) says nothing more.
    other = raise_change(by=tech, kind=ChangeKind.EMERGENCY, answers=None, submit=False, title="Block the port")
    services.rfc_start(change=other, actor=tech)
    services.rfc_vote(change=other, approver=netmgr, decision="approve", comment="Had to be done.")
    before = Notification.objects.filter(event="change_review_needed").count()
    services.rfc_back_out(change=other, actor=tech, note="Unblocked it again.")
    assert Notification.objects.filter(event="change_review_needed").count() == before


def test_a_normal_change_starting_asks_for_no_review(highfield, tech, netmgr, raise_change):
    change = raise_change(by=tech)
    services.rfc_vote(change=change, approver=netmgr, decision="approve")
    services.rfc_schedule(change=change, actor=tech, planned_start=at(2026, 12, 2), planned_end=at(2026, 12, 2, 18))
    services.rfc_start(change=change, actor=tech)
    assert not Notification.objects.filter(event="change_review_needed").exists()


# =============================================================================
# Measures and the pack
# =============================================================================


def _finish(change, actor, how, outcome=None, reviewer=None):
    getattr(services, how)(change=change, actor=actor, note="Done." if how != "rfc_implement" else "")
    if outcome:
        services.rfc_review(change=change, actor=reviewer or actor, outcome=outcome, notes="Learnt.")
        services.rfc_close(change=change, actor=reviewer or actor)


@pytest.fixture
def month_of_changes(highfield, tech, netmgr, raise_change):
    """This month: 5 raised; 3 approved, 1 rejected; 1 succeeded (closed, successful), 1 failed, 1 backed out
    that the review found unsuccessful... counted as failed."""
    approved = []
    for i in range(3):
        change = raise_change(by=tech, title=f"Change {i}")
        services.rfc_vote(change=change, approver=netmgr, decision="approve")
        services.rfc_schedule(
            change=change, actor=tech, planned_start=at(2026, 12, 2 + i), planned_end=at(2026, 12, 2 + i, 18)
        )
        services.rfc_start(change=change, actor=tech)
        approved.append(change)
    rejected = raise_change(by=tech, title="Turned down")
    services.rfc_vote(change=rejected, approver=netmgr, decision="reject", comment="Not now.")
    raise_change(by=tech, title="Waiting", submit=False)
    _finish(approved[0], tech, "rfc_implement", ReviewOutcome.SUCCESSFUL, reviewer=netmgr)
    _finish(approved[1], tech, "rfc_fail")
    _finish(approved[2], tech, "rfc_implement", ReviewOutcome.UNSUCCESSFUL, reviewer=netmgr)
    return approved


def test_the_five_measures_of_a_month_in_one_query(highfield, tech, month_of_changes, django_assert_num_queries):
    months = measures.recent_months(3)
    with django_assert_num_queries(1):
        figures = measures.monthly_figures(RequestForChange.objects.all(), months)
    this, last = figures[-1], figures[-2]
    assert (this.raised, this.approved, this.rejected, this.succeeded, this.failed) == (5, 3, 1, 1, 2)
    assert (last.raised, last.approved, last.failed) == (0, 0, 0)
    # Each figure's filter finds exactly the changes it counts.
    month = months[-1]
    for name, _label in measures.MEASURES:
        assert RequestForChange.objects.filter(measures.measure_filter(name, month)).count() == getattr(this, name)


def test_a_change_counts_in_the_month_of_its_event(highfield, tech, netmgr, raise_change):
    change = raise_change(by=tech)
    RequestForChange.objects.filter(pk=change.pk).update(created_at=timezone.now() - timedelta(days=62))
    months = measures.recent_months(3)
    figures = measures.monthly_figures(RequestForChange.objects.all(), months)
    assert [f.raised for f in figures] == [1, 0, 0]
    assert measures.parse_month("2026-11") == measures.Month(date(2026, 11, 1)) and measures.parse_month("x") is None
    assert [m.key for m in measures.months_between(date(2026, 11, 15), date(2027, 1, 2))] == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]


def test_the_list_shows_this_month_and_last_and_links_to_the_changes_behind_a_figure(
    highfield, tech, client_for, month_of_changes
):
    client = client_for(tech)
    listing = page(client.get("/changes/"))
    key = measures.recent_months(1)[0].key
    assert 'id="measures"' in listing and "This month" in listing and "Last month" in listing
    assert f'href="/changes/?measure=failed&amp;month={key}"' in listing
    failed = page(client.get(f"/changes/?measure=failed&month={key}"))
    assert 'id="measure-filter"' in failed
    assert "Change 1" in failed and "Change 2" in failed and "Change 0" not in failed and "Turned down" not in failed


def test_changes_register_their_pack_section(highfield, tech, tech2, netmgr, month_of_changes, raise_change):
    assert packs._registry["changes"].provider is changes_section
    planned = raise_change(by=tech, title="Replace the Wi-Fi controller")
    services.rfc_vote(change=planned, approver=netmgr, decision="approve")
    today = timezone.localdate()
    period = custom(today - timedelta(days=40), today)
    content = changes_section(highfield, period, tech)
    assert [row[1] for row in content.rows] == ["Replace the Wi-Fi controller"]
    assert "6 raised, 4 approved, 1 rejected, 1 succeeded, 2 failed" in content.note
    assert content.extra["totals"]["raised"] == 6
    # Only what the reader may see: riverside's technician sees none of highfield's changes.
    other = changes_section(highfield, period, tech2)
    assert other.rows == [] and "0 raised" in other.empty


def test_everyone_at_the_school_counts_people_once(highfield, tech, network, core_switch, raise_change):
    before = change_impact(raise_change(by=tech, submit=False, cis=[core_switch])).community
    person = make_person("twohats", school=highfield, role=Role.TECHNICIAN)
    Membership.objects.create(user=person, school=highfield, role=Role.DESK)
    impact = change_impact(raise_change(by=tech, submit=False, cis=[core_switch]))
    assert impact.community == before + 1


def test_a_board_member_who_has_voted_sees_the_tally_and_no_second_vote_form(
    raise_change, highfield, tech, netmgr, leader, client_for
):
    from changes.models import ChangeAdvisoryBoard

    from .conftest import HIGH_RISK

    board = ChangeAdvisoryBoard.objects.create(school=highfield, name="Highfield CAB", quorum=2)
    board.members.set([netmgr, leader])
    change = raise_change(by=tech, answers=HIGH_RISK)
    services.rfc_approve(change=change, approver=netmgr, comment="Backups checked.")
    html = page(client_for(netmgr).get(change.get_absolute_url()))
    assert "1 of 2 approvals" in html
    assert 'id="vote-form"' not in html
    assert "You approved it (CAB member)" in html and "Still awaited: CAB member." in html
    html = page(client_for(leader).get(change.get_absolute_url()))
    assert 'id="vote-form"' in html and 'id="my-vote"' not in html
