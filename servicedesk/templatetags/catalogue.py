"""Template tags of the service catalogue.

`request_sections` draws a service request's sections (answers, approval, fulfilment tasks) on its
ticket page, which belongs to Incident Management: incidents may not import the Service Desk, so its
template asks for them here. `answer_rows` lists a request's answers as label/answer pairs.
"""

from __future__ import annotations

from typing import Any

from django import template

from servicedesk.catalogue_panel import request_panel_context
from servicedesk.services import request_answer_rows

register = template.Library()


@register.inclusion_tag("servicedesk/catalogue/_request_sections.html", takes_context=True)
def request_sections(context: template.Context, ticket: Any) -> dict[str, Any]:
    """The request's sections for the person viewing its ticket (nothing if it is not a request they may see)."""
    request = context.get("request")
    if request is None or getattr(ticket, "kind", None) != "request":
        return {"service_request": None}
    return request_panel_context(ticket, request.user)


@register.filter
def answer_rows(service_request: Any) -> list[tuple[str, str, str]]:
    """(label, answer, question type) of each answer of a ServiceRequest, in its form's order."""
    return request_answer_rows(service_request.request_type, service_request.answers or {})
