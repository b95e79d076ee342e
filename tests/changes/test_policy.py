"""The risk questionnaire and who must approve (changes/policy.py)."""

from __future__ import annotations

import pytest

from changes import policy
from changes.models import ApprovalRole, ChangeKind, RequestForChange, Risk

from .conftest import HIGH_RISK, LOW_RISK


@pytest.mark.parametrize(
    ("answers", "score", "risk"),
    [
        (LOW_RISK, 1, Risk.LOW),
        ({**LOW_RISK, "users_affected": "department", "tested": "no"}, 4, Risk.MEDIUM),
        (HIGH_RISK, 9, Risk.HIGH),
        # Few points, but a critical service with no way back is high risk whatever the total.
        ({**LOW_RISK, "service_criticality": "high", "backout": "no"}, 7, Risk.HIGH),
        ({**LOW_RISK, "users_affected": "school", "school_day": "yes"}, 5, Risk.HIGH),
        ({**LOW_RISK, "users_affected": "school", "service_criticality": "medium"}, 4, Risk.MEDIUM),
    ],
)
def test_the_questionnaire_yields_a_risk_level(answers, score, risk):
    assert policy.risk_score(answers) == score
    assert policy.risk_level(answers) == risk


def test_unanswered_or_unknown_answers_are_named():
    with pytest.raises(policy.QuestionnaireError) as error:
        policy.risk_level({**LOW_RISK, "backout": "maybe", "tested": None})
    assert set(error.value.errors) == {"backout", "tested"}
    assert "Can it be backed out?" in error.value.errors["backout"]


@pytest.mark.parametrize(
    ("kind", "risk", "major", "needed"),
    [
        (ChangeKind.NORMAL, Risk.LOW, False, [ApprovalRole.NETWORK_MANAGER]),
        (ChangeKind.NORMAL, Risk.MEDIUM, True, [ApprovalRole.NETWORK_MANAGER, ApprovalRole.LEADER]),
        (ChangeKind.NORMAL, Risk.HIGH, False, [ApprovalRole.CAB]),
        (ChangeKind.NORMAL, Risk.HIGH, True, [ApprovalRole.CAB, ApprovalRole.LEADER]),
        (ChangeKind.STANDARD, Risk.LOW, False, []),
        (ChangeKind.EMERGENCY, Risk.HIGH, True, []),
    ],
)
def test_who_must_approve_follows_from_kind_risk_and_size(kind, risk, major, needed):
    assert policy.required_roles(RequestForChange(kind=kind, risk=risk, is_major=major)) == needed
