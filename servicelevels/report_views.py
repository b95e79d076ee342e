"""The termly service report and the consultancy-day pack: HTML preview, PDF and CSV; and the list of schools.

Who reads them: the school's leaders and network manager, the LEA's consultants (any school of their
authority) and administrators (fits.access.can_view_service_reports). Other support staff and ICT users
are refused (403); a school the person cannot see answers like a missing one (404). Thin views: the
contents come from servicelevels.reports.
"""

from __future__ import annotations

import csv

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.views.generic import ListView, TemplateView

from fits import access
from fits.models import AuthorityRoleKind, Role, School
from fits.scoping import schools_visible_to
from servicelevels import reports
from servicelevels.periods import TermBook

READER_ROLES = frozenset({Role.SCHOOL_LEADER, Role.NETWORK_MANAGER, AuthorityRoleKind.CONSULTANT})


def schools_reported_to(user):
    """The schools whose reports `user` may read (the roles in READER_ROLES; every school for an administrator)."""
    schools = schools_visible_to(user)
    if user.is_superuser:
        return schools
    return schools.filter(pk__in=[pk for pk, roles in user.school_roles.items() if roles & READER_ROLES])


class ReportSchoolMixin(LoginRequiredMixin):
    """The school a report is about: ?school=<slug>, else the school chosen in the switcher, else the first."""

    def get_school(self) -> School:
        user, slug = self.request.user, self.request.GET.get("school")
        if slug:
            school = schools_visible_to(user).select_related("authority").filter(slug=slug).first()
            if school is None:
                raise Http404("No such school.")
        else:
            school = getattr(self.request, "school", None)
            if school is None or not access.can_view_service_reports.test(user, school):
                school = schools_reported_to(user).select_related("authority").order_by("name").first()
            if school is None:
                raise PermissionDenied("Service reports are for the school's leaders and the LEA's consultants.")
        if not access.can_view_service_reports.test(user, school):
            raise PermissionDenied("Service reports are for the school's leaders and the LEA's consultants.")
        return school


def attachment(content: bytes | str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_response(rows: list[list], name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    for row in rows:
        # A cell starting with =, +, - or @ would run as a formula in a spreadsheet: quote it inert.
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row])
    return response


class ReportListView(LoginRequiredMixin, ListView):
    """Every school whose reports the person may read, with a link to each report."""

    template_name = "servicelevels/report_list.html"
    context_object_name = "schools"
    paginate_by = 50

    def get_queryset(self):
        return schools_reported_to(self.request.user).select_related("authority").order_by("authority__name", "name")

    def get(self, request, *args, **kwargs):
        if not request.user.is_superuser and not any(
            roles & READER_ROLES for roles in request.user.school_roles.values()
        ):
            raise PermissionDenied("Service reports are for the school's leaders and the LEA's consultants.")
        return super().get(request, *args, **kwargs)


class TermlyReportView(ReportSchoolMixin, TemplateView):
    """The one-page termly service report for leaders and governors (?school=&term=)."""

    template_name = "servicelevels/report_termly.html"
    pdf_template_name = "servicelevels/report_termly_pdf.html"
    output = "html"

    def get(self, request, *args, **kwargs):
        school = self.get_school()
        today = reports.today()
        book = TermBook(school)
        term = reports.choose_term(book, request.GET.get("term"), today)
        report = reports.termly_report(school, term, request.user, book=book)
        if self.output == "csv":
            return csv_response(report.csv_rows(), reports.file_name(school, "termly-service-report", term, "csv"))
        context = {"report": report, "school": school, "terms": reports.report_terms(book, today)}
        if self.output == "pdf":
            html = render_to_string(self.pdf_template_name, context, request=request)
            name = reports.file_name(school, "termly-service-report", term, "pdf")
            return attachment(reports.render_pdf(html), "application/pdf", name)
        return self.render_to_response(self.get_context_data(**context))


class PackView(ReportSchoolMixin, TemplateView):
    """The consultancy-day pack: the common agenda for the LEA consultant's day with the school."""

    template_name = "servicelevels/pack.html"
    pdf_template_name = "servicelevels/pack_pdf.html"
    output = "html"

    def get(self, request, *args, **kwargs):
        school = self.get_school()
        today = reports.today()
        book = TermBook(school)
        period = reports.pack_period(book, request.GET.get("term"), today)
        pack = reports.consultancy_pack(school, period, request.user, book=book)
        if self.output == "csv":
            return csv_response(pack.csv_rows(), reports.file_name(school, "consultancy-day-pack", period, "csv"))
        context = {"pack": pack, "school": school, "terms": reports.report_terms(book, today)}
        if self.output == "pdf":
            html = render_to_string(self.pdf_template_name, context, request=request)
            name = reports.file_name(school, "consultancy-day-pack", period, "pdf")
            return attachment(reports.render_pdf(html), "application/pdf", name)
        return self.render_to_response(self.get_context_data(**context))
