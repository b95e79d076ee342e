"""A small world for the portal, phone, safeguarding, lesson and attachment tests: rooms and devices at
highfield and riverside, files of every kind, and attachments kept in a temporary MEDIA_ROOT.

Import the fixtures you use into the test module (`from tests.incidents.portal_world import media, rooms`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cmdb.models import ConfigurationItem, Location

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    + b"\x00" * 40
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 40
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
TEXT = "Error 0x80070005: access denied.\nTried twice, café Wi-Fi.\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 40
HTML_LOOKALIKE = b"\x00\x01<html><script>alert(1)</script></html>"


def office(folder: str) -> bytes:
    """A minimal .docx (folder "word") or .xlsx (folder "xl"): a ZIP with the parts that say what it is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", "MZ")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def media(settings, tmp_path):
    """Attachments are stored under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class Rooms:
    classroom4: Location
    ict_suite: Location
    infant_classroom4: Location  # a second "Classroom 4", in another building
    comms: Location
    pc: ConfigurationItem  # in Classroom 4
    board: ConfigurationItem  # in Classroom 4
    switch: ConfigurationItem  # in the comms room: the network behind the PCs
    wifi: ConfigurationItem  # a service
    riverside_room: Location
    riverside_pc: ConfigurationItem


@pytest.fixture
def rooms(highfield, riverside, tech, tech2) -> Rooms:
    from cmdb import services as cmdb

    site = cmdb.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    junior = cmdb.location_create(school=highfield, actor=tech, kind="building", name="Junior block", parent=site)
    infant = cmdb.location_create(school=highfield, actor=tech, kind="building", name="Infant block", parent=site)
    c4 = cmdb.location_create(school=highfield, actor=tech, kind="room", name="Classroom 4", parent=junior)
    suite = cmdb.location_create(school=highfield, actor=tech, kind="room", name="ICT suite", parent=junior)
    ic4 = cmdb.location_create(school=highfield, actor=tech, kind="room", name="Classroom 4", parent=infant)
    comms = cmdb.location_create(school=highfield, actor=tech, kind="room", name="Comms room", parent=junior)
    pc = cmdb.ci_create(
        school=highfield, actor=tech, kind="desktop", name="HF-PC-C4-01", asset_tag="HF0401", location=c4
    )
    board = cmdb.ci_create(school=highfield, actor=tech, kind="display", name="HF-IWB-C4", location=c4)
    switch = cmdb.ci_create(school=highfield, actor=tech, kind="switch", name="HF-SW-JUN", location=comms)
    wifi = cmdb.ci_create(
        school=highfield, actor=tech, kind="service", name="Wi-Fi", attributes={"purpose": "learning"}
    )
    cmdb.relationship_add(source=wifi, target=switch, actor=tech, kind="runs_on")
    cmdb.relationship_add(source=pc, target=switch, actor=tech)
    r_site = cmdb.location_create(school=riverside, actor=tech2, kind="site", name="Riverside campus")
    r_block = cmdb.location_create(school=riverside, actor=tech2, kind="building", name="Science block", parent=r_site)
    r_room = cmdb.location_create(school=riverside, actor=tech2, kind="room", name="Classroom 4 RV", parent=r_block)
    r_pc = cmdb.ci_create(school=riverside, actor=tech2, kind="desktop", name="RV-PC-C4-01", location=r_room)
    return Rooms(c4, suite, ic4, comms, pc, board, switch, wifi, r_room, r_pc)


def lesson_on_now(location: Location, actor, name: str = "9X2 Computing", teacher: str = "Mr Patel"):
    """A lesson in `location` on today's weekday, from midnight to the last second of the day: on now."""
    from incidents import services

    today = timezone.localtime().weekday()
    return services.lesson_create(
        location=location,
        actor=actor,
        weekday=today,
        starts=time(0, 0),
        ends=time(23, 59, 59),
        name=name,
        teacher=teacher,
    )


def lesson_not_now(location: Location, actor, name: str = "8Y1 French"):
    """A lesson in `location` on another weekday."""
    from incidents import services

    other = (timezone.localtime().weekday() + 1) % 7
    return services.lesson_create(
        location=location, actor=actor, weekday=other, starts=time(9, 0), ends=time(10, 0), name=name
    )
