"""The school the person is working in, chosen with the school switcher (request.school)."""

from __future__ import annotations

SESSION_KEY = "fits_school_id"


def current_school(request):
    """The chosen school if the user still has a role there; their only school; else None (all)."""
    from fits.models import School

    user = request.user
    if not user.is_authenticated:
        return None
    active = School.objects.filter(is_active=True)
    chosen = request.session.get(SESSION_KEY)
    if user.is_superuser:
        school = active.filter(pk=chosen).first() if chosen is not None else None
        if school is not None:
            return school
        schools = list(active[:2])
        return schools[0] if len(schools) == 1 else None
    # A person's schools are known from their roles (active schools only): one query at most, by primary key,
    # never the list of a consultant's 500 schools on every page.
    visible = user.visible_school_ids
    if chosen in visible:
        return active.filter(pk=chosen).first()
    return active.filter(pk=visible[0]).first() if len(visible) == 1 else None


class CurrentSchoolMiddleware:
    """Sets `request.school`: explicit, per request, never a thread-local (STYLE.md 2.4).

    None means "all my schools" (consultants, administrators, people with several schools).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.school = current_school(request)
        return self.get_response(request)


class QueryTimeoutMiddleware:
    """A page whose statement the database cancelled for running too long answers 503 "took too long", not 500.

    What the request had written is rolled back with its transaction; the connection serves the next request.
    The API answers the same through fits.errors.ExceptionHandler.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from fits.errors import QUERY_TIMEOUT_MESSAGE, is_query_timeout

        if not is_query_timeout(exception):
            return None
        return render(request, "503.html", {"message": QUERY_TIMEOUT_MESSAGE}, status=503)
