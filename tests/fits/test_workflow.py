"""Explicit workflows (fits/workflow.py): one transition table, enforced with a clear message."""

import pytest
import rules
from django.core.exceptions import ValidationError
from django.db import models

from fits.workflow import InvalidTransition, Transition, Workflow


class Door(models.TextChoices):
    OPEN = "open", "Open"
    SHUT = "shut", "Shut"
    LOCKED = "locked", "Locked"


@rules.predicate
def has_key(user, door) -> bool:
    return getattr(user, "has_key", False)


class Person:
    def __init__(self, *, has_key: bool) -> None:
        self.has_key = has_key


class Record:
    def __init__(self, status: str) -> None:
        self.status = status


DOOR = Workflow(
    Door,
    [
        Transition("shut", "Shut", (Door.OPEN,), Door.SHUT, rules.always_allow),
        Transition("open", "Open", (Door.SHUT,), Door.OPEN, rules.always_allow),
        Transition("lock", "Lock", (Door.SHUT,), Door.LOCKED, has_key, note_required=True),
        Transition("unlock", "Unlock", (Door.LOCKED,), Door.SHUT, has_key),
    ],
)


def test_check_returns_the_transition_when_allowed():
    transition = DOOR.check(Door.SHUT, "lock")
    assert (transition.name, transition.target, transition.note_required) == ("lock", Door.LOCKED, True)


def test_check_refuses_a_move_from_the_wrong_status_and_says_what_is_allowed():
    with pytest.raises(InvalidTransition) as refused:
        DOOR.check(Door.OPEN, "lock")
    assert refused.value.messages == ["Cannot lock a record that is open; from open you can: shut."]


def test_check_says_when_nothing_is_allowed():
    terminal = Workflow(Door, [Transition("shut", "Shut", (Door.OPEN,), Door.SHUT, rules.always_allow)])
    with pytest.raises(InvalidTransition, match="from locked you can: nothing"):
        terminal.check(Door.LOCKED, "shut")


def test_check_refuses_an_unknown_action():
    with pytest.raises(InvalidTransition, match="There is no action called 'smash'."):
        DOOR.check(Door.OPEN, "smash")


def test_invalid_transition_is_a_validation_error():
    """Views and the API already turn ValidationError into a message or a 400."""
    assert issubclass(InvalidTransition, ValidationError)


def test_allowed_lists_every_move_from_a_status_whoever_asks():
    assert [t.name for t in DOOR.allowed(Door.SHUT)] == ["open", "lock"]
    assert [t.name for t in DOOR.allowed(Door.LOCKED)] == ["unlock"]


def test_available_filters_the_moves_through_the_permission():
    shut = Record(Door.SHUT)
    assert [t.name for t in DOOR.available(Person(has_key=True), shut)] == ["open", "lock"]
    assert [t.name for t in DOOR.available(Person(has_key=False), shut)] == ["open"]
    assert DOOR.available(Person(has_key=False), Record(Door.LOCKED)) == []


def test_a_table_naming_an_unknown_status_is_refused_at_import():
    with pytest.raises(ValueError, match=r"names unknown statuses \['ajar'\]"):
        Workflow(Door, [Transition("nudge", "Nudge", (Door.SHUT,), "ajar", rules.always_allow)])


def test_as_table_lists_one_row_per_source():
    assert DOOR.as_table() == [
        ("Open", "Shut", "Shut"),
        ("Shut", "Open", "Open"),
        ("Shut", "Lock", "Locked"),
        ("Locked", "Unlock", "Shut"),
    ]


# --- Automatic moves: made by another operation, never asked for ---------------------

SELF_CLOSING = Workflow(
    Door,
    [
        Transition("shut", "Shut", (Door.OPEN,), Door.SHUT, rules.always_allow),
        Transition("swing", "Swing shut", (Door.OPEN,), Door.SHUT, rules.always_allow, automatic=True),
    ],
)


def test_automatic_moves_are_in_the_table_but_not_offered():
    assert SELF_CLOSING.actions == ["shut"]
    assert [t.name for t in SELF_CLOSING.allowed(Door.OPEN)] == ["shut"]
    assert [t.name for t in SELF_CLOSING.available(Person(has_key=False), Record(Door.OPEN))] == ["shut"]
    assert ("Open", "Swing shut", "Shut") in SELF_CLOSING.as_table()


def test_services_check_automatic_moves_but_people_cannot_ask_for_them():
    assert SELF_CLOSING.check(Door.OPEN, "swing").target == Door.SHUT
    assert SELF_CLOSING.check_action(Door.OPEN, "shut").target == Door.SHUT
    with pytest.raises(InvalidTransition, match="Swing shut is not an action you can take directly."):
        SELF_CLOSING.check_action(Door.OPEN, "swing")
    with pytest.raises(InvalidTransition, match="from shut you can: nothing"):
        SELF_CLOSING.check_action(Door.SHUT, "swing")
