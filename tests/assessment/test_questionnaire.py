"""The questionnaire is data with a version: ten processes and six functions, 5-8 questions each, every question with
guidance and the recommended action for a "no"; every evidence provider answers a real question."""

from __future__ import annotations

from fits.assessment import evidence
from fits.assessment.questionnaire import CURRENT_VERSION, QUESTIONNAIRES, areas, question_map

PROCESSES = {
    "servicedesk",
    "incidents",
    "problems",
    "changes",
    "releases",
    "cmdb",
    "availability",
    "servicelevels",
    "continuity",
    "finance",
}
FUNCTIONS = {"sysadmin", "storage", "directory", "printing", "security", "patches"}


def test_ten_processes_and_six_functions_each_with_five_to_eight_questions():
    assert CURRENT_VERSION in QUESTIONNAIRES
    found = {area.key: area for area in areas()}
    assert {k for k, a in found.items() if a.kind == "process"} == PROCESSES
    assert {k for k, a in found.items() if a.kind == "function"} == FUNCTIONS
    for area in found.values():
        assert 5 <= len(area.questions) <= 8, area.key
        for question in area.questions:
            assert question.key.startswith(f"{area.key}."), question.key
            assert question.text.endswith("?") and question.guidance and question.action, question.key


def test_question_keys_are_unique():
    keys = [q.key for area in areas() for q in area.questions]
    assert len(keys) == len(set(keys)) == len(question_map())


def test_the_fits_review_checklists_are_criteria():
    """FITS.md 12: Change, Configuration, Release and Problem review checklists as yes/no criteria."""
    keys = set(question_map())
    assert {
        "changes.rfc_major",
        "changes.communicated",
        "changes.reports_used",
        "cmdb.update_methods",
        "cmdb.moves_recorded",
        "cmdb.audited",
        "releases.dsl",
        "releases.build_procedures",
        "releases.checklist_installs",
        "problems.incident_rule",
        "problems.major_incident",
    } <= keys


def test_every_evidence_provider_answers_a_question_of_the_questionnaire():
    providers = evidence.providers()
    assert set(providers) <= set(question_map())
    assert {
        "servicelevels.sla_agreed",
        "storage.restores_tested",
        "patches.compliance",
        "changes.approved_before",
        "incidents.priority_category",
        "problems.from_incidents",
        "cmdb.audited",
        "availability.monitoring",
        "storage.backups_monitored",
        "directory.sync",
        "sysadmin.routines_on_time",
        "security.firewall_reviewed",
        "releases.dsl",
    } <= set(providers)
