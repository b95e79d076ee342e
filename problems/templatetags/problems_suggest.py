"""Known errors suggested on an incident's page (Problem Management feeds Incident Management).

A template tag, so that the incidents app never imports Problem Management (apps depend downward):
the incident page asks for `{% known_error_suggestions incident %}` and gets the workarounds of open
known errors on the same CI, or whose symptom shares words with the incident's summary.
"""

from __future__ import annotations

import re

from django import template
from django.db.models import Q

from problems.models import OPEN_STATUSES, KnownError

register = template.Library()

LIMIT = 3


@register.inclusion_tag("problems/_known_error_suggestions.html", takes_context=True)
def known_error_suggestions(context, incident) -> dict:
    user = context["request"].user
    known = KnownError.objects.visible_to(user).published().filter(school_id=incident.school_id)
    known = known.filter(problem__status__in=OPEN_STATUSES).select_related("problem")
    words = [word for word in re.findall(r"\w+", incident.title) if len(word) > 3][:6]
    matches = Q(problem__ci_id=incident.ci_id) if incident.ci_id else Q(pk__in=[])
    for word in words:
        matches |= Q(symptom__icontains=word)
    linked = incident.problems.values("pk") if incident.pk else []
    return {
        "incident": incident,
        "suggestions": list(known.filter(matches).exclude(problem__in=linked).order_by("-created_at")[:LIMIT]),
    }
