"""The sidebar is worked out once per distinct set of roles (fits.navigation): that holds only while every menu
item's visibility depends on nothing but the person's roles and whether they are an administrator."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.apps import apps

from fits import access
from fits.models import School


def _items():
    for config in apps.get_app_configs():
        for item in getattr(config, "navigation", ()):
            if item.visible is not None:
                yield pytest.param(item.visible, id=f"{config.label}:{item.label}")


@pytest.mark.parametrize("name", list(_items()))
@pytest.mark.parametrize("superuser", [False, True])
def test_every_menu_item_is_decided_by_roles_alone(name, superuser):
    # A person with nothing but roles: a predicate reading anything else (an id, an object's fields, the database)
    # fails here, and would be wrong when the menu is shared by everyone with the same roles.
    roles = {1: frozenset({"technician"}), 2: frozenset({"school_leader"})}
    person = SimpleNamespace(
        is_authenticated=True,
        is_superuser=superuser,
        school_roles=roles,
        roles_at=lambda school_id: roles.get(school_id, frozenset()),
    )
    predicate = access.here_or_anywhere(getattr(access, name))
    for school in (School(pk=1), School(pk=2), School(pk=3), None):
        assert predicate.test(person, school) in (True, False)


def test_people_with_the_same_roles_share_a_menu_and_others_do_not(client_for, highfield, tech, staff):
    from fits.models import Role
    from fits.navigation import _visible
    from tests.conftest import make_person

    colleague = make_person("tech2", school=highfield, role=Role.TECHNICIAN)
    assert _visible(tech, None) is _visible(colleague, None)  # worked out once
    tech_page, staff_page = client_for(tech).get("/"), client_for(staff).get("/")
    assert tech_page.context["menu_html"] != staff_page.context["menu_html"]
    assert 'href="/workbench/"' in tech_page.context["menu_html"]
    assert 'href="/workbench/"' not in staff_page.context["menu_html"]
