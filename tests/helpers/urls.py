"""Every URL pattern the project serves, walked from the root resolver.

The guard-rail tests enumerate routes from here rather than from a hand-written list, so a page
or endpoint added tomorrow is seen by them the moment it is routed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern


@dataclass(frozen=True)
class Route:
    """One URL pattern with everything needed to fill and name it."""

    name: str | None  # namespaced, e.g. "incidents:detail"; None for unnamed patterns
    route: str  # the full pattern as written, e.g. "incidents/<int:pk>/"
    kwarg_names: tuple[str, ...]
    positional: int  # unnamed regex groups (reversed with args, e.g. simple_history's admin views)
    callback: Callable[..., Any]

    @property
    def key(self) -> str:
        """How tables refer to the route: its name, or its pattern when it has none."""
        return self.name or self.route

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if self.name and ":" in self.name else ""

    @property
    def is_api(self) -> bool:
        return self.namespace == "api"

    @property
    def is_admin(self) -> bool:
        return self.namespace == "admin" or self.route.startswith("admin/")

    @property
    def view_class(self) -> type | None:
        """The class behind a class-based view or a DRF viewset, if any."""
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def viewset_actions(self) -> dict[str, str]:
        """{HTTP method: viewset action} for a DRF viewset route, {} otherwise."""
        return dict(getattr(self.callback, "actions", None) or {})

    def url(self, values: dict[str, Any], args: list[Any] | None = None) -> str:
        """The path of this route with its kwargs taken from `values` (extra keys are ignored)."""
        kwargs = {name: values[name] for name in self.kwarg_names}
        if self.name is not None:
            if self.positional:
                return reverse(self.name, args=args or [])
            return reverse(self.name, kwargs=kwargs)
        return "/" + _fill(self.route, kwargs)


def _pattern_params(pattern: Any) -> tuple[tuple[str, ...], int]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters), 0
    if isinstance(pattern, RegexPattern):
        named = tuple(pattern.regex.groupindex)
        return named, 0 if named else pattern.regex.groups
    return (), 0


def iter_routes(
    patterns: list[Any] | None = None,
    prefix: str = "",
    namespace: str | None = None,
    kwarg_names: tuple[str, ...] = (),
    positional: int = 0,
) -> Iterator[Route]:
    """Walk the URLconf recursively: pages, the API router's routes, the admin's."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        names, unnamed = _pattern_params(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_routes(
                entry.url_patterns, prefix + str(entry.pattern), inner, kwarg_names + names, positional + unnamed
            )
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Route(name, prefix + str(entry.pattern), kwarg_names + names, positional + unnamed, entry.callback)


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def _fill(route: str, kwargs: dict[str, Any]) -> str:
    """Fill an unnamed pattern by hand (reverse() needs a name): `<int:pk>` and `(?P<pk>...)`."""
    path = _CONVERTER.sub(lambda m: str(kwargs[m.group(1)]), route)
    path = _NAMED_GROUP.sub(lambda m: str(kwargs[m.group(1)]), path)
    return path.replace("^", "").replace("$", "").replace("\\", "")
