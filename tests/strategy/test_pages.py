"""The pages: home, a document, section editing, signing, dates, a version beside the one before it, and the PDF."""

from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse

from fits.strategy import services
from fits.strategy.models import StrategyDocument, VersionStatus

pytestmark = pytest.mark.django_db


def test_home_shows_both_documents_status_and_signatures(highfield, support, leader, netmgr, client_for):
    services.strategy_document_create(school=highfield, kind="ict", actor=leader)
    services.strategy_sign(document=support, capacity="head", actor=leader)
    page = client_for(netmgr).get(reverse("strategy:home")).content.decode()
    assert "ICT strategy" in page and "Technical support strategy" in page
    assert "Head teacher: Leader" in page and "None approved yet" in page
    assert 'id="start"' not in page  # both started: nothing left to start


def test_home_offers_to_start_the_missing_documents(highfield, netmgr, tech, client_for):
    page = client_for(netmgr).get(reverse("strategy:home")).content.decode()
    assert "Start the ict strategy" in page and "Start the technical support strategy" in page
    assert "Start the" not in client_for(tech).get(reverse("strategy:home")).content.decode()  # technicians read
    response = client_for(netmgr).post(reverse("strategy:create"), {"kind": "ict", "school": "highfield"})
    document = StrategyDocument.objects.get(school=highfield, kind="ict")
    assert response.status_code == 302 and response["Location"] == document.get_absolute_url()


def test_an_ict_user_finds_no_strategy(support, staff, client_for):
    client = client_for(staff)
    assert client.get(reverse("strategy:home")).status_code == 404
    assert client.get(support.get_absolute_url()).status_code == 404


def test_the_document_page_for_readers_and_writers(support, tech, netmgr, client_for):
    page = client_for(tech).get(support.get_absolute_url()).content.decode()
    assert "We support <strong>five</strong> services." in page and "Not written yet." in page
    assert "Sign-off: 0 of 4" in page and "Edit</a>" not in page and "Sign as" not in page
    page = client_for(netmgr).get(support.get_absolute_url()).content.decode()
    assert "Edit</a>" in page and "Sign as network manager" in page and "Sign as head teacher" not in page


def test_editing_a_section_through_the_page(support, netmgr, tech, client_for):
    url = reverse("strategy:section_edit", args=[support.pk, "technology"])
    form = client_for(netmgr).get(url).content.decode()
    assert "What goes here" in form and "servers, network, devices" in form
    response = client_for(netmgr).post(url, {"text": "## Servers\n- Two\n- A NAS"})
    assert response.status_code == 302
    section = services.working_version(support).sections.get(key="technology")
    assert section.text == "## Servers\n- Two\n- A NAS"
    page = client_for(netmgr).get(support.get_absolute_url()).content.decode()
    assert "<h5>Servers</h5>\n<ul><li>Two</li><li>A NAS</li></ul>" in page
    assert client_for(tech).get(url)["Location"] == support.get_absolute_url()  # a reader is sent back
    client_for(tech).post(url, {"text": "Hijacked"})
    assert services.working_version(support).sections.get(key="technology").text.startswith("## Servers")


def test_signing_through_the_page_and_the_wrong_person(support, leader, consultant, tech, client_for):
    url = reverse("strategy:sign", args=[support.pk])
    client_for(tech).post(url, {"capacity": "network_manager"})
    assert not services.working_version(support).signoffs.exists()
    response = client_for(tech).get(support.get_absolute_url(), follow=True)
    client_for(leader).post(url, {"capacity": "head", "comment": "Agreed at SLT"})
    client_for(consultant).post(url, {"capacity": "la_adviser"})
    page = client_for(consultant).get(support.get_absolute_url()).content.decode()
    assert response.status_code == 200 and "Sign-off: 2 of 4" in page and "Agreed at SLT" in page


def test_the_version_page_shows_what_changed(support, sign_all, netmgr, client_for):
    sign_all(support)
    services.strategy_section_edit(document=support, key="services", text="We support **six** services.",
                                   actor=netmgr)  # fmt: skip
    version = services.working_version(support)
    page = client_for(netmgr).get(version.get_absolute_url()).content.decode()
    assert "What changed since" in page
    assert '<td class="removed">We support **five** services.</td>' in page
    assert '<td class="added">We support **six** services.</td>' in page
    old = client_for(netmgr).get(services.in_force(support).get_absolute_url()).content.decode()
    assert "We support <strong>five</strong> services." in old and "Approved" in old


def test_the_pdf_has_the_headings_and_the_signers(support, sign_all, client_for, netmgr, tmp_path):
    sign_all(support)
    version = services.in_force(support)
    assert version.status == VersionStatus.APPROVED
    response = client_for(netmgr).get(reverse("strategy:version_pdf", args=[version.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "highfield-support-strategy-v1.pdf" in response["Content-Disposition"]
    path = tmp_path / "strategy.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for heading in (
        "Technical support strategy",
        "1. ICT services",
        "2. Technology",
        "3. Resources",
        "4. Management and support processes (FITS)",
        "5. Operational management functions (FITS OM)",
        "Sign-off",
        "Head teacher",
        "Local authority adviser",
        "ICT co-ordinator",
        "Network manager",
    ):
        assert heading in text, heading
    assert "Leader" in text and "Consultant" in text and "Netmgr" in text
    assert "We support five services." in text
