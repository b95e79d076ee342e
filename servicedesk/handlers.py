"""Catalogue items that an OM function carries out itself.

Some requests are work a function owns from end to end: a new starter's account (Directory Services), a
file restore (Storage Management). Such a function names its handlers on its AppConfig:

    request_handlers = {"directory.starter": ("Create a starter's account", "om.directory.requests.starter")}

and a catalogue item can say it is carried out by one of them (`RequestType.handler`). The handler is called
inside the request's transaction, as `handler(service_request=..., event=...)`, when

- "ready": the request was logged and needs no approval, or it was approved: the function can act on it;
- "declined": its approver declined it.

The Service Desk stays the single point of contact (FITS): the request keeps its REQ- ticket, SLA clock and
fulfilment tasks; the handler adds the function's own record and work. Nothing here imports a function's app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from django.apps import apps
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from servicedesk.models import ServiceRequest

EVENTS = ("ready", "declined")


@cache
def request_handlers() -> dict[str, tuple[str, str]]:
    """Every installed app's handlers: key -> (label, dotted path of the callable)."""
    found: dict[str, tuple[str, str]] = {}
    for config in apps.get_app_configs():
        found.update(getattr(config, "request_handlers", {}))
    return found


def handler_choices() -> list[tuple[str, str]]:
    """(key, label) for a form: what a catalogue item can be carried out by."""
    return sorted(((key, label) for key, (label, _) in request_handlers().items()), key=lambda choice: choice[1])


def handler_label(key: str) -> str:
    return request_handlers().get(key, (key, ""))[0]


def _callable(key: str) -> Callable[..., object] | None:
    entry = request_handlers().get(key)
    return import_string(entry[1]) if entry else None


def request_handled(service_request: ServiceRequest, event: str) -> None:
    """Tell the item's handler, if it has one (and it is still installed), what happened to the request."""
    assert event in EVENTS, event
    handler = _callable(service_request.request_type.handler) if service_request.request_type.handler else None
    if handler is not None:
        handler(service_request=service_request, event=event)
