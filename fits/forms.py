"""Base forms that apply the scoping rule to every related-field choice."""

from __future__ import annotations

from typing import Any

from django import forms

from fits.scoping import scope_choices


def restrict_choices(form: forms.BaseForm, user: Any) -> None:
    """Narrow every model choice field to what `user` may see, so nobody picks another school's record."""
    for field in form.fields.values():
        if getattr(field, "queryset", None) is not None:
            field.queryset = scope_choices(field.queryset, user)


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
