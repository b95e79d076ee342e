"""Explicit workflows: each record declares its transitions in one table next to the model.

Services call `Workflow.check()` and refuse anything else with a clear message; pages and the API
draw the moves they offer from `Workflow.available()`, through the same access predicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import rules
from django.core.exceptions import ValidationError


class InvalidTransition(ValidationError):
    """A move the record's transition table does not allow from its current status."""


@dataclass(frozen=True)
class Transition:
    """One allowed move: from any of `sources` to `target`, by whoever satisfies `permission`."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: rules.Predicate
    note_required: bool = False
    note_label: str = "Note"
    style: str = "secondary"
    help: str = field(default="", compare=False)
    # A template of the move's own fields (a hold reason, a resolution code), shown in its form with the note.
    fields_template: str = field(default="", compare=False)
    # Made by the system as the consequence of another operation (an assignment, a scheduled task),
    # never offered as a button nor accepted as a direct action.
    automatic: bool = False


class Workflow:
    """The transition table of one kind of record."""

    def __init__(self, status_labels: Any, transitions: Iterable[Transition]) -> None:
        self.labels = dict(status_labels.choices)
        self.transitions = {t.name: t for t in transitions}
        for t in self.transitions.values():
            unknown = {*t.sources, t.target} - set(self.labels)
            if unknown:
                raise ValueError(f"Transition {t.name!r} names unknown statuses {sorted(unknown)}")

    def check(self, status: str, name: str) -> Transition:
        """The transition `name` from `status`, or InvalidTransition saying why not."""
        transition = self.transitions.get(name)
        if transition is None:
            raise InvalidTransition(f"There is no action called {name!r}.")
        if status not in transition.sources:
            allowed = ", ".join(t.label.lower() for t in self.allowed(status)) or "nothing"
            raise InvalidTransition(
                f"Cannot {transition.label.lower()} a record that is {self.labels[status].lower()}; "
                f"from {self.labels[status].lower()} you can: {allowed}."
            )
        return transition

    @property
    def actions(self) -> list[str]:
        """The names of the actions a person can take directly (for API choices)."""
        return [name for name, t in self.transitions.items() if not t.automatic]

    def check_action(self, status: str, name: str) -> Transition:
        """Like check(), for a move a person asks for directly: automatic moves are refused."""
        transition = self.check(status, name)
        if transition.automatic:
            raise InvalidTransition(f"{transition.label} is not an action you can take directly.")
        return transition

    def allowed(self, status: str) -> list[Transition]:
        """Every direct action the table allows from `status`, whoever asks."""
        return [t for t in self.transitions.values() if status in t.sources and not t.automatic]

    def available(self, user: Any, record: Any) -> list[Transition]:
        """The actions `user` may take on `record` now: the ones to show as buttons."""
        return [t for t in self.allowed(record.status) if t.permission.test(user, record)]

    def as_table(self) -> list[tuple[str, str, str]]:
        """(from, action, to) rows, for documentation and tests."""
        return [(self.labels[s], t.label, self.labels[t.target]) for t in self.transitions.values() for s in t.sources]
