"""The service desk's configuration: categories, support groups, an authority's priority matrix."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fits.models import AuthorityRole, AuthorityRoleKind
from incidents import services
from incidents.models import Category, Incident, Priority, PriorityRule, SupportGroup, priority_for
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(bolton, highfield, riverside, wigan, consultant, netmgr, admin_user):
    """Bolton's shared Hardware › Laptop, highfield's own Hardware › Visualiser, riverside's and wigan's own."""
    hardware = services.category_save(actor=consultant, authority=bolton, name="Hardware")
    laptop = services.category_save(actor=consultant, authority=bolton, name="Laptop", parent=hardware)
    visualiser = services.category_save(actor=netmgr, school=highfield, name="Visualiser", parent=hardware)
    theirs = services.category_save(actor=admin_user, school=riverside, name="Riverside lockers")
    wigans = services.category_save(actor=admin_user, authority=wigan, name="Wigan hardware")
    return {"hardware": hardware, "laptop": laptop, "visualiser": visualiser, "riverside": theirs, "wigan": wigans}


# =============================================================================
# Categories
# =============================================================================


def test_what_is_in_force_at_a_school(tree, tech, tech2, staff, highfield):
    assert set(Category.objects.visible_to(tech)) == {tree["hardware"], tree["laptop"], tree["visualiser"]}
    assert not Category.objects.visible_to(staff).exists()  # callers describe the fault; the desk sorts it
    assert set(Category.objects.visible_to(tech2)) == {tree["hardware"], tree["laptop"], tree["riverside"]}
    assert str(tree["laptop"]) == "Hardware › Laptop"
    assert tree["laptop"].applies_at(highfield) and not tree["riverside"].applies_at(highfield)


def test_categories_have_two_levels(tree, consultant, bolton):
    with pytest.raises(ValidationError) as refused:
        services.category_save(actor=consultant, authority=bolton, name="Chromebook", parent=tree["laptop"])
    assert refused.value.message_dict == {
        "parent": ["Categories have two levels: Hardware › Laptop is already a subcategory."]
    }
    with pytest.raises(ValidationError, match="has subcategories of its own"):
        services.category_save(actor=consultant, category=tree["hardware"], name="Hardware", parent=tree["wigan"])


def test_a_shared_category_cannot_hang_under_a_schools_own(tree, consultant, bolton, netmgr, highfield):
    furniture = services.category_save(actor=netmgr, school=highfield, name="Furniture")
    with pytest.raises(ValidationError, match="is not a category where this one applies"):
        services.category_save(actor=consultant, authority=bolton, name="Stand", parent=furniture)
    with pytest.raises(ValidationError, match="is not a category where this one applies"):
        services.category_save(actor=netmgr, school=highfield, name="Locker", parent=tree["riverside"])


def test_names_are_unique_among_siblings(tree, consultant, bolton):
    with pytest.raises(ValidationError, match="There is already a category called laptop here."):
        services.category_save(actor=consultant, authority=bolton, name="laptop", parent=tree["hardware"])


@pytest.mark.parametrize(
    ("who", "owner", "allowed"),
    [
        ("netmgr", "school", True),
        ("tech", "school", False),
        ("desk", "school", False),
        ("staff", "school", False),
        ("consultant", "authority", True),
        ("support", "authority", True),
        ("netmgr", "authority", False),
        ("tech2", "authority", False),
        ("consultant", "everyone", False),
        ("admin", "everyone", True),
    ],
)
def test_who_keeps_what(cast, bolton, highfield, who, owner, allowed):
    if who == "support":
        person = make_person("support")
        AuthorityRole.objects.create(user=person, authority=bolton, role=AuthorityRoleKind.SUPPORT)
    else:
        person = cast[who]
    where = {"school": {"school": highfield}, "authority": {"authority": bolton}, "everyone": {}}[owner]
    if allowed:
        assert services.category_save(actor=person, name="Audio", **where).scope_label
    else:
        with pytest.raises(PermissionDenied):
            services.category_save(actor=person, name="Audio", **where)


def test_a_categorys_default_group_gets_new_tickets(highfield, netmgr, staff, tech, log_incident):
    team = services.support_group_save(actor=netmgr, school=highfield, name="Team", kind="school", members=[tech])
    printers = services.category_save(actor=netmgr, school=highfield, name="Printers", default_group=team)
    assert log_incident(highfield, by=staff, category=printers).group == team


# =============================================================================
# Support groups
# =============================================================================


def test_kinds_and_owners(highfield, bolton, netmgr, consultant):
    with pytest.raises(ValidationError, match="belongs to an authority"):
        services.support_group_save(actor=netmgr, school=highfield, name="Unit", kind="authority")
    with pytest.raises(ValidationError, match="belongs to a school"):
        services.support_group_save(actor=consultant, authority=bolton, name="Team", kind="school")
    with pytest.raises(ValidationError, match="give its support address"):
        services.support_group_save(actor=netmgr, school=highfield, name="Copiers R Us", kind="supplier")
    with pytest.raises(ValidationError) as refused:
        services.support_group_save(actor=netmgr, school=highfield, name="X", kind="supplier", email="not-an-address")
    assert "email" in refused.value.message_dict


def test_members_must_be_able_to_work_its_tickets(highfield, netmgr, tech, staff, tech2):
    group = services.support_group_save(actor=netmgr, school=highfield, name="Team", kind="school", members=[tech])
    assert list(group.members.all()) == [tech]
    with pytest.raises(ValidationError, match="Staff, Tech2 cannot work this group's tickets."):
        services.support_group_save(actor=netmgr, group=group, name="Team", kind="school", members=[staff, tech2])


def test_groups_are_for_support_staff(highfield, netmgr, tech, staff, tech2):
    group = services.support_group_save(actor=netmgr, school=highfield, name="Team", kind="school")
    assert list(SupportGroup.objects.visible_to(tech)) == [group]
    assert not SupportGroup.objects.visible_to(staff).exists()
    assert not SupportGroup.objects.visible_to(tech2).exists()


# =============================================================================
# The priority matrix
# =============================================================================


def test_an_authority_sets_its_own_priorities(bolton, consultant, highfield, riverside, westfield, staff, outsider,
                                              log_incident):  # fmt: skip
    cells = {(i, u): int(priority_for(i, u)) for i in (1, 2, 3) for u in (1, 2, 3)}
    cells[(3, 1)] = Priority.HIGH  # one person, stops teaching now: P2 in Bolton
    assert services.priority_matrix_save(authority=bolton, actor=consultant, cells=cells) == 1
    assert PriorityRule.objects.filter(authority=bolton).count() == 1
    assert log_incident(highfield, by=staff, impact=3, urgency=1).priority == Priority.HIGH
    assert log_incident(westfield, by=outsider, impact=3, urgency=1).priority == Priority.MEDIUM
    cells[(3, 1)] = Priority.MEDIUM  # back to the default: nothing stored
    assert services.priority_matrix_save(authority=bolton, actor=consultant, cells=cells) == 0
    assert not PriorityRule.objects.exists()


@pytest.mark.parametrize("who", ["netmgr", "tech", "leader", "outsider"])
def test_schools_do_not_set_the_authoritys_priorities(bolton, cast, who):
    cells = {(i, u): 3 for i in (1, 2, 3) for u in (1, 2, 3)}
    with pytest.raises(PermissionDenied):
        services.priority_matrix_save(authority=bolton, actor=cast[who], cells=cells)


def test_every_cell_needs_a_priority(bolton, consultant):
    with pytest.raises(ValidationError):
        services.priority_matrix_save(authority=bolton, actor=consultant, cells={(1, 1): 1})


# =============================================================================
# Pages
# =============================================================================


def test_the_settings_pages_for_support_staff(tree, cast, client_for):
    client = client_for(cast["tech"])
    for url in ("/incidents/config/", "/incidents/config/categories/", "/incidents/config/groups/",
                "/incidents/config/priorities/"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    page = client.get("/incidents/config/categories/").content.decode()
    assert "Visualiser" in page and "Laptop" in page and "Riverside lockers" not in page and "Wigan" not in page
    assert "Add a category" not in page  # a technician reads; the network manager keeps them


def test_the_settings_are_not_there_for_ict_users(tree, staff, client_for):
    client = client_for(staff)
    for url in ("/incidents/config/", "/incidents/config/categories/", "/incidents/config/groups/",
                "/incidents/config/priorities/", f"/incidents/config/categories/{tree['laptop'].pk}/"):  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_the_network_manager_adds_a_category_from_the_page(tree, netmgr, highfield, client_for):
    client = client_for(netmgr)
    form = client.get("/incidents/config/categories/new/").content.decode()
    assert f'value="school:{highfield.pk}"' in form and "authority:" not in form
    response = client.post(
        "/incidents/config/categories/new/",
        {
            "owner": f"school:{highfield.pk}",
            "name": "Document camera",
            "parent": tree["hardware"].pk,
            "is_active": "on",
        },
        follow=True,
    )
    assert "Category Hardware › Document camera saved." in response.content.decode()
    response = client.post(
        "/incidents/config/categories/new/",
        {"owner": f"school:{highfield.pk}", "name": "Sub", "parent": tree["laptop"].pk},
    )
    assert "Categories have two levels" in response.content.decode()


def test_a_shared_category_is_read_only_to_a_school(tree, netmgr, consultant, client_for):
    url = f"/incidents/config/categories/{tree['laptop'].pk}/"
    page = client_for(netmgr).get(url).content.decode()
    assert "Bolton Council keeps this category" in page and 'name="name"' not in page
    client_for(netmgr).post(url, {"name": "Renamed"})
    assert Category.objects.get(pk=tree["laptop"].pk).name == "Laptop"
    client_for(consultant).post(url, {"name": "Laptops", "parent": tree["hardware"].pk, "is_active": "on"})
    assert Category.objects.get(pk=tree["laptop"].pk).name == "Laptops"


def test_another_schools_category_is_a_404(tree, tech, client_for):
    assert client_for(tech).get(f"/incidents/config/categories/{tree['riverside'].pk}/").status_code == 404


def test_a_group_page_and_its_queue(highfield, netmgr, tech, staff, desk, client_for, log_incident):
    group = services.support_group_save(actor=netmgr, school=highfield, name="Team", kind="school", members=[tech])
    services.incident_assign(incident=log_incident(highfield, by=staff), assignee=None, group=group, actor=desk)
    page = client_for(tech).get(f"/incidents/config/groups/{group.pk}/").content.decode()
    assert "Its queue (1 open)" in page and f"group_id={group.pk}" in page
    response = client_for(netmgr).post(
        f"/incidents/config/groups/{group.pk}/",
        {"name": "ICT team", "kind": "school", "members": [tech.pk], "is_active": "on"},
        follow=True,
    )
    assert "ICT team saved." in response.content.decode()
    assert client_for(staff).get(f"/incidents/config/groups/{group.pk}/").status_code == 404


def test_the_priority_grid(bolton, consultant, tech, client_for):
    client = client_for(consultant)
    page = client.get("/incidents/config/priorities/").content.decode()
    assert page.count("<select") >= 9 and "default P1 Critical" in page
    data = {f"cell_{i}_{u}": int(priority_for(i, u)) for i in (1, 2, 3) for u in (1, 2, 3)}
    data["cell_3_1"] = 2
    response = client.post("/incidents/config/priorities/", {**data, "authority": "bolton"}, follow=True)
    assert "1 cell differ from the default" in response.content.decode()
    assert priority_for(3, 1, authority_id=bolton.pk) == Priority.HIGH
    read_only = client_for(tech).get("/incidents/config/priorities/").content.decode()
    assert "Save priorities" not in read_only and "P2 High" in read_only
    client_for(tech).post("/incidents/config/priorities/", {**data, "cell_3_1": 1})
    assert priority_for(3, 1, authority_id=bolton.pk) == Priority.HIGH
    client.post("/incidents/config/priorities/", {"authority": "bolton", "reset": "1"})
    assert not PriorityRule.objects.exists()


# =============================================================================
# API
# =============================================================================


def test_the_categories_api(tree, tech, netmgr, highfield, api_for):
    listed = api_for(tech).get("/api/categories/").json()["results"]
    assert {row["display"] for row in listed} == {"Hardware", "Hardware › Laptop", "Hardware › Visualiser"}
    assert {row["may_change"] for row in listed} == {False}
    created = api_for(netmgr).post(
        "/api/categories/", {"name": "Tablet", "parent": tree["hardware"].pk, "school": "highfield"}, format="json"
    )
    assert created.status_code == 201 and created.json()["scope"] == "Highfield Primary School"
    pk = created.json()["id"]
    patched = api_for(netmgr).patch(f"/api/categories/{pk}/", {"is_active": False}, format="json")
    assert patched.json()["is_active"] is False and patched.json()["name"] == "Tablet"
    assert api_for(tech).patch(f"/api/categories/{pk}/", {"name": "X"}, format="json").status_code == 403
    assert api_for(netmgr).get(f"/api/categories/{tree['riverside'].pk}/").status_code == 404


def test_the_support_groups_api(highfield, bolton, netmgr, consultant, tech, staff, api_for):
    response = api_for(consultant).post(
        "/api/support-groups/",
        {"name": "Bolton unit", "kind": "authority", "authority": "bolton", "phone": "01204 1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [row["name"] for row in api_for(tech).get("/api/support-groups/").json()["results"]] == ["Bolton unit"]
    assert api_for(staff).get("/api/support-groups/").json()["results"] == []
    wigan = api_for(consultant).post(
        "/api/support-groups/", {"name": "W", "kind": "authority", "authority": "wigan"}, format="json"
    )
    assert wigan.status_code == 400  # not one of the consultant's authorities: as if it did not exist


def test_a_ticket_can_be_logged_in_a_category_then_shown(tree, highfield, staff, tech, client_for, log_incident):
    incident = log_incident(highfield, by=staff, category=tree["laptop"])
    assert "Hardware › Laptop" in client_for(tech).get(incident.get_absolute_url()).content.decode()
    assert Incident.objects.filter(category=tree["laptop"]).count() == 1
