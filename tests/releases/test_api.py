"""The releases API: planning, the workflow, waves and rollout outcomes, and the library; other schools are 404."""

from __future__ import annotations

from cmdb.models import SoftwareInstallation
from releases.models import ItemStatus, Release, RolloutTarget, SoftwareLibraryItem, Status


def test_plan_a_release_over_the_api(api_for, tech, image, approved_change):
    response = api_for(tech).post(
        "/api/releases/",
        {"school": "highfield", "title": "Image refresh", "kind": "major", "changes": [approved_change.pk],
         "items": [image.pk]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["reference"] == "REL-000001"
    assert data["status"] == "planned"
    assert data["changes"][0]["reference"] == approved_change.reference
    assert "build" in data["actions"]


def test_another_schools_change_or_ci_is_refused_and_nothing_written(api_for, tech, tech2, make_release, riverside):
    from changes import services as changes
    from cmdb import services as cmdb

    theirs = changes.rfc_create(school=riverside, requester=tech2, title="Theirs", reason="Theirs.")
    api = api_for(tech)
    response = api.post("/api/releases/", {"school": "highfield", "title": "X", "changes": [theirs.pk]}, format="json")
    assert response.status_code == 400
    assert not Release.objects.exists()
    release = make_release()
    pc = cmdb.ci_create(school=riverside, actor=tech2, kind="desktop", name="RV-PC-01")
    response = api.post(f"/api/releases/{release.pk}/waves/", {"name": "Sneaky", "cis": [pc.pk]}, format="json")
    assert response.status_code == 400
    assert not RolloutTarget.objects.exists()


def test_the_workflow_and_the_whole_wave_over_the_api(api_for, tech, make_release, image, approved_change, suite):
    room, pcs = suite
    api = api_for(tech)
    release = make_release(changes=[approved_change], items=[image])
    response = api.post(f"/api/releases/{release.pk}/waves/", {"name": "Suite", "location": room.pk}, format="json")
    assert response.status_code == 201
    wave = response.json()["waves"][0]
    assert len(wave["targets"]) == 4
    for action in ("build", "test", "ready", "roll_out"):
        response = api.post(f"/api/releases/{release.pk}/transition/", {"action": action}, format="json")
        assert response.status_code == 200, response.json()
    response = api.post(f"/api/releases/{release.pk}/rollout/", {"outcome": "failed", "wave": wave["id"]},
                        format="json")  # fmt: skip
    assert response.status_code == 400  # a failure needs a note
    response = api.post(f"/api/releases/{release.pk}/rollout/", {"outcome": "succeeded", "wave": wave["id"]},
                        format="json")  # fmt: skip
    assert response.json()["recorded"] == 4
    assert SoftwareInstallation.objects.filter(ci__in=pcs, version="24H2").count() == 4
    response = api.post(f"/api/releases/{release.pk}/transition/", {"action": "complete"}, format="json")
    assert response.json()["status"] == Status.COMPLETED


def test_status_is_not_written_directly(api_for, tech, make_release):
    release = make_release()
    response = api_for(tech).patch(f"/api/releases/{release.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == 405


def test_the_library_over_the_api(api_for, tech, netmgr):
    response = api_for(tech).post(
        "/api/releases/library/",
        {"school": "highfield", "name": "SMART Notebook", "version": "24.0", "kind": "application"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]
    assert api_for(tech).post(f"/api/releases/library/{item_id}/approve/").status_code == 403
    response = api_for(netmgr).post(f"/api/releases/library/{item_id}/approve/")
    assert response.json()["status"] == ItemStatus.APPROVED
    response = api_for(netmgr).post(f"/api/releases/library/{item_id}/withdraw/", {"reason": ""}, format="json")
    assert response.status_code == 400
    assert SoftwareLibraryItem.objects.get().status == ItemStatus.APPROVED


def test_other_schools_and_ict_users_see_nothing(api_for, tech2, staff, make_release, image):
    release = make_release()
    assert api_for(tech2).get(f"/api/releases/{release.pk}/").status_code == 404
    assert api_for(tech2).get("/api/releases/").json()["results"] == []
    assert api_for(tech2).post(f"/api/releases/library/{image.pk}/approve/").status_code == 404
    assert api_for(staff).get("/api/releases/").status_code == 404
