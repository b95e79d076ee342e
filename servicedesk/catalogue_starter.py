"""A starter service catalogue: the four items most schools offer first (issue 4), ready to adapt.

The demo seeds every school with them (fits/management/commands/seed_demo.py), and a school's desk
can load them into an empty catalogue. Each goes through servicedesk.services.request_type_create.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fits.models import School, User
from incidents.models import Category, TicketKind
from servicedesk import services
from servicedesk.models import Approver, RequestType

NEW_STARTER = "New starter account"
SOFTWARE = "Software install"
LOAN = "Equipment loan"
ROOM_SET_UP = "Room set-up for an event"

STARTER_ITEMS: list[dict[str, Any]] = [
    {
        "name": NEW_STARTER,
        "summary": "Network, e-mail and MIS accounts for a new member of staff, ready on their first day.",
        "staff_only": True,
        "needs_approval": True,
        "approver": Approver.SCHOOL_LEADER,
        "response_hours": 4,
        "fulfil_days": 3,
        "fields": [
            {"name": "full_name", "label": "Their full name", "type": "text", "required": True},
            {"name": "job_title", "label": "Their role", "type": "text", "required": True,
             "help": "e.g. Teaching assistant, Year 3"},
            {"name": "start_date", "label": "First day", "type": "date", "required": True, "not_before": "today"},
            {"name": "accounts", "label": "Accounts they need", "type": "choice", "required": True, "multiple": True,
             "choices": ["Network log-on", "E-mail", "MIS", "Learning platform", "Printing"]},
            {"name": "groups", "label": "Groups and shared drives", "type": "textarea",
             "help": "e.g. KS1 staff, the Maths shared drive. Leave empty if you are not sure."},
            {"name": "manager_email", "label": "Their line manager's e-mail", "type": "email",
             "help": "The new starter's log-on details are sent to this person."},
        ],
        "tasks": [{"title": "Create the account"}, {"title": "Add to groups"}, {"title": "Send the credentials"}],
    },
    {
        "name": SOFTWARE,
        "summary": "Software installed on a school computer or across a room, once it is licensed and tested.",
        "needs_approval": True,
        "approver": Approver.NETWORK_MANAGER,
        "response_hours": 8,
        "fulfil_days": 5,
        "fields": [
            {"name": "software", "label": "Which software?", "type": "text", "required": True,
             "help": "Its name and, if it matters, the version."},
            {"name": "where", "label": "Which computer or room?", "type": "text", "required": True,
             "help": "The asset tag on the sticker, or a room for all its computers."},
            {"name": "licence", "label": "Licence", "type": "choice", "required": True,
             "choices": ["The school already has a licence", "Free to use", "It needs buying", "I don't know"]},
            {"name": "reason", "label": "What is it for?", "type": "textarea", "required": True},
            {"name": "needed_by", "label": "Needed by", "type": "date", "not_before": "today"},
        ],
        "tasks": [{"title": "Check the licence"}, {"title": "Test it on one computer"}, {"title": "Install it"}],
    },
    {
        "name": LOAN,
        "summary": "Borrow a laptop or a projector for a trip, a club or a meeting, charged and ready.",
        "response_hours": 4,
        "fulfil_days": 2,
        "fields": [
            {"name": "equipment", "label": "What do you need?", "type": "choice", "required": True,
             "choices": ["Laptop", "Projector"]},
            {"name": "quantity", "label": "How many?", "type": "number", "required": True, "min": 1, "max": 30},
            {"name": "from_date", "label": "From", "type": "date", "required": True, "not_before": "today"},
            {"name": "to_date", "label": "Until", "type": "date", "required": True, "not_before": "from_date",
             "help": "The day you bring it back."},
            {"name": "purpose", "label": "What is it for?", "type": "text", "help": "e.g. Year 6 residential trip"},
        ],
        "tasks": [{"title": "Charge and prepare"}, {"title": "Hand over"}, {"title": "Check back in"}],
    },
    {
        "name": ROOM_SET_UP,
        "summary": "A room set up with the projector, sound and anything else an event needs, tested beforehand.",
        "response_hours": 8,
        "fulfil_days": 5,
        "fields": [
            {"name": "room", "label": "Which room?", "type": "text", "required": True, "help": "e.g. Main hall"},
            {"name": "event_date", "label": "Date of the event", "type": "date", "required": True,
             "not_before": "today"},
            {"name": "start_time", "label": "Start time", "type": "text", "help": "e.g. 18:30"},
            {"name": "equipment", "label": "Equipment", "type": "choice", "required": True, "multiple": True,
             "choices": ["Projector and screen", "Microphone", "Speakers", "Laptop", "Guest Wi-Fi", "Recording"]},
            {"name": "people", "label": "How many people?", "type": "number", "min": 1, "max": 2000},
            {"name": "notes", "label": "Anything else?", "type": "textarea"},
        ],
        "tasks": [{"title": "Set up the equipment"}, {"title": "Test before the event"}, {"title": "Pack away"}],
    },
]  # fmt: skip


# The category each item goes in, when the school (or its authority) has one of that name for requests.
CATEGORY_NAMES = {
    NEW_STARTER: "New starter",
    SOFTWARE: "Software install",
    LOAN: "Equipment loan",
    ROOM_SET_UP: "Room set-up for an event",
}


def _category(school: School, name: str) -> Category | None:
    return (
        Category.objects.of_school(school.pk)
        .filter(is_active=True, name__iexact=name)
        .exclude(applies_to=TicketKind.INCIDENT)
        .first()
    )


@transaction.atomic
def starter_catalogue_create(*, school: School, actor: User) -> list[RequestType]:
    """Add the starter items the school's catalogue does not have yet (by name); returns those added."""
    have = {name.lower() for name in RequestType.objects.filter(school=school).values_list("name", flat=True)}
    return [
        services.request_type_create(
            school=school, actor=actor, category=_category(school, CATEGORY_NAMES[item["name"]]), **item
        )
        for item in STARTER_ITEMS
        if item["name"].lower() not in have
    ]
