"""Pages that move CMDB data in and out: CSV/XLSX import with a preview, streaming export, the CMDB audit.

Thin, like every view: they check who may use them, read the request, and call transfer.py
(reading files, ci_import) or audit.py (the checks). Between the preview and the confirmation the
uploaded file waits under MEDIA_ROOT/cmdb-imports/, named by a random token that only the
uploader's session knows, together with the school it was previewed for; confirming reads and
checks it again from scratch, imports it, and deletes it.
"""

from __future__ import annotations

import secrets
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from cmdb import audit, transfer
from cmdb.models import ConfigurationItem, Port
from fits import access
from fits.models import School
from fits.scoping import schools_visible_to
from fits.views import ScopedViewMixin

UPLOAD_DIR = "cmdb-imports"
PENDING_KEY = "cmdb_pending_imports"
PENDING_KEPT = 3  # uploads waiting for confirmation, per session
PENDING_MAX_AGE = timedelta(hours=12)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(predicate, request: HttpRequest, message: str) -> None:
    """Unless the user may do this at the current school (or, with "all my schools", at one of them):
    404 for people outside the school's support staff, as every CMDB page answers them; 403 for the others.
    """
    if not access.here_or_anywhere(access.can_view_cmdb).test(request.user, request.school):
        raise Http404("The CMDB is for the school's support staff.")
    if not access.here_or_anywhere(predicate).test(request.user, request.school):
        raise PermissionDenied(message)


# =============================================================================
# Import: upload, preview, confirm
# =============================================================================


def manageable_schools(request: HttpRequest) -> QuerySet[School]:
    """The schools whose CMDB the user keeps: the current one, or each of theirs when none is chosen."""
    schools = schools_visible_to(request.user)
    if request.school is not None:
        schools = schools.filter(pk=request.school.pk)
    keeps = [school.pk for school in schools if access.can_manage_cmdb.test(request.user, school)]
    return schools.filter(pk__in=keeps).order_by("name")


