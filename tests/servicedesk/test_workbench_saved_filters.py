"""Saved filters: a person's own named queues on the workbench; nobody else sees or changes them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from servicedesk import workbench
from servicedesk.models import SavedFilter
from servicedesk.workbench import (
    saved_filter_create,
    saved_filter_delete,
    saved_filter_move,
    saved_filter_rename,
)

pytestmark = pytest.mark.django_db


def names(user) -> list[str]:
    return list(SavedFilter.objects.filter(owner=user).order_by("position").values_list("name", flat=True))


# =============================================================================
# Services
# =============================================================================


def test_saving_keeps_the_filters_and_drops_the_page(tech):
    saved = saved_filter_create(
        owner=tech, name="  Urgent   printers ", query="?queue=open&priority=1&priority=2&q=&page=3"
    )
    assert saved.name == "Urgent printers"
    assert saved.query == "queue=open&priority=1&priority=2"
    assert saved.position == 0
    assert saved_filter_create(owner=tech, name="Second", query="").position == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the filter a name"), ("x" * 61, "60 characters"), ("urgent PRINTERS", "already have")],
)
def test_a_name_is_required_short_and_unique_to_you(tech, name, message):
    saved_filter_create(owner=tech, name="Urgent printers", query="queue=open")
    with pytest.raises(ValidationError, match=message):
        saved_filter_create(owner=tech, name=name, query="queue=open")


def test_two_people_may_use_the_same_name(tech, desk):
    saved_filter_create(owner=tech, name="Mine", query="queue=mine")
    saved_filter_create(owner=desk, name="Mine", query="queue=mine")
    assert names(tech) == names(desk) == ["Mine"]


def test_an_ict_user_has_no_workbench_to_save_filters_on(staff):
    with pytest.raises(PermissionDenied):
        saved_filter_create(owner=staff, name="Mine", query="queue=mine")


def test_there_is_a_limit(tech, monkeypatch):
    monkeypatch.setattr(workbench, "SAVED_FILTER_LIMIT", 2)
    saved_filter_create(owner=tech, name="One", query="")
    saved_filter_create(owner=tech, name="Two", query="")
    with pytest.raises(ValidationError, match="delete one"):
        saved_filter_create(owner=tech, name="Three", query="")


def test_rename_move_and_delete(tech):
    one, two, three = (saved_filter_create(owner=tech, name=n, query="") for n in ("One", "Two", "Three"))
    saved_filter_rename(saved_filter=two, actor=tech, name="Deux")
    assert names(tech) == ["One", "Deux", "Three"]
    saved_filter_move(saved_filter=three, actor=tech, position=0)
    assert names(tech) == ["Three", "One", "Deux"]
    saved_filter_move(saved_filter=three, actor=tech, position=99)
    assert names(tech) == ["One", "Deux", "Three"]
    saved_filter_delete(saved_filter=one, actor=tech)
    assert names(tech) == ["Deux", "Three"]
    assert list(SavedFilter.objects.filter(owner=tech).values_list("position", flat=True)) == [0, 1]
    with pytest.raises(ValidationError, match="already have"):
        saved_filter_rename(saved_filter=three, actor=tech, name="deux")


@pytest.mark.parametrize("intruder", ["desk", "admin_user"])
def test_nobody_else_changes_your_filter(tech, intruder, request):
    other = request.getfixturevalue(intruder)
    saved = saved_filter_create(owner=tech, name="Mine", query="queue=mine")
    for change in (
        lambda: saved_filter_rename(saved_filter=saved, actor=other, name="Theirs"),
        lambda: saved_filter_move(saved_filter=saved, actor=other, position=3),
        lambda: saved_filter_delete(saved_filter=saved, actor=other),
    ):
        with pytest.raises(PermissionDenied):
            change()
    assert names(tech) == ["Mine"]


# =============================================================================
# Pages
# =============================================================================


def test_save_the_filters_on_screen_and_find_them_in_the_rail(tech, client_for):
    client = client_for(tech)
    response = client.post(
        "/workbench/filters/",
        {"name": "P1 and P2", "query": "queue=open&priority=1&priority=2&page=2", "next": "/workbench/"},
    )
    assert response.status_code == 302 and response["Location"] == "/workbench/?queue=open&priority=1&priority=2"
    page = client.get(response["Location"], follow=True).content.decode()
    assert "P1 and P2" in page and 'class="wb-queue flex-fill min-w-0 active"' in page
    assert "Saved “P1 and P2”" in page


def test_a_filter_without_a_name_is_refused_with_a_message(tech, client_for):
    response = client_for(tech).post("/workbench/filters/", {"name": "", "query": "queue=open"}, follow=True)
    assert "Give the filter a name" in response.content.decode()
    assert not SavedFilter.objects.exists()


def test_rename_move_and_delete_from_the_rail(tech, client_for):
    client = client_for(tech)
    one, two = (saved_filter_create(owner=tech, name=n, query="queue=open") for n in ("One", "Two"))
    client.post(f"/workbench/filters/{one.pk}/rename/", {"name": "First"})
    client.post(f"/workbench/filters/{two.pk}/move/", {"position": 0})
    assert names(tech) == ["Two", "First"]
    response = client.post(f"/workbench/filters/{two.pk}/delete/", {"next": "https://evil.example/"})
    assert response["Location"] == "/workbench/", "never sent to another site"
    assert names(tech) == ["First"]


def test_another_persons_filter_answers_404_and_stays(tech, desk, client_for):
    saved = saved_filter_create(owner=tech, name="Tech's printers", query="queue=mine")
    client = client_for(desk)
    for action, data in (("rename", {"name": "Theirs"}), ("move", {"position": 2}), ("delete", {})):
        assert client.post(f"/workbench/filters/{saved.pk}/{action}/", data).status_code == 404
    assert "Tech&#x27;s printers" not in client.get("/workbench/").content.decode()
    assert "Tech&#x27;s printers" in client_for(tech).get("/workbench/").content.decode()
    assert names(tech) == ["Tech's printers"]


# =============================================================================
# API
# =============================================================================


def test_the_api_lists_and_changes_only_your_own(tech, desk, api_for):
    theirs = saved_filter_create(owner=desk, name="Desk's", query="queue=unassigned")
    api = api_for(tech)
    created = api.post("/api/saved-filters/", {"name": "Mine", "query": "queue=mine&page=4"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["query"] == "queue=mine" and body["workbench_url"] == "/workbench/?queue=mine"
    second = api.post("/api/saved-filters/", {"name": "Unassigned P1", "query": "queue=unassigned&priority=1"})
    assert [row["name"] for row in api.get("/api/saved-filters/").json()["results"]] == ["Mine", "Unassigned P1"]

    renamed = api.patch(f"/api/saved-filters/{body['id']}/", {"name": "My queue"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "My queue"
    moved = api.post(f"/api/saved-filters/{second.json()['id']}/move/", {"position": 0}, format="json")
    assert moved.status_code == 200
    assert [row["name"] for row in api.get("/api/saved-filters/").json()["results"]] == ["Unassigned P1", "My queue"]
    assert api.delete(f"/api/saved-filters/{body['id']}/").status_code == 204

    for method in ("get", "patch", "delete"):
        assert getattr(api, method)(f"/api/saved-filters/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    assert api.post(f"/api/saved-filters/{theirs.pk}/move/", {"position": 1}).status_code == 404
    assert names(desk) == ["Desk's"]


def test_the_api_explains_a_refusal(tech, api_for):
    api = api_for(tech)
    api.post("/api/saved-filters/", {"name": "Mine", "query": "queue=mine"})
    response = api.post("/api/saved-filters/", {"name": "mine", "query": "queue=open"})
    assert response.status_code == 400 and "already have" in response.content.decode()


def test_the_counts_api(highfield, riverside, westfield, tech, tech2, consultant, api_for, log_incident):
    log_incident(highfield, by=tech, title="Ours")
    log_incident(riverside, by=tech2, title="Theirs")
    body = api_for(tech).get("/api/workbench/counts/").json()
    assert body["school"] is None
    counts = {queue["key"]: queue["count"] for queue in body["queues"]}
    assert counts["open"] == 1 and counts["unassigned"] == 1 and counts["mine"] == 0
    assert api_for(tech).get("/api/workbench/counts/?school=highfield").json()["school"] == "highfield"
    assert api_for(tech).get("/api/workbench/counts/?school=westfield").status_code == 400
    riverside_counts = api_for(consultant).get("/api/workbench/counts/?school=riverside").json()["queues"]
    assert {queue["key"]: queue["count"] for queue in riverside_counts}["open"] == 1
    all_counts = api_for(consultant).get("/api/workbench/counts/").json()["queues"]
    assert {queue["key"]: queue["count"] for queue in all_counts}["open"] == 2


def test_the_workbench_endpoints_are_in_the_openapi_schema():
    """Generated from the workbench's own routes (the whole schema is checked with every app's)."""
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from servicedesk.workbench_api import routes

    router = DefaultRouter()
    for prefix, viewset, basename in routes:
        router.register(prefix, viewset, basename=basename)
    patterns = [path("api/", include((router.urls, "api")))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert {"/api/saved-filters/", "/api/saved-filters/{id}/", "/api/saved-filters/{id}/move/",
            "/api/workbench/counts/"} <= set(schema["paths"])  # fmt: skip
    assert "WorkbenchCounts" in schema["components"]["schemas"]
