"""Talking to a school's directory with python-ldap: bind, paged searches, and the few writes FITS makes.

Every failure becomes a `DirectoryError` whose message says what went wrong in words a network manager can act on
(cannot reach the server, the bind account or password is wrong, the certificate is not trusted, timed out).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ldap
from ldap.controls import SimplePagedResultsControl

from om.directory.models import DirectorySettings, Security

PAGE_SIZE = 500  # Active Directory answers at most 1000 entries a page (MaxPageSize)

# Operational attributes asked for with every entry: identity and change stamps.
OPERATIONAL = ["objectGUID", "entryUUID", "uSNChanged", "whenChanged", "modifyTimestamp", "entryCSN"]


class DirectoryError(Exception):
    """The directory could not be read or written; the message says why, for the sync run or the page."""


def _message(error: ldap.LDAPError, uri: str, bind_dn: str) -> str:
    info = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    detail = (info.get("info") or info.get("desc") or str(error)).strip()
    if isinstance(error, ldap.INVALID_CREDENTIALS):
        return f"Cannot bind as {bind_dn}: the account or its password is wrong ({detail})."
    if isinstance(error, ldap.SERVER_DOWN):
        if "certificate" in detail.lower() or "tls" in detail.lower():
            return f"TLS failure talking to {uri}: {detail}. Check the CA certificate, or the server's name."
        return f"Cannot reach {uri}: {detail}. Is the server up and the address right?"
    if isinstance(error, ldap.CONNECT_ERROR):
        return f"TLS failure talking to {uri}: {detail}. Check the CA certificate and the StartTLS/LDAPS setting."
    if isinstance(error, (ldap.TIMEOUT, ldap.TIMELIMIT_EXCEEDED)):
        return f"{uri} did not answer in time: {detail}."
    if isinstance(error, ldap.NO_SUCH_OBJECT):
        matched = info.get("matched", "")
        return f"The directory has no such entry: {detail} (nearest existing: {matched or 'none'}). Check the DNs."
    if isinstance(error, ldap.INSUFFICIENT_ACCESS):
        return f"{bind_dn} is not allowed to do that: {detail}."
    return f"{error.__class__.__name__}: {detail}"


@contextmanager
def connect(config: DirectorySettings, *, write: bool = False) -> Iterator[Any]:
    """A bound connection to the school's directory (the write account when `write`), unbound afterwards."""
    bind_dn = (config.write_bind_dn or config.bind_dn) if write else config.bind_dn
    password = (
        (config.write_bind_password if config.write_bind_dn else config.bind_password)
        if write
        else (config.bind_password)
    )
    uri = " ".join(config.uris)
    if not uri:
        raise DirectoryError("No server is set: add the directory's LDAP URI in the settings.")
    ca_file = None
    try:
        conn = ldap.initialize(uri)
        conn.protocol_version = ldap.VERSION3
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, config.timeout_seconds)
        conn.set_option(ldap.OPT_TIMEOUT, config.timeout_seconds)
        if config.security != Security.NONE:
            require = ldap.OPT_X_TLS_DEMAND if config.verify_certificate else ldap.OPT_X_TLS_NEVER
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, require)
            if config.ca_certificate.strip():
                handle, ca_file = tempfile.mkstemp(prefix="fits-ca-", suffix=".pem")
                with os.fdopen(handle, "w") as out:
                    out.write(config.ca_certificate)
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, ca_file)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
            if config.security == Security.START_TLS:
                try:
                    conn.start_tls_s()
                except ldap.PROTOCOL_ERROR as error:
                    raise DirectoryError(
                        f"TLS failure talking to {uri}: the server does not offer StartTLS. Use LDAPS, or set up "
                        "TLS on the server."
                    ) from error
        conn.simple_bind_s(bind_dn, password)
    except ldap.LDAPError as error:
        raise DirectoryError(_message(error, uri, bind_dn)) from error
    finally:
        if ca_file:
            os.unlink(ca_file)
    try:
        yield conn
    finally:
        try:
            conn.unbind_s()
        except ldap.LDAPError:
            pass


def paged_search(conn: Any, base: str, query: str, attributes: list[str]) -> list[tuple[str, dict[str, list[bytes]]]]:
    """Every entry under `base` matching `query`, PAGE_SIZE at a time (RFC 2696 simple paged results)."""
    control = SimplePagedResultsControl(True, size=PAGE_SIZE, cookie="")
    found: list[tuple[str, dict[str, list[bytes]]]] = []
    try:
        while True:
            msgid = conn.search_ext(base, ldap.SCOPE_SUBTREE, query, attributes, serverctrls=[control])
            _, data, _, controls = conn.result3(msgid)
            found += [(dn, attrs) for dn, attrs in data if dn]  # referrals have no DN
            cookie = next((c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType), b"")
            if not cookie:
                return found
            control.cookie = cookie
    except ldap.FILTER_ERROR as error:
        raise DirectoryError(f"The filter {query} is not valid LDAP: fix it in the settings.") from error
    except ldap.LDAPError as error:
        raise DirectoryError(_message(error, "the directory", base)) from error


def count_entries(config: DirectorySettings) -> dict[str, int]:
    """Bind and count what the sync would read: {"users": n, "groups": n, "computers": n}."""
    searches = {
        "users": (config.user_base_dn, "user_filter"),
        "groups": (config.group_base_dn, "group_filter"),
        "computers": (config.computer_base_dn, "computer_filter"),
    }
    with connect(config) as conn:
        return {
            name: len(paged_search(conn, base or config.base_dn, config.default(query), ["1.1"]))
            for name, (base, query) in searches.items()
        }


def write(config: DirectorySettings, operations: list[tuple[str, str, Any]]) -> None:
    """Apply ("add", dn, modlist) / ("modify", dn, modlist) / ("move", dn, new_parent) with the write account."""
    with connect(config, write=True) as conn:
        for operation, dn, payload in operations:
            try:
                if operation == "add":
                    conn.add_s(dn, payload)
                elif operation == "modify":
                    conn.modify_s(dn, payload)
                elif operation == "move":
                    conn.rename_s(dn, dn.split(",", 1)[0], newsuperior=payload)
                else:  # pragma: no cover - a programming error
                    raise ValueError(operation)
            except ldap.LDAPError as error:
                raise DirectoryError(
                    f"{operation} {dn}: {_message(error, 'the directory', config.write_bind_dn)}"
                ) from error
