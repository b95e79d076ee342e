"""Live facts for the strategy documents: a plug-in point, so the core never imports a process.

The documents' sections show what the school has in place now: its ICT services and their service levels, its
catalogue, the OM functions' policies, the FITS processes installed, the budget. The core (fits.strategy) may not
import the apps that hold those (tests/test_architecture.py FOUNDATIONS), so each app declares what it offers on its
AppConfig, as a fact key and the dotted path of a callable:

    strategy_facts = {"services": "servicelevels.strategy.it_services", "slas": "servicelevels.strategy.slas"}

The callable is called as ``provider(school, *, today)`` and returns a `Facts`, or the same fields as a plain dict
(the processes may not import the core's sub-apps, tests/test_architecture.py SHARED): a small table of plain strings
with a title, a link to the live page and the time it was read (`as_of`, filled in when left out). A section of a
document names the fact keys it shows (fits/strategy/sections.py); a key nobody provides shows "not in use". When a
version is approved, its facts are frozen into it (`Facts.as_dict`), so the signed version shows what was signed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class Facts:
    """One table of live facts: plain strings only, so it can be frozen as JSON and rendered escaped."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    link: str = ""  # the live page the facts come from
    link_label: str = ""
    as_of: datetime | None = None  # when they were read (set by `collect` when the provider leaves it empty)
    note: str = ""  # a line under the table: what counts, what was left out
    empty: str = "None recorded yet."
    in_use: bool = True  # False: no installed app provides this key

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rows"] = [[str(cell) for cell in row] for row in self.rows]
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["as_of"] = parse_datetime(data["as_of"]) if data.get("as_of") else None
        return cls(**known)


# Titles of the fact keys, for the "not in use" placeholder when no installed app provides one.
KNOWN_KEYS = {
    "processes": "FITS processes and OM functions in place",
    "services": "ICT services",
    "catalogue": "Service catalogue",
    "slas": "Service level agreements",
    "om_policies": "OM functions' policies",
    "technology": "Technology in the CMDB",
    "budget": "ICT budget",
}


@cache
def providers() -> dict[str, str]:
    """Every installed app's providers: fact key -> dotted path (the core's own "processes" included)."""
    found = {"processes": "fits.strategy.facts.processes_in_place"}
    for config in apps.get_app_configs():
        found.update(getattr(config, "strategy_facts", {}))
    return found


def read(key: str, school: Any, *, today: date, now: datetime | None = None) -> Facts:
    """The facts of one key at `school`, read now (a provider that fails is logged and shown as unreadable)."""
    now = now or timezone.now()
    path = providers().get(key)
    if path is None:
        title = KNOWN_KEYS.get(key, key)
        return Facts(title=title, as_of=now, in_use=False, empty=f"Nothing provides “{title}” here yet.")
    try:
        facts = import_string(path)(school, today=today)
        if isinstance(facts, dict):
            facts = Facts(**{name: value for name, value in facts.items() if name in Facts.__dataclass_fields__})
    except Exception:  # a broken provider must not take the strategy down with it
        logger.exception("Strategy facts provider %s failed for school %s", path, getattr(school, "pk", school))
        return Facts(title=KNOWN_KEYS.get(key, key), as_of=now, empty="These facts could not be read just now.")
    if facts.as_of is None:
        facts.as_of = now
    return facts


def collect(keys: list[str], school: Any, *, today: date | None = None) -> dict[str, Facts]:
    """The facts of each key (once each) at `school`, read now."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    return {key: read(key, school, today=today, now=now) for key in dict.fromkeys(keys)}


def frozen(data: dict[str, Any]) -> dict[str, Facts]:
    """Facts frozen into a version (StrategyVersion.facts), back as `Facts`."""
    return {key: Facts.from_dict(value) for key, value in (data or {}).items()}


# =============================================================================
# The core's own provider: the FITS processes and OM functions installed
# =============================================================================

GROUP_LABELS = {"processes": "FITS process", "om": "FITS OM function"}


def processes_in_place(school: Any, *, today: date) -> Facts:
    """The FITS processes and OM functions this installation runs (the apps installed), in the sidebar's order."""
    configs = sorted(
        (c for c in apps.get_app_configs() if getattr(c, "fits_group", None) in GROUP_LABELS and c.label != "om"),
        key=lambda c: (c.fits_group != "processes", getattr(c, "fits_order", 100)),
    )
    rows = [[config.verbose_name, GROUP_LABELS[config.fits_group], "In place"] for config in configs]
    return Facts(
        title="FITS processes and OM functions in place",
        columns=["Process or function", "Kind", "State"],
        rows=rows,
        note="The processes and functions FITS Service Desk runs for the school.",
    )
