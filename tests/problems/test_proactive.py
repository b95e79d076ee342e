"""Proactive Problem Management: recurring incidents raise candidates; the monthly report; settings."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cmdb import services as cmdb
from incidents.models import Category, Incident
from problems import services
from problems.models import CandidateStatus, Problem, ProblemCandidate, Source
from problems.reports import monthly_report, report_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def projector(highfield, tech):
    return cmdb.ci_create(school=highfield, actor=tech, kind="peripheral", name="HF-PROJ-S12")


def _log(log_incident, school, by, n, **fields):
    return [log_incident(school, by=by, title=f"Projector fault {i}", **fields) for i in range(n)]


def test_three_incidents_on_one_ci_raise_one_candidate(highfield, staff, projector, log_incident):
    incidents = _log(log_incident, highfield, staff, 3, ci=projector)
    assert services.problem_candidates_spot() == 1
    candidate = ProblemCandidate.objects.get()
    assert (candidate.ci, candidate.incident_count, candidate.status) == (projector, 3, CandidateStatus.OPEN)
    assert set(candidate.incidents.all()) == set(incidents)
    # Running again changes nothing; a fourth incident refreshes the same candidate.
    assert services.problem_candidates_spot() == 0
    _log(log_incident, highfield, staff, 1, ci=projector)
    assert services.problem_candidates_spot() == 1
    assert ProblemCandidate.objects.get().incident_count == 4


def test_below_the_threshold_or_outside_the_window_nothing(highfield, staff, projector, log_incident):
    old = _log(log_incident, highfield, staff, 2, ci=projector)
    Incident.objects.filter(pk__in=[i.pk for i in old]).update(created_at=timezone.now() - timedelta(days=30))
    _log(log_incident, highfield, staff, 2, ci=projector)
    assert services.problem_candidates_spot() == 0


def test_the_schools_own_rule_applies(highfield, riverside, tech, tech2, staff, projector, log_incident):
    services.problem_settings_save(school=highfield, actor=tech, recurring_incidents=5, recurring_days=7,
                                   fix_bands=[7, 30])  # fmt: skip
    _log(log_incident, highfield, staff, 4, ci=projector)
    assert services.problem_candidates_spot() == 0
    _log(log_incident, highfield, staff, 1, ci=projector)
    assert services.problem_candidates_spot() == 1


def test_a_category_recurs(highfield, staff, log_incident):
    wifi = Category.objects.create(authority=highfield.authority, name="Wi-Fi")
    _log(log_incident, highfield, staff, 3, category=wifi)
    services.problem_candidates_spot()
    assert ProblemCandidate.objects.get().category == wifi


def test_incidents_already_explained_do_not_count(highfield, staff, tech, projector, log_incident):
    incidents = _log(log_incident, highfield, staff, 3, ci=projector)
    services.problem_log(school=highfield, logged_by=tech, title="Lamp failing", incidents=incidents[:1])
    assert services.problem_candidates_spot() == 0


def test_raise_links_the_incidents_and_stops_the_candidate(highfield, staff, tech, projector, log_incident):
    incidents = _log(log_incident, highfield, staff, 3, ci=projector)
    services.problem_candidates_spot()
    candidate = ProblemCandidate.objects.get()
    problem = services.candidate_raise(candidate=candidate, actor=tech, title="Projector in S12 loses signal")
    assert problem.source == Source.RECURRING and problem.ci == projector
    assert set(problem.incidents.all()) == set(incidents)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.problem) == (CandidateStatus.RAISED, problem)
    with pytest.raises(ValidationError, match="already"):
        services.candidate_raise(candidate=candidate, actor=tech)
    _log(log_incident, highfield, staff, 3, ci=projector)  # an open problem on the CI: no new candidate
    assert services.problem_candidates_spot() == 0


def test_dismissed_stays_quiet_for_its_window(highfield, staff, tech, desk, projector, log_incident):
    _log(log_incident, highfield, staff, 3, ci=projector)
    services.problem_candidates_spot()
    candidate = ProblemCandidate.objects.get()
    with pytest.raises(PermissionDenied):
        services.candidate_dismiss(candidate=candidate, actor=desk, note="meh")
    with pytest.raises(ValidationError, match="why"):
        services.candidate_dismiss(candidate=candidate, actor=tech, note=" ")
    services.candidate_dismiss(candidate=candidate, actor=tech, note="New trolley being set up")
    _log(log_incident, highfield, staff, 1, ci=projector)
    assert services.problem_candidates_spot() == 0


def test_only_technicians_raise(highfield, staff, desk, projector, log_incident):
    _log(log_incident, highfield, staff, 3, ci=projector)
    services.problem_candidates_spot()
    with pytest.raises(PermissionDenied):
        services.candidate_raise(candidate=ProblemCandidate.objects.get(), actor=desk)


def test_candidate_pages(highfield, riverside, staff, tech, tech2, projector, log_incident, client_for):
    _log(log_incident, highfield, staff, 3, ci=projector)
    services.problem_candidates_spot()
    candidate = ProblemCandidate.objects.get()
    page = client_for(tech).get(reverse("problems:candidates"))
    assert page.status_code == 200 and "HF-PROJ-S12" in page.text
    assert "HF-PROJ-S12" not in client_for(tech2).get(reverse("problems:candidates")).text
    assert client_for(tech2).post(reverse("problems:candidate_raise", args=[candidate.pk])).status_code == 404
    assert client_for(staff).get(reverse("problems:candidates")).status_code == 404
    response = client_for(tech).post(reverse("problems:candidate_raise", args=[candidate.pk]), {"title": ""})
    assert response.status_code == 302
    assert Problem.objects.get().incidents.count() == 3


def test_settings_validation(highfield, tech):
    with pytest.raises(ValidationError):
        services.problem_settings_save(school=highfield, actor=tech, recurring_incidents=1, recurring_days=7,
                                       fix_bands=[7])  # fmt: skip
    with pytest.raises(ValidationError):
        services.problem_settings_save(school=highfield, actor=tech, recurring_incidents=3, recurring_days=7,
                                       fix_bands=[])  # fmt: skip


def test_settings_page(highfield, tech, client_for):
    client = client_for(tech)
    client.post(reverse("switch_school"), {"school": "highfield"})
    assert client.get(reverse("problems:settings")).status_code == 200
    bad = client.post(reverse("problems:settings"),
                      {"recurring_incidents": 3, "recurring_days": 14, "fix_bands": "a week"})  # fmt: skip
    assert "whole numbers" in bad.text
    client.post(reverse("problems:settings"), {"recurring_incidents": 4, "recurring_days": 10, "fix_bands": "90, 7"})
    assert services.problem_settings_for(highfield).bands == (7, 90)


# --- The monthly report ---------------------------------------------------------------------------------------


def _problem(school, tech, *, logged, resolved=None):
    problem = services.problem_log(school=school, logged_by=tech, title="Cause")
    Problem.objects.filter(pk=problem.pk).update(created_at=logged, resolved_at=resolved,
                                                 status="resolved" if resolved else "logged")  # fmt: skip
    return problem


def test_monthly_report_counts_and_bands(highfield, riverside, tech, tech2):
    tz = timezone.get_current_timezone()

    def at(y, m, d):
        return timezone.datetime(y, m, d, 10, tzinfo=tz)

    _problem(highfield, tech, logged=at(2026, 9, 20))  # open all along
    _problem(highfield, tech, logged=at(2026, 10, 1), resolved=at(2026, 10, 3))  # 2 days
    _problem(highfield, tech, logged=at(2026, 9, 1), resolved=at(2026, 10, 20))  # 49 days
    _problem(highfield, tech, logged=at(2026, 10, 25))  # opened, still open
    _problem(riverside, tech2, logged=at(2026, 10, 2), resolved=at(2026, 10, 4))  # another school
    report = monthly_report(*report_scope(tech, highfield.pk), month=date(2026, 10, 1), bands=(7, 28, 90))
    assert (report.opened, report.resolved, report.backlog_start, report.backlog_end) == (2, 2, 2, 2)
    assert report.fix_bands == [("within 7 days", 1), ("8–28 days", 0), ("29–90 days", 1), ("over 90 days", 0)]
    assert [p.title for p in report.resolved_problems] == ["Cause", "Cause"]
    october = next(row for row in report.trend if row["month"] == date(2026, 10, 1))
    assert (october["opened"], october["resolved"]) == (2, 2)


def test_report_page_and_csv(highfield, tech, tech2, consultant, client_for, django_assert_max_num_queries):
    _problem(highfield, tech, logged=timezone.now() - timedelta(days=40), resolved=timezone.now() - timedelta(days=35))
    month = (timezone.localdate() - timedelta(days=35)).strftime("%Y-%m")
    client = client_for(tech)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("problems:report"), {"month": month})
    assert page.status_code == 200 and "Monthly problem report" in page.text
    csv = client.get(reverse("problems:report"), {"month": month, "format": "csv"})
    assert csv["Content-Disposition"].startswith("attachment") and "resolved,1" in csv.text.replace("\r", "")
    other = client_for(tech2).get(reverse("problems:report"), {"month": month, "format": "csv"})
    assert "resolved,0" in other.text.replace("\r", "")
    assert client_for(consultant).get(reverse("problems:report")).status_code == 200


def test_known_errors_are_suggested_on_a_matching_incident(highfield, staff, tech, projector, log_incident, client_for):
    problem = services.problem_log(school=highfield, logged_by=tech, title="Lamp", ci=projector)
    services.problem_transition(problem=problem, action="investigate", actor=tech)
    services.known_error_record(problem=problem, actor=tech, symptom="Projector flickers then goes blank",
                                workaround="Switch to eco mode from the remote.")  # fmt: skip
    matching = log_incident(highfield, by=staff, title="Projector flickers in S12")
    page = client_for(tech).get(matching.get_absolute_url())
    assert "Switch to eco mode" in page.text
    assert "Switch to eco mode" not in client_for(staff).get(matching.get_absolute_url()).text
