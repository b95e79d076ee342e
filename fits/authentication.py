"""Signing in (README "Security"): lockout, two-factor sign-in, and the sign-in record.

- **Lockout** is django-axes: its backend comes first in AUTHENTICATION_BACKENDS, so a username locked out at an
  address is refused whichever backend would have checked the password (local, a school's directory, the API
  token). Axes counts failures after the password check, so parallel guesses could all pass its "not locked yet"
  test before any of them is counted: `serialised()` takes one attempt at a time for a username and address
  (a lock in the cache, Redis in production, so it holds across web workers), which makes the limit exact.
- **Two-factor sign-in** is django-otp: an authenticator app (TOTP) and ten single-use backup codes. Someone
  with a confirmed device is not signed in by their password alone: `SignInView` keeps them pending in the
  session and `TwoFactorVerifyView` signs them in after the code (the session key is rotated at that moment).
  With FITS_REQUIRE_2FA on, administrators and network managers are sent to set it up before anything else.
- **The record**: axes keeps every sign-in (AccessLog), every failure (AccessFailureLog) and the counts that lock
  (AccessAttempt); administrators read them in the admin, network managers their school's people on a page.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from typing import Any

from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in, user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions, serializers

from fits.models import Membership, Role, User

LOCK_SECONDS = 20  # the longest one sign-in attempt may hold its username's lock (a slow directory)
PENDING_SECONDS = 5 * 60  # how long a password stays good for while the person finds their code
BACKUP_CODES = 10

PENDING_KEY = "fits_2fa_pending"  # session: {"user": pk, "backend": path, "at": epoch seconds}
ENROL_KEY = "fits_2fa_enrol"  # session: this person must set up two-factor sign-in before anything else


# =============================================================================
# Lockout (django-axes)
# =============================================================================


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend (first in AUTHENTICATION_BACKENDS): refuses a locked-out username at its address.

    An authenticate() without a request is no sign-in from the web (a script, a test's `client.login()`): there is
    no address to lock, so it is left to the other backends instead of failing. Every sign-in this site offers
    (the page, the token endpoint, directory sign-in) passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_minutes() -> int:
    return max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))


def lockout_text() -> str:
    return (
        f"Too many failed sign-ins for this account from your network: it is locked here for "
        f"{lockout_minutes()} minutes. Wait and try again, or ask the service desk to have an administrator "
        f"unlock it."
    )


def axes_username(request: Any, credentials: dict | None) -> str | None:
    """The username axes counts failures for: as typed, without case or surrounding spaces."""
    username = (credentials or {}).get("username")
    if username is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get("username") if hasattr(data, "get") else None
    return username.strip().lower() if isinstance(username, str) else username


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """The sign-in page again, saying why, with 429 (axes calls this for a locked-out sign-in)."""
    username = axes_username(request, credentials) or ""
    form = SignInForm(request, initial={"username": username})  # unbound: validating it would try again
    context = {"form": form, "lockout": lockout_text()}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def _client_key(request: Any, username: str | None) -> str:
    from axes.helpers import get_client_ip_address

    address = get_client_ip_address(getattr(request, "_request", request)) or "unknown"
    return f"fits:signin:{(username or '').strip().lower()}:{address}"


@contextlib.contextmanager
def serialised(request: Any, username: str | None) -> Iterator[None]:
    """One sign-in attempt at a time for this username from this address (see the module docstring).

    The cache's add() is atomic (Redis SET NX; the local-memory cache takes a lock), so exactly one waiting attempt
    gets the lock when it is released. An attempt that cannot get it within LOCK_SECONDS is refused.
    """
    key, token = _client_key(request, username), secrets.token_hex(8)
    deadline = time.monotonic() + LOCK_SECONDS
    while not cache.add(key, token, timeout=LOCK_SECONDS):
        if time.monotonic() > deadline:
            raise PermissionDenied("Too many sign-in attempts at once for this account. Try again in a minute.")
        time.sleep(0.01)
    try:
        yield
    finally:
        if cache.get(key) == token:  # an attempt that outlived its lock must not release the next one's
            cache.delete(key)


def is_locked_out(request: Any, username: str) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": username})


def record_failure(request: Any, username: str) -> None:
    """A wrong second factor counts against the lockout like a wrong password."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


# =============================================================================
# Two-factor sign-in (django-otp)
# =============================================================================


def must_use_two_factor(user: User) -> bool:
    """Whether FITS_REQUIRE_2FA applies to this person: administrators and network managers."""
    if not settings.FITS_REQUIRE_2FA or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return Membership.objects.filter(user=user, role=Role.NETWORK_MANAGER).exists()


