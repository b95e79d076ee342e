"""What every page needs: the menu, the school switcher, the current school."""

from django.conf import settings
from django.utils.html import format_html_join

from fits.navigation import menu, menu_html
from fits.scoping import among


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    school = getattr(request, "school", None)
    memberships = user.school_roles
    from fits.models import School

    switchable = School.objects.filter(is_active=True).only("pk", "name", "slug")
    if not user.is_superuser:
        # Someone of one school has nothing to switch to: no query for the switcher on their every page.
        switchable = switchable.filter(among("pk", memberships)) if len(memberships) > 1 else []

    def school_options() -> str:
        """The switcher's <option>s in one pass (a consultant's 500 schools through the template loop cost more);
        called by the template only when it shows the switcher, over the rows it has already read."""
        chosen = school.pk if school is not None else None
        rows = ((s.slug, " selected" if s.pk == chosen else "", s.name) for s in switchable)
        return format_html_join("", '<option value="{}"{}>{}</option>', rows)

    return {
        "menu_html": menu_html(menu(user, school, request.path)),
        "current_school": school,
        "switchable_schools": switchable,
        "school_options": school_options,
        "fits_environment": settings.FITS_ENVIRONMENT,
    }
