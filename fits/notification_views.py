"""Pages of notifications: the bell and the list, each person's e-mail setting, and the editor of the
wording of a school's e-mails. Thin: the services live in fits/notifications.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import ListView, View

from fits import access, notifications
from fits.models import EmailFrequency, Notification, NotificationTemplate, School
from fits.scoping import schools_visible_to

# =============================================================================
# The bell and the list
# =============================================================================


class NotificationListView(LoginRequiredMixin, ListView):
    """Your notifications, newest first; opening one marks it read."""

    template_name = "fits/notifications/list.html"
    paginate_by = 25
    context_object_name = "notifications"

    def get_queryset(self):
        rows = Notification.objects.visible_to(self.request.user).select_related("school")
        return rows.unread() if self.request.GET.get("show") == "unread" else rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            unread=Notification.objects.visible_to(user).unread().count(),
            show=self.request.GET.get("show", "all"),
            several_schools=len(user.visible_school_ids) > 1,
            can_edit_templates=_editable_schools(user).exists(),
        )
        return context


def badge(request: HttpRequest) -> HttpResponse:
    """The unread count on the bell (htmx loads it after the page, and refreshes it every minute).

    Signed out (the session ended while the page stayed open): 286, htmx's "stop polling", rather
    than the sign-in page swapped into the bell."""
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    unread = Notification.objects.visible_to(request.user).unread().count()
    return render(request, "fits/notifications/_badge.html", {"unread": unread})


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    notifications.notification_mark_read(notification=notification, actor=request.user)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notifications:list")
    return redirect(target)


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.notification_mark_all_read(actor=request.user)
    messages.success(
        request, f"Marked {count} notification{'s' if count != 1 else ''} read." if count else "Nothing was unread."
    )
    return redirect("notifications:list")


# =============================================================================
# Your e-mail setting
# =============================================================================


class EmailSettingsForm(forms.Form):
    email_frequency = forms.ChoiceField(
        label="E-mail me about my tickets",
        choices=EmailFrequency.choices,
        widget=forms.RadioSelect,
        help_text="Notifications always appear under the bell in the service desk; this is only about e-mail.",
    )


@login_required
def email_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = EmailSettingsForm(request.POST or None, initial={"email_frequency": user.email_frequency})
    if request.method == "POST" and form.is_valid():
        try:
            notifications.user_email_frequency_set(
                user=user, frequency=form.cleaned_data["email_frequency"], actor=user
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved: {EmailFrequency(user.email_frequency).label.lower()}.")
            return redirect("notifications:settings")
    return render(
        request,
        "fits/notifications/settings.html",
        {
            "form": form,
            "deliverable": notifications.is_deliverable(user.email),
            "can_edit_templates": _editable_schools(user).exists(),
        },
    )


# =============================================================================
# The wording of a school's e-mails
# =============================================================================


def _editable_schools(user):
    """The schools whose e-mails `user` may word."""
    schools = schools_visible_to(user)
    if user.is_superuser:
        return schools
    editable = [pk for pk in user.school_roles if access.can_edit_notification_templates.test(user, School(pk=pk))]
    return schools.filter(pk__in=editable)


def _school(request: HttpRequest, slug: str) -> School:
    """A school the person may see (404 for any other, as for a missing one)."""
    return get_object_or_404(schools_visible_to(request.user), slug=slug)


def _event(event: str) -> notifications.Event:
    try:
        return notifications.check_event(event)
    except ValueError as error:
        raise Http404("No such notification.") from error


@login_required
def template_schools(request: HttpRequest) -> HttpResponse:
    """Which school's e-mails to word: the one chosen in the switcher, your only one, or a choice."""
    schools = _editable_schools(request.user)
    if request.school is not None and schools.filter(pk=request.school.pk).exists():
        return redirect("notifications:template_list", slug=request.school.slug)
    choices = list(schools.order_by("name")[:200])
    if len(choices) == 1:
        return redirect("notifications:template_list", slug=choices[0].slug)
    return render(request, "fits/notifications/template_schools.html", {"schools": choices})


