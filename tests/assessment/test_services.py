"""Starting, answering, scoring, completing and moderating an assessment; earlier years read-only."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fits.assessment import services
from fits.assessment.models import Answer, Assessment
from fits.assessment.scores import scores_of
from fits.models import Activity

pytestmark = pytest.mark.django_db


def scores(assessment):
    totals = Answer.objects.filter(assessment=assessment).totals()
    return scores_of([assessment], totals)[assessment.pk]


def test_the_network_manager_or_a_leader_starts_the_year_and_it_is_one_per_school_and_year(
    highfield, netmgr, leader, tech, desk, consultant, this_year
):
    for person in (tech, desk, consultant):
        with pytest.raises(PermissionDenied):
            services.assessment_start(school=highfield, actor=person)
    first = services.assessment_start(school=highfield, actor=netmgr)
    again = services.assessment_start(school=highfield, actor=leader)
    assert first == again and first.year == this_year and first.status == "draft"
    assert Assessment.objects.filter(school=highfield).count() == 1
    assert Activity.objects.filter(object_id=first.pk, kind="created").count() == 1


def test_scores_fully_is_one_partly_a_half_unanswered_is_not_yet(started, netmgr, answer):
    answer(
        started,
        netmgr,
        {
            "changes.rfc_major": "fully",
            "changes.approved_before": "partly",
            "changes.communicated": "not_yet",
            "storage.policy": "fully",
        },
    )
    result = scores(started)
    # Change Management has five questions: 1 + 0.5 + 0 of 5 = 30 %.
    assert result.by_area["changes"].percent == 30 and result.by_area["changes"].answered == 3
    # Storage Management has six: 1 of 6 = 17 %.
    assert result.by_area["storage"].percent == 17
    assert result.by_area["incidents"].percent == 0
    # Overall: 2.5 of 83 questions.
    assert result.questions == 83 and result.overall == round(100 * 2.5 / 83)


def test_only_the_network_manager_and_leaders_answer_and_answers_are_checked(started, tech, leader):
    with pytest.raises(PermissionDenied):
        services.assessment_answer(assessment=started, actor=tech, question="changes.rfc_major", level="fully")
    with pytest.raises(ValidationError, match="no question"):
        services.assessment_answer(assessment=started, actor=leader, question="changes.nonsense", level="fully")
    with pytest.raises(ValidationError, match="not yet, partly or fully"):
        services.assessment_answer(assessment=started, actor=leader, question="changes.rfc_major", level="yes")
    answer = services.assessment_answer(
        assessment=started,
        actor=leader,
        question="changes.rfc_major",
        level="partly",
        evidence=" RFC folder ",
        link="https://example.org/rfc",
    )
    assert (answer.points, answer.evidence, answer.area) == (1, "RFC folder", "changes")
    assert Activity.objects.filter(object_id=started.pk, kind="field", changes={"changes.rfc_major": ["", "partly"]})


def test_completed_is_read_only_until_reopened(started, netmgr, tech, answer):
    with pytest.raises(PermissionDenied):
        services.assessment_transition(assessment=started, actor=tech, action="complete")
    done = services.assessment_transition(assessment=started, actor=netmgr, action="complete")
    assert done.status == "completed" and done.completed_by == netmgr and done.completed_at
    with pytest.raises(ValidationError, match="reopen it"):
        answer(done, netmgr, {"changes.rfc_major": "fully"})
    with pytest.raises(ValidationError):
        services.assessment_transition(assessment=done, actor=netmgr, action="complete")
    reopened = services.assessment_transition(assessment=done, actor=netmgr, action="reopen")
    assert reopened.status == "draft" and reopened.completed_at is None
    answer(reopened, netmgr, {"changes.rfc_major": "fully"})


def test_next_year_starts_from_last_years_answers_and_last_year_becomes_history(highfield, netmgr, answer, this_year):
    last = services.assessment_start(school=highfield, actor=netmgr, today=datetime.date(this_year - 1, 11, 1))
    assert last.year == this_year - 1
    answer(last, netmgr, {"changes.rfc_major": "fully", "storage.restores_tested": "partly"}, evidence="Last year.")
    services.assessment_transition(assessment=last, actor=netmgr, action="complete")
    current = services.assessment_start(school=highfield, actor=netmgr)
    carried = {a.question: (a.level, a.evidence) for a in current.answers.all()}
    assert carried == {
        "changes.rfc_major": ("fully", "Last year."),
        "storage.restores_tested": ("partly", "Last year."),
    }
    # Last year's is history now: neither answered nor reopened.
    with pytest.raises(ValidationError, match="history"):
        services.assessment_transition(assessment=last, actor=netmgr, action="reopen")
    # This year's answers change; last year's stay.
    answer(current, netmgr, {"changes.rfc_major": "not_yet"})
    assert Answer.objects.get(assessment=last, question="changes.rfc_major").level == "fully"
    assert scores(last).by_area["changes"].percent == 20 and scores(current).by_area["changes"].percent == 0


def test_a_consultant_moderates_a_process_others_cannot(started, consultant, netmgr, outsider):
    for person in (netmgr, outsider):
        with pytest.raises(PermissionDenied):
            services.assessment_moderate(assessment=started, actor=person, area="changes", percent=40)
    with pytest.raises(ValidationError):
        services.assessment_moderate(assessment=started, actor=consultant, area="changes", percent=140)
    moderation = services.assessment_moderate(
        assessment=started, actor=consultant, area="changes", percent=40, comment="No RFC for the Wi-Fi upgrade."
    )
    again = services.assessment_moderate(assessment=started, actor=consultant, area="changes", percent=50)
    assert moderation.pk == again.pk and again.percent == 50
    result = scores_of([started], [], [again])[started.pk]
    assert result.by_area["changes"].moderated == 50
