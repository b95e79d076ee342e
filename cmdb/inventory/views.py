"""The inventory door for agents, and the pages where a school sets its agents up and reads what they sent.

`agent_endpoint` speaks the agents' protocol (DESIGN.md 6): FusionInventory's compressed XML
PROLOG then INVENTORY, and the GLPI Agent's JSON CONTACT then inventory. It authenticates agents,
not people: HTTP basic auth with the school's slug and agent key, challenged with a 401 first as
the real agents expect. The pages are thin views over `visible_to`, like every other page.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models.functions import Length
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from cmdb.inventory import parsers, services
from cmdb.inventory.filters import InventorySubmissionFilterSet
from cmdb.inventory.tables import InventorySubmissionTable, ci_url
from cmdb.models import AgentKey, ConfigurationItem, InventorySubmission
from cmdb.services import agent_key_rotate
from fits import access
from fits.scoping import schools_visible_to
from fits.views import ScopedViewMixin, ServiceErrorMixin

REALM = "FITS inventory"
MATCHED_BY = {
    "uuid": "hardware UUID",
    "serial": "serial number",
    "mac": "MAC address",
    "device id": "agent's device id (from an earlier inventory)",
}
PROLOG_FREQ_HOURS = 24

# =============================================================================
# The agents' door
# =============================================================================


@csrf_exempt
def agent_endpoint(request: HttpRequest) -> HttpResponse:
    """POST /inventory/: FusionInventory XML (PROLOG, INVENTORY) and GLPI Agent JSON (contact, inventory)."""
    if request.method != "POST":
        response = _text(
            "This is the inventory address for FusionInventory and GLPI agents; they POST here. "
            "People find the agent command line on the Inventory agents page.",
            405,
        )
        response["Allow"] = "POST"
        return response
    credentials = _basic_credentials(request)
    if credentials is None:
        # The agents send credentials only when challenged (../shared/inventory-format/README.md).
        return _challenge("Authentication required: run the agent with --user SLUG --password KEY of your school.")
    try:
        school = services.agent_school(user=credentials[0], key=credentials[1])
    except services.AgentRefused as error:
        return _challenge(str(error))
    try:
        body = request.body
    except RequestDataTooBig:
        return _text(f"The inventory is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.", 413)
    receipt = services.inventory_receive(
        school=school, body=body, content_type=request.content_type or "", remote_addr=_remote_addr(request)
    )
    compression = parsers.compression_of(body)
    if receipt.error:
        return _reply(receipt.format, compression, error=receipt.error, status=403 if receipt.forbidden else 400)
    return _reply(receipt.format, compression, contact=receipt.message.is_contact)


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")  # present but unreadable: refused like a wrong key
    user, _, key = decoded.partition(":")
    return user, key


def _challenge(message: str) -> HttpResponse:
    response = _text(message, 401)
    response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


def _text(message: str, status: int) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status >= 400:
        # The agents log the status line, not the body: say what is wrong there too.
        response.reason_phrase = _status_line(message)
    return response


def _status_line(message: str) -> str:
    line = " ".join(message.split()).encode("ascii", "replace").decode("ascii")
    return line[:160]


def _reply(fmt: str, compression: str, *, contact: bool = False, error: str = "", status: int = 200) -> HttpResponse:
    """Answer in the agent's own format and compression, as a GLPI server does."""
    if fmt == parsers.GLPI_JSON:
        if error:
            document: dict[str, Any] = {"status": "error", "message": error, "expiration": PROLOG_FREQ_HOURS}
        elif contact:
            document = {
                "status": "ok",
                "expiration": PROLOG_FREQ_HOURS,
                "tasks": {"inventory": {"server": "glpi", "version": "10.0"}},
            }
        else:
            document = {"status": "ok", "expiration": PROLOG_FREQ_HOURS}
        content = json.dumps(document).encode()
        content_type = "application/x-compress-zlib" if compression else "application/json"
    else:
        if error:
            reply = f"<REPLY><ERROR>{escape(error)}</ERROR></REPLY>"
        elif contact:
            reply = f"<REPLY><PROLOG_FREQ>{PROLOG_FREQ_HOURS}</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>"
        else:
            reply = "<REPLY></REPLY>"
        content = f'<?xml version="1.0" encoding="UTF-8" ?>\n{reply}\n'.encode()
        content_type = "application/x-compress" if compression else "application/xml"
    response = HttpResponse(parsers.compress(content, compression), status=status, content_type=content_type)
    if error:
        response.reason_phrase = _status_line(error)
    return response


def _remote_addr(request: HttpRequest) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


# =============================================================================
# Settings: how to point the agents here, and the agent key
# =============================================================================


def agent_commands(*, url: str, slug: str, key: str) -> list[dict[str, str]]:
    """The command lines that point each agent at this school, exactly as they are typed."""
    return [
        {
            "system": "Linux (Debian, Ubuntu)",
            "agent": "FusionInventory agent, one inventory now",
            "install": "sudo apt install fusioninventory-agent",
            "command": f"sudo fusioninventory-agent --server {url} --tag {slug} --user {slug} --password {key}",
        },
        {
            "system": "Linux (Debian, Ubuntu)",
            "agent": "FusionInventory agent as a service: /etc/fusioninventory/agent.cfg, then "
            "sudo systemctl restart fusioninventory-agent",
            "install": "",
            "command": f"server = {url}\ntag = {slug}\nuser = {slug}\npassword = {key}",
        },
        {
            "system": "Linux, macOS",
            "agent": "GLPI Agent",
            "install": "",
            "command": f"sudo glpi-agent --server {url} --tag {slug} --user {slug} --password {key}",
        },
        {
            "system": "Windows",
            "agent": "GLPI Agent installer, from an administrator's cmd.exe (use the name of the MSI you downloaded)",
            "install": "",
            "command": (
                f"msiexec /i GLPI-Agent-1.11-x64.msi /quiet SERVER={url} TAG={slug} USER={slug} PASSWORD={key} RUNNOW=1"
            ),
        },
        {
            "system": "Windows",
            "agent": "FusionInventory agent installer",
            "install": "",
            "command": (
                f"fusioninventory-agent_windows-x64_2.6.exe /S /acceptlicense /server={url} /tag={slug} "
                f"/user={slug} /password={key} /runnow"
            ),
        },
    ]


