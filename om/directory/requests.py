"""The Service Desk catalogue's handlers for starters, changes and leavers (servicedesk/handlers.py).

A catalogue item "carried out by" one of these is called inside its request's transaction when it is ready (logged
without approval, or approved) or declined. The answers become an AccountRequest linked to the ticket; see
om/directory/services.py for what happens next. The questions each item asks are in om/directory/demo.py
(CATALOGUE); the answers read here are those names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from om.directory import services
from om.directory.models import RequestKind


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return [part.strip() for part in str(value or "").replace(",", "\n").splitlines() if part.strip()]


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _handle(kind: str, service_request: Any, event: str) -> None:
    ticket = service_request.ticket
    if event == "declined":
        services.account_request_decline(ticket=ticket)
        return
    answers = service_request.answers or {}
    first, last = services._split_name(str(answers.get("full_name", "")))
    services.account_request_open(
        school=service_request.school,
        kind=kind,
        ticket=ticket,
        details=answers,
        first_name=str(answers.get("first_name") or first),
        last_name=str(answers.get("last_name") or last),
        username=str(answers.get("username", "")).strip(),
        title=str(answers.get("job_title") or answers.get("new_job_title") or ""),
        groups=_lines(answers.get("groups")) if kind == RequestKind.STARTER else [],
        effective_on=_date(answers.get("start_date") or answers.get("last_day")),
    )


def starter(*, service_request: Any, event: str) -> None:
    """A new starter's account: created in the staff OU with the groups asked for."""
    _handle(RequestKind.STARTER, service_request, event)


def change(*, service_request: Any, event: str) -> None:
    """A change to an account: a new role, groups added or removed."""
    answers = service_request.answers or {}
    answers.setdefault("add_groups", _lines(answers.get("add_groups")))
    answers["add_groups"] = _lines(answers.get("add_groups"))
    answers["remove_groups"] = _lines(answers.get("remove_groups"))
    _handle(RequestKind.CHANGE, service_request, event)


def leaver(*, service_request: Any, event: str) -> None:
    """A leaver: the account disabled, taken out of its groups and moved to the leavers' OU."""
    _handle(RequestKind.LEAVER, service_request, event)
