"""Release Management's services: the library, the workflow, blocking on changes, and the rollout into the CMDB."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changes import services as changes
from cmdb import services as cmdb
from cmdb.models import Kind, SoftwareInstallation, SoftwareProduct
from fits.models import Activity
from releases import services
from releases.models import ItemStatus, Outcome, RolloutTarget, Status
from tests.changes.conftest import LOW_RISK

# --- The definitive software library ------------------------------------------------


def test_a_technician_proposes_and_the_network_manager_approves(highfield, tech, netmgr):
    item = services.item_propose(actor=tech, school=highfield, name="SMART Notebook", version="24", checksum="A" * 64)
    assert item.status == ItemStatus.PROPOSED
    assert item.checksum == "a" * 64
    with pytest.raises(PermissionDenied):
        services.item_approve(item=item, actor=tech)
    item = services.item_approve(item=item, actor=netmgr)
    assert item.status == ItemStatus.APPROVED
    assert item.approved_by == netmgr


def test_a_checksum_that_is_not_sha256_is_refused(highfield, tech):
    with pytest.raises(ValidationError, match="64 hexadecimal"):
        services.item_propose(actor=tech, school=highfield, name="Office LTSC", version="2024", checksum="xyz")


def test_the_same_version_is_not_proposed_twice(highfield, tech, image):
    with pytest.raises(ValidationError, match="already has Windows 11 Education 24H2"):
        services.item_propose(actor=tech, school=highfield, name="windows 11 education", version="24h2")


def test_an_authority_item_is_approved_by_its_consultant_not_a_school_network_manager(bolton, consultant, netmgr):
    item = services.item_propose(actor=consultant, authority=bolton, name="Bolton standard image", version="2025.1")
    with pytest.raises(PermissionDenied):
        services.item_approve(item=item, actor=netmgr)
    assert services.item_approve(item=item, actor=consultant).status == ItemStatus.APPROVED


def test_a_technician_cannot_add_to_another_schools_library(riverside, tech):
    with pytest.raises(PermissionDenied):
        services.item_propose(actor=tech, school=riverside, name="Scratch", version="3.29")


def test_withdrawing_needs_a_reason(image, netmgr):
    with pytest.raises(ValidationError, match="why"):
        services.item_withdraw(item=image, actor=netmgr, reason=" ")
    item = services.item_withdraw(item=image, actor=netmgr, reason="Superseded by 25H2.")
    assert item.status == ItemStatus.WITHDRAWN


def test_the_media_book_records_who_has_the_master_copy(image, highfield, tech):
    loan = services.media_lend(item=image, school=highfield, borrower=tech, actor=tech, note="Imaging the suite")
    with pytest.raises(ValidationError, match="already out"):
        services.media_lend(item=image, school=highfield, borrower=tech, actor=tech)
    loan = services.media_return(loan=loan, actor=tech)
    assert loan.returned_at is not None


# --- Planning a release ---------------------------------------------------------------


def test_a_release_gets_a_reference_and_a_timeline(make_release, tech):
    release = make_release()
    assert release.reference == "REL-000001"
    assert release.status == Status.PLANNED
    assert release.manager == tech
    assert make_release(title="Second").reference == "REL-000002"
    assert Activity.objects.filter(object_id=release.pk, kind="created", school_id=release.school_id).exists()


def test_only_approved_library_items_go_into_a_release(make_release, highfield, tech):
    proposed = services.item_propose(actor=tech, school=highfield, name="Office LTSC", version="2024")
    with pytest.raises(ValidationError, match="only approved"):
        make_release(items=[proposed])


def test_a_release_cannot_bundle_another_schools_change(make_release, riverside, tech2):
    theirs = changes.rfc_create(school=riverside, requester=tech2, title="Theirs", reason="Theirs.")
    with pytest.raises(ValidationError, match="another school"):
        make_release(changes=[theirs])


def test_an_icT_user_cannot_plan_a_release(highfield, staff):
    with pytest.raises(PermissionDenied):
        services.release_create(school=highfield, actor=staff, title="Mine")


def test_editing_is_recorded_and_stops_once_rolling_out(make_release, rolling_release, tech):
    release = make_release()
    release = services.release_update(release=release, actor=tech, test_plan="Boot each PC; log in as a pupil.")
    assert release.test_plan.startswith("Boot")
    entry = Activity.objects.filter(object_id=release.pk, kind="field", school_id=release.school_id).last()
    assert "test plan" in entry.text
    with pytest.raises(ValidationError, match="fixed once the rollout"):
        services.release_update(release=rolling_release, actor=tech, title="Changed")


# --- Waves ------------------------------------------------------------------------------


def test_a_wave_by_room_takes_the_devices_that_take_software(make_release, suite, tech):
    room, pcs = suite
    release = make_release()
    wave = services.wave_add(release=release, actor=tech, name="ICT suite", location=room)
    assert sorted(t.ci.name for t in wave.targets.all()) == [pc.name for pc in pcs]  # not the projector


def test_a_ci_is_in_one_wave_of_a_release(make_release, suite, tech):
    room, pcs = suite
    release = make_release()
    services.wave_add(release=release, actor=tech, name="Front row", cis=pcs[:2])
    with pytest.raises(ValidationError, match="Already in a wave"):
        services.wave_add(release=release, actor=tech, name="Everything", location=room)
    second = services.wave_add(release=release, actor=tech, name="Back row", cis=pcs[2:])
    assert second.order == 2


def test_another_schools_ci_is_refused_and_nothing_is_written(make_release, riverside, tech, tech2):
    theirs = cmdb.ci_create(school=riverside, actor=tech2, kind=Kind.DESKTOP, name="RV-PC-01")
    release = make_release()
    with pytest.raises(ValidationError, match="another school"):
        services.wave_add(release=release, actor=tech, name="Sneaky", cis=[theirs])
    assert not release.waves.exists()
    assert not RolloutTarget.objects.filter(ci=theirs).exists()


# --- The workflow --------------------------------------------------------------------------


def test_the_workflow_refuses_moves_out_of_order(make_release, tech):
    release = make_release()
    with pytest.raises(ValidationError, match="Cannot start the rollout REL-000001: it is planned"):
        services.release_transition(release=release, actor=tech, action="roll_out")


def test_rolling_out_waits_for_the_changes_and_names_the_one_that_blocks(
    make_release, image, suite, highfield, tech, netmgr
):
    room, _pcs = suite
    change = changes.rfc_create(
        school=highfield, requester=tech, title="Reimage", reason="Summer.", implementation_plan="Image.",
        backout_plan="Restore.",
    )  # fmt: skip
    release = make_release(changes=[change], items=[image])
    services.wave_add(release=release, actor=tech, name="Suite", location=room)
    for action in ("build", "test", "ready"):
        release = services.release_transition(release=release, actor=tech, action=action)
    with pytest.raises(ValidationError, match=f"{change.reference} \\(Reimage\\) is draft"):
        services.release_transition(release=release, actor=tech, action="roll_out")
    changes.rfc_assess(change=change, actor=tech, answers=LOW_RISK)
    changes.rfc_submit(change=change, actor=tech)
    changes.rfc_approve(change=change, approver=netmgr)
    release = services.release_transition(release=release, actor=tech, action="roll_out")
    assert release.status == Status.ROLLING_OUT
    assert release.started_at is not None


def test_a_withdrawn_item_stops_the_rollout(make_release, image, approved_change, suite, tech, netmgr):
    room, _pcs = suite
    release = make_release(changes=[approved_change], items=[image])
    services.wave_add(release=release, actor=tech, name="Suite", location=room)
    for action in ("build", "test", "ready"):
        release = services.release_transition(release=release, actor=tech, action=action)
    services.item_withdraw(item=image, actor=netmgr, reason="Fails to join the domain.")
    with pytest.raises(ValidationError, match="no longer approved"):
        services.release_transition(release=release, actor=tech, action="roll_out")


def test_cancelling_needs_a_reason(make_release, tech):
    release = make_release()
    with pytest.raises(ValidationError, match="no longer wanted"):
        services.release_transition(release=release, actor=tech, action="cancel")
    release = services.release_transition(release=release, actor=tech, action="cancel", note="Budget cut.")
    assert release.status == Status.CANCELLED


# --- The rollout into the CMDB ---------------------------------------------------------------


def test_success_marks_the_cis_software_version_in_the_cmdb(rolling_release, suite, highfield, tech):
    _room, pcs = suite
    product = cmdb.software_product_create(school=highfield, actor=tech, name="Windows 11 Education",
                                           publisher="Microsoft")  # fmt: skip
    cmdb.software_install(ci=pcs[0], product=product, actor=tech, version="23H2")
    target = RolloutTarget.objects.get(release=rolling_release, ci=pcs[0])
    assert services.rollout_record(release=rolling_release, targets=[target], outcome="succeeded", actor=tech) == 1
    versions = list(SoftwareInstallation.objects.filter(ci=pcs[0], product=product).values_list("version", flat=True))
    assert versions == ["24H2"]  # the older version is replaced
    assert not SoftwareInstallation.objects.filter(ci=pcs[1]).exists()  # not yet done there
    entry = Activity.objects.filter(object_id=pcs[0].pk, content_type__model="configurationitem").last()
    assert entry.text == "Release REL-000001 installed Windows 11 Education 24H2."
    target.refresh_from_db()
    assert (target.outcome, target.done_by) == (Outcome.SUCCEEDED, tech)


def test_the_product_is_created_in_the_cmdb_when_the_school_has_none(rolling_release, highfield, tech):
    targets = list(rolling_release.targets.all())
    services.rollout_record(release=rolling_release, targets=targets, outcome="succeeded", actor=tech)
    product = SoftwareProduct.objects.get(school=highfield, name="Windows 11 Education")
    assert product.publisher == "Microsoft"
    assert product.installations.count() == len(targets)


def test_a_failure_needs_a_note_and_changes_nothing_in_the_cmdb(rolling_release, suite, tech):
    _room, pcs = suite
    target = RolloutTarget.objects.get(release=rolling_release, ci=pcs[1])
    with pytest.raises(ValidationError, match="what went wrong"):
        services.rollout_record(release=rolling_release, targets=[target], outcome="failed", actor=tech)
    services.rollout_record(
        release=rolling_release, targets=[target], outcome="failed", actor=tech, note="Disk failed during imaging."
    )
    target.refresh_from_db()
    assert target.outcome == Outcome.FAILED
    assert not SoftwareInstallation.objects.filter(ci=pcs[1]).exists()


def test_a_whole_wave_is_marked_in_a_bounded_number_of_queries(
    make_release, image, approved_change, highfield, block, tech, django_assert_max_num_queries
):
    room = cmdb.location_create(school=highfield, actor=tech, kind="room", name="Library", parent=block)
    for n in range(30):
        cmdb.ci_create(school=highfield, actor=tech, kind=Kind.LAPTOP, name=f"HF-LT-{n:02d}", location=room)
    release = make_release(changes=[approved_change], items=[image])
    wave = services.wave_add(release=release, actor=tech, name="Laptop trolley", location=room)
    for action in ("build", "test", "ready", "roll_out"):
        release = services.release_transition(release=release, actor=tech, action=action)
    with django_assert_max_num_queries(25):
        assert services.wave_record(wave=wave, outcome="succeeded", actor=tech) == 30
    assert SoftwareInstallation.objects.filter(ci__location=room, version="24H2").count() == 30


def test_a_ci_that_succeeded_stays_so(rolling_release, tech):
    target = rolling_release.targets.first()
    services.rollout_record(release=rolling_release, targets=[target], outcome="succeeded", actor=tech)
    with pytest.raises(ValidationError, match="Already installed successfully"):
        services.rollout_record(release=rolling_release, targets=[target], outcome="failed", actor=tech, note="x")


def test_outcomes_are_recorded_only_while_rolling_out(make_release, suite, tech):
    room, _pcs = suite
    release = make_release()
    services.wave_add(release=release, actor=tech, name="Suite", location=room)
    with pytest.raises(ValidationError, match="while it rolls out"):
        services.rollout_record(release=release, targets=list(release.targets.all()), outcome="succeeded", actor=tech)


def test_completing_waits_for_every_ci_and_a_note_on_failures(rolling_release, tech):
    first, *rest = list(rolling_release.targets.all())
    with pytest.raises(ValidationError, match="4 CIs pending"):
        services.release_transition(release=rolling_release, actor=tech, action="complete")
    services.rollout_record(release=rolling_release, targets=[first], outcome="failed", actor=tech, note="No disk.")
    services.rollout_record(release=rolling_release, targets=rest, outcome="succeeded", actor=tech)
    with pytest.raises(ValidationError, match="1 CI failed"):
        services.release_transition(release=rolling_release, actor=tech, action="complete")
    release = services.release_transition(
        release=rolling_release, actor=tech, action="complete", note="The failed PC goes back for repair."
    )
    assert release.status == Status.COMPLETED
    assert release.finished_at is not None


def test_a_clean_rollout_completes_without_a_note(rolling_release, tech):
    services.rollout_record(
        release=rolling_release, targets=list(rolling_release.targets.all()), outcome="succeeded", actor=tech
    )
    release = services.release_transition(release=rolling_release, actor=tech, action="complete")
    assert release.status == Status.COMPLETED


def test_the_release_report_counts_each_wave(rolling_release, tech):
    from releases.models import RolloutTarget as Target

    first, second, *_rest = list(rolling_release.targets.all())
    services.rollout_record(release=rolling_release, targets=[first], outcome="succeeded", actor=tech)
    services.rollout_record(release=rolling_release, targets=[second], outcome="failed", actor=tech, note="BSOD")
    (counts,) = Target.objects.filter(release=rolling_release).counts_by_wave().values()
    assert counts == {"pending": 2, "succeeded": 1, "failed": 1, "skipped": 0}


def test_the_measures_count_builds_created_releases_completed_and_builds_installed(
    rolling_release, tech, django_assert_num_queries
):
    from releases import reports
    from releases.models import Release

    services.rollout_record(
        release=rolling_release, targets=list(rolling_release.targets.all()), outcome="succeeded", actor=tech
    )
    services.release_transition(release=rolling_release, actor=tech, action="complete")
    with django_assert_num_queries(1):  # one SQL statement for the three measures
        measures = reports.measures(Release.objects.visible_to(tech), user=tech)
    this_month = measures["rows"][-1]
    assert (this_month["built"], this_month["completed"], this_month["installed"]) == (1, 1, 4)
    assert measures["totals"] == {"built": 1, "completed": 1, "installed": 4}
