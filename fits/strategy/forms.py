"""Forms of the strategy pages: a section's text, the dates, a signature, a new document."""

from __future__ import annotations

from django import forms

from fits.strategy.models import Capacity, DocumentKind
from fits.strategy.services import TEXT_LIMIT

DATE = forms.DateInput(attrs={"type": "date"})


class SectionForm(forms.Form):
    text = forms.CharField(
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 16, "class": "strategy-editor"}),
        help_text="Markdown: a blank line between paragraphs; “- ” or “1. ” for lists; **bold**, *italic*; "
        "“## ” for a sub-heading; [words](https://...) for a link.",
    )


class DatesForm(forms.Form):
    draft_date = forms.DateField(widget=DATE)
    review_date = forms.DateField(widget=DATE)


class SignForm(forms.Form):
    capacity = forms.ChoiceField(choices=Capacity.choices)
    comment = forms.CharField(required=False, max_length=300)


class CreateForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    school = forms.SlugField()