def inventory_url() -> str:
    return settings.FITS_BASE_URL + reverse("inventory:agent")


class SettingsMixin(LoginRequiredMixin):
    """The schools whose inventory settings the user may read: where they may view the CMDB."""

    def cmdb_schools(self) -> list[Any]:
        user = self.request.user
        return [school for school in schools_visible_to(user) if access.can_view_cmdb.test(user, school)]

    def settings_context(self, school: Any, *, new_key: str = "") -> dict[str, Any]:
        user = self.request.user
        key = AgentKey.objects.visible_to(user).of_school(school.pk).select_related("rotated_by").first()
        submissions = (
            InventorySubmission.objects.visible_to(user)
            .of_school(school.pk)
            .select_related("ci")
            .defer("payload")
            .order_by("-received_at", "-pk")[:10]
        )
        computers = (
            ConfigurationItem.objects.visible_to(user).of_school(school.pk).filter(last_inventory_at__isnull=False)
        )
        return {
            "school": school,
            "url": inventory_url(),
            "commands": agent_commands(url=inventory_url(), slug=school.slug, key=new_key or "KEY"),
            "new_key": new_key,
            "agent_key": key,
            "can_rotate": access.can_manage_agents.test(user, school),
            "submissions": [(submission, ci_url(submission.ci)) for submission in submissions],
            "inventoried": computers.count(),
        }


class InventorySettingsView(SettingsMixin, TemplateView):
    """The school's inventory settings: the exact agent command lines, the key, the latest inventories."""

    template_name = "cmdb/inventory/settings.html"

    def get(self, request, *args, **kwargs):
        schools = self.cmdb_schools()
        if not schools:
            messages.error(request, "Inventory agents are set up by the school's support staff.")
            return redirect("home")
        chosen = request.GET.get("school", "")
        school = next((s for s in schools if s.slug == chosen), None)
        current = getattr(request, "school", None)
        if school is None and current is not None:
            school = next((s for s in schools if s.pk == current.pk), None)
        if school is None and len(schools) == 1:
            school = schools[0]
        context = self.get_context_data(schools=schools, school=school)
        if school is not None:
            context.update(self.settings_context(school))
        return self.render_to_response(context)


class AgentKeyRotateView(SettingsMixin, ServiceErrorMixin, TemplateView):
    """POST: give the school a new agent key, shown once on the page that answers."""

    template_name = "cmdb/inventory/settings.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        school = schools_visible_to(request.user).filter(slug=kwargs["slug"]).first()
        if school is None:
            raise Http404("No such school.")
        try:
            key = agent_key_rotate(school=school, actor=request.user)
        except PermissionDenied as error:
            self.report_service_error(error)
            return redirect(f"{reverse('inventory:settings')}?school={school.slug}")
        messages.success(
            request,
            f"{school.name} has a new agent key. Agents with the old key are refused from now on: update them.",
        )
        context = self.get_context_data(schools=self.cmdb_schools(), school=school)
        context.update(self.settings_context(school, new_key=key))
        response = self.render_to_response(context)
        response["Cache-Control"] = "no-store"  # the key is shown once, never kept by a browser cache
        return response


# =============================================================================
# What the agents sent
# =============================================================================


class InventorySubmissionListView(ScopedViewMixin, SingleTableMixin, FilterView):
    """Every inventory received, accepted or refused, newest first."""

    model = InventorySubmission
    table_class = InventorySubmissionTable
    filterset_class = InventorySubmissionFilterSet
    template_name = "cmdb/inventory/submission_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().select_related("school", "ci").defer("payload")

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if getattr(self.request, "school", None) is not None:
            table.exclude = ("school",)
        return table


class InventorySubmissionDetailView(ScopedViewMixin, DetailView):
    """One inventory: what it changed, or why it was refused."""

    model = InventorySubmission
    narrow_to_current_school = False
    template_name = "cmdb/inventory/submission_detail.html"
    context_object_name = "submission"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "ci").defer("payload").annotate(size=Length("payload"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        submission = self.object
        context["ci_url"] = ci_url(submission.ci)
        context["description"] = services.describe(submission.summary) if submission.summary else ""
        context["matched_by"] = MATCHED_BY.get(submission.summary.get("matched_by") or "", "")
        return context


class InventorySubmissionPayloadView(ScopedViewMixin, SingleObjectMixin, View):
    """The inventory as received, as a download: never shown inline, whatever it contains."""

    model = InventorySubmission
    narrow_to_current_school = False

    def get(self, request, *args, **kwargs):
        submission = self.get_object()
        payload = bytes(submission.payload)
        start = payload.lstrip()[:1]
        extension = {b"<": "xml", b"{": "json"}.get(start, "bin")
        response = HttpResponse(payload, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="inventory-{submission.pk}.{extension}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
