"""What every page needs: the menu, the school switcher, the current school."""

from django.conf import settings

from fits.navigation import menu, menu_html


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
        switchable = switchable.filter(pk__in=list(memberships)) if len(memberships) > 1 else []
    return {
        "menu_html": menu_html(menu(user, school, request.path)),
        "current_school": school,
        "switchable_schools": switchable,
        "fits_environment": settings.FITS_ENVIRONMENT,
    }
