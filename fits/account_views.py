"""The sign-in pages (README "Security"): password, then the second factor when the person has one; the page to
set up two-factor sign-in; the admin's sign-in sent here; and a network manager's record of their school's sign-ins.

The rules live in fits/authentication.py; these views only wire them to pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View
from django_otp import login as otp_login

from fits import authentication as auth
from fits.authentication import CodeForm, SignInForm


def _safe_next(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else (default or reverse("home"))


class SignInView(auth_views.LoginView):
    """Username and password; someone with two-factor sign-in goes on to the code, signed in only after it."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if auth.has_two_factor(user):
            auth.start_pending(self.request, user, login=form.cleaned_data["username"])
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse('two_factor_verify')}?{query}")
        auth_login(self.request, user)  # rotates the session key (session fixation)
        auth.after_sign_in(self.request, user)
        return redirect(self.get_success_url())


class TwoFactorVerifyView(View):
    """The second step: the code from the authenticator app, or a backup code."""

    template_name = "registration/two_factor_verify.html"

    def _who(self, request: HttpRequest):
        user = auth.pending_user(request)
        if user is None and request.user.is_authenticated and not request.user.is_verified():
            if auth.has_two_factor(request.user):
                return request.user  # signed in another way (an older session): the code is still asked for
        return user

    def get(self, request: HttpRequest) -> HttpResponse:
        user = self._who(request)
        if user is None:
            messages.info(request, "Your sign-in has expired. Enter your username and password again.")
            return redirect("login")
        return render(request, self.template_name, {"form": CodeForm(), "next": _safe_next(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self._who(request)
        if user is None:
            messages.info(request, "Your sign-in has expired. Enter your username and password again.")
            return redirect("login")
        form = CodeForm(request.POST)
        context = {"form": form, "next": _safe_next(request)}
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        login_name = auth.pending_login(request) or user.username
        try:
            with auth.serialised(request, login_name):
                if auth.is_locked_out(request, login_name):
                    request.session.pop(auth.PENDING_KEY, None)
                    return auth.lockout_response(request, None, {"username": login_name})
                device = auth.verify_second_factor(user, form.cleaned_data["token"])
                if device is None:
                    auth.record_failure(request, login_name)
        except PermissionDenied as busy:
            form.add_error(None, str(busy))
            return render(request, self.template_name, context, status=429)
        if device is None:
            if getattr(request, "axes_locked_out", False):
                request.session.pop(auth.PENDING_KEY, None)
                return auth.lockout_response(request, None, {"username": login_name})
            form.add_error("token", "That code is not right, or it has been used. Try the newest code in your app.")
            return render(request, self.template_name, context, status=400)
        auth_login(request, user)  # rotates the session key again, now that both factors are in
        otp_login(request, device)
        auth.after_sign_in(request, user)
        if device.persistent_id.startswith("otp_static"):
            left = auth.backup_codes_left(user)
            messages.warning(request, f"You used a backup code: {left} left. Make new ones on the two-factor page.")
        return redirect(context["next"])


class TwoFactorView(LoginRequiredMixin, View):
    """Your own two-factor sign-in: set it up (QR code and a first code), new backup codes, or turn it off."""

    template_name = "registration/two_factor.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self._context(request, CodeForm()))

    def _context(self, request: HttpRequest, form: CodeForm, **extra) -> dict:
        user = request.user
        enabled = auth.has_two_factor(user)
        context = {
            "form": form,
            "enabled": enabled,
            "required": auth.must_use_two_factor(user),
            "must_enrol": bool(request.session.get(auth.ENROL_KEY)),
            "backup_left": auth.backup_codes_left(user) if enabled else 0,
            "reads_sign_ins": auth.schools_whose_sign_ins(user) != [],
            "next": _safe_next(request),
            **extra,
        }
        if not enabled or extra.get("setting_up"):
            device = auth.totp_device(user, confirmed=False) or auth.two_factor_start(user=user)
            context.update(setting_up=True, qr_svg=auth.qr_svg(device.config_url), secret=auth.base32_key(device))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        action = request.POST.get("action", "confirm")
        form = CodeForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self._context(request, form), status=400)
        token = form.cleaned_data["token"]
        if action == "confirm":
            codes = auth.two_factor_confirm(user=user, token=token)
            if codes is None:
                form.add_error("token", "That code is not right. Check the time on your phone and try the newest code.")
                return render(request, self.template_name, self._context(request, form, setting_up=True), status=400)
            otp_login(request, auth.totp_device(user, confirmed=True))
            request.session.cycle_key()  # a new session key for the newly verified session
            auth.after_sign_in(request, user)
            messages.success(request, "Two-factor sign-in is on. Keep your backup codes somewhere safe.")
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": _safe_next(request)})
        # Renewing the backup codes or turning it off needs a current code, not just an open session.
        device = auth.verify_second_factor(user, token)
        if device is None:
            form.add_error("token", "That code is not right, or it has been used.")
            return render(request, self.template_name, self._context(request, form), status=400)
        if action == "codes":
            codes = auth.backup_codes_renew(user=user)
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": reverse("home")})
        if action == "remove":
            if auth.must_use_two_factor(user):
                form.add_error(None, "Administrators and network managers must keep two-factor sign-in on.")
                return render(request, self.template_name, self._context(request, form), status=400)
            auth.two_factor_remove(user=user)
            messages.success(request, "Two-factor sign-in is off: your password alone signs you in.")
            return redirect("two_factor")
        return redirect("two_factor")


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin signs in through the site's own sign-in (lockout and two-factor included), never its own form."""
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(_safe_next(request, reverse("admin:index")))
        raise PermissionDenied("Only administrators can use the admin.")
    return redirect(f"{reverse('login')}?{urlencode({'next': _safe_next(request, reverse('admin:index'))})}")


class SignInRecordView(LoginRequiredMixin, View):
    """Who signed in, who failed and who was locked out: a network manager sees their own school's people only,
    an administrator everyone (and the full logs in the admin)."""

    template_name = "registration/sign_ins.html"
    paginate_by = 50

    def get(self, request: HttpRequest) -> HttpResponse:
        from django.core.paginator import Paginator

        school_ids = auth.schools_whose_sign_ins(request.user)
        if school_ids == []:
            raise PermissionDenied("Only network managers and administrators can read the record of sign-ins.")
        rows = auth.sign_in_record(school_ids)
        page = Paginator(rows, self.paginate_by).get_page(request.GET.get("page"))
        entries = [
            {
                "username": username,
                "address": address,
                "browser": agent,
                "at": at,
                "outcome": "locked out" if locked else ("signed in" if kind == "signed_in" else "failed"),
            }
            for username, address, agent, at, kind, locked in page.object_list
        ]
        return render(
            request, self.template_name, {"page_obj": page, "entries": entries, "everyone": school_ids is None}
        )
