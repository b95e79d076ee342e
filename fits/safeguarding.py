"""The school's designated safeguarding leads (DSL and deputies), named by its leaders.

They see safeguarding-flagged incidents (incidents.models.IncidentQuerySet.visible_to) and are
told at once when one is logged. Naming them is a school setting, so it is recorded on the
school's own timeline (an internal entry only support staff read).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from fits import access
from fits.models import Activity, School, User


def safeguarding_candidates(school: School):
    """Who may be named: active people with a role at the school (a DSL is often a teacher or the head)."""
    return (
        User.objects.filter(is_active=True, membership__school=school)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


@transaction.atomic
def school_set_safeguarding_leads(*, school: School, leads: Iterable[User], actor: User) -> School:
    """Name the school's designated safeguarding leads (replacing the previous list)."""
    access.require(access.can_manage_safeguarding, actor, school, "Only a school leader names the safeguarding leads.")
    school = School.objects.select_for_update().get(pk=school.pk)
    leads = list(dict.fromkeys(leads))
    outsiders = [person for person in leads if not person.is_active or not access.is_member.test(person, school)]
    if outsiders:
        names = ", ".join(str(person) for person in outsiders)
        raise ValidationError({"leads": f"{names} {'has' if len(outsiders) == 1 else 'have'} no role at {school}."})
    before = sorted(str(person) for person in school.safeguarding_leads.all())
    after = sorted(str(person) for person in leads)
    if before == after:
        return school
    school.safeguarding_leads.set(leads)
    Activity.objects.create(
        school=school,
        content_type=ContentType.objects.get_for_model(School),
        object_id=school.pk,
        kind=Activity.Kind.FIELD,
        actor=actor,
        public=False,
        text=f"Designated safeguarding leads: {', '.join(after) or 'none'}.",
        changes={"safeguarding_leads": [before, after]},
    )
    return school
