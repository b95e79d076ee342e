"""Release Management's pages: the list with its measures, planning, the release page with its rollout, the library."""

from __future__ import annotations

from releases import services
from releases.models import ItemStatus, Outcome, Release, RolloutTarget, SoftwareLibraryItem, Status


def test_tech_plans_a_release_from_the_page(client_for, tech, highfield, image, approved_change):
    client = client_for(tech)
    form = client.get("/releases/new/")
    assert form.status_code == 200
    assert "Windows 11 Education 24H2" in form.content.decode()  # approved items are offered
    response = client.post(
        "/releases/new/",
        {
            "school": highfield.pk,
            "title": "Summer image refresh for the ICT suite",
            "kind": "major",
            "changes": [approved_change.pk],
            "items": [image.pk],
            "build_plan": "Capture the reference PC.",
        },
    )
    release = Release.objects.get()
    assert response.status_code == 302 and response["Location"] == release.get_absolute_url()
    assert list(release.items.all()) == [image]
    page = client.get(release.get_absolute_url()).content.decode()
    assert "REL-000001" in page and "Capture the reference PC." in page
    assert approved_change.reference in page


def test_a_proposed_item_is_not_offered_when_planning(client_for, tech, highfield):
    services.item_propose(actor=tech, school=highfield, name="Untested thing", version="0.1")
    assert "Untested thing" not in client_for(tech).get("/releases/new/").content.decode()


def test_tech_works_a_release_through_the_rollout(client_for, tech, make_release, image, approved_change, suite):
    room, pcs = suite
    release = make_release(changes=[approved_change], items=[image])
    client = client_for(tech)
    url = release.get_absolute_url()
    client.post(f"{url}waves/", {"name": "ICT suite", "location": room.pk, "kind": ""})
    assert release.targets.count() == 4
    for action in ("build", "test", "ready", "roll_out"):
        client.post(f"{url}{action}/")
    release.refresh_from_db()
    assert release.status == Status.ROLLING_OUT
    page = client.get(url).content.decode()
    assert "Mark the 4 pending succeeded" in page
    assert "4 CIs still pending" in page and "Complete the release" not in page
    first = RolloutTarget.objects.get(release=release, ci=pcs[0])
    response = client.post(f"{url}rollout/", {"outcome": "failed", "targets": [first.pk], "note": ""}, follow=True)
    assert "Say what went wrong" in response.content.decode()
    client.post(f"{url}rollout/", {"outcome": "failed", "targets": [first.pk], "note": "No network at boot."})
    client.post(f"{url}rollout/", {"outcome": "succeeded", "wave": release.waves.get().pk})
    outcomes = sorted(release.targets.values_list("outcome", flat=True))
    assert outcomes == [Outcome.FAILED, *[Outcome.SUCCEEDED] * 3]
    response = client.post(f"{url}complete/", {"note": ""}, follow=True)
    assert "1 CI failed" in response.content.decode()
    client.post(f"{url}complete/", {"note": "PC01 goes for repair, then gets the image by hand."})
    release.refresh_from_db()
    assert release.status == Status.COMPLETED
    page = client.get("/releases/").content.decode()
    assert "3 of 4 CIs" in page
    assert 'id="measures"' in page


def test_the_list_filters_by_status_and_search(client_for, tech, make_release):
    make_release(title="Office refresh")
    services.release_transition(release=make_release(title="Firmware"), actor=tech, action="cancel", note="No.")
    client = client_for(tech)
    assert "Firmware" not in client.get("/releases/?status=planned").content.decode()
    page = client.get("/releases/?q=firm").content.decode()
    assert "Firmware" in page and "Office refresh" not in page


def test_the_desk_reads_releases_but_cannot_move_them(client_for, desk, make_release):
    release = make_release()
    client = client_for(desk)
    page = client.get(release.get_absolute_url()).content.decode()
    assert "Start the build" not in page
    response = client.post(f"{release.get_absolute_url()}build/", follow=True)
    assert "You cannot start the build" in response.content.decode()
    release.refresh_from_db()
    assert release.status == Status.PLANNED


