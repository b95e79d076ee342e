"""Evidence from live data, shown beside the school's own answer: the plug-in point for the processes and functions.

The core knows no process app (tests/test_architecture.py FOUNDATIONS). Each app that can tell whether a criterion
is met names a provider per question on its AppConfig:

    maturity_evidence = {"storage.restores_tested": "om.storage.maturity.restores_tested"}

The provider is called as `provider(school, today=date)` and returns a `fits.maturity.Evidence` (the contract lives
in `fits`, which every app may use) computed from the school's live data in a few queries, never one per record. An
app that is not installed simply offers no evidence.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from functools import cache

from django.apps import apps
from django.utils.module_loading import import_string

from fits.maturity import MET, NOT_MET, PARTLY, STATES, UNKNOWN, Evidence

__all__ = ["MET", "NOT_MET", "PARTLY", "STATES", "UNKNOWN", "Evidence", "disagreement", "gather", "providers"]

logger = logging.getLogger(__name__)


@cache
def providers() -> dict[str, str]:
    """Every installed app's providers: question key -> dotted path of the callable."""
    found: dict[str, str] = {}
    for config in apps.get_app_configs():
        found.update(getattr(config, "maturity_evidence", {}))
    return found


@cache
def _callable(path: str) -> Callable[..., Evidence]:
    return import_string(path)


def gather(school, keys: Iterable[str], *, today: datetime.date) -> dict[str, Evidence]:
    """Evidence for those of `keys` that some installed app can tell about, at `school`."""
    known = providers()
    found = {}
    for key in keys:
        if key not in known:
            continue
        try:
            found[key] = _callable(known[key])(school, today=today)
        except Exception:  # one app's broken provider must not take the questionnaire down with it
            logger.exception("Maturity evidence provider %s failed for %s", known[key], school)
            found[key] = Evidence(UNKNOWN, "The evidence could not be read (the error is in the server's log).")
    return found


def disagreement(level: str | None, evidence: Evidence | None) -> str:
    """Where the school's answer and its data part ways, what to say (or "" when they agree or one is missing)."""
    if evidence is None or not level or evidence.state == UNKNOWN:
        return ""
    if level == "fully" and evidence.state == NOT_MET:
        return "Answered fully, but the school's data says this is not met."
    if level == "fully" and evidence.state == PARTLY:
        return "Answered fully, but the school's data says this is only partly met."
    if level == "not_yet" and evidence.state == MET:
        return "Answered not yet, but the school's data says this is met: is the answer out of date?"
    return ""
