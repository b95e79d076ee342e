"""The admin's view of monitoring: read-mostly. Checks, settings and credentials change through the pages and the
API (their services validate them); SNMP secrets are never shown here either."""

from django.contrib import admin

from availability.models import Check, MonitoringSettings, Outage, SnmpCredential
from fits.admin import ScopedAdminMixin


@admin.register(Check)
class CheckAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "ci", "school", "kind", "status", "state", "last_checked_at")
    list_filter = ("school", "kind", "status", "state")
    list_select_related = ("ci", "school")
    search_fields = ("name", "target", "ci__name")
    raw_id_fields = ("ci", "snmp_credential")
    readonly_fields = ("state", "state_since", "consecutive_failures", "last_checked_at", "last_latency_ms",
                       "last_message", "next_run_at", "leased_until")  # fmt: skip


@admin.register(Outage)
class OutageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("ci", "school", "kind", "started_at", "ended_at", "planned", "incident")
    list_filter = ("school", "kind", "planned")
    list_select_related = ("ci", "school", "incident")
    raw_id_fields = ("ci", "cause", "incident")


@admin.register(MonitoringSettings)
class MonitoringSettingsAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("school", "queue", "failures_before_down", "raw_retention_days", "alerts_enabled", "poller_seen_at")
    list_select_related = ("school",)


@admin.register(SnmpCredential)
class SnmpCredentialAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Names and users only: community strings and keys are write-only (the credentials page sets them)."""

    list_display = ("name", "school", "version", "username", "port")
    list_filter = ("school", "version")
    list_select_related = ("school",)
    exclude = ("community", "auth_key", "priv_key")
