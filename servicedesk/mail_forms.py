"""Forms of the e-mail intake pages: the support mailbox's settings, accepting held mail."""

from __future__ import annotations

from typing import Any

from django import forms

from fits.forms import ScopedForm
from fits.models import AuthorityRoleKind, Role, User
from fits.scoping import scope_choices
from servicedesk.models import Mailbox, UnknownSenderPolicy


class MailboxForm(forms.Form):
    """The school's support address and the IMAP mailbox behind it. The password is never shown back."""

    support_email = forms.EmailField(
        label="ICT support e-mail address",
        required=False,
        help_text="The address users write to. Notifications are sent from it, and replies come back to it.",
    )
    host = forms.CharField(label="IMAP server", max_length=200, help_text="e.g. outlook.office365.com")
    security = forms.ChoiceField(choices=Mailbox.Security.choices, initial=Mailbox.Security.SSL)
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993, help_text="993 for SSL/TLS, 143 for STARTTLS.")
    username = forms.CharField(label="User name", max_length=200, help_text="Usually the mailbox's address.")
    password = forms.CharField(
        max_length=200,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="An app password if the provider asks for one. Leave blank to keep the saved password.",
    )
    folder = forms.CharField(max_length=100, initial="INBOX", help_text="The folder to read, usually INBOX.")
    unknown_senders = forms.ChoiceField(
        label="Mail from unknown senders",
        choices=UnknownSenderPolicy.choices,
        initial=UnknownSenderPolicy.HOLD,
        widget=forms.RadioSelect,
        help_text="Senders whose address matches nobody with a role at the school.",
    )
    is_active = forms.BooleanField(label="Poll this mailbox every two minutes", required=False, initial=True)


# Who a held message can be logged for: anyone with a role at its school.
EVERY_ROLE = frozenset(Role.values) | frozenset(AuthorityRoleKind.values)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, person: User) -> str:
        return f"{person} ({person.email})" if person.email else str(person)


class AcceptForm(ScopedForm):
    """Accept held mail: log it for a person of the school, or for the sender as a new ICT user."""

    reporter = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Log it for",
        empty_label="Choose a person…",
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="The person at the school the e-mail is about (the caller).",
    )
    new_user = forms.BooleanField(
        required=False,
        label="Create an ICT user for the sender",
        help_text="They get a login without a password; the school can set one later.",
    )

    def __init__(self, *args: Any, school: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.with_role_at(school.pk, EVERY_ROLE).order_by("first_name", "last_name", "username")
        self.fields["reporter"].queryset = scope_choices(people, self.user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("reporter") and not data.get("new_user"):
            raise forms.ValidationError("Choose who the ticket is for, or create a user for the sender.")
        if data.get("reporter") and data.get("new_user"):
            raise forms.ValidationError("Choose a person or create a user for the sender, not both.")
        return data
