"""The pages and the API of notifications: the bell, the list, e-mail settings, and the editor of a
school's e-mail wording."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fits import notifications
from fits.models import EmailFrequency, Notification, NotificationTemplate
from fits.notifications import notify
from incidents import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(highfield, desk, staff, tech, log_incident):
    incident = log_incident(highfield, by=desk, reporter=staff, channel="phone", title="Projector in Room 12")
    return services.incident_assign(incident=incident, assignee=tech, actor=desk)


@pytest.fixture
def news(ticket, staff, tech):
    """Two comments' worth of notifications for staff and tech (and tech's assignment)."""
    Notification.objects.all().delete()
    first = notify(ticket, "commented", [staff, tech], context={"comment": {"text": "Engineer booked."}})
    second = notify(ticket, "resolved", [staff], context={"note": "New lamp."})
    return {"staff": [first[0], second[0]], "tech": [first[1]]}


# =============================================================================
# The bell and the list
# =============================================================================


def test_every_page_has_the_bell_and_it_counts_the_unread(news, staff, client_for):
    client = client_for(staff)
    home = client.get("/").content.decode()
    assert 'id="notification-bell"' in home and reverse("notifications:badge") in home
    badge = client.get(reverse("notifications:badge")).content.decode()
    assert ">2<" in badge and "2 unread" in badge
    Notification.objects.filter(recipient=staff).update(read_at="2026-01-01T00:00Z")
    assert client.get(reverse("notifications:badge")).content.decode().strip() == ""


def test_a_signed_out_bell_stops_polling(client):
    assert client.get(reverse("notifications:badge")).status_code == 286


def test_the_list_shows_your_notifications_and_nobody_elses(news, staff, tech, client_for):
    content = client_for(staff).get(reverse("notifications:list")).content.decode()
    assert "new comment: Projector in Room 12" in content and "resolved: Projector in Room 12" in content
    assert "Engineer booked." in content and "New lamp." in content
    tech_page = client_for(tech).get(reverse("notifications:list")).content.decode()
    assert "resolved: Projector" not in tech_page and "new comment: Projector" in tech_page


def test_the_list_can_show_only_the_unread(news, staff, client_for):
    Notification.objects.filter(pk=news["staff"][0].pk).update(read_at="2026-01-01T00:00Z")
    content = client_for(staff).get(reverse("notifications:list") + "?show=unread").content.decode()
    assert "resolved: Projector" in content and "new comment: Projector" not in content


def test_an_empty_list_says_what_will_appear(staff, client_for):
    content = client_for(staff).get(reverse("notifications:list")).content.decode()
    assert "No notifications yet" in content


def test_opening_a_notification_marks_it_read_and_goes_to_the_ticket(news, staff, ticket, client_for):
    row = news["staff"][0]
    response = client_for(staff).post(reverse("notifications:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == f"/incidents/{ticket.pk}/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_nobody_opens_another_persons_notification(news, tech, admin_user, client_for):
    row = news["staff"][0]
    for person in (tech, admin_user):
        assert client_for(person).post(reverse("notifications:open", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_read(news, staff, client_for):
    response = client_for(staff).post(reverse("notifications:read_all"), follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient__username="tech", read_at__isnull=True).count() == 1


def test_the_list_is_paginated(ticket, staff, client_for):
    for i in range(30):
        notify(ticket, "commented", [staff], context={"comment": {"text": f"Update {i}"}})
    first = client_for(staff).get(reverse("notifications:list")).content.decode()
    assert "Page 1 of 2" in first and "Update 29" in first and "Update 0<" not in first


# =============================================================================
# E-mail settings
# =============================================================================


def test_each_person_chooses_how_often_they_are_emailed(staff, client_for):
    client = client_for(staff)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "One daily digest" in page and "staff@example.sch.uk" in page
    response = client.post(reverse("notifications:settings"), {"email_frequency": "daily"}, follow=True)
    assert "Saved: one daily digest." in response.content.decode()
    staff.refresh_from_db()
    assert staff.email_frequency == EmailFrequency.DAILY
    response = client.post(reverse("notifications:settings"), {"email_frequency": "hourly"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_a_person_without_an_address_is_told_why_nothing_is_emailed(staff, client_for):
    staff.email = ""
    staff.save()
    assert (
        "no e-mail address we can write to" in client_for(staff).get(reverse("notifications:settings")).content.decode()
    )


# =============================================================================
# The API
# =============================================================================


def test_the_api_lists_your_own_notifications(news, staff, api_for):
    response = api_for(staff).get("/api/notifications/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["event"] for row in rows] == ["resolved", "commented"]
    assert rows[0]["school"] == "highfield" and rows[0]["read_at"] is None and rows[0]["url"].startswith("/incidents/")


def test_the_api_filters_the_unread_and_marks_read(news, staff, tech, api_for):
    api = api_for(staff)
    row = news["staff"][0]
    assert api.post(f"/api/notifications/{row.pk}/read/").json()["read_at"] is not None
    assert [r["id"] for r in api.get("/api/notifications/?unread=true").json()["results"]] == [news["staff"][1].pk]
    assert api.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert api_for(tech).post(f"/api/notifications/{row.pk}/read/").status_code == 404
    assert api_for(tech).get(f"/api/notifications/{row.pk}/").status_code == 404
    assert api.patch(f"/api/notifications/{row.pk}/", {"title": "x"}).status_code == 405


def test_the_schema_describes_the_notifications_endpoints():
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.routers import DefaultRouter

    from fits.api import NotificationViewSet

    router = DefaultRouter()
    router.register("notifications", NotificationViewSet, basename="notification")
    schema = SchemaGenerator(patterns=[path("api/", include(router.urls))]).get_schema(request=None, public=True)
    assert {
        "/api/notifications/",
        "/api/notifications/{id}/",
        "/api/notifications/{id}/read/",
        "/api/notifications/read-all/",
    } <= set(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/notifications/"]["get"]["parameters"]}
    assert {"unread", "event"} <= parameters


# =============================================================================
# The wording of a school's e-mails
# =============================================================================


def test_the_network_manager_sees_which_emails_are_the_schools_own(highfield, netmgr, client_for):
    NotificationTemplate.objects.create(school=highfield, event="resolved", subject="S", body="B", updated_by=netmgr)
    client = client_for(netmgr)
    response = client.get(reverse("notifications:templates"))
    assert response.status_code == 302 and response["Location"] == "/notifications/templates/highfield/"
    page = client.get(response["Location"]).content.decode()
    assert page.count("Customised") == 1 and page.count(">Default<") == len(notifications.EVENTS) - 1
    assert "/notifications/templates/highfield/resolved/" in page and "Edit" in page


def test_editing_shows_the_placeholders_and_a_preview(highfield, netmgr, client_for):
    page = client_for(netmgr).get("/notifications/templates/highfield/resolved/").content.decode()
    assert "{{ ticket.reference }}" in page and "{{ person.first_name }}" in page
    assert "[INC-000123] Resolved: Projector in Room 12 is blank" in page  # the preview, with a made-up ticket
    assert 'sandbox srcdoc="' in page and 'hx-post="/notifications/templates/highfield/resolved/preview/"' in page


def test_saving_the_schools_wording_and_going_back_to_the_default(highfield, netmgr, client_for):
    client = client_for(netmgr)
    url = "/notifications/templates/highfield/resolved/"
    response = client.post(url, {"subject": "Fixed: {{ ticket.title }}", "body": "Hello {{ person.first_name }}"})
    assert response.status_code == 302
    template = NotificationTemplate.objects.get(school=highfield, event="resolved")
    assert template.subject == "Fixed: {{ ticket.title }}" and template.updated_by == netmgr
    assert "Customised" in client.get(url).content.decode()
    client.post(url + "reset/")
    assert not NotificationTemplate.objects.exists()


def test_a_template_that_escapes_the_sandbox_is_refused_with_the_reason(highfield, netmgr, client_for):
    response = client_for(netmgr).post(
        "/notifications/templates/highfield/resolved/",
        {"subject": "Hi", "body": "{% load static %}{{ ticket.delete }}"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "{% load %} cannot be used in notification templates" in content
    assert not NotificationTemplate.objects.exists()


def test_the_preview_renders_what_is_typed_and_escapes_it(highfield, netmgr, client_for):
    response = client_for(netmgr).post(
        "/notifications/templates/highfield/commented/preview/",
        {"subject": "News on {{ ticket.reference }}", "body": "<b>Hi</b> {{ person.first_name }}"},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert "News on INC-000123" in content
    assert "&lt;b&gt;Hi&lt;/b&gt; Sam" in content  # the text tab
    assert "<b>Hi</b>" not in content  # the HTML tab shows the escaped text (escaped again inside srcdoc)
    bad = client_for(netmgr).post(
        "/notifications/templates/highfield/commented/preview/", {"subject": "x", "body": "{{ ticket.nope }}"}
    )
    assert "{{ ticket.nope }} is not a placeholder" in bad.content.decode()


def test_others_at_the_school_read_the_wording_but_cannot_change_it(highfield, tech, client_for):
    client = client_for(tech)
    page = client.get("/notifications/templates/highfield/resolved/").content.decode()
    assert "the network manager or the service desk of Highfield Primary School can change it" in page
    assert "Save the school" not in page
    assert client.post("/notifications/templates/highfield/resolved/", {"subject": "S", "body": "B"}).status_code == 403
    client.post("/notifications/templates/highfield/resolved/reset/")
    assert not NotificationTemplate.objects.exists()


def test_another_schools_wording_answers_404(highfield, riverside, tech2, client_for):
    client = client_for(tech2)
    assert client.get("/notifications/templates/highfield/").status_code == 404
    assert client.get("/notifications/templates/highfield/resolved/").status_code == 404
    assert client.get("/notifications/templates/riverside/no-such-event/").status_code == 404
