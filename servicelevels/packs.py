"""The consultancy-day pack's agenda: sections that processes contribute through a registry.

The LEA consultant's day with a school follows one common, consistent agenda (service levels, open
problems, changes planned, risks, agreements due for review, actions). Service Level Management may
not import the processes above it (problems, later changes and continuity), so each of them registers
its section from its AppConfig.ready():

    from servicelevels.packs import register_section
    register_section("problems", "Open problems and known errors", 20, open_problems_section)

A provider is called as ``provider(school, period, user)`` and returns a `SectionContent`: simple
columns and rows (plain values, escaped by the templates and written as-is to the CSV). Providers
must read through ``Model.objects.visible_to(user)``, so a section shows only what the viewer may see.
An agenda slot nobody has registered yet ("Changes planned", "Risks") keeps its place with an empty
state that says so, so every school's pack has the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SectionContent:
    """What one section of the pack shows: a table of plain values, or an empty state."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    empty: str = "Nothing to discuss."
    note: str = ""  # a line under the table: where the figures come from, what was left out
    template: str | None = None  # a template of its own, for sections richer than a table
    extra: dict[str, Any] = field(default_factory=dict)  # what such a template needs


Provider = Callable[[Any, Any, Any], SectionContent]


@dataclass(frozen=True)
class PackSection:
    key: str
    title: str
    order: int
    provider: Provider | None = None
    # Said when no process has registered the section (the process is not in use yet).
    not_in_use: str = ""


@dataclass
class RenderedSection:
    key: str
    title: str
    order: int
    content: SectionContent
    in_use: bool = True


# The agenda's fixed slots: a process that registers a key fills its slot.
AGENDA = {
    "service_levels": PackSection("service_levels", "Service levels", 10),
    "problems": PackSection(
        "problems", "Open problems and known errors", 20, not_in_use="Problem Management is not in use yet."
    ),
    "changes": PackSection("changes", "Changes planned", 30, not_in_use="Change Management is not in use yet."),
    "risks": PackSection("risks", "Risks", 40, not_in_use="Service Continuity Management is not in use yet."),
    "reviews": PackSection("reviews", "Agreements and subscriptions due for review", 50),
    "actions": PackSection("actions", "Actions", 60),
}

_registry: dict[str, PackSection] = {}


def register_section(key: str, title: str, order: int, provider: Provider) -> None:
    """Add (or replace, idempotently: ready() may run twice in tests) a section of the pack."""
    _registry[key] = PackSection(key, title, order, provider)


def unregister_section(key: str) -> None:
    """Take a section out (tests; a process switched off)."""
    _registry.pop(key, None)


def sections() -> list[PackSection]:
    """The agenda: its fixed slots (filled or not) and any other registered section, in order."""
    merged = dict(AGENDA)
    for key, section in _registry.items():
        slot = AGENDA.get(key)
        merged[key] = PackSection(key, section.title, slot.order if slot else section.order, section.provider)
    return sorted(merged.values(), key=lambda s: (s.order, s.key))


def section_content(key: str, school, period, user) -> SectionContent | None:
    """One registered section's content (the termly report borrows "problems"), or None if nobody registered it."""
    section = _registry.get(key)
    return section.provider(school, period, user) if section and section.provider else None


def build_sections(school, period, user, builtin: dict[str, Provider] | None = None) -> list[RenderedSection]:
    """Every section of the agenda for `school` in `period`, as `user` may see it.

    `builtin` gives the providers of Service Level Management's own slots (service levels, reviews,
    actions), so this module stays free of the figures it does not own.
    """
    builtin = builtin or {}
    rendered = []
    for section in sections():
        provider = section.provider or builtin.get(section.key)
        if provider is None:
            content = SectionContent(empty=section.not_in_use or "Not in use yet.")
            rendered.append(RenderedSection(section.key, section.title, section.order, content, in_use=False))
            continue
        rendered.append(RenderedSection(section.key, section.title, section.order, provider(school, period, user)))
    return rendered
