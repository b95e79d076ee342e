"""What a request's sections on its ticket page show: the answers, the approval, the fulfilment tasks.

The ticket page is Incident Management's (incidents may not import the Service Desk), so it asks
for these through the `request_sections` template tag (servicedesk/templatetags/catalogue.py);
the task buttons' htmx responses render the same sections from here.
"""

from __future__ import annotations

from typing import Any

from fits import access
from incidents.models import Incident, ResolutionCode, Status
from servicedesk import services
from servicedesk.catalogue_forms import TaskAssignForm
from servicedesk.models import Approval, Approver, FulfilmentTask, ServiceRequest


def request_panel_context(ticket: Incident, user: Any) -> dict[str, Any]:
    """The context of the request's sections for `user` (empty when the ticket is not a visible request)."""
    service_request = (
        ServiceRequest.objects.visible_to(user).select_related("request_type", "school").filter(ticket=ticket).first()
    )
    if service_request is None:
        return {"service_request": None}
    service_request.ticket = ticket
    request_type = service_request.request_type
    tasks = list(
        FulfilmentTask.objects.visible_to(user)
        .filter(ticket=ticket)
        .select_related("assignee", "group", "done_by")
        .order_by("position", "pk")
    )
    approvals = list(Approval.objects.visible_to(user).filter(ticket=ticket).select_related("approver"))
    can_fulfil = access.can_fulfil_request.test(user, ticket)
    working = can_fulfil and ticket.is_open and ticket.status != Status.PENDING_APPROVAL
    context = {
        "service_request": service_request,
        "ticket": ticket,
        "request_type": request_type,
        "answer_rows": services.request_answer_rows(request_type, service_request.answers),
        "approvals": approvals,
        "awaiting_approval": ticket.status == Status.PENDING_APPROVAL,
        "approver_label": Approver(request_type.approver).label if request_type.approver else "",
        "can_decide": ticket.status == Status.PENDING_APPROVAL and access.can_approve_request.test(user, ticket),
        "is_requester": ticket.reporter_id == user.pk,
        # A declined request was never worked: its checklist would only be noise.
        "declined": ticket.resolution_code == ResolutionCode.DECLINED,
        "tasks": tasks,
        "tasks_done": sum(1 for task in tasks if task.is_done),
        "can_fulfil": can_fulfil,
        "can_work_tasks": working,
        "can_add_tasks": can_fulfil and ticket.is_open,
    }
    if context["can_add_tasks"]:
        # Who can take a task: the choices of the forms that check the assignment.
        context["assignees"] = list(TaskAssignForm(user=user, ticket=ticket).fields["assignee"].queryset)
    return context
