"""Problem Management's section of the consultancy-day pack: registered at start-up, open problems only, and
only what the reader may see."""

from __future__ import annotations

from datetime import date

import pytest

from problems import services
from problems.packs import SHOWN, open_problems_section
from servicelevels import packs
from servicelevels.periods import custom

pytestmark = pytest.mark.django_db

PERIOD = custom(date(2026, 9, 1), date(2026, 12, 31))


def test_problems_registers_its_section_when_the_app_starts():
    assert packs._registry["problems"].provider is open_problems_section
    section = next(s for s in packs.sections() if s.key == "problems")
    assert (section.title, section.order) == ("Open problems and known errors", 20)


def test_the_section_lists_the_open_problems_most_linked_first(highfield, tech, staff, log_incident, log_problem):
    incidents = [log_incident(highfield, by=staff, title=f"Locked out {i}") for i in range(3)]
    quiet = log_problem(highfield, by=tech, title="Projector lamps fail early")
    busy = log_problem(highfield, by=tech, title="Pupils locked out", incidents=incidents)
    services.problem_transition(problem=busy, action="investigate", actor=tech)
    services.problem_transition(problem=busy, action="known_error", actor=tech, note="Lockout policy too strict")
    fixed = log_problem(highfield, by=tech, title="Old fault, fixed")
    services.problem_transition(problem=fixed, action="investigate", actor=tech)
    services.problem_transition(problem=fixed, action="resolve", actor=tech, note="Replaced the switch")

    content = open_problems_section(highfield, PERIOD, tech)
    assert [row[:4] for row in content.rows] == [
        [busy.reference, "Pupils locked out", "Known error", 3],
        [quiet.reference, "Projector lamps fail early", "Logged", 0],
    ]
    assert content.columns[:4] == ["Problem", "Summary", "Status", "Incidents"] and content.note == ""


def test_the_section_shows_only_what_the_reader_may_see(highfield, riverside, tech, tech2, consultant, log_problem):
    log_problem(highfield, by=tech, title="Highfield's problem")
    assert [row[1] for row in open_problems_section(highfield, PERIOD, consultant).rows] == ["Highfield's problem"]
    assert open_problems_section(highfield, PERIOD, tech2).rows == []  # riverside's technician: not their school
    assert open_problems_section(riverside, PERIOD, tech).rows == []


def test_a_long_problem_log_is_cut_short_with_a_note(highfield, tech, log_problem):
    for i in range(SHOWN + 2):
        log_problem(highfield, by=tech, title=f"Cause {i}")
    content = open_problems_section(highfield, PERIOD, tech)
    assert len(content.rows) == SHOWN
    assert content.note == "and 2 more open problems in the problem log."


def test_an_empty_log_says_so(highfield, tech):
    content = open_problems_section(highfield, PERIOD, tech)
    assert content.rows == [] and content.empty.startswith("No open problems")
