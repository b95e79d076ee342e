"""The designated safeguarding leads of each school: who they are (for everyone at the school, as the
poster in the staff room says), and the leaders' form to name them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.generic import View

from fits import access
from fits.safeguarding import safeguarding_candidates, school_set_safeguarding_leads
from fits.scoping import schools_visible_to
from fits.views import ServiceErrorMixin


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} ({obj.job_title})" if obj.job_title else str(obj)


class LeadsForm(forms.Form):
    leads = PersonChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Designated safeguarding leads",
        help_text="The designated safeguarding lead and deputies. They see safeguarding-flagged tickets and are "
        "told at once when one is logged. School leaders always see them too.",
    )

    def __init__(self, *args, school, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leads"].queryset = safeguarding_candidates(school)
        self.school = school


class SafeguardingLeadsView(LoginRequiredMixin, ServiceErrorMixin, View):
    """The safeguarding leads of the schools the person may see (the chosen one, or all of theirs)."""

    template_name = "fits/safeguarding_leads.html"

    def schools(self):
        schools = schools_visible_to(self.request.user).prefetch_related("safeguarding_leads")
        if self.request.school is not None:
            schools = schools.filter(pk=self.request.school.pk)
        return schools.order_by("name")

    def render_page(self, forms_by_school=None, status=200):
        """Every school's leads; the form for one school at a time (the only one, or the one chosen with ?edit=)."""
        forms_by_school = forms_by_school or {}
        schools = list(self.schools())
        chosen = self.request.GET.get("edit", "")
        rows = []
        for school in schools:
            editable = access.can_manage_safeguarding.test(self.request.user, school)
            form = forms_by_school.get(school.pk)
            if form is None and editable and (len(schools) == 1 or chosen == str(school.pk)):
                form = LeadsForm(school=school, initial={"leads": [p.pk for p in school.safeguarding_leads.all()]})
            rows.append(
                {"school": school, "leads": list(school.safeguarding_leads.all()), "form": form, "editable": editable}
            )
        return render(self.request, self.template_name, {"rows": rows}, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_page()

    def post(self, request, *args, **kwargs):
        chosen = request.POST.get("school", "")
        school = self.schools().filter(pk=chosen).first() if chosen.isdigit() else None
        if school is None or not access.can_manage_safeguarding.test(request.user, school):
            messages.error(request, "Only a school leader names the safeguarding leads.")
            return redirect("safeguarding_leads")
        form = LeadsForm(request.POST, school=school)
        if form.is_valid():
            try:
                school_set_safeguarding_leads(school=school, leads=form.cleaned_data["leads"], actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                messages.success(request, f"Saved the safeguarding leads of {school}.")
                return redirect("safeguarding_leads")
        return self.render_page({school.pk: form}, status=400)
