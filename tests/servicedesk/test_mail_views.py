"""The inbound mail pages (the desk), the support mailbox settings (the network manager) and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fits.models import User
from incidents.models import Incident
from servicedesk import mail
from servicedesk.models import InboundMessage, Mailbox
from tests.servicedesk.conftest import corpus, message

Outcome = InboundMessage.Outcome

pytestmark = pytest.mark.usefixtures("media")


def receive(school, raw: bytes) -> InboundMessage:
    return mail.message_ingest(school=school, raw=raw, source=InboundMessage.Source.PIPE)


@pytest.fixture
def inbox(highfield, riverside, staff, tech2, monkeypatch):
    """At highfield: a ticket opened by e-mail, a held message, an auto-reply and a failed one; one at riverside."""
    created = receive(highfield, corpus("09_pdf_and_docx.eml").replace(b"desk@", b"staff@"))
    held = receive(highfield, corpus("16_unknown_sender.eml"))
    auto = receive(highfield, corpus("08_exchange_out_of_office.eml"))
    with monkeypatch.context() as patch:
        patch.setattr(mail, "_open_ticket", lambda *args, **kwargs: 1 / 0)
        failed = receive(highfield, message(subject="Broken one"))
    theirs = receive(riverside, message(sender=tech2.email, subject="Riverside's own mail"))
    return {"created": created, "held": held, "auto": auto, "failed": failed, "riverside": theirs}


def detail(record) -> str:
    return reverse("mail:inbound_detail", kwargs={"pk": record.pk})


# =============================================================================
# The list
# =============================================================================


def test_the_desk_sees_held_and_failed_mail_first(inbox, desk, client_for):
    response = client_for(desk).get(reverse("mail:inbound_list"))
    assert response.status_code == 200
    rows = [message.pk for message in response.context["object_list"]]
    assert set(rows[:2]) == {inbox["held"].pk, inbox["failed"].pk}
    assert set(rows[2:]) == {inbox["created"].pk, inbox["auto"].pk}
    page = response.content.decode()
    assert "1 message held" in page and "1 message could not be read" in page
    assert "Riverside&#x27;s own mail" not in page and "Riverside Academy" not in page
    assert "MIS export fails" in page and inbox["created"].ticket.reference in page


def test_the_list_filters_by_outcome_and_words(inbox, tech, client_for):
    client = client_for(tech)
    held = client.get(reverse("mail:inbound_list"), {"outcome": "held"}).context["object_list"]
    assert [m.pk for m in held] == [inbox["held"].pk]
    found = client.get(reverse("mail:inbound_list"), {"q": "homework"}).context["object_list"]
    assert [m.pk for m in found] == [inbox["held"].pk]
    none = client.get(reverse("mail:inbound_list"), {"q": "nothing like this"})
    assert "No message matches" in none.content.decode()


def test_the_list_helps_when_there_is_no_mail_yet(highfield, netmgr, client_for):
    page = client_for(netmgr).get(reverse("mail:inbound_list")).content.decode()
    assert "No e-mail yet" in page and reverse("mail:mailbox") in page


def test_ict_users_do_not_read_the_desks_mail(inbox, staff, client_for):
    assert client_for(staff).get(reverse("mail:inbound_list")).status_code == 403
    assert client_for(staff).get(detail(inbox["created"])).status_code == 404


def test_the_sidebar_offers_inbound_mail_to_the_desk_and_technicians(highfield, desk, tech, staff, leader, client_for):
    url = reverse("mail:inbound_list")
    assert f'href="{url}"' in client_for(desk).get("/").content.decode()
    assert f'href="{url}"' in client_for(tech).get("/").content.decode()
    assert f'href="{url}"' not in client_for(staff).get("/").content.decode()
    assert f'href="{url}"' not in client_for(leader).get("/").content.decode()


# =============================================================================
# One message
# =============================================================================


def test_a_message_shows_its_headers_text_attachments_and_ticket(inbox, desk, client_for):
    created = inbox["created"]
    page = client_for(desk).get(detail(created)).content.decode()
    assert "The census export stops with an error." in page
    assert "error report.pdf" in page and "Steps to reproduce – census.docx" in page
    assert "&lt;attachments-0001@example.sch.uk&gt;" in page  # the Message-ID header, escaped
    assert f'href="{created.ticket.get_absolute_url()}"' in page and "Opened a ticket" in page


def test_another_schools_message_answers_like_a_missing_one(inbox, desk, tech2, client_for):
    theirs = inbox["riverside"]
    for name in ("mail:inbound_detail", "mail:inbound_raw"):
        assert client_for(desk).get(reverse(name, kwargs={"pk": theirs.pk})).status_code == 404
    for name in ("mail:inbound_accept", "mail:inbound_discard", "mail:inbound_retry"):
        assert client_for(desk).post(reverse(name, kwargs={"pk": theirs.pk})).status_code == 404
    held = inbox["held"]
    assert client_for(tech2).post(reverse("mail:inbound_discard", kwargs={"pk": held.pk})).status_code == 404
    held.refresh_from_db()
    assert held.outcome == Outcome.HELD


def test_the_raw_message_downloads_as_an_eml_never_inline(inbox, desk, client_for):
    held = inbox["held"]
    response = client_for(desk).get(reverse("mail:inbound_raw", kwargs={"pk": held.pk}))
    assert response.status_code == 200 and response.content == corpus("16_unknown_sender.eml")
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{held.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_desk_accepts_held_mail_for_a_person_from_its_page(inbox, desk, staff, client_for):
    held, client = inbox["held"], client_for(desk)
    page = client.get(detail(held)).content.decode()
    assert "Held: who is this from?" in page and "Accept: log a ticket" in page and "Discard" in page
    response = client.post(reverse("mail:inbound_accept", kwargs={"pk": held.pk}), {"reporter": staff.pk})
    held.refresh_from_db()
    assert held.outcome == Outcome.CREATED
    assert response.status_code == 302 and response["Location"] == held.ticket.get_absolute_url()
    assert (held.ticket.reporter, held.ticket.logged_by) == (staff, desk)
    assert "Accepted:" in client.get(detail(held)).content.decode()  # its history


def test_accepting_without_a_choice_says_what_is_missing(inbox, desk, client_for):
    held, client = inbox["held"], client_for(desk)
    response = client.post(reverse("mail:inbound_accept", kwargs={"pk": held.pk}), {}, follow=True)
    assert "Choose who the ticket is for, or create a user for the sender." in response.content.decode()
    held.refresh_from_db()
    assert held.outcome == Outcome.HELD


def test_accepting_for_the_sender_as_a_new_user(inbox, tech, client_for):
    held = inbox["held"]
    client_for(tech).post(reverse("mail:inbound_accept", kwargs={"pk": held.pk}), {"new_user": "on"})
    held.refresh_from_db()
    assert held.ticket.reporter == User.objects.get(email="parent@gmail.example.com")


def test_a_person_of_another_school_cannot_be_chosen(inbox, desk, tech2, client_for):
    held = inbox["held"]
    page = client_for(desk).get(detail(held)).content.decode()
    assert "tech2@example.sch.uk" not in page
    client_for(desk).post(reverse("mail:inbound_accept", kwargs={"pk": held.pk}), {"reporter": tech2.pk})
    held.refresh_from_db()
    assert held.outcome == Outcome.HELD and not Incident.objects.filter(reporter=tech2, school=held.school).exists()


def test_leaders_read_held_mail_but_do_not_decide(inbox, leader, client_for):
    held = inbox["held"]
    page = client_for(leader).get(detail(held)).content.decode()
    assert "Accept: log a ticket" not in page and "accepts or discards it" in page
    response = client_for(leader).post(reverse("mail:inbound_discard", kwargs={"pk": held.pk}), follow=True)
    assert "Only the service desk and technicians discard mail." in response.content.decode()
    held.refresh_from_db()
    assert held.outcome == Outcome.HELD


def test_the_desk_discards_and_retries(inbox, desk, client_for, staff):
    client = client_for(desk)
    client.post(reverse("mail:inbound_discard", kwargs={"pk": inbox["held"].pk}))
    inbox["held"].refresh_from_db()
    assert inbox["held"].outcome == Outcome.DISCARDED
    failed = inbox["failed"]
    page = client.get(detail(failed)).content.decode()
    assert "This message could not be read" in page and "ZeroDivisionError" in page and "Try again" in page
    response = client.post(reverse("mail:inbound_retry", kwargs={"pk": failed.pk}), follow=True)
    failed.refresh_from_db()
    assert failed.outcome == Outcome.CREATED and "Read again: opened a ticket." in response.content.decode()


def test_mail_of_a_safeguarding_ticket_is_hidden_from_who_may_not_see_it(inbox, desk, leader, client_for, api_for):
    created = inbox["created"]
    Incident.objects.filter(pk=created.ticket_id).update(safeguarding=True)
    assert client_for(desk).get(detail(created)).status_code == 404
    assert "MIS export fails" not in client_for(desk).get(reverse("mail:inbound_list")).content.decode()
    assert "MIS export fails" not in api_for(desk).get("/api/inbound-messages/").content.decode()
    assert client_for(leader).get(detail(created)).status_code == 200  # leaders see safeguarding tickets


# =============================================================================
# The support mailbox settings
# =============================================================================

SETTINGS = {
    "school": "highfield",
    "support_email": "ictsupport@highfield.sch.uk",
    "host": "imap.example.com",
    "security": "ssl",
    "port": 993,
    "username": "ictsupport@highfield.sch.uk",
    "password": "s3cret-pa55",
    "folder": "INBOX",
    "unknown_senders": "hold",
    "is_active": "on",
    "action": "save",
}


def test_the_network_manager_saves_the_mailbox_and_never_sees_the_password_again(highfield, netmgr, client_for):
    client = client_for(netmgr)
    page = client.get(reverse("mail:mailbox"))
    assert page.status_code == 200 and "Test the connection" in page.content.decode()
    response = client.post(reverse("mail:mailbox"), SETTINGS)
    assert response.status_code == 302
    mailbox = Mailbox.objects.get(school=highfield)
    assert (mailbox.host, mailbox.password, mailbox.is_active) == ("imap.example.com", "s3cret-pa55", True)
    highfield.refresh_from_db()
    assert highfield.support_email == "ictsupport@highfield.sch.uk"
    page = client.get(response["Location"]).content.decode()
    assert "s3cret-pa55" not in page and "imap.example.com" in page
    client.post(reverse("mail:mailbox"), {**SETTINGS, "password": "", "host": "imap2.example.com"})
    mailbox.refresh_from_db()
    assert (mailbox.host, mailbox.password) == ("imap2.example.com", "s3cret-pa55")


def test_the_form_says_what_is_wrong(highfield, netmgr, client_for):
    response = client_for(netmgr).post(reverse("mail:mailbox"), {**SETTINGS, "password": "", "port": "0", "host": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "There are" in page and "IMAP server" in page
    assert not Mailbox.objects.exists()
    response = client_for(netmgr).post(reverse("mail:mailbox"), {**SETTINGS, "password": ""})
    assert "Give the mailbox&#x27;s password." in response.content.decode()


def test_the_connection_test_reports_the_exact_error_and_saves_nothing(highfield, netmgr, client_for):
    data = {**SETTINGS, "host": "127.0.0.1", "port": 1, "security": "none", "action": "test"}
    response = client_for(netmgr).post(reverse("mail:mailbox"), data)
    assert "Connection test failed: 127.0.0.1:1 refused the connection" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_another_schools_mailbox_is_not_offered(highfield, riverside, netmgr, client_for):
    response = client_for(netmgr).get(reverse("mail:mailbox"), {"school": "riverside"})
    page = response.content.decode()
    assert response.status_code == 200 and "Which school?" in page and "choose one of yours" in page
    assert "Riverside Academy" not in page and "Highfield Primary School" in page


def test_only_the_network_manager_opens_the_mailbox_settings(highfield, tech, staff, tech2, client_for):
    response = client_for(tech).get(reverse("mail:mailbox"))
    assert response.status_code == 302 and response["Location"] == reverse("mail:inbound_list")
    assert client_for(staff).get(reverse("mail:mailbox"))["Location"] == reverse("home")
    for person in (tech, tech2):
        client_for(person).post(reverse("mail:mailbox"), SETTINGS)
    assert not Mailbox.objects.exists()
    assert client_for(tech2).post(reverse("mail:mailbox"), SETTINGS).status_code == 404


# =============================================================================
# The API
# =============================================================================


def test_the_api_lists_the_schools_inbound_mail_held_and_failed_first(inbox, desk, api_for):
    response = api_for(desk).get("/api/inbound-messages/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["outcome"] for row in rows[:2]} == {"held", "failed"}
    assert {row["id"] for row in rows} == {inbox[key].pk for key in ("created", "held", "auto", "failed")}
    created = next(row for row in rows if row["outcome"] == "created")
    assert created["ticket"]["reference"] == inbox["created"].ticket.reference and created["school"] == "highfield"
    held = api_for(desk).get("/api/inbound-messages/?outcome=held").json()["results"]
    assert [row["id"] for row in held] == [inbox["held"].pk]


def test_the_api_shows_one_message_with_its_text_and_files(inbox, desk, api_for):
    body = api_for(desk).get(f"/api/inbound-messages/{inbox['created'].pk}/").json()
    assert body["text"].startswith("The census export stops")
    assert [item["name"] for item in body["attachments"]] == ["error report.pdf", "Steps to reproduce – census.docx"]
    assert api_for(desk).get(f"/api/inbound-messages/{inbox['riverside'].pk}/").status_code == 404


def test_the_api_is_read_only_and_empty_for_ict_users(inbox, desk, staff, api_for):
    assert api_for(staff).get("/api/inbound-messages/").json()["results"] == []
    url = f"/api/inbound-messages/{inbox['held'].pk}/"
    assert api_for(desk).delete(url).status_code == 405
    assert api_for(desk).patch(url, {"outcome": "created"}, format="json").status_code == 405


def test_the_inbound_mail_endpoints_are_in_the_openapi_schema():
    """Generated from the mail routes alone (the whole schema is checked with every app's)."""
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from servicedesk.mail_api import routes

    router = DefaultRouter()
    for prefix, viewset, basename in routes:
        router.register(prefix, viewset, basename=basename)
    schema = SchemaGenerator(patterns=[path("api/", include((router.urls, "api")))]).get_schema(public=True)
    validate_schema(schema)
    assert {"/api/inbound-messages/", "/api/inbound-messages/{id}/"} <= set(schema["paths"])
    detail = schema["components"]["schemas"]["InboundMessageDetail"]["properties"]
    assert detail["attachments"]["type"] == "array" and detail["text"]["type"] == "string"
    assert set(schema["paths"]["/api/inbound-messages/"]) == {"get"}


def test_a_ticket_opened_by_email_links_to_its_message_for_support_staff(inbox, desk, staff, client_for):
    created = inbox["created"]
    link = f'href="{detail(created)}"'
    assert link in client_for(desk).get(created.ticket.get_absolute_url()).content.decode()
    assert link not in client_for(staff).get(created.ticket.get_absolute_url()).content.decode()
