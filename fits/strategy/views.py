"""Strategy pages: home (both documents of each school, their status and signatures), a document (its working
version with live or frozen facts, sign-off, versions, timeline), section editing, signing, dates, one version
read-only beside the one before it, and any version as PDF.

Thin views: they start from `visible_to` (support staff's, leaders' and the LEA's records), parse, call
fits/strategy/services.py, render.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, View

from fits import access
from fits.activity import timeline
from fits.scoping import schools_visible_to
from fits.strategy import facts as live_facts
from fits.strategy import services
from fits.strategy.forms import CreateForm, DatesForm, SectionForm, SignForm
from fits.strategy.models import Capacity, DocumentKind, SignOff, StrategyDocument, StrategyVersion, VersionStatus
from fits.strategy.pdf import render_pdf
from fits.strategy.rendering import render_markdown
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin


class ReadersOnlyMixin:
    """The strategies are for support staff, leaders and the LEA: anyone else is answered 404, as if not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_strategy).test(user, None):
            raise Http404("The strategies are for the school's staff, leaders and the LEA.")
        return super().dispatch(request, *args, **kwargs)


# =============================================================================
# What a version shows: its sections with their text and facts, its sign-off table
# =============================================================================


@dataclass
class ShownSection:
    key: str
    title: str
    guidance: str
    text: str
    html: str
    facts: list[live_facts.Facts] = field(default_factory=list)


@dataclass
class SignatureLine:
    capacity: str
    label: str
    signoff: SignOff | None
    can_sign: bool = False


def shown_sections(version: StrategyVersion, sections: list, *, live: bool) -> tuple[list[ShownSection], Any]:
    """The version's sections with their facts: read now for a draft (`live`), else as frozen at approval."""
    keys = [key for section in sections for key in section.fact_keys]
    if live:
        read = live_facts.collect(keys, version.school)
        as_of = timezone.now()
    else:
        read = live_facts.frozen(version.facts)
        as_of = version.facts_as_of
    shown = [
        ShownSection(s.key, s.title, s.guidance, s.text, render_markdown(s.text),
                     [read[key] for key in s.fact_keys if key in read])
        for s in sections
    ]  # fmt: skip
    return shown, as_of


def signature_lines(version: StrategyVersion, signoffs: list[SignOff], user: Any) -> list[SignatureLine]:
    by_capacity = {s.capacity: s for s in signoffs}
    lines = []
    for capacity in Capacity:
        signed = by_capacity.get(capacity.value)
        can = version.is_draft and signed is None and services.may_sign(user, version.document, capacity.value)
        lines.append(SignatureLine(capacity.value, capacity.label, signed, can))
    return lines


def version_context(version: StrategyVersion, user: Any) -> dict[str, Any]:
    sections = list(version.sections.all())
    signoffs = list(version.signoffs.select_related("person"))
    shown, as_of = shown_sections(version, sections, live=version.is_draft)
    return {
        "version": version,
        "sections": shown,
        "facts_live": version.is_draft,
        "facts_as_of": as_of,
        "signatures": signature_lines(version, signoffs, user),
        "signed_count": len(signoffs),
    }


# =============================================================================
# Home
# =============================================================================


