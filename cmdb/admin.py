"""The CMDB in the Django admin: for looking, not for changing.

Items, ports, cables and relationships change through the pages, the API and the import, whose
services keep what the admin would not: cable endpoints traced again, the timeline and the history
written with who did it, and the school boundary. So every model here is read-only.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cmdb.models import Cable, ConfigurationItem, Licence, LicenceSeat, Location, Port, Relationship, SoftwareProduct
from fits.admin import ScopedAdminMixin


class ReadOnlyAdminMixin(ScopedAdminMixin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "status", "school", "location", "serial", "asset_tag", "updated_at")
    list_filter = ("school", "kind", "status")
    list_select_related = ("school", "location__parent__parent")
    search_fields = ("name", "serial", "asset_tag", "uuid", "management_address")


@admin.register(Location)
class LocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "school")
    list_filter = ("school", "kind")
    list_select_related = ("school", "parent__parent")
    search_fields = ("name",)


@admin.register(Port)
class PortAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "ci", "kind", "mac", "is_uplink", "cable", "school")
    list_filter = ("school", "kind", "is_uplink")
    list_select_related = ("school", "ci", "cable")
    search_fields = ("name", "mac", "ci__name")


@admin.register(Cable)
class CableAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "a_port", "b_port", "type", "school")
    list_filter = ("school", "type")
    list_select_related = ("school", "a_port__ci", "b_port__ci")
    search_fields = ("label",)


@admin.register(Relationship)
class RelationshipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("source", "kind", "target", "school")
    list_filter = ("school", "kind")
    list_select_related = ("school", "source", "target")


@admin.register(SoftwareProduct)
class SoftwareProductAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "publisher", "school")
    list_filter = ("school",)
    list_select_related = ("school",)
    search_fields = ("name", "publisher")


class LicenceSeatInline(admin.TabularInline):
    model = LicenceSeat
    extra = 0
    fields = ("ci", "user", "assigned_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("product", "model", "seats", "expires_on", "school")
    list_filter = ("school", "model")
    list_select_related = ("school", "product")
    inlines = (LicenceSeatInline,)
