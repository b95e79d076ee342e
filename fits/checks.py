"""System checks that keep the scoping rule impossible to forget (DESIGN.md 4.2)."""

from django.apps import apps
from django.core import checks

from fits.scoping import SchoolScopedQuerySet

# Models that relate people to schools rather than belonging to one.
NOT_SCHOOL_OWNED = {"fits.Membership", "fits.Notification"}  # Notification: scoped to its recipient


def _is_history_model(model) -> bool:
    return any(field.name == "history_id" for field in model._meta.fields)


@checks.register(checks.Tags.models)
def check_school_owned_models(app_configs=None, **kwargs):
    """fits.E001: a school-owned model must scope through its default manager.
    fits.E002: a model with a `school` foreign key must be school-owned (fits.scoping.SchoolOwned).
    """
    errors = []
    for model in apps.get_models():
        if _is_history_model(model) or model._meta.label in NOT_SCHOOL_OWNED:
            continue
        if hasattr(model, "school_path"):
            if not isinstance(model._default_manager.get_queryset(), SchoolScopedQuerySet):
                errors.append(
                    checks.Error(
                        f"{model._meta.label} has a school_path but its default manager cannot scope.",
                        hint="Build its manager on fits.scoping.SchoolScopedQuerySet (visible_to).",
                        obj=model,
                        id="fits.E001",
                    )
                )
            continue
        school = next((f for f in model._meta.fields if f.name == "school" and f.is_relation), None)
        if school is not None and school.related_model._meta.label == "fits.School":
            errors.append(
                checks.Error(
                    f"{model._meta.label} belongs to a school but is not school-owned.",
                    hint="Inherit fits.scoping.SchoolOwned so that visible_to(user) scopes it.",
                    obj=model,
                    id="fits.E002",
                )
            )
    return errors