class ImportForm(forms.Form):
    school = forms.ModelChoiceField(
        queryset=School.objects.none(), empty_label=None, help_text="The school whose CMDB receives the items."
    )
    file = forms.FileField(
        label="Spreadsheet",
        help_text=f"A .csv or .xlsx file of at most {transfer.MAX_UPLOAD_BYTES // 1024 // 1024} MB, "
        f"with the column names in the first row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv," + XLSX_TYPE}),
    )

    def __init__(self, *args: Any, schools: QuerySet[School], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        if len(schools) == 1:
            self.fields["school"].initial = schools[0]
            self.fields["school"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > transfer.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB; one import takes at most "
                f"{transfer.MAX_UPLOAD_BYTES // 1024 // 1024} MB. Split it into smaller files."
            )
        return upload


def _import_page(request: HttpRequest, form: ImportForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "attribute_help": transfer.attribute_help(), "max_rows": transfer.MAX_ROWS}
    return render(request, "cmdb/import.html", context, status=status)


class ImportMixin(LoginRequiredMixin):
    """Importing is for the people who keep the CMDB: technicians and the network manager."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require(access.can_manage_cmdb, request, "Only technicians and the network manager import into the CMDB.")
        return super().dispatch(request, *args, **kwargs)


class ImportView(ImportMixin, View):
    """Upload a spreadsheet of CIs; the answer is the preview (nothing saved yet)."""

    def get(self, request):
        return _import_page(request, ImportForm(schools=manageable_schools(request)))

    def post(self, request):
        form = ImportForm(request.POST, request.FILES, schools=manageable_schools(request))
        if not form.is_valid():
            return _import_page(request, form, status=400)
        school, upload = form.cleaned_data["school"], form.cleaned_data["file"]
        content = upload.read()
        try:
            table = transfer.read_table(content, upload.name)
        except transfer.UploadError as error:
            form.add_error("file", str(error))
            return _import_page(request, form, status=400)
        report = transfer.ci_import(school=school, actor=request.user, table=table, commit=False)
        token = _keep_upload(request, school, table.filename, content) if report.ok else None
        return render(request, "cmdb/import_preview.html", {"report": report, "token": token})


class ImportConfirmView(ImportMixin, View):
    """Import the previewed file (checked again from scratch), or drop it."""

    http_method_names = ["post"]

    def post(self, request):
        pending = _take_upload(request, request.POST.get("token", ""))
        if pending is None:
            messages.error(request, "That upload has been imported already or has expired: upload the file again.")
            return redirect("cmdb:import")
        meta, content = pending
        if "cancel" in request.POST:
            messages.info(request, f"Nothing was imported from {meta['filename']}.")
            return redirect("cmdb:import")
        school = schools_visible_to(request.user).filter(pk=meta["school"]).first()
        if school is None or (request.school is not None and request.school.pk != school.pk):
            messages.error(request, "You have changed school since the preview: upload the file again.")
            return redirect("cmdb:import")
        try:
            table = transfer.read_table(content, meta["filename"])
        except transfer.UploadError as error:
            messages.error(request, str(error))
            return redirect("cmdb:import")
        report = transfer.ci_import(school=school, actor=request.user, table=table, commit=True)
        if not report.ok:
            messages.error(
                request, "The CMDB changed since the preview and some rows no longer fit: nothing was imported."
            )
            return render(request, "cmdb/import_preview.html", {"report": report, "token": None}, status=409)
        return render(request, "cmdb/import_done.html", {"report": report})


class ImportTemplateView(ImportMixin, View):
    """The template: the heading row and two example rows, to fill in."""

    def get(self, request):
        response = HttpResponse(transfer.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cmdb-import-template.csv"'
        return response


def _keep_upload(request: HttpRequest, school: School, filename: str, content: bytes) -> str:
    """Keep the file until it is confirmed; the session holds its token, school and name."""
    _forget_stale_uploads()
    token = secrets.token_urlsafe(24)
    default_storage.save(f"{UPLOAD_DIR}/{token}", ContentFile(content))
    pending = request.session.get(PENDING_KEY, {})
    pending[token] = {"school": school.pk, "filename": filename, "at": timezone.now().isoformat()}
    for old in sorted(pending, key=lambda key: pending[key]["at"])[:-PENDING_KEPT]:
        pending.pop(old)
        default_storage.delete(f"{UPLOAD_DIR}/{old}")
    request.session[PENDING_KEY] = pending
    return token


def _take_upload(request: HttpRequest, token: str) -> tuple[dict[str, Any], bytes] | None:
    """The kept file of this session's `token`, removed from the session and the disk; None if gone."""
    pending = request.session.get(PENDING_KEY, {})
    meta = pending.pop(token, None)
    request.session[PENDING_KEY] = pending
    name = f"{UPLOAD_DIR}/{token}"
    # Two clicks on "Import" race each other; only the first claims the file.
    if meta is None or not cache.add(f"cmdb:import:{token}", True, PENDING_MAX_AGE.total_seconds()):
        return None
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as stored:
        content = stored.read()
    default_storage.delete(name)
    return meta, content


def _forget_stale_uploads() -> None:
    """Delete uploads nobody confirmed (a closed tab, an expired session)."""
    try:
        _, names = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - PENDING_MAX_AGE
    for name in names:
        if default_storage.get_modified_time(f"{UPLOAD_DIR}/{name}") < cutoff:
            default_storage.delete(f"{UPLOAD_DIR}/{name}")


# =============================================================================
# Export: the filtered list, streamed
# =============================================================================


class BadFilter(Exception):
    pass


def filter_items(request: HttpRequest, items: QuerySet[ConfigurationItem]) -> QuerySet[ConfigurationItem]:
    """The CI list's own filters (ConfigurationItemFilterSet), so an export is exactly the list on screen."""
    from cmdb.filters import ConfigurationItemFilterSet

    filterset = ConfigurationItemFilterSet(request.GET, queryset=items, request=request)
    if not filterset.is_valid():
        raise BadFilter("; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()))
    return filterset.qs


def _xlsx_file(items: QuerySet[ConfigurationItem]):
    """An Excel workbook built row by row (write-only) into a temporary file: memory stays flat."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Configuration items")
    sheet.append(transfer.export_headers())
    for row in transfer.export_values(items):
        cells = []
        for value in row:
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = "dd/mm/yyyy"
            elif isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = '"£"#,##0.00'
            else:
                cell = transfer.safe_cell(value)
            cells.append(cell)
        sheet.append(cells)
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    return out


class ExportView(ScopedViewMixin, View):
    """The CIs the person may see at the current school, with the CI list's filters, as CSV or ?format=xlsx."""

    model = ConfigurationItem

    def get(self, request):
        _require(access.can_view_cmdb, request, "The CMDB is for support staff.")
        items = self.get_queryset().for_list().order_by("school__name", "name", "pk")
        try:
            items = filter_items(request, items)
        except BadFilter as error:
            return HttpResponseBadRequest(f"Cannot export with these filters: {error}", content_type="text/plain")
        stem = f"cmdb-{request.school.slug if request.school else 'all-schools'}-{timezone.localdate():%Y-%m-%d}"
        if request.GET.get("format") == "xlsx":
            return FileResponse(_xlsx_file(items), as_attachment=True, filename=f"{stem}.xlsx", content_type=XLSX_TYPE)
        response = StreamingHttpResponse(transfer.export_csv(items), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response


# =============================================================================
# The CMDB audit
# =============================================================================


class AuditView(ScopedViewMixin, TemplateView):
    """The data-quality checks over the CIs the person may see at the current school."""

    model = ConfigurationItem
    template_name = "cmdb/audit.html"

    def get(self, request, *args, **kwargs):
        _require(access.can_view_cmdb, request, "The CMDB is for support staff.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ports = Port.objects.visible_to(self.request.user)
        if self.request.school is not None:
            ports = ports.of_school(self.request.school.pk)
        context["findings"] = audit.run(items=self.get_queryset(), ports=ports, today=timezone.localdate())
        context["several_schools"] = self.request.school is None
        context["shown"] = audit.SHOWN
        return context


urlpatterns = [
    path("import/", ImportView.as_view(), name="import"),
    path("import/confirm/", ImportConfirmView.as_view(), name="import_confirm"),
    path("import/template/", ImportTemplateView.as_view(), name="import_template"),
    path("export/", ExportView.as_view(), name="export"),
    path("audit/", AuditView.as_view(), name="audit"),
]