@login_required
def template_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The events a school's e-mails are sent for, and whether each has the school's own wording."""
    school = _school(request, slug)
    own = NotificationTemplate.objects.visible_to(request.user).of_school(school.pk).select_related("updated_by")
    own = {template.event: template for template in own}
    rows = [(event, spec, own.get(event)) for event, spec in notifications.EVENTS.items()]
    return render(
        request,
        "fits/notifications/template_list.html",
        {"school": school, "rows": rows, "can_edit": access.can_edit_notification_templates.test(request.user, school)},
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "form-control font-monospace"}))
    body = forms.CharField(
        max_length=10_000, widget=forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 16})
    )


class TemplateEditView(LoginRequiredMixin, View):
    """Word one event's e-mail for a school, with its placeholders and a live preview."""

    template_name = "fits/notifications/template_edit.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()  # to the sign-in page, before anything is looked up
        self.school = _school(request, kwargs["slug"])
        self.event = kwargs["event"]
        self.spec = _event(self.event)
        self.can_edit = access.can_edit_notification_templates.test(request.user, self.school)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        wording = notifications.wording_for(self.school.pk, self.event)
        form = TemplateForm(initial={"subject": wording.subject, "body": wording.body})
        return self.page(form, wording)

    def post(self, request, *args, **kwargs):
        wording = notifications.wording_for(self.school.pk, self.event)
        form = TemplateForm(request.POST)
        if not self.can_edit:
            raise PermissionDenied("Only the network manager or the service desk change the school's e-mails.")
        if form.is_valid():
            try:
                notifications.notification_template_save(
                    school=self.school, event=self.event, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"Saved the school's own wording of “{self.spec.label}”.")
                return redirect("notifications:template_list", slug=self.school.slug)
        return self.page(form, wording)

    def page(self, form: TemplateForm, wording: notifications.Wording) -> HttpResponse:
        data = form.data if form.is_bound else form.initial
        shown = notifications.preview(
            self.event, subject=data.get("subject", ""), body=data.get("body", ""), school=self.school
        )
        if not self.can_edit:
            for field in form.fields.values():
                field.disabled = True
        return render(
            self.request,
            self.template_name,
            {
                "school": self.school,
                "event": self.event,
                "spec": self.spec,
                "form": form,
                "wording": wording,
                "placeholders": notifications.placeholders_for(self.event),
                "preview": shown,
                "can_edit": self.can_edit,
            },
        )


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, problems in by_field.items():
        form.add_error(field if field in form.fields else None, problems)


@login_required
@require_POST
def template_preview(request: HttpRequest, slug: str, event: str) -> HttpResponse:
    """The live preview (htmx): the wording being typed, rendered with a sample ticket."""
    school = _school(request, slug)
    _event(event)
    shown = notifications.preview(
        event, subject=request.POST.get("subject", ""), body=request.POST.get("body", ""), school=school
    )
    return render(request, "fits/notifications/_preview.html", {"preview": shown})


@login_required
@require_POST
def template_reset(request: HttpRequest, slug: str, event: str) -> HttpResponse:
    school = _school(request, slug)
    spec = _event(event)
    try:
        had_own = notifications.notification_template_reset(school=school, event=event, actor=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("notifications:template_list", slug=school.slug)
    if had_own:
        messages.success(request, f"“{spec.label}” is back to the default wording.")
    return redirect("notifications:template_list", slug=school.slug)


app_name = "notifications"
urlpatterns = [
    path("", NotificationListView.as_view(), name="list"),
    path("badge/", badge, name="badge"),
    path("<int:pk>/open/", open_notification, name="open"),
    path("read-all/", read_all, name="read_all"),
    path("settings/", email_settings, name="settings"),
    path("templates/", template_schools, name="templates"),
    path("templates/<slug:slug>/", template_list, name="template_list"),
    path("templates/<slug:slug>/<slug:event>/", TemplateEditView.as_view(), name="template_edit"),
    path("templates/<slug:slug>/<slug:event>/preview/", template_preview, name="template_preview"),
    path("templates/<slug:slug>/<slug:event>/reset/", template_reset, name="template_reset"),
]