def test_an_ict_user_gets_404_everywhere(client_for, staff, make_release, image):
    release = make_release()
    client = client_for(staff)
    for url in ("/releases/", "/releases/new/", "/releases/library/", release.get_absolute_url()):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/releases/library/{image.pk}/withdraw/", {"reason": "x"}).status_code == 404


def test_another_schools_release_is_a_404(client_for, tech2, make_release):
    release = make_release()
    client = client_for(tech2)
    assert client.get(release.get_absolute_url()).status_code == 404
    assert client.post(f"{release.get_absolute_url()}cancel/", {"note": "Mine now"}).status_code == 404
    release.refresh_from_db()
    assert release.status == Status.PLANNED


def test_the_network_manager_approves_in_the_library(client_for, tech, netmgr, highfield):
    client = client_for(tech)
    client.post(
        "/releases/library/new/",
        {"school": highfield.pk, "name": "Office LTSC", "version": "2024", "kind": "application", "checksum": ""},
    )
    item = SoftwareLibraryItem.objects.get()
    assert item.status == ItemStatus.PROPOSED
    assert f"/releases/library/{item.pk}/approve/" not in client.get("/releases/library/").content.decode()
    manager = client_for(netmgr)
    assert f"/releases/library/{item.pk}/approve/" in manager.get("/releases/library/").content.decode()
    manager.post(f"/releases/library/{item.pk}/approve/")
    item.refresh_from_db()
    assert item.status == ItemStatus.APPROVED


def test_a_bad_checksum_is_refused_on_the_page(client_for, tech, highfield):
    response = client_for(tech).post(
        "/releases/library/new/",
        {"school": highfield.pk, "name": "Office", "version": "1", "kind": "application", "checksum": "abc"},
    )
    assert response.status_code == 200
    assert "64 hexadecimal" in response.content.decode()
    assert not SoftwareLibraryItem.objects.exists()


def test_the_media_book_on_the_library_page(client_for, tech, image):
    client = client_for(tech)
    client.post(f"/releases/library/{image.pk}/lend/", {"note": "Imaging"})
    page = client.get("/releases/library/").content.decode()
    assert "Out with" in page
    loan = image.loans.get()
    client.post(f"/releases/library/loans/{loan.pk}/return/")
    loan.refresh_from_db()
    assert loan.returned_at is not None


def test_untrusted_text_is_escaped(client_for, tech, make_release):
    release = make_release(title="<script>alert(1)</script>", build_plan="<b>bold</b>")
    page = client_for(tech).get(release.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_filtering_by_a_school_narrows_the_measures_and_another_school_shows_nothing(
    client_for, consultant, make_release
):
    make_release(title="Highfield's release")
    client = client_for(consultant)
    page = client.get("/releases/?school=riverside").content.decode()
    assert "Highfield&#x27;s release" not in page and 'id="measures"' in page
    assert "Highfield&#x27;s release" in client.get("/releases/?school=highfield").content.decode()
    page = client.get("/releases/?school=westfield")  # not one of the consultant's: nothing
    assert page.status_code == 200 and "Highfield&#x27;s release" not in page.content.decode()


def test_tech_edits_the_plans_until_the_rollout(client_for, tech, make_release, image):
    release = make_release(items=[image])
    client = client_for(tech)
    url = f"{release.get_absolute_url()}edit/"
    form = client.get(url)
    assert form.status_code == 200 and "Summer image refresh" in form.content.decode()
    response = client.post(url, {"title": "Summer image refresh", "kind": "major", "items": [image.pk],
                                 "manager": tech.pk, "test_plan": "A class logs in."})  # fmt: skip
    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.title, release.test_plan) == ("Summer image refresh", "A class logs in.")
    assert "Edited: title, test plan." in client.get(release.get_absolute_url()).content.decode()
