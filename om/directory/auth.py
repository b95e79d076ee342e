"""Sign-in with a school's directory account (django-auth-ldap), for schools whose settings turn it on.

A person signs in as `user@domain` (the school's sign-in domain, e.g. jsmith@highfield.sch.uk) or `SCHOOL\\user`
(the school's slug: HIGHFIELD\\jsmith). The backend finds the school from that, binds to its directory with the
school's own settings (django-auth-ldap's settings are built per sign-in, not read from AUTH_LDAP_*), and the
person's local account is `user@slug` (created on first sign-in, without a usable password). Their groups map to
FITS roles at that school (DirectorySettings.role_map): a person in no mapped group is refused with a message.
A plain username (no domain, no school) is not this backend's business: local accounts sign in as before.
"""

from __future__ import annotations

from typing import Any

import ldap
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django_auth_ldap.backend import LDAPBackend
from django_auth_ldap.config import GroupOfNamesType, LDAPSearch, LDAPSettings

from om.directory.models import DirectorySettings, Security


def school_settings_for(login: str) -> tuple[DirectorySettings, str] | None:
    """The settings of the school a sign-in name points at, and the directory username; None when it points at none."""
    login = login.strip()
    if "\\" in login:
        slug, _, user = login.partition("\\")
        config = DirectorySettings.objects.filter(school__slug__iexact=slug, signin_enabled=True).first()
    elif "@" in login:
        user, _, domain = login.rpartition("@")
        config = DirectorySettings.objects.filter(upn_suffix__iexact=domain, signin_enabled=True).first()
    else:
        return None
    if config is None or not user or not config.school.is_active:
        return None
    return config, user


def ldap_settings(config: DirectorySettings) -> LDAPSettings:
    """django-auth-ldap's settings for one school's directory."""
    options: dict[Any, Any] = {
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_NETWORK_TIMEOUT: config.timeout_seconds,
        ldap.OPT_TIMEOUT: config.timeout_seconds,
    }
    if config.security != Security.NONE:
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = (
            ldap.OPT_X_TLS_DEMAND if config.verify_certificate else ldap.OPT_X_TLS_NEVER
        )
        options[ldap.OPT_X_TLS_NEWCTX] = 0
    found = LDAPSettings(prefix="FITS_DIRECTORY_UNUSED_", defaults={})
    attribute = config.default("username_attribute")
    user_filter = f"(&{config.default('user_filter')}({attribute}=%(user)s))"
    found.SERVER_URI = " ".join(config.uris)
    found.BIND_DN, found.BIND_PASSWORD = config.bind_dn, config.bind_password
    found.START_TLS = config.security == Security.START_TLS
    found.CONNECTION_OPTIONS = options
    found.USER_SEARCH = LDAPSearch(config.user_base_dn or config.base_dn, ldap.SCOPE_SUBTREE, user_filter)
    found.GROUP_SEARCH = LDAPSearch(
        config.group_base_dn or config.base_dn, ldap.SCOPE_SUBTREE, config.default("group_filter")
    )
    found.GROUP_TYPE = GroupOfNamesType(name_attr="cn")
    found.USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    found.ALWAYS_UPDATE_USER = True
    found.MIRROR_GROUPS = False
    found.FIND_GROUP_PERMS = False
    found.CACHE_TIMEOUT = 0
    return found


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap, one school's directory at a time (see the module docstring)."""

    config: DirectorySettings | None = None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        found = school_settings_for(username)
        if found is None:
            return None
        self.config, directory_user = found
        self.settings = ldap_settings(self.config)
        return super().authenticate(request, username=directory_user, password=password)

    def ldap_to_django_username(self, username: str) -> str:
        return f"{username}@{self.config.school.slug}".lower()

    def django_to_ldap_username(self, username: str) -> str:
        return username.rsplit("@", 1)[0]

    def authenticate_ldap_user(self, ldap_user, password):
        from om.directory.services import signin_apply

        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        request = getattr(ldap_user, "_request", None)
        if not user.is_active:
            return None
        try:
            signin_apply(
                school=self.config.school,
                user=user,
                account_dn=ldap_user.dn,
                username=self.django_to_ldap_username(user.username),
                group_names=set(ldap_user.group_names),
            )
        except PermissionDenied as refusal:
            if request is not None:
                messages.error(request, str(refusal), fail_silently=True)
            return None
        return user

    def get_user(self, user_id):
        """The signed-in person, without touching the directory on every request."""
        model = self.get_user_model()
        return model.objects.filter(pk=user_id).first()

    def get_all_permissions(self, user, obj=None):
        return set()  # FITS decides what people may do (fits/access.py), not Django permissions

    def get_group_permissions(self, user, obj=None):
        return set()
