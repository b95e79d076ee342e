"""Forms of the service desk pages: knowledge articles."""

from __future__ import annotations

from typing import Any

from django import forms

from fits import access
from fits.forms import ScopedForm
from fits.models import School
from servicedesk.models import Audience


class ArticleForm(ScopedForm):
    """Write or edit a knowledge article. `school` is offered only when writing a new one."""

    school = forms.ModelChoiceField(queryset=School.objects.all(), empty_label=None)
    title = forms.CharField(max_length=200, help_text="What the reader wants to do, e.g. Connecting to the Wi-Fi.")
    summary = forms.CharField(max_length=300, required=False, help_text="One or two sentences: what it solves.")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}), help_text="Plain text; blank lines separate paragraphs."
    )
    audience = forms.ChoiceField(choices=Audience.choices, initial=Audience.EVERYONE)

    def __init__(self, *args: Any, school: Any = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["school"]
            return
        writable = [s.pk for s in self.fields["school"].queryset if access.can_write_articles.test(self.user, s)]
        self.fields["school"].queryset = self.fields["school"].queryset.filter(pk__in=writable)
        if school is None and len(writable) == 1:
            school = self.fields["school"].queryset.first()
        if school is not None and school.pk in writable:
            self.fields["school"].initial = school.pk
            self.fields["school"].widget = forms.HiddenInput()

    @property
    def has_schools(self) -> bool:
        return "school" not in self.fields or self.fields["school"].queryset.exists()
