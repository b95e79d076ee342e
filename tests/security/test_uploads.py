"""Uploads (fits.attachments, README "Security"): archive bombs refused without unpacking them; imports (CSV,
iCalendar) checked by content and size before anything reads them; the inventory endpoint's compressed bodies
capped; files served only as downloads with a safe name, never from a public /media/ URL.

The rest of attachments (types by content, size and count limits, random storage names, nosniff, the record's own
permission on every download) is proved in tests/incidents/test_attachments.py."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from fits import attachments
from tests.incidents.portal_world import EXE, PNG, media, office, upload  # noqa: F401 (media: a fixture)


def office_with(members: dict[str, bytes], folder: str = "word") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# =============================================================================
# Archive bombs
# =============================================================================


def test_a_real_office_document_is_kept():
    assert attachments.check_upload(upload("letter.docx", office("word"))) == attachments.DOCX
    assert attachments.check_upload(upload("budget.xlsx", office("xl"))) == attachments.XLSX


def test_a_document_that_unpacks_a_thousand_times_larger_is_refused():
    bomb = office_with({"word/media/image1.png": b"\x00" * (20 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024  # 20 MB of zeros in a few kilobytes
    with pytest.raises(ValidationError) as error:
        attachments.check_upload(upload("cv.docx", bomb))
    assert error.value.code == "archive" and "an archive bomb" in error.value.messages[0]


def test_a_document_that_unpacks_past_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(attachments, "MAX_UNPACKED_BYTES", 1024 * 1024)
    big = office_with({"xl/media/photo.jpg": bytes(range(256)) * 8192}, folder="xl")  # 2 MB, barely compressible
    with pytest.raises(ValidationError) as error:
        attachments.check_upload(upload("budget.xlsx", big))
    assert "would unpack to 2.0 MB (at most 1.0 MB)" in error.value.messages[0]


def test_a_document_of_thousands_of_parts_is_refused():
    many = office_with({f"word/p{i}.xml": b"<p/>" for i in range(attachments.MAX_MEMBERS)})
    with pytest.raises(ValidationError) as error:
        attachments.check_upload(upload("letter.docx", many))
    assert f"(at most {attachments.MAX_MEMBERS})" in error.value.messages[0]


# =============================================================================
# Imports
# =============================================================================


@pytest.mark.parametrize(
    "content",
    [
        b"account,system\r\nadmin,MIS\r\n",
        "name,cost\r\nLicence,\u00a3120\r\n".encode("cp1252"),  # Excel's CSV on Windows: not UTF-8
        "\ufeffname\r\nZo\u00eb\r\n".encode("utf-8"),
    ],
)
def test_an_import_accepts_csv_in_the_encodings_schools_have(content):
    checked = attachments.check_import(upload("export.csv", content))
    assert checked.read() == content  # rewound for the importer


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("export.csv", EXE, "export.csv is not a CSV file (judged by its content, not its name)."),
        ("export.csv", PNG, "export.csv is not a CSV file (judged by its content, not its name)."),
        ("export.csv", b"", "export.csv is empty."),
        ("export.csv", b"a,b\n" * (1024 * 1024 + 1), "export.csv is 4.0 MB: an import can be at most 5.0 MB."),
    ],
)
def test_an_import_refuses_what_is_not_a_small_csv(name, content, message, monkeypatch):
    if len(content) > 1024 * 1024:
        monkeypatch.setattr(attachments, "IMPORT_MAX_BYTES", 4 * 1024 * 1024 - 1)
        message = "export.csv is 4.0 MB: an import can be at most 4.0 MB."
    with pytest.raises(ValidationError) as error:
        attachments.check_import(upload(name, content))
    assert error.value.messages == [message]


@pytest.mark.django_db
def test_the_import_forms_check_by_content(netmgr):
    from om.directory.forms import IntakeForm
    from om.patches.views import ImportForm as PatchImportForm
    from servicelevels.views import ImportForm as CalendarImportForm

    form = PatchImportForm(data={}, files={"report": upload("wsus.csv", EXE)})
    assert not form.is_valid() and "is not a CSV file" in form.errors["report"][0]
    form = CalendarImportForm(data={}, files={"feed": upload("terms.ics", PNG)})
    assert not form.is_valid() and "is not an iCalendar (.ics) file" in form.errors["feed"][0]
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    assert CalendarImportForm(data={}, files={"feed": upload("terms.ics", ics)}).is_valid()
    form = IntakeForm(data={"kind": "staff"}, files={"file": upload("staff.csv", EXE)}, user=netmgr)
    form.is_valid()
    assert "is not a CSV file" in form.errors["file"][0]


# =============================================================================
# The inventory endpoint's compressed bodies
# =============================================================================


@pytest.fixture
def agent_key(highfield):
    from cmdb import services as cmdb_services

    cmdb_services.agent_key_rotate(school=highfield, actor=None, key="security-test-key")
    return "security-test-key"


def agent_post(body: bytes, key: str):
    import base64

    credentials = "Basic " + base64.b64encode(f"highfield:{key}".encode()).decode()
    return Client().post(
        "/inventory/", data=body, content_type="application/x-compress-zlib", HTTP_AUTHORIZATION=credentials
    )


@pytest.mark.django_db
def test_a_compressed_inventory_bomb_is_refused_without_unpacking_it_all(agent_key):
    bomb = zlib.compress(b"<" * (200 * 1024 * 1024), 9)  # 200 MB of nothing in ~200 KB
    assert len(bomb) < 1024 * 1024
    response = agent_post(bomb, agent_key)
    assert response.status_code == 400
    reply = zlib.decompress(response.content) if response.content[:1] == b"\x78" else response.content
    assert b"larger than 64 MB once decompressed" in reply


@pytest.mark.django_db
def test_an_inventory_body_over_the_upload_limit_is_refused(agent_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    response = agent_post(b"x" * (1024 * 1024 + 1), agent_key)
    assert response.status_code == 413


# =============================================================================
# Downloads
# =============================================================================


@pytest.mark.django_db
@pytest.mark.usefixtures("media")
def test_a_download_has_a_safe_name_a_random_storage_name_and_no_public_url(highfield, staff, log_incident, client_for):
    from django.urls import reverse

    from fits import access

    ticket = log_incident(highfield, by=staff, title="Printer jam")
    nasty = upload('..\\..\\evil"\r\nX-Injected: 1.png', PNG)
    (stored,) = attachments.attachments_add(
        record=ticket, uploads=[nasty], actor=staff, permission=access.can_attach_to_incident
    )
    assert "evil" not in stored.file.name and stored.file.name.startswith(f"attachments/{highfield.pk}/")
    assert len(stored.file.name.rsplit("/", 1)[-1]) == 32  # a uuid4: not guessable, not the uploader's name
    response = client_for(staff).get(reverse("incidents:attachment", args=[ticket.pk, stored.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition
    assert "X-Injected" not in response.headers.keys()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Client().get(f"/media/{stored.file.name}").status_code == 404  # no public URL for stored files
