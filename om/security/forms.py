"""Forms of Security Administration: a breach, its ICO report and actions; a firewall rule; an administrator
account and the CSV import; a decision in an access review. Choices are scoped to the person (fits.forms)."""

from __future__ import annotations

from typing import Any

from django import forms

from cmdb.models import ConfigurationItem, Kind
from fits import access, attachments
from fits.forms import ScopedForm
from fits.models import STAFF_ROLES, User
from fits.scoping import schools_visible_to
from incidents.models import Incident
from om.security.models import AccessReviewItem, BreachRisk, RuleAction

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _schools_where(user: Any, predicate: Any):
    allowed = [school.pk for school in schools_visible_to(user) if predicate.test(user, school)]
    return schools_visible_to(user).filter(pk__in=allowed).order_by("name")


class SchoolChoiceMixin:
    """The school is chosen once, when the record is made: among those where the person may make it."""

    predicate: Any = None

    def setup_school(self, user: Any, school: Any, record: Any) -> int | None:
        if record is not None:
            del self.fields["school"]
            return record.school_id
        schools = _schools_where(user, self.predicate)
        self.fields["school"].queryset = schools
        ids = list(schools.values_list("pk", flat=True))
        if school is not None and school.pk in ids:
            self.fields["school"].initial = school.pk
        if len(ids) == 1:
            self.fields["school"].widget = forms.HiddenInput()
            self.fields["school"].initial = ids[0]
        chosen = self.data.get("school") or self.fields["school"].initial
        return int(chosen) if str(chosen or "").isdigit() else None


class BreachForm(SchoolChoiceMixin, ScopedForm):
    predicate = access.can_manage_breaches

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(max_length=200, label="Summary", help_text="E.g. 'Pupil list e-mailed to a parent'.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What happened")
    occurred_at = forms.DateTimeField(widget=MOMENT, required=False, label="When it happened")
    discovered_at = forms.DateTimeField(
        widget=MOMENT, label="When the school found out", help_text="The ICO's 72 hours run from this moment."
    )
    data_affected = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    people_affected = forms.IntegerField(min_value=0, initial=0)
    records_affected = forms.IntegerField(min_value=0, required=False)
    children_data = forms.BooleanField(required=False, label="Children's data")
    special_category = forms.BooleanField(
        required=False, label="Special category data", help_text="Health, ethnicity, religion, biometrics, SEN..."
    )
    risk = forms.ChoiceField(choices=BreachRisk.choices, initial=BreachRisk.UNKNOWN)
    not_reported_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Why it is not reported to the ICO"
    )
    others_told = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Parents, the LA's DPO, the governors..."
    )
    dpo_told_at = forms.DateTimeField(widget=MOMENT, required=False, label="DPO told")
    individuals_told_at = forms.DateTimeField(widget=MOMENT, required=False, label="People affected told")
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.filter(security=True).order_by("-created_at"),
        required=False,
        label="Security incident",
        help_text="The incident (in a security category) this breach came from, if any.",
    )

    def __init__(self, *args: Any, user: Any, school: Any = None, breach: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        one_school = self.setup_school(user, school, breach)
        if one_school is not None:
            self.fields["incident"].queryset = self.fields["incident"].queryset.of_school(one_school)


class IcoReportForm(forms.Form):
    reported_at = forms.DateTimeField(widget=MOMENT, label="Reported to the ICO at")
    ico_reference = forms.CharField(max_length=60, required=False, label="ICO case reference")


class BreachTransitionForm(forms.Form):
    action = forms.CharField(max_length=20)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BreachActionForm(ScopedForm):
    text = forms.CharField(max_length=300, label="Action")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due_on = forms.DateField(widget=DATE, required=False)

    def __init__(self, *args: Any, user: Any, breach: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["owner"].queryset = (
            User.objects.filter(is_active=True, is_system_account=False, membership__school_id=breach.school_id)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class FirewallRuleForm(ScopedForm):
    firewall = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.filter(kind__in=(Kind.FIREWALL, Kind.ROUTER, Kind.SERVER)).order_by("name"),
        help_text="The firewall, router or filtering server the rule lives on (from the CMDB).",
    )
    name = forms.CharField(max_length=120, label="Rule", help_text="As the firewall names it.")
    source = forms.CharField(max_length=200, initial="any")
    destination = forms.CharField(max_length=200, initial="any")
    service = forms.CharField(max_length=120, initial="any", help_text="Ports and protocols, e.g. tcp/443.")
    action = forms.ChoiceField(choices=RuleAction.choices)
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    review_months = forms.IntegerField(min_value=1, max_value=36, initial=12, label="Review every (months)")
    review_due = forms.DateField(widget=DATE, required=False, help_text="A year from now if empty.")
    is_active = forms.BooleanField(required=False, initial=True, label="In force")

    def __init__(self, *args: Any, user: Any, rule: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        # The firewalls of the schools the person sees (the service refuses one where they may not keep the register).
        allowed = [s.pk for s in _schools_where(user, access.can_manage_firewall_rules)]
        if rule is not None:
            allowed = [rule.school_id]
            self.fields["firewall"].queryset = self.fields["firewall"].queryset.of_school(rule.school_id)
        self.fields["owner"].queryset = (
            User.objects.filter(is_active=True, is_system_account=False)
            .filter(membership__school_id__in=allowed, membership__role__in=STAFF_ROLES)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class PrivilegedAccountForm(SchoolChoiceMixin, ScopedForm):
    predicate = access.can_view_security

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    account = forms.CharField(max_length=150, help_text="The sign-in name, e.g. HIGHFIELD\\admin.jbloggs.")
    system = forms.CharField(max_length=150, label="Where", help_text="The domain, server, firewall or application.")
    rights = forms.CharField(max_length=150, initial="Administrator", help_text="e.g. Domain Admins.")
    person = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="FITS user")
    holder = forms.CharField(max_length=150, required=False, help_text="Who uses it, when not a FITS user.")
    notes = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.setup_school(user, school, None)
        schools = self.fields["school"].queryset
        self.fields["person"].queryset = (
            User.objects.filter(is_active=True, is_system_account=False, membership__school__in=schools)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class AccountImportForm(SchoolChoiceMixin, ScopedForm):
    predicate = access.can_view_security

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    file = forms.FileField(help_text="CSV with a header row: account, system, rights, holder, username, notes.")

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.setup_school(user, school, None)

    def clean_file(self):
        return attachments.check_import(self.cleaned_data["file"])  # size, and CSV by content (README "Security")


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=AccessReviewItem.Decision.choices[1:])
    note = forms.CharField(max_length=300, required=False)


class SignOffForm(forms.Form):
    next_due = forms.DateField(widget=DATE, required=False, help_text="A term (four months) from now if empty.")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=300, required=False)


class SchoolForm(forms.Form):
    """Which school a POST-only action (starting an access review) is for."""

    school = forms.IntegerField()
