"""Forms of Storage Management: a share, a backup job, a result recorded by hand, an off-site copy, a restore test,
a restore's outcome, the restore expectations, and a pasted e-mail report. Choices are scoped to the person
(fits.forms); the services check the rest (same school, dates, retention)."""

from __future__ import annotations

from typing import Any

from django import forms

from availability.models import Metric, MetricKind
from cmdb.models import ConfigurationItem, Kind
from fits import access
from fits.forms import ScopedForm
from fits.models import STAFF_ROLES, User
from fits.scoping import schools_visible_to
from om.storage.models import (
    WEEKDAYS,
    BackupJob,
    DataClass,
    RestoreKind,
    RestoreOutcome,
    ResultStatus,
    Schedule,
    Share,
    Software,
)

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
SERVER_KINDS = (Kind.SERVER, Kind.STORAGE)


class SchoolChoiceMixin:
    """The school is chosen once, when the record is made: among those where the person keeps storage records."""

    def setup_school(self, user: Any, school: Any, record: Any) -> None:
        if record is not None:
            del self.fields["school"]
            return
        allowed = [s.pk for s in schools_visible_to(user) if access.can_manage_storage.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed).order_by("name")
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
        if len(allowed) == 1:
            self.fields["school"].widget = forms.HiddenInput()
            self.fields["school"].initial = allowed[0]


class ShareForm(SchoolChoiceMixin, ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    server = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.filter(kind__in=SERVER_KINDS).order_by("name"), label="Server or NAS"
    )
    name = forms.CharField(max_length=120, help_text="The share name users see, e.g. Staff$.")
    path = forms.CharField(max_length=300, help_text=r"Where it lives on the server, e.g. D:\Shares\Staff.")
    volume = forms.ModelChoiceField(
        queryset=Metric.objects.filter(kind=MetricKind.DISK).select_related("ci").order_by("ci__name", "key"),
        required=False,
        help_text="The volume it lives on, as capacity monitoring measures it (an SNMP check of the server).",
    )
    used_by = forms.CharField(max_length=200, required=False, label="Who uses it")
    data_class = forms.ChoiceField(choices=DataClass.choices, label="Data")
    notes = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, school: Any = None, share: Share | None = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.setup_school(user, school, share)
        self.fields["volume"].label_from_instance = lambda m: f"{m.ci.name}: {m.label}"


class BackupJobForm(SchoolChoiceMixin, ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=150, help_text="Exactly as the backup software names it: reports match on it.")
    software = forms.ChoiceField(choices=Software.choices)
    cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.filter(kind__in=(*SERVER_KINDS, Kind.SERVICE)).order_by("name"),
        required=False,
        label="Servers and devices it protects",
    )
    shares = forms.ModelMultipleChoiceField(
        queryset=Share.objects.select_related("server").order_by("server__name", "name"), required=False
    )
    protects = forms.CharField(max_length=300, required=False, label="Also protects",
                               help_text="Anything else, in words: the MIS database, mailboxes...")  # fmt: skip
    destination = forms.CharField(max_length=200, help_text="Where the copies go: NAS01 /backups, USB disk, cloud.")
    schedule = forms.ChoiceField(choices=Schedule.choices, initial=Schedule.WEEKDAYS)
    run_at = forms.TimeField(widget=TIME, label="Runs at", initial="22:00")
    weekday = forms.TypedChoiceField(choices=[("", "—"), *WEEKDAYS], coerce=int, empty_value=None, required=False,
                                     label="On (weekly jobs)")  # fmt: skip
    grace_hours = forms.IntegerField(min_value=1, max_value=48, initial=4, label="Result expected within (hours)")
    retention_days = forms.IntegerField(min_value=1, max_value=3650, initial=30, label="Copies kept for (days)",
                                        help_text="How far back a restore can go.")  # fmt: skip
    retention_versions = forms.IntegerField(min_value=1, required=False, label="Versions kept")
    offsite = forms.BooleanField(required=False, label="A copy leaves the site")
    offsite_where = forms.CharField(max_length=200, required=False, label="Off-site where")
    offsite_every_days = forms.IntegerField(min_value=1, max_value=365, required=False, label="Off-site every (days)")
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("username"), required=False)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, user: Any, school: Any = None, job: BackupJob | None = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.setup_school(user, school, job)
        owners = self.fields["owner"].queryset
        self.fields["owner"].queryset = owners.filter(membership__role__in=STAFF_ROLES).distinct()


class ResultForm(forms.Form):
    status = forms.ChoiceField(choices=ResultStatus.choices)
    started_at = forms.DateTimeField(widget=MOMENT, required=False)
    finished_at = forms.DateTimeField(widget=MOMENT)
    size_gb = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, required=False, label="Size (GB)")
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class OffsiteForm(forms.Form):
    at = forms.DateTimeField(widget=MOMENT, required=False, label="When", help_text="Empty: now.")
    note = forms.CharField(max_length=300, required=False)


class RestoreTestForm(ScopedForm):
    tested_on = forms.DateField(widget=DATE)
    restored = forms.CharField(max_length=300, label="What was restored",
                               help_text=r"e.g. S:\Science\Year 9\Forces.pptx to D:\RestoreTest")  # fmt: skip
    restored_from = forms.DateField(widget=DATE, label="Copy of", help_text="The date of the backup restored from.")
    minutes = forms.IntegerField(min_value=0, max_value=100000, label="Time taken (minutes)")
    succeeded = forms.BooleanField(required=False, initial=True, label="It worked: the data opened and was whole")
    verified_by = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("username"))
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was checked and found; paste the log lines or describe the screenshot.",
    )

    def __init__(self, *args: Any, user: Any, job: BackupJob, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        staff = self.fields["verified_by"].queryset.filter(membership__school_id=job.school_id,
                                                           membership__role__in=STAFF_ROLES).distinct()  # fmt: skip
        self.fields["verified_by"].queryset = staff
        self.fields["verified_by"].initial = user.pk


class RestoreCompleteForm(forms.Form):
    outcome = forms.ChoiceField(choices=[c for c in RestoreOutcome.choices if c[0]])
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                           help_text="What could not be restored and why (the user reads this).")  # fmt: skip


class ExpectationsForm(forms.Form):
    """One line per kind of restore: how fast (school hours) and what users should know."""

    def __init__(self, *args: Any, current: dict[str, tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in RestoreKind.choices:
            hours, notes = current[kind]
            self.fields[f"{kind}_hours"] = forms.IntegerField(min_value=1, max_value=400, initial=hours,
                                                              label=f"{label}: within (school hours)")  # fmt: skip
            self.fields[f"{kind}_notes"] = forms.CharField(max_length=300, required=False, initial=notes,
                                                           label=f"{label}: what users should know")  # fmt: skip


class ReportPasteForm(SchoolChoiceMixin, ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 10, "class": "font-monospace"}),
                              label="The e-mail, with its headers",
                              help_text="In your mail program: View source / Show original, copy it all.")  # fmt: skip

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.setup_school(user, school, None)
