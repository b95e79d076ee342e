"""The shared timeline (templates/includes/timeline.html) is written in one pass by fits_ui.timeline_items
(issue 11): it must give, byte for byte, what the template's loop gave, whatever an entry's `changes` hold."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.template.loader import get_template

from fits.models import Activity, User
from incidents.models import Incident

# The include as it was before issue 11 (beside this file): the reference the one-pass version is held to.
BEFORE = (Path(__file__).parent / "timeline_before.html").read_text()

KEYS = [
    "status", "reason", "group", "escalated", "taken_back", "assignee", "major_update", "merged", "child", "major",
    "unlinked", "time_spent", "supplier_reference", "is_major", "priority", "task",
]  # fmt: skip
VALUES = [
    None, "", 0, 2, 90, "90", True, False, "<b>R&D</b>", ["new", "resolved"], ["on_hold", "not-a-status"], ["", ""],
    [None, None], [None, "IT team"], ["IT team", None], ["x"], [], {}, {"0": "z", "1": "w"}, "ab", [1, 2],
]  # fmt: skip
TEXTS = [
    "",
    "Logged.",
    "Logged by phone.",
    "Logged",
    "LoggedIn",
    "Raised from an e-mail.",
    "Line one.\nLine <two> & 'three'",
]
KINDS = [*Activity.Kind.values, "other<kind>"]
WHEN = datetime.fromisoformat("2026-07-31T23:59:00+00:00")
PEOPLE = [None, User(username="tech"), User(username="x", first_name="Ann & <Bo>", last_name="O'Neil")]


def fit(key: str, value):
    """Minutes logged are a number (the `minutes` filter fails on anything else, in both versions alike)."""
    if key == "time_spent" and not (isinstance(value, int) or value in (None, "") or str(value).isdigit()):
        return 45
    return value


def entries():
    """Every kind with each key alone and in pairs, each value, public and internal, with and without text."""
    made = []
    pairs = [(key,) for key in KEYS] + list(itertools.combinations(KEYS, 2))
    for n, (kind, keys) in enumerate(itertools.product(KINDS, pairs)):
        for m, value in enumerate(VALUES):
            made.append(
                Activity(
                    kind=kind,
                    public=(n + m) % 3 != 0,
                    text=TEXTS[(n + m) % len(TEXTS)],
                    changes={key: fit(key, VALUES[(m + i * 7) % len(VALUES)]) for i, key in enumerate(keys)}
                    | {keys[0]: fit(keys[0], value)},
                    actor=PEOPLE[(n + m) % len(PEOPLE)],
                    created_at=WHEN if m % 5 else None,
                )
            )
    for odd in (None, [], "text", 5):
        made.append(Activity(kind="field", public=True, text="", changes=odd, created_at=WHEN))
    return made


def render(template, entries) -> str:
    return template.render(Context({"entries": entries, "object": Incident()}))


def test_the_timeline_is_written_as_the_template_wrote_it():
    before, after = Template(BEFORE), get_template("includes/timeline.html").template
    made = entries()
    assert len(made) > 10_000
    for start in range(0, len(made), 100):
        chunk = made[start : start + 100]
        assert render(after, chunk) == render(before, chunk), start


@pytest.mark.parametrize("empty", [[], None, ""])
def test_an_empty_timeline_says_so(empty):
    after = get_template("includes/timeline.html").template
    assert render(after, empty) == render(Template(BEFORE), empty)
    assert "Nothing yet." in render(after, empty)
