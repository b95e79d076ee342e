"""The FITS maturity assessment for the demo: highfield completed last year's assessment and is part-way through this
year's (started from last year's answers, some improved); riverside has completed this year's, so the consultant's
side-by-side view has two schools, and a consultant's moderation on highfield's Change Management."""

from __future__ import annotations

import datetime

from django.utils import timezone

from fits.assessment import services
from fits.assessment.models import Assessment, academic_year
from fits.assessment.questionnaire import areas
from fits.models import School, User

# area -> (questions fully met, partly met): the rest not yet. Reactive processes first, strategy last, as FITS expects.
HIGHFIELD_LAST_YEAR = {
    "servicedesk": (4, 1), "incidents": (3, 1), "problems": (1, 2), "availability": (2, 1), "changes": (2, 1),
    "releases": (1, 1), "cmdb": (2, 1), "servicelevels": (1, 2), "continuity": (0, 1), "finance": (1, 1),
    "sysadmin": (2, 1), "storage": (2, 2), "directory": (2, 1), "printing": (2, 1), "security": (1, 2),
    "patches": (1, 1),
}  # fmt: skip
# What changed this year at highfield (the rest is carried over from last year).
HIGHFIELD_THIS_YEAR = {
    "changes.communicated": "fully", "changes.cmdb_updated": "partly", "servicelevels.sla_agreed": "fully",
    "storage.restores_tested": "fully", "patches.compliance": "fully", "continuity.services_ordered": "partly",
}  # fmt: skip
RIVERSIDE = {
    "servicedesk": (3, 2), "incidents": (3, 1), "problems": (0, 2), "availability": (1, 1), "changes": (1, 1),
    "releases": (0, 1), "cmdb": (1, 2), "servicelevels": (1, 1), "continuity": (0, 0), "finance": (0, 1),
    "sysadmin": (2, 0), "storage": (1, 1), "directory": (1, 2), "printing": (2, 1), "security": (0, 2),
    "patches": (0, 2),
}  # fmt: skip


def _answer(assessment: Assessment, actor: User, pattern: dict[str, tuple[int, int]]) -> int:
    answered = 0
    for area in areas(assessment.version):
        full, partly = pattern.get(area.key, (0, 0))
        for i, question in enumerate(area.questions):
            level = "fully" if i < full else "partly" if i < full + partly else "not_yet"
            evidence = {"fully": f"In place: see the {area.name} folder on the staff share.",
                        "partly": "Started, not yet everywhere.", "not_yet": ""}[level]  # fmt: skip
            services.assessment_answer(assessment=assessment, actor=actor, question=question.key, level=level,
                                       evidence=evidence)  # fmt: skip
            answered += 1
    return answered


def seed_assessment(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """How many of each thing were added (empty when it was all there)."""
    highfield, riverside = schools.get("highfield"), schools.get("riverside")
    netmgr, leader, admin, consultant = (people.get(name) for name in ("netmgr", "leader", "admin", "consultant"))
    if highfield is None or netmgr is None or leader is None:
        return {}
    today = timezone.localdate()
    year = academic_year(today)
    added = {"assessments": 0, "answers": 0}
    if not Assessment.objects.filter(school=highfield).exists():
        last = services.assessment_start(school=highfield, actor=netmgr, today=datetime.date(year - 1, 10, 1))
        added["answers"] += _answer(last, netmgr, HIGHFIELD_LAST_YEAR)
        services.assessment_transition(assessment=last, actor=leader, action="complete",
                                       note="Reviewed with the head teacher.")  # fmt: skip
        current = services.assessment_start(school=highfield, actor=netmgr, today=today)
        for question, level in HIGHFIELD_THIS_YEAR.items():
            services.assessment_answer(assessment=current, actor=netmgr, question=question, level=level,
                                       evidence="Improved this year.")  # fmt: skip
            added["answers"] += 1
        if consultant is not None:
            services.assessment_moderate(assessment=current, actor=consultant, area="changes", percent=50,
                                         comment="The Wi-Fi upgrade in September went in without an RFC.")  # fmt: skip
        added["assessments"] += 2
    if riverside is not None and admin is not None and not Assessment.objects.filter(school=riverside).exists():
        assessment = services.assessment_start(school=riverside, actor=admin, today=today)
        added["answers"] += _answer(assessment, admin, RIVERSIDE)
        services.assessment_transition(assessment=assessment, actor=admin, action="complete")
        added["assessments"] += 1
    return {what: n for what, n in added.items() if n}
