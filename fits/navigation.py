"""Navigation grouped as FITS processes and OM functions, built from the installed apps.

Each app's AppConfig lists its `navigation` items, its `fits_group` ("processes" or "om") and
its `fits_order`; the sidebar shows only apps that exist and items the person may use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

GROUPS = {"processes": "FITS processes", "om": "Operations management", "strategy": "Strategy and maturity"}


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str = "circle"
    # The name of a predicate in fits.access deciding who sees the item (at the chosen school,
    # or at any of theirs); None: everyone signed in.
    visible: str | None = None


def menu(user: Any, school: Any, path: str) -> list[dict[str, Any]]:
    """The sidebar for `user`: groups of apps, each with the items they may use, the current page marked."""
    groups = {
        key: [{"label": label, "items": [dict(item, active=False) for item in items]} for label, items in apps_]
        for key, apps_ in _visible(user, school)
    }
    _mark_active(groups, path)
    return [{"label": GROUPS[key], "apps": value} for key, value in groups.items() if value]


# Who sees an item is a role predicate (fits.access: administrator or roles held at the school, or at any school
# when none is chosen), so everyone with the same roles sees the same items: they are worked out once per process
# for each distinct set, not forty predicates and reverses on every page.
_SEEN: dict[tuple, tuple] = {}


def _visible(user: Any, school: Any) -> tuple:
    roles = user.roles_at(school.pk) if school is not None else frozenset(user.school_roles.values())
    key = (user.is_superuser, school is None, roles)
    if key not in _SEEN:
        if len(_SEEN) > 1024:
            _SEEN.clear()
        _SEEN[key] = _work_out(user, school)
    return _SEEN[key]


def _work_out(user: Any, school: Any) -> tuple:
    """((group key, ((app label, ((item label, url, icon), ...)), ...)), ...) for what `user` may use."""
    from fits import access

    groups: dict[str, list[tuple]] = {key: [] for key in GROUPS}
    configs = sorted(
        (c for c in apps.get_app_configs() if getattr(c, "navigation", None)),
        key=lambda c: getattr(c, "fits_order", 100),
    )
    for config in configs:
        items = []
        for item in config.navigation:
            if item.visible is not None:
                predicate = access.here_or_anywhere(getattr(access, item.visible))
                if not predicate.test(user, school):
                    continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            items.append({"label": item.label, "url": url, "icon": item.icon})
        if items:
            groups[config.fits_group].append((config.verbose_name, tuple(items)))
    return tuple((key, tuple(value)) for key, value in groups.items())


def menu_html(menu_: list[dict[str, Any]]) -> str:
    """The sidebar's HTML for `menu_`. People with the same roles on the same page get the same menu, so each
    distinct one is rendered once per process (forty items, a quarter of a small page's rendering)."""
    key = tuple(
        (
            group["label"],
            tuple((app["label"], tuple(tuple(item.items()) for item in app["items"])) for app in group["apps"]),
        )
        for group in menu_
    )
    return _render_menu(key)


@functools.lru_cache(maxsize=512)
def _render_menu(key: tuple) -> str:
    menu_ = [
        {"label": label, "apps": [{"label": app, "items": [dict(item) for item in items]} for app, items in apps_]}
        for label, apps_ in key
    ]
    return render_to_string("includes/sidebar_menu.html", {"menu": menu_})


def _mark_active(groups: dict[str, list[dict[str, Any]]], path: str) -> None:
    """Only the item with the longest URL that the path starts with is the current page."""
    items = [item for apps_ in groups.values() for app in apps_ for item in app["items"]]
    matches = [i for i in items if (path == i["url"] if i["url"] == "/" else path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
