"""Base forms that apply the scoping rule to every related-field choice."""

from __future__ import annotations

from typing import Any

from django import forms

from fits.models import School
from fits.scoping import SchoolScopedQuerySet


def restrict_choices(form: forms.BaseForm, user: Any) -> None:
    """Narrow every model choice field to what `user` may see, so nobody picks another school's record."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if isinstance(queryset, SchoolScopedQuerySet):
            field.queryset = queryset.visible_to(user)
        elif queryset is not None and queryset.model is School and not user.is_superuser:
            field.queryset = queryset.filter(pk__in=user.visible_school_ids)


class ScopedForm(forms.Form):
    """A plain form whose model choices are scoped to the user."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        restrict_choices(self, user)


class ScopedModelForm(forms.ModelForm):
    """A model form whose related-field choices are scoped to the user."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        restrict_choices(self, user)