class HomeView(ReadersOnlyMixin, ScopedViewMixin, ListView):
    """Each school's two documents: the working version, its status and who has signed; the version in force."""

    model = StrategyDocument
    template_name = "strategy/home.html"
    context_object_name = "documents"
    paginate_by = 50

    def get_queryset(self):
        versions = StrategyVersion.objects.visible_to(self.request.user).order_by("-number")
        return (
            super()
            .get_queryset()
            .select_related("school")
            .prefetch_related(Prefetch("versions", queryset=versions.prefetch_related("signoffs__person")))
            .order_by("school__name", "kind", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for document in context["documents"]:
            versions = list(document.versions.all())
            working = versions[0] if versions else None
            force = next((v for v in versions if v.status == VersionStatus.APPROVED), None)
            signed = {s.capacity: s for s in working.signoffs.all()} if working else {}
            rows.append({"document": document, "working": working, "in_force": force, "versions": len(versions),
                         "signatures": [(c.label, signed.get(c.value)) for c in Capacity]})  # fmt: skip
        context["rows"] = rows
        context["missing"] = self._missing(context["documents"])
        return context

    def _missing(self, documents) -> list[dict[str, Any]]:
        """The documents the person may start at the school they work in (or their only school)."""
        user = self.request.user
        school = getattr(self.request, "school", None)
        if school is None:
            schools = list(schools_visible_to(user)[:2])
            school = schools[0] if len(schools) == 1 else None
        if school is None or not access.can_manage_strategy.test(user, school):
            return []
        have = {d.kind for d in documents if d.school_id == school.pk}
        return [{"school": school, "kind": kind, "label": label} for kind, label in DocumentKind.choices
                if kind not in have]  # fmt: skip


class CreateView(LoginRequiredMixin, ReadersOnlyMixin, ServiceErrorMixin, View):
    """POST: start one of the school's documents (version 1, a draft with the appendix's headings)."""

    def post(self, request, *args, **kwargs):
        form = CreateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say which document to start, and for which school.")
            return redirect("strategy:home")
        school = schools_visible_to(request.user).filter(slug=form.cleaned_data["school"]).first()
        if school is None:
            raise Http404("No such school of yours.")
        try:
            document = services.strategy_document_create(school=school, kind=form.cleaned_data["kind"],
                                                         actor=request.user)  # fmt: skip
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return redirect("strategy:home")
        messages.success(request, f"{document.title} started: write each section, then have it signed.")
        return redirect(document.get_absolute_url())


# =============================================================================
# One document
# =============================================================================


class DocumentView(ReadersOnlyMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = StrategyDocument
    template_name = "strategy/document.html"
    context_object_name = "document"

    def get_queryset(self):
        return super().get_queryset().select_related("school")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        document, user = self.object, self.request.user
        versions = list(StrategyVersion.objects.visible_to(user).filter(document=document).order_by("-number"))
        working = versions[0]
        working.document = document
        context.update(version_context(working, user))
        context.update(
            versions=versions,
            in_force=next((v for v in versions if v.status == VersionStatus.APPROVED), None),
            can_manage=access.can_manage_strategy.test(user, document),
            dates_form=DatesForm(initial={"draft_date": working.draft_date, "review_date": working.review_date}),
            review_overdue=working.review_date < timezone.localdate(),
            timeline=timeline(document, include_internal=True),
        )
        return context


class SectionEditView(LoginRequiredMixin, ReadersOnlyMixin, ServiceErrorMixin, FormView):
    """Write one section of the draft (on an approved document, saving starts the next draft version)."""

    form_class = SectionForm
    template_name = "strategy/section_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            documents = StrategyDocument.objects.visible_to(request.user).select_related("school")
            self.document = get_object_or_404(documents, pk=kwargs["pk"])
            self.version = services.working_version(self.document)
            self.section = get_object_or_404(self.version.sections.all(), key=kwargs["key"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not access.can_manage_strategy.test(request.user, self.document):
            messages.info(request, "Only the network manager and the school's leaders write the strategy.")
            return redirect(self.document.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {"text": self.section.text}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "document": self.document, "version": self.version,
                "section": self.section, "signed_count": self.version.signoffs.count()}  # fmt: skip

    def form_valid(self, form):
        try:
            section = services.strategy_section_edit(
                document=self.document, key=self.section.key, text=form.cleaned_data["text"], actor=self.request.user
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        if section.version_id != self.version.pk:
            messages.success(self.request, f"Saved in a new draft, version {section.version.number}: the approved "
                             f"version {self.version.number} stays in force until this one is signed.")  # fmt: skip
        else:
            messages.success(self.request, f"“{section.title}” saved.")
        return HttpResponseRedirect(f"{self.document.get_absolute_url()}#section-{section.key}")


class SignView(RecordActionView):
    model = StrategyDocument
    form_class = SignForm

    def act(self, data):
        signoff = services.strategy_sign(document=self.object, capacity=data["capacity"], actor=self.request.user,
                                         comment=data.get("comment", ""))  # fmt: skip
        version = StrategyVersion.objects.visible_to(self.request.user).get(pk=signoff.version_id)
        if version.status == VersionStatus.APPROVED:
            messages.success(self.request, f"Signed as {signoff.get_capacity_display()}. All four have signed: "
                             f"version {version.number} is approved.")  # fmt: skip
        else:
            messages.success(self.request, f"Signed as {signoff.get_capacity_display()}.")


class DatesView(RecordActionView):
    model = StrategyDocument
    form_class = DatesForm

    def act(self, data):
        services.strategy_dates_set(document=self.object, draft_date=data["draft_date"],
                                    review_date=data["review_date"], actor=self.request.user)  # fmt: skip
        messages.success(self.request, "Dates saved.")


# =============================================================================
# One version, read-only, beside the one before it; and as PDF
# =============================================================================


def compare(older: list, newer: list) -> list[dict[str, Any]]:
    """Per section, the lines of the older and newer text side by side (only the sections that changed)."""
    before = {s.key: s for s in older}
    changed = []
    for section in newer:
        old_text = before[section.key].text if section.key in before else ""
        if old_text == section.text:
            continue
        old_lines, new_lines = old_text.splitlines(), section.text.splitlines()
        rows = []
        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            left, right = old_lines[i1:i2], new_lines[j1:j2]
            for n in range(max(len(left), len(right))):
                rows.append({"tag": tag, "old": left[n] if n < len(left) else "",
                             "new": right[n] if n < len(right) else ""})  # fmt: skip
        changed.append({"key": section.key, "title": section.title, "rows": rows})
    return changed


class VersionView(ReadersOnlyMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = StrategyVersion
    template_name = "strategy/version.html"
    context_object_name = "version"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "document", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version, user = self.object, self.request.user
        context.update(version_context(version, user))
        previous = (
            StrategyVersion.objects.visible_to(user)
            .filter(document_id=version.document_id, number=version.number - 1)
            .first()
        )
        context["previous"] = previous
        context["changes"] = compare(list(previous.sections.all()), list(version.sections.all())) if previous else []
        return context


class VersionPdfView(ReadersOnlyMixin, ScopedViewMixin, DetailView):
    """Any version as PDF, with its sign-off table (the draft's with its live facts, as of now)."""

    narrow_to_current_school = False
    model = StrategyVersion

    def get_queryset(self):
        return super().get_queryset().select_related("school", "document")

    def get(self, request, *args, **kwargs):
        version = self.get_object()
        context = {**version_context(version, request.user), "document": version.document, "school": version.school,
                   "generated_at": timezone.now()}  # fmt: skip
        html = render_to_string("strategy/version_pdf.html", context, request=request)
        response = HttpResponse(render_pdf(html), content_type="application/pdf")
        name = f"{version.school.slug}-{version.document.kind}-strategy-v{version.number}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
