"""The e-mail intake pages: inbound mail for the desk (held and failed first), each message with its
headers, text and attachments, and the school's support mailbox settings for the network manager.

Thin views: reading starts from `InboundMessage.objects.visible_to(user)` (support staff of the school),
narrowed by `mail.inbound_for` (never the mail of a ticket the user may not see); every change is a
service of servicedesk.mail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import DetailView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView

from fits import access, activity
from fits.scoping import schools_visible_to
from fits.views import ScopedViewMixin, ServiceErrorMixin
from servicedesk import mail
from servicedesk.mail_filters import InboundMessageFilterSet
from servicedesk.mail_forms import AcceptForm, MailboxForm
from servicedesk.models import InboundMessage, Mailbox

Outcome = InboundMessage.Outcome
OUTCOME_COLOURS = {
    Outcome.RECEIVED: "blue",
    Outcome.CREATED: "green",
    Outcome.COMMENTED: "azure",
    Outcome.HELD: "yellow",
    Outcome.FAILED: "red",
    Outcome.REJECTED: "orange",
}
# The headers worth showing on a message's page, in this order.
SHOWN_HEADERS = ("From", "Sender", "Reply-To", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To",
                 "References", "Auto-Submitted", "Precedence", "Return-Path", "X-Mailer", "User-Agent")  # fmt: skip


def _badge(message: InboundMessage) -> InboundMessage:
    message.colour = OUTCOME_COLOURS.get(message.outcome, "secondary")
    return message


class InboundMixin(ScopedViewMixin):
    """Inbound mail the user may read: their schools' (support staff only), never a hidden ticket's."""

    model = InboundMessage

    def get_queryset(self):
        return mail.inbound_for(super().get_queryset(), self.request.user).select_related("school", "ticket")


class InboundListView(InboundMixin, FilterView):
    """Every message the school's support address received: held and failed first, then the newest."""

    filterset_class = InboundMessageFilterSet
    template_name = "servicedesk/mail/inbound_list.html"
    paginate_by = 25

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not request.user.is_superuser and not request.user.staff_school_ids:
            raise PermissionDenied("Inbound mail is read by the school's service desk and technicians.")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return mail.inbound_order(super().get_queryset().defer("raw"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, getattr(self.request, "school", None)
        for message in context["object_list"]:
            _badge(message)
        waiting = InboundMixin.get_queryset(self).aggregate(
            held=Count("pk", filter=Q(outcome=Outcome.HELD)), failed=Count("pk", filter=Q(outcome=Outcome.FAILED))
        )
        mailboxes = Mailbox.objects.visible_to(user).select_related("school").order_by("school__name")
        if school is not None:
            mailboxes = mailboxes.of_school(school.pk)
        context.update(
            waiting=waiting,
            outcomes=Outcome.choices,
            chosen=self.request.GET.getlist("outcome"),
            mailboxes=list(mailboxes),
            can_manage=access.here_or_anywhere(access.can_manage_mailbox).test(user, school),
        )
        return context


class InboundDetailView(InboundMixin, DetailView):
    """One message as received: its headers, its text, its attachments and what became of it."""

    narrow_to_current_school = False
    template_name = "servicedesk/mail/inbound_detail.html"
    context_object_name = "message"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        message, user = _badge(self.object), self.request.user
        raw = bytes(message.raw)
        try:
            parsed = mail.parse_message(raw)
        except mail.UnreadableMessage as error:
            parsed, context["unreadable"] = None, str(error)
        if parsed is not None:
            headers = {name.lower(): value for name, value in reversed(parsed.headers)}
            context["headers"] = [(name, headers[name.lower()]) for name in SHOWN_HEADERS if name.lower() in headers]
        can_triage = access.can_triage_mail.test(user, message)
        context.update(
            parsed=parsed,
            size=len(raw),
            can_triage=can_triage,
            history=activity.timeline(message, include_internal=True),
            accept_form=AcceptForm(user=user, school=message.school) if can_triage else None,
        )
        return context


class InboundRawView(InboundMixin, SingleObjectMixin, View):
    """The message exactly as received, as a .eml download: never shown inline, whatever it contains."""

    narrow_to_current_school = False

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        message = self.get_object()
        response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class InboundActionView(InboundMixin, ServiceErrorMixin, SingleObjectMixin, View):
    """Base of the desk's POST actions on one message: fetch it (404 if not visible), call one service."""

    narrow_to_current_school = False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        try:
            target = self.act()
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            target = None
        return HttpResponseRedirect(target or reverse("mail:inbound_detail", kwargs={"pk": self.object.pk}))

    def act(self) -> str | None:
        raise NotImplementedError


class InboundAcceptView(InboundActionView):
    def act(self) -> str | None:
        form = AcceptForm(self.request.POST, user=self.request.user, school=self.object.school)
        if not form.is_valid():
            raise ValidationError([error for errors in form.errors.values() for error in errors])
        ticket = mail.inbound_accept(
            message=self.object,
            actor=self.request.user,
            reporter=form.cleaned_data["reporter"],
            new_user=form.cleaned_data["new_user"],
        )
        messages.success(self.request, f"{ticket.reference} logged for {ticket.reporter} from the e-mail.")
        return ticket.get_absolute_url()


class InboundDiscardView(InboundActionView):
    def act(self) -> str | None:
        mail.inbound_discard(message=self.object, actor=self.request.user)
        messages.success(self.request, "Message discarded. It stays stored, marked discarded.")
        return reverse("mail:inbound_list")


class InboundRetryView(InboundActionView):
    def act(self) -> str | None:
        message = mail.inbound_retry(message=self.object, actor=self.request.user)
        if message.outcome == Outcome.FAILED:
            messages.error(self.request, f"Still could not be read: {message.error}")
        else:
            messages.success(self.request, f"Read again: {message.get_outcome_display().lower()}.")
        return None


# =============================================================================
# The school's support mailbox
# =============================================================================


class MailboxSettingsView(LoginRequiredMixin, ServiceErrorMixin, TemplateView):
    """The support address and IMAP mailbox of a school: save, or test the connection before saving."""

    template_name = "servicedesk/mail/mailbox.html"

    def schools(self) -> list[Any]:
        user = self.request.user
        return [school for school in schools_visible_to(user) if access.can_manage_mailbox.test(user, school)]

    def chosen(self, schools: list[Any], slug: str) -> Any:
        school = next((s for s in schools if s.slug == slug), None)
        current = getattr(self.request, "school", None)
        if school is None and not slug and current is not None:
            school = next((s for s in schools if s.pk == current.pk), None)
        if school is None and not slug and len(schools) == 1:
            school = schools[0]
        return school

    def mailbox_of(self, school: Any) -> Mailbox | None:
        return Mailbox.objects.visible_to(self.request.user).of_school(school.pk).first()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        schools = self.schools()
        if not schools:
            messages.error(request, "The school's network manager sets up the support mailbox.")
            return redirect("mail:inbound_list" if request.user.staff_school_ids else "home")
        slug = request.GET.get("school", "")
        school = self.chosen(schools, slug)
        if slug and school is None:  # not one of theirs (or no such school): let them choose
            messages.error(request, "You do not set up the support mailbox of that school: choose one of yours.")
        form = None
        if school is not None:
            mailbox = self.mailbox_of(school)
            initial = {"support_email": school.support_email}
            if mailbox is not None:
                initial.update({name: getattr(mailbox, name) for name in mail.MAILBOX_FIELDS})
            form = MailboxForm(initial=initial)
        return self.render_to_response(self.context(schools, school, form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        schools = self.schools()
        school = next((s for s in schools_visible_to(request.user) if s.slug == request.POST.get("school")), None)
        if school is None:
            raise Http404("No such school.")
        form = MailboxForm(request.POST)
        if form.is_valid():
            data = {name: value for name, value in form.cleaned_data.items()}
            if request.POST.get("action") == "test":
                self.test(school, data)
            else:
                try:
                    mail.mailbox_configure(school=school, actor=request.user, **data)
                except (ValidationError, PermissionDenied) as error:
                    self._form_errors(form, error)
                else:
                    messages.success(request, f"The support mailbox of {school.name} is saved.")
                    return redirect(f"{reverse('mail:mailbox')}?school={school.slug}")
        return self.render_to_response(self.context(schools, school, form))

    def test(self, school: Any, data: dict[str, Any]) -> None:
        """Sign in with the settings on the form (the saved password when none is typed); save nothing."""
        if not access.can_manage_mailbox.test(self.request.user, school):
            messages.error(self.request, "Only the network manager sets up the support mailbox.")
            return
        saved = self.mailbox_of(school)
        trial = Mailbox(school=school, **{name: data[name] for name in mail.MAILBOX_FIELDS})
        trial.password = data.get("password") or (saved.password if saved else "")
        try:
            messages.success(self.request, mail.mailbox_check(mailbox=trial))
        except mail.MailboxUnavailable as error:
            messages.error(self.request, f"Connection test failed: {error}")

    def _form_errors(self, form: MailboxForm, error: Exception) -> None:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            self.report_service_error(error)

    def context(self, schools: list[Any], school: Any, form: MailboxForm | None) -> dict[str, Any]:
        mailbox = self.mailbox_of(school) if school is not None else None
        return self.get_context_data(schools=schools, school=school, form=form, mailbox=mailbox)
