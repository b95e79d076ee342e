"""Problem Management services: log, assign (the FITS resolver rule), workflow, links, known errors."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fits.models import Activity
from problems import services
from problems.models import KnownError, Problem, Status

pytestmark = pytest.mark.django_db


def test_log_gives_a_reference_per_school(highfield, riverside, tech, tech2, log_problem):
    first, second = log_problem(highfield, by=tech), log_problem(highfield, by=tech)
    other = log_problem(riverside, by=tech2)
    assert (first.reference, second.reference, other.reference) == ("PRB-000001", "PRB-000002", "PRB-000001")
    assert first.status == Status.LOGGED
    assert Activity.objects.filter(object_id=first.pk, kind="created").exists()


def test_only_technicians_log_problems(highfield, desk, staff, log_problem):
    for person in (desk, staff):
        with pytest.raises(PermissionDenied):
            log_problem(highfield, by=person)


def test_log_refuses_another_schools_incident(highfield, riverside, tech, tech2, log_incident, log_problem):
    incident = log_incident(riverside, by=tech2)
    with pytest.raises(ValidationError, match="another school"):
        log_problem(highfield, by=tech, incidents=[incident])


def test_link_refuses_another_schools_incident(highfield, riverside, tech, tech2, log_incident, log_problem):
    problem = log_problem(highfield, by=tech)
    incident = log_incident(riverside, by=tech2)
    with pytest.raises(ValidationError, match="another school"):
        services.problem_link_incident(problem=problem, incident=incident, actor=tech)
    assert not problem.incidents.exists()


def test_link_and_unlink(highfield, tech, staff, log_incident, log_problem):
    problem = log_problem(highfield, by=tech)
    incident = log_incident(highfield, by=staff)
    services.problem_link_incident(problem=problem, incident=incident, actor=tech)
    assert list(problem.incidents.all()) == [incident]
    services.problem_unlink_incident(problem=problem, incident=incident, actor=tech)
    assert not problem.incidents.exists()
    assert Activity.objects.filter(object_id=problem.pk, kind="link").count() == 2


def _resolved_incident(school, *, by, resolver, log_incident):
    from incidents import services as incidents

    incident = log_incident(school, by=by)
    return incidents.incident_transition(
        incident=incident, action="resolve", actor=resolver, note="Unlocked.", resolution_code="fixed"
    )


def test_the_incident_resolver_cannot_investigate_the_problem(highfield, tech, netmgr, staff, log_incident,
                                                              log_problem):  # fmt: skip
    from fits.models import Membership, Role

    tech_b = type(tech).objects.create_user(username="techb", password="x")
    Membership.objects.create(user=tech_b, school=highfield, role=Role.TECHNICIAN)
    incident = _resolved_incident(highfield, by=staff, resolver=tech, log_incident=log_incident)
    problem = log_problem(highfield, by=tech, incidents=[incident])
    with pytest.raises(ValidationError, match="resolved incidents linked to this problem"):
        services.problem_assign(problem=problem, assignee=tech, actor=tech)
    problem = services.problem_assign(problem=problem, assignee=tech_b, actor=tech)
    assert problem.assignee == tech_b


def test_linking_an_incident_the_investigator_resolved_is_refused(highfield, tech, staff, log_incident, log_problem):
    problem = log_problem(highfield, by=tech)
    services.problem_assign(problem=problem, assignee=tech, actor=tech)
    incident = _resolved_incident(highfield, by=staff, resolver=tech, log_incident=log_incident)
    with pytest.raises(ValidationError, match="resolved incidents"):
        services.problem_link_incident(problem=problem, incident=incident, actor=tech)


def test_the_incident_resolver_cannot_resolve_the_problem(highfield, tech, admin_user, staff, log_incident,
                                                          log_problem):  # fmt: skip
    incident = _resolved_incident(highfield, by=staff, resolver=tech, log_incident=log_incident)
    problem = log_problem(highfield, by=tech, incidents=[incident])
    services.problem_transition(problem=problem, action="investigate", actor=tech)
    with pytest.raises(ValidationError):
        services.problem_transition(problem=problem, action="resolve", actor=tech, note="Policy changed.")
    problem = services.problem_transition(problem=problem, action="resolve", actor=admin_user, note="Policy changed.")
    assert problem.status == Status.RESOLVED and problem.assignee == admin_user


def test_workflow_to_known_error_resolved_and_closed(highfield, tech, log_problem):
    problem = log_problem(highfield, by=tech)
    problem = services.problem_transition(problem=problem, action="investigate", actor=tech)
    with pytest.raises(ValidationError):
        services.problem_transition(problem=problem, action="known_error", actor=tech)
    problem = services.problem_transition(problem=problem, action="known_error", actor=tech, note="Lockout policy.")
    assert (problem.status, problem.root_cause) == (Status.KNOWN_ERROR, "Lockout policy.")
    problem = services.problem_transition(problem=problem, action="resolve", actor=tech, note="Policy split.")
    problem = services.problem_transition(problem=problem, action="close", actor=tech)
    assert problem.status == Status.CLOSED and problem.closed_at and problem.resolved_at


def test_cancel_needs_a_reason_and_a_closed_problem_cannot_move(highfield, tech, log_problem):
    problem = log_problem(highfield, by=tech)
    problem = services.problem_transition(problem=problem, action="cancel", actor=tech, note="Duplicate.")
    assert problem.status == Status.CANCELLED
    with pytest.raises(ValidationError):
        services.problem_transition(problem=problem, action="investigate", actor=tech)


def test_the_desk_reads_but_does_not_work_problems(highfield, tech, desk, log_problem):
    problem = log_problem(highfield, by=tech)
    with pytest.raises(PermissionDenied):
        services.problem_transition(problem=problem, action="investigate", actor=desk)
    services.problem_comment(problem=problem, author=desk, text="Three more calls this morning.")


def test_known_error_is_searchable(highfield, tech, log_problem):
    problem = log_problem(highfield, by=tech)
    services.known_error_record(problem=problem, actor=tech, symptom="Account locked", workaround="Unlock it.")
    services.known_error_record(problem=problem, actor=tech, symptom="Hidden", workaround="x", published=False)
    assert list(KnownError.objects.published().search("locked").values_list("symptom", flat=True)) == ["Account locked"]
    assert KnownError.objects.search("PRB-000001").count() == 2
    with pytest.raises(ValidationError):
        services.known_error_record(problem=problem, actor=tech, symptom="", workaround="x")


def test_ict_users_see_no_problems(highfield, tech, staff, log_problem):
    log_problem(highfield, by=tech)
    assert not Problem.objects.visible_to(staff).exists()
    assert Problem.objects.visible_to(tech).count() == 1
