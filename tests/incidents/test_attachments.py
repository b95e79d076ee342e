"""Attachments (fits.attachments): types recognised by content, not by name; size and count limits; random
storage names; served only as downloads with nosniff, after the ticket's own visibility check; the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fits import attachments
from fits.models import Activity, Attachment
from incidents import services
from tests.incidents.portal_world import EXE, GIF, HTML_LOOKALIKE, JPEG, PDF, PNG, TEXT, WEBP, office, plain_zip, upload


@pytest.fixture
def ticket(highfield, staff, log_incident, media):
    return log_incident(highfield, by=staff, title="Error on the register screen")


# =============================================================================
# What may be kept
# =============================================================================


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("screen.png", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("shot.webp", WEBP, "image/webp"),
        ("invoice.pdf", PDF, "application/pdf"),
        ("error.log", TEXT, "text/plain"),
        ("letter.docx", office("word"), attachments.DOCX.media_type),
        ("budget.xlsx", office("xl"), attachments.XLSX.media_type),
        ("no-extension", PNG, "image/png"),  # named by content: it is a PNG
    ],
)
def test_allowed_types_are_recognised_by_content(name, content, media_type):
    assert attachments.check_upload(upload(name, content)).media_type == media_type


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", EXE),
        ("screenshot.png", EXE),  # an executable calling itself a picture
        ("archive.zip", plain_zip()),  # a ZIP that is not a Word or Excel file
        ("letter.docx", plain_zip()),
        ("page.txt", HTML_LOOKALIKE),  # binary with a NUL byte is not text
    ],
)
def test_other_content_is_refused_whatever_its_name(name, content):
    with pytest.raises(ValidationError) as error:
        attachments.check_upload(upload(name, content))
    assert f"{name} is not a type we accept" in error.value.messages[0]


def test_size_and_count_limits(settings):
    settings.FITS_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        attachments.check_upload(upload("big.png", PNG + b"\x00" * 2000))
    assert error.value.messages == ["big.png is 2.0 KB: files can be at most 1.0 KB each."]
    with pytest.raises(ValidationError):
        attachments.check_upload(upload("empty.txt", b""))
    with pytest.raises(ValidationError) as error:
        attachments.check_uploads([upload(f"{i}.png", PNG) for i in range(6)])
    assert "Attach at most 5 files at a time (6 chosen)." in error.value.messages


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as error:
        attachments.check_uploads([upload("a.exe", EXE), upload("ok.png", PNG), upload("b.bin", EXE)])
    assert len(error.value.messages) == 2


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("screen.png", "screen.png"),
        ("C:\\Users\\sam\\Desktop\\screen.PNG", "screen.PNG"),
        ("../../etc/passwd.png", "passwd.png"),
        ("report.html", "report.html.png"),  # the extension follows the content
        ("bad\x00name\r\n.png", "badname.png"),
        ("", "attachment.png"),
        ("a" * 300 + ".png", "a" * 116 + ".png"),
    ],
)
def test_names_are_cleaned(given, kept):
    assert attachments.clean_name(given, attachments.PNG) == kept


# =============================================================================
# Storing and downloading
# =============================================================================


def test_attaching_stores_under_a_random_name_and_writes_the_timeline(ticket, staff):
    added = services.incident_attach(incident=ticket, actor=staff, uploads=[upload("my screen.png", PNG)])
    (attachment,) = added
    assert attachment.name == "my screen.png" and attachment.size == len(PNG)
    assert attachment.file.name.startswith(f"attachments/{ticket.school_id}/") and "screen" not in attachment.file.name
    assert attachment.file.read() == PNG
    entry = Activity.objects.filter(object_id=ticket.pk, changes__has_key="attachments").get()
    assert entry.text == f"Attached my screen.png ({len(PNG)} bytes)." and entry.public


def test_who_may_attach(ticket, staff, tech, tech2, desk):
    services.incident_attach(incident=ticket, actor=desk, uploads=[upload("a.png", PNG)])
    with pytest.raises(PermissionDenied):
        services.incident_attach(incident=ticket, actor=tech2, uploads=[upload("b.png", PNG)])
    with pytest.raises(PermissionDenied):
        services.incident_attach(incident=ticket, actor=staff, uploads=[upload("c.png", PNG)], public=False)
    services.incident_attach(incident=ticket, actor=tech, uploads=[upload("notes.txt", TEXT)], public=False)
    assert Attachment.objects.count() == 2


def test_the_download_is_an_attachment_never_inline(ticket, staff, client_for):
    (attachment,) = services.incident_attach(incident=ticket, actor=staff, uploads=[upload("report.html", PNG)])
    response = client_for(staff).get(reverse("incidents:attachment", args=[ticket.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="report.html.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


def test_internal_files_and_other_schools(ticket, staff, tech, tech2, client_for):
    (internal,) = services.incident_attach(incident=ticket, actor=tech, uploads=[upload("n.txt", TEXT)], public=False)
    url = reverse("incidents:attachment", args=[ticket.pk, internal.pk])
    assert client_for(tech).get(url).status_code == 200
    assert client_for(staff).get(url).status_code == 404  # the caller never sees an internal file
    assert client_for(tech2).get(url).status_code == 404
    assert "n.txt" not in client_for(staff).get(ticket.get_absolute_url()).content.decode()
    assert "n.txt" in client_for(tech).get(ticket.get_absolute_url()).content.decode()


def test_an_attachment_is_reached_only_through_its_own_ticket(highfield, staff, log_incident, client_for, ticket):
    other = log_incident(highfield, by=staff, title="Another")
    (attachment,) = services.incident_attach(incident=ticket, actor=staff, uploads=[upload("a.png", PNG)])
    assert client_for(staff).get(reverse("incidents:attachment", args=[other.pk, attachment.pk])).status_code == 404


def test_the_ticket_page_form_attaches(ticket, staff, client_for):
    client = client_for(staff)
    response = client.post(
        reverse("incidents:attach", args=[ticket.pk]),
        {"files": [upload("one.png", PNG), upload("two.pdf", PDF)], "public": "on"},
        follow=True,
    )
    assert any("Attached one.png, two.pdf." == str(m) for m in response.context["messages"])
    refused = client.post(reverse("incidents:attach", args=[ticket.pk]), {"files": [upload("x.png", EXE)]}, follow=True)
    assert any("x.png is not a type we accept" in str(m) for m in refused.context["messages"])
    assert Attachment.objects.count() == 2


# =============================================================================
# The API
# =============================================================================


def test_the_api_uploads_lists_and_downloads(ticket, staff, tech2, api_for):
    api = api_for(staff)
    url = f"/api/incidents/{ticket.pk}/attachments/"
    created = api.post(url, {"files": [upload("a.png", PNG), upload("b.txt", TEXT)]}, format="multipart")
    assert created.status_code == 201, created.content
    assert [row["name"] for row in created.json()] == ["a.png", "b.txt"]
    listed = api.get(url).json()
    assert [(row["name"], row["media_type"]) for row in listed] == [("a.png", "image/png"), ("b.txt", "text/plain")]
    download = api.get(listed[0]["download"])
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    refused = api.post(url, {"files": [upload("evil.png", EXE)]}, format="multipart")
    assert refused.status_code == 400 and "evil.png is not a type we accept" in refused.content.decode()
    assert api_for(tech2).get(url).status_code == 404
    assert api_for(tech2).get(listed[0]["download"]).status_code == 404


def test_the_api_logs_with_a_room_category_and_safeguarding_and_confirms_with_a_rating(
    api_for, staff, desk, tech, highfield, bolton, media
):
    from cmdb import services as cmdb
    from incidents.models import Category, Incident

    site = cmdb.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    category = Category.objects.create(authority=bolton, name="Printers")
    created = api_for(staff).post(
        "/api/incidents/",
        {"school": "highfield", "title": "Printer", "description": "x", "location": site.pk, "safeguarding": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    incident = Incident.objects.get()
    assert (incident.location, incident.safeguarding) == (site, True)
    # Categories are support staff's: the desk files the call it logs for someone.
    filed = api_for(desk).post(
        "/api/incidents/",
        {"school": "highfield", "title": "Toner", "description": "x", "reporter": staff.pk, "category": category.pk},
        format="json",
    )
    assert filed.status_code == 201 and Incident.objects.get(pk=filed.json()["id"]).category == category
    assert created.json()["safeguarding"] is True and created.json()["location"] == site.pk
    services.incident_assign(incident=incident, assignee=tech, actor=tech)
    services.incident_transition(incident=incident, action="resolve", actor=tech, note="Done", resolution_code="fixed")
    assert (
        api_for(staff).post(f"/api/incidents/{incident.pk}/confirm/", {"satisfaction": 9}, format="json").status_code
        == 400
    )
    confirmed = api_for(staff).post(
        f"/api/incidents/{incident.pk}/confirm/", {"satisfaction": 5, "comment": "Great"}, format="json"
    )
    assert confirmed.status_code == 200
    assert (confirmed.json()["status"], confirmed.json()["satisfaction"]) == ("closed", 5)