def has_two_factor(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def totp_device(user: User, *, confirmed: bool | None = None) -> TOTPDevice | None:
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.order_by("-pk").first()


@transaction.atomic
def two_factor_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (replacing any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def two_factor_confirm(*, user: User, token: str) -> list[str] | None:
    """Confirm the pending authenticator with its first code: the new backup codes, or None for a wrong code.

    Confirming replaces any earlier authenticator and backup codes of the person's.
    """
    device = totp_device(user, confirmed=False)
    if device is None or not device.verify_token(_digits(token)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return backup_codes_renew(user=user)


@transaction.atomic
def backup_codes_renew(*, user: User) -> list[str]:
    """Ten new single-use backup codes (the old ones stop working); shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_remove(*, user: User) -> None:
    for device in devices_for_user(user, confirmed=None):
        device.delete()


def _digits(token: str) -> str:
    return "".join((token or "").split())


def verify_second_factor(user: User, token: str):
    """The device that accepts `token` (an authenticator code or an unused backup code), or None."""
    token = _digits(token)
    if not token:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                return device
    return None


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def base32_key(device: TOTPDevice) -> str:
    """The secret in the form authenticator apps accept typed in, in groups of four."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(url: str) -> str:
    """The otpauth:// URL as an inline SVG QR code, drawn on the server (segno)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=5, dark="#182433", light="#ffffff", omitsize=False)


# =============================================================================
# Forms
# =============================================================================


class SignInForm(AuthenticationForm):
    """Django's sign-in form, one attempt at a time per username and address, and a clear lockout message."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            with serialised(self.request, username):
                self.user_cache = authenticate(self.request, username=username, password=password)
        except PermissionDenied as busy:
            raise ValidationError(str(busy), code="busy") from busy
        if getattr(self.request, "axes_locked_out", False):
            raise ValidationError(lockout_text(), code="locked_out")
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )


# =============================================================================
# Sign-in state in the session
# =============================================================================


def start_pending(request: HttpRequest, user: User, *, login: str) -> None:
    """Password accepted, second factor still to come: remember who (and the name they typed, which the lockout
    counts), not signed in yet."""
    request.session[PENDING_KEY] = {"user": user.pk, "backend": user.backend, "login": login, "at": int(time.time())}


def pending_login(request: HttpRequest) -> str | None:
    return (request.session.get(PENDING_KEY) or {}).get("login")


def pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user


def after_sign_in(request: HttpRequest, user: User) -> None:
    """Mark a new session that must set up two-factor sign-in first (FITS_REQUIRE_2FA)."""
    request.session.pop(PENDING_KEY, None)
    if must_use_two_factor(user) and not has_two_factor(user):
        request.session[ENROL_KEY] = True
    else:
        request.session.pop(ENROL_KEY, None)


ALWAYS_ALLOWED = ("two_factor", "two_factor_verify", "logout", "healthz")


class TwoFactorMiddleware:
    """Sends someone who must set up two-factor sign-in to its page (no query: a flag the sign-in left)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(ENROL_KEY):
            allowed = [reverse(name) for name in ALWAYS_ALLOWED]
            if not request.path.startswith((settings.STATIC_URL, *allowed)):
                if request.path.startswith("/api/"):
                    return HttpResponse("Set up two-factor sign-in first.", status=403, content_type="text/plain")
                return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# =============================================================================
# The record of sign-ins (axes' AccessLog and AccessFailureLog)
# =============================================================================


def schools_whose_sign_ins(user: User) -> list[int] | None:
    """The schools whose people's sign-ins `user` may read: a network manager's own; None = every one (admins)."""
    if user.is_superuser:
        return None
    return list(
        Membership.objects.filter(user=user, role=Role.NETWORK_MANAGER, school__is_active=True).values_list(
            "school_id", flat=True
        )
    )


def sign_in_record(school_ids: list[int] | None):
    """Sign-ins, failures and lockouts, newest first, of the people with a role at `school_ids` (None: everyone).

    One query (a UNION of axes' two logs), so a page of it costs the same however long the record is.
    """
    from axes.models import AccessFailureLog, AccessLog
    from django.db.models import BooleanField, CharField, Value
    from django.db.models.functions import Lower

    success, failure = AccessLog.objects.all(), AccessFailureLog.objects.all()
    if school_ids is not None:
        people = (
            User.objects.filter(membership__school_id__in=school_ids).annotate(name=Lower("username")).values("name")
        )
        success, failure = success.filter(username__in=people), failure.filter(username__in=people)
    columns = ("username", "ip_address", "user_agent", "attempt_time")
    success = success.values_list(
        *columns, Value("signed_in", output_field=CharField()), Value(False, output_field=BooleanField())
    )
    failure = failure.values_list(*columns, Value("failed", output_field=CharField()), "locked_out")
    return success.union(failure, all=True).order_by("-attempt_time")


# =============================================================================
# The API token endpoint: the same lockout, and no way round two-factor sign-in
# =============================================================================


class AuthTokenSerializer(serializers.Serializer):
    """Username and password (and `otp`, the current code, for people who use two-factor sign-in)."""

    username = serializers.CharField(write_only=True)
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="The code from the authenticator app (or a backup code), for people with two-factor sign-in.",
    )
    token = serializers.CharField(read_only=True)

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        username, password = attrs["username"], attrs["password"]
        try:
            with serialised(request, username):
                user = authenticate(request=request, username=username, password=password)
                if user is None:
                    self._refuse_if_locked(request)
                    raise serializers.ValidationError("Unable to sign in with these credentials.", code="authorization")
                if has_two_factor(user):
                    if not attrs.get("otp"):
                        raise serializers.ValidationError(
                            {
                                "otp": "This account uses two-factor sign-in: send the current code from the "
                                "authenticator app (or a backup code) as `otp`."
                            },
                            code="otp_required",
                        )
                    if verify_second_factor(user, attrs["otp"]) is None:
                        record_failure(request, username)
                        self._refuse_if_locked(request)
                        raise serializers.ValidationError({"otp": "That code is not right, or it has been used."})
                elif must_use_two_factor(user):
                    raise exceptions.PermissionDenied(
                        "Administrators and network managers must set up two-factor sign-in on the website before "
                        "they can have an API token."
                    )
        except PermissionDenied as busy:
            raise exceptions.Throttled(detail=str(busy)) from busy
        # Recorded like a sign-in on the website (axes' AccessLog; a success clears the failure count).
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        attrs["user"] = user
        return attrs

    @staticmethod
    def _refuse_if_locked(request: Any) -> None:
        if getattr(request, "axes_locked_out", False):
            raise exceptions.Throttled(detail=lockout_text())
