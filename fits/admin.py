"""Django admin for the core, and the scoped base every app's admin uses."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from fits.models import Activity, Authority, AuthorityRole, Membership, ReferenceSequence, School, User
from fits.scoping import scope_choices


class ScopedAdminMixin:
    """The admin lists only what the signed-in person may see, like every page and endpoint."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user)

    def get_list_filter(self, request):
        # A related filter offers only values found in the visible rows, not every school's.
        return [
            (name, admin.RelatedOnlyFieldListFilter)
            if isinstance(name, str) and "__" not in name and self.model._meta.get_field(name).is_relation
            else name
            for name in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and getattr(field, "queryset", None) is not None:
            field.queryset = scope_choices(field.queryset, request.user)
        return field


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("school",)


class AuthorityRoleInline(admin.TabularInline):
    model = AuthorityRole
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (MembershipInline, AuthorityRoleInline)
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_superuser")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Contact", {"fields": ("job_title", "phone")}),
    )


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "code", "nation")
    search_fields = ("name", "slug", "code")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(School)
class SchoolAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "authority", "phase", "code", "is_active")
    list_filter = ("authority", "phase", "is_active")
    search_fields = ("name", "slug", "code", "postcode")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)


@admin.register(Activity)
class ActivityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "school", "content_type", "object_id", "kind", "actor", "public")
    list_filter = ("kind", "public", "school")
    list_select_related = ("school", "content_type", "actor")
    readonly_fields = [f.name for f in Activity._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("school", "prefix", "last_number")
    readonly_fields = ("school", "prefix", "last_number")
