"""Sign-off: who may sign in each capacity, all four approve, an edit starts a new version, versions are kept."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fits.models import AuthorityRole, AuthorityRoleKind
from fits.strategy import services
from fits.strategy.models import SignOff, StrategyVersion, VersionStatus
from fits.strategy.sections import ICT_STRATEGY, SUPPORT_STRATEGY
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def test_a_new_document_has_the_appendix_headings_and_guidance(highfield, leader):
    document = services.strategy_document_create(school=highfield, kind="ict", actor=leader,
                                                 today=date(2026, 11, 24))  # fmt: skip
    version = services.working_version(document)
    sections = list(version.sections.all())
    assert [s.title for s in sections] == [spec.title for spec in ICT_STRATEGY]
    assert sections[0].title == "Statement of intent"
    assert sections[-1].title == "Links with the local authority's strategy"
    assert all(s.guidance and not s.text for s in sections)
    assert (version.number, version.status, version.draft_date, version.review_date) == (
        1, "draft", date(2026, 11, 24), date(2027, 11, 24))  # fmt: skip
    support = services.strategy_document_create(school=highfield, kind="support", actor=leader)
    titles = [s.title for s in services.working_version(support).sections.all()]
    assert titles == [spec.title for spec in SUPPORT_STRATEGY]
    assert titles[3] == "Management and support processes (FITS)"
    with pytest.raises(ValidationError, match="already has its ICT strategy"):
        services.strategy_document_create(school=highfield, kind="ict", actor=leader)


@pytest.mark.parametrize("who", ["tech", "desk", "staff", "consultant", "tech2"])
def test_only_the_network_manager_and_leaders_write(who, cast, highfield, support):
    with pytest.raises(PermissionDenied):
        services.strategy_document_create(school=highfield, kind="ict", actor=cast[who])
    with pytest.raises(PermissionDenied):
        services.strategy_section_edit(document=support, key="services", text="Mine now", actor=cast[who])


@pytest.mark.parametrize(
    ("who", "capacity"),
    [
        ("tech", "network_manager"),  # a technician is not the network manager
        ("desk", "head"),
        ("staff", "head"),  # an ICT user
        ("netmgr", "head"),  # the network manager is not a leader
        ("netmgr", "la_adviser"),
        ("leader", "la_adviser"),  # a leader is not the LA's adviser
        ("leader", "network_manager"),
        ("consultant", "head"),  # the consultant signs only as LA adviser
        ("consultant", "network_manager"),
        ("admin", "head"),  # an administrator holds no capacity as such
        ("tech2", "network_manager"),  # another school's people
    ],
)
def test_the_wrong_person_is_refused(who, capacity, cast, support):
    with pytest.raises(PermissionDenied, match="You cannot sign as"):
        services.strategy_sign(document=support, capacity=capacity, actor=cast[who])
    assert not SignOff.objects.exists()


def test_another_authoritys_consultant_cannot_sign_as_la_adviser(wigan, support):
    stranger = make_person("wiganconsultant")
    AuthorityRole.objects.create(user=stranger, authority=wigan, role=AuthorityRoleKind.CONSULTANT)
    with pytest.raises(PermissionDenied):
        services.strategy_sign(document=support, capacity="la_adviser", actor=stranger)


def test_all_four_signatures_approve_the_version(support, sign_all, netmgr, leader, consultant):
    sign_all(support, ("network_manager", "head", "ict_coordinator"))
    version = services.working_version(support)
    assert version.status == VersionStatus.DRAFT and version.approved_at is None
    sign_all(support, ("la_adviser",))
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED and version.approved_at is not None
    signed = {s.capacity: s.person for s in version.signoffs.all()}
    assert signed == {"network_manager": netmgr, "head": leader, "ict_coordinator": leader, "la_adviser": consultant}
    assert services.in_force(support) == version


def test_each_capacity_signs_once_and_an_approved_version_takes_no_more(support, sign_all, leader):
    services.strategy_sign(document=support, capacity="head", actor=leader)
    with pytest.raises(ValidationError, match="already signed by its head teacher"):
        services.strategy_sign(document=support, capacity="head", actor=leader)
    sign_all(support, ("network_manager", "ict_coordinator", "la_adviser"))
    with pytest.raises(ValidationError, match="already approved"):
        services.strategy_sign(document=support, capacity="head", actor=leader)


def test_editing_an_approved_document_starts_a_new_draft_and_keeps_the_old(support, sign_all, netmgr):
    sign_all(support)
    approved = services.working_version(support)
    section = services.strategy_section_edit(document=support, key="services", text="We support six services.",
                                             actor=netmgr)  # fmt: skip
    draft = section.version
    assert (draft.number, draft.status) == (2, VersionStatus.DRAFT)
    assert not draft.signoffs.exists()
    approved.refresh_from_db()
    assert approved.status == VersionStatus.APPROVED  # still in force until version 2 is signed
    assert approved.sections.get(key="services").text == "We support **five** services."
    assert draft.sections.count() == approved.sections.count()
    # A second edit goes to the same draft, not a third version
    services.strategy_section_edit(document=support, key="technology", text="Two servers.", actor=netmgr)
    assert StrategyVersion.objects.filter(document=support).count() == 2
    sign_all(support)
    approved.refresh_from_db()
    draft.refresh_from_db()
    assert (approved.status, draft.status) == (VersionStatus.SUPERSEDED, VersionStatus.APPROVED)
    assert approved.superseded_at is not None
    assert list(StrategyVersion.objects.filter(document=support).values_list("number", "status")) == [
        (2, "approved"), (1, "superseded")]  # fmt: skip


def test_editing_a_signed_draft_withdraws_the_signatures(support, sign_all, netmgr):
    sign_all(support, ("head", "la_adviser"))
    services.strategy_section_edit(document=support, key="services", text="Changed after signing.", actor=netmgr)
    version = services.working_version(support)
    assert version.number == 1 and not version.signoffs.exists()
    from fits.activity import timeline

    assert any("withdrawn" in entry.text for entry in timeline(support, include_internal=True))


def test_an_unchanged_section_changes_nothing(support, sign_all, netmgr):
    sign_all(support, ("head",))
    services.strategy_section_edit(document=support, key="services", text="We support **five** services.",
                                   actor=netmgr)  # fmt: skip
    assert services.working_version(support).signoffs.count() == 1


def test_dates_review_after_draft(support, netmgr):
    with pytest.raises(ValidationError):
        services.strategy_dates_set(document=support, draft_date=date(2026, 9, 1), review_date=date(2026, 8, 1),
                                    actor=netmgr)  # fmt: skip
    version = services.strategy_dates_set(document=support, draft_date=date(2026, 9, 1),
                                          review_date=date(2027, 7, 1), actor=netmgr)  # fmt: skip
    assert (version.draft_date, version.review_date) == (date(2026, 9, 1), date(2027, 7, 1))


def test_an_unknown_section_is_refused(support, netmgr):
    with pytest.raises(ValidationError):
        services.strategy_section_edit(document=support, key="nope", text="x", actor=netmgr)
