"""Forms of monitoring: a check on a CI, the school's monitoring settings, an SNMP credential.

They only gather and scope the choices; availability/services.py validates and saves (and says what is wrong).
"""

from __future__ import annotations

from typing import Any

from django import forms

from availability.models import Check, CheckKind, SnmpCredential, State
from availability.services import PROTOCOLS
from cmdb.models import ConfigurationItem, LifecycleStatus
from fits import access
from fits.forms import ScopedForm
from fits.scoping import schools_visible_to


class CheckFilterForm(forms.Form):
    """The checks list's filters (the same names as availability.filters.CheckFilterSet, which applies them)."""

    q = forms.CharField(label="Search", required=False)
    state = forms.ChoiceField(choices=[("", "Any state"), *State.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *CheckKind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *Check.Status.choices], required=False)


class CheckForm(ScopedForm):
    """A check on a CI: what to test, how often, and how patiently."""

    ci = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.hardware().filter(status=LifecycleStatus.LIVE).order_by("name"),
        label="Configuration item",
    )
    kind = forms.ChoiceField(choices=CheckKind.choices)
    name = forms.CharField(max_length=100, required=False, help_text="Empty: the kind of check (e.g. “Ping”).")
    target = forms.CharField(
        max_length=255,
        required=False,
        help_text="Host name, address or (web page checks) the page's URL. Empty: the CI's management address.",
    )
    port = forms.IntegerField(required=False, min_value=1, max_value=65535, help_text="TCP checks: the port.")
    expect_status = forms.IntegerField(initial=200, min_value=100, max_value=599, label="Expected HTTP status")
    verify_tls = forms.BooleanField(required=False, initial=True, label="Verify the certificate (HTTPS)")
    dns_server = forms.CharField(
        max_length=255,
        required=False,
        label="DNS server",
        help_text="DNS checks: the server to ask (e.g. the domain controller). Empty: this machine's resolver.",
    )
    snmp_credential = forms.ModelChoiceField(
        queryset=SnmpCredential.objects.all(),
        required=False,
        empty_label="None: v2c community “public”",
        label="SNMP credential",
        help_text="SNMP checks: a credential of the CI's school.",
    )
    interval_seconds = forms.IntegerField(initial=300, min_value=1, label="Interval (seconds)",
                                          help_text="From 30 seconds to a day (86400).")  # fmt: skip
    timeout_seconds = forms.FloatField(initial=2.0, min_value=0.1, label="Timeout (seconds)",
                                       help_text="Shorter than the interval.")  # fmt: skip
    retries = forms.IntegerField(initial=1, min_value=0, max_value=5)
    failures_before_down = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=20,
        label="Failures before down",
        help_text="Failed runs in a row before the check counts as down. Empty: the school's setting.",
    )

    fields_saved = (
        "kind", "name", "target", "port", "expect_status", "verify_tls", "dns_server", "snmp_credential",
        "interval_seconds",
        "timeout_seconds", "retries", "failures_before_down",
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, check: Check | None = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if check is not None:
            self.fields["ci"].disabled = True
            self.fields["ci"].queryset = ConfigurationItem.objects.visible_to(user).filter(pk=check.ci_id)

    @staticmethod
    def initial_from(check: Check) -> dict[str, Any]:
        return {"ci": check.ci_id, **{name: getattr(check, name) for name in CheckForm.fields_saved}}


class SettingsForm(forms.Form):
    """The school's monitoring settings (services.settings_save checks the ranges)."""

    queue = forms.CharField(
        max_length=60,
        required=False,
        label="Poller queue",
        help_text="Empty: the shared “monitoring” queue. A name (e.g. monitoring.highfield) sends this school's "
        "checks to a poller inside its own network (README: a poller in a school).",
    )
    failures_before_down = forms.IntegerField(
        min_value=1, max_value=20, label="Failures before down", help_text="Failed runs in a row before down."
    )
    raw_retention_days = forms.IntegerField(min_value=1, label="Keep raw results (days)")
    hourly_retention_days = forms.IntegerField(min_value=1, label="Keep hourly rollups (days)")
    alerts_enabled = forms.BooleanField(required=False, label="Open incidents when a monitored CI goes down")


class CredentialForm(ScopedForm):
    """An SNMP credential. Community strings and keys are write-only: left empty, the stored ones are kept."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=100)
    version = forms.ChoiceField(choices=SnmpCredential.Version.choices)
    community = forms.CharField(max_length=100, required=False, widget=forms.PasswordInput(render_value=False),
                                help_text="SNMP v2c.")  # fmt: skip
    username = forms.CharField(max_length=100, required=False, label="v3 user")
    auth_protocol = forms.ChoiceField(choices=[(p, p) for p in PROTOCOLS["auth_protocol"]], initial="SHA",
                                      label="Authentication protocol")  # fmt: skip
    auth_key = forms.CharField(max_length=200, required=False, widget=forms.PasswordInput(render_value=False),
                               label="Authentication key")  # fmt: skip
    priv_protocol = forms.ChoiceField(choices=[(p, p) for p in PROTOCOLS["priv_protocol"]], initial="AES",
                                      label="Privacy protocol")  # fmt: skip
    priv_key = forms.CharField(max_length=200, required=False, widget=forms.PasswordInput(render_value=False),
                               label="Privacy key")  # fmt: skip
    port = forms.IntegerField(initial=161, min_value=1, max_value=65535)

    def __init__(self, *args: Any, user: Any, credential: SnmpCredential | None = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        schools = [s.pk for s in schools_visible_to(user) if access.can_configure_monitoring.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=schools).order_by("name")
        if credential is not None:
            self.fields["school"].disabled = True
            for name in ("community", "auth_key", "priv_key"):
                if getattr(credential, name):
                    self.fields[name].help_text = "Stored (never shown). Leave empty to keep it; type to replace it."
